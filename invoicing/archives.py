"""A calendar year of invoices in one ZIP: asked for by a person, built by a task from the
documents they may download, kept in S3 and handed out by a short-lived link."""

from __future__ import annotations

import datetime
import hashlib
import logging
import zipfile
from tempfile import SpooledTemporaryFile
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Company, User
from invoicing.models import Invoice, InvoiceArchive, InvoiceDocument
from invoicing.selectors import DOWNLOAD, invoice_companies_for, invoice_years, invoices_filtered
from invoicing.services import DocumentAltered
from tenants import storage
from tenants.errors import DomainError, NotFound

log = logging.getLogger(__name__)

# Progress is written every this many files: the page polls it, not every file needs a write.
PROGRESS_EVERY = 10
# Kept in memory up to this size, then on disk, while the ZIP is written.
SPOOL_BYTES = 32 * 1024 * 1024
# A second request for the same year while the first is being prepared gets the first.
PENDING_REUSE = datetime.timedelta(minutes=15)


def archive_invoices(
    user: Any, year: int | None = None, company: Company | None = None
) -> QuerySet[Invoice]:
    """The invoices and credit notes (of `year`, of `company`, when given) that `user` may
    download."""
    invoices = Invoice.objects.filter(company__in=invoice_companies_for(user, DOWNLOAD))
    return invoices_filtered(invoices, company=company.pk if company else None, year=year)


def archive_years(user: Any, company: Company | None = None) -> list[int]:
    """The years for which `user` may download invoices (of `company` only, when given),
    newest first."""
    return invoice_years(archive_invoices(user, company=company))


def _year_check(year: Any) -> int:
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise DomainError(_("Choose a year."), field="year") from None
    if not 1900 <= value <= 9999:
        raise DomainError(_("Choose a year."), field="year")
    return value


def archive_request(*, actor: User, year: int, company: Company | None = None) -> InvoiceArchive:
    """Ask for the ZIP of `year`'s invoices of `company`, or of every company whose invoices
    `actor` may download; the file is built by a task and `actor` is e-mailed when it is
    ready."""
    year = _year_check(year)
    if company is not None and not (
        invoice_companies_for(actor, DOWNLOAD).filter(pk=company.pk).exists()
    ):
        raise NotFound()
    if not archive_invoices(actor, year, company).exists():
        raise DomainError(
            _("There is no invoice of %(year)s to download.") % {"year": year}, field="year"
        )
    from invoicing import tasks
    from tenants.tasks import enqueue

    with transaction.atomic():
        # One pending archive per person, scope and year: a double click sends one task.
        User.objects.select_for_update().filter(pk=actor.pk).only("pk").first()
        pending = InvoiceArchive.objects.filter(
            requested_by=actor,
            company=company,
            year=year,
            status=InvoiceArchive.Status.PENDING,
            created_at__gte=timezone.now() - PENDING_REUSE,
        ).first()
        if pending is not None:
            return pending
        archive = InvoiceArchive.objects.create(requested_by=actor, company=company, year=year)
        enqueue(tasks.archive_build, str(archive.pk))
    return archive


def archive_path(archive: InvoiceArchive) -> str:
    return f"exports/invoices-{archive.year}-{archive.pk}.zip"


def archive_filename(archive: InvoiceArchive) -> str:
    if archive.company_id:
        return f"factures-{archive.year}-{archive.company.siren}.zip"
    return f"factures-{archive.year}.zip"


def archive_build(archive: InvoiceArchive, *, site_url: str) -> InvoiceArchive:
    """Write the ZIP (`<SIREN>/<number>.pdf` and `.xml` for each invoice whose documents are
    ready), store it, mark the archive ready and e-mail the requester. Safe to repeat: a
    ready archive is left as it is. A document that fails its checksum fails the archive, and
    so does a year with no document ready (yet) to put in it."""
    if archive.status == InvoiceArchive.Status.READY:
        return archive
    try:
        body = _zip_write(archive)
    except Exception:
        log.exception("archive %s could not be built", archive.pk)
        _failed(archive)
        raise
    if body is None:
        log.warning("archive %s: no document ready to put in it", archive.pk)
        _failed(archive)
        return archive
    path = archive_path(archive)
    storage.put(path, body, content_type="application/zip")
    archive.path = path
    archive.size = len(body)
    archive.files_done = archive.files_total
    archive.status = InvoiceArchive.Status.READY
    archive.ready_at = timezone.now()
    archive.save(update_fields=["path", "size", "files_done", "status", "ready_at"])
    _ready_tell(archive, site_url)
    return archive


def _failed(archive: InvoiceArchive) -> None:
    archive.status = InvoiceArchive.Status.FAILED
    InvoiceArchive.objects.filter(pk=archive.pk).update(status=archive.status)


def _zip_write(archive: InvoiceArchive) -> bytes | None:
    invoices = list(
        archive_invoices(archive.requested_by, archive.year, archive.company)
        .filter(document__status=InvoiceDocument.Status.READY)
        .select_related("company", "document")
        .order_by("company__siren", "issue_date", "kind", "sequence")
    )
    if not invoices:
        return None
    archive.files_total = 2 * len(invoices)
    archive.files_done = 0
    archive.status = InvoiceArchive.Status.PENDING
    archive.save(update_fields=["files_total", "files_done", "status"])
    with SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        with zipfile.ZipFile(spool, "w") as bundle:
            for invoice in invoices:
                document = invoice.document
                folder = invoice.company.siren
                for path, expected, name, method in (
                    (document.pdf_path, document.pdf_sha256, "pdf", zipfile.ZIP_STORED),
                    (document.xml_path, document.xml_sha256, "xml", zipfile.ZIP_DEFLATED),
                ):
                    data = storage.get(path)
                    if hashlib.sha256(data).hexdigest() != expected:
                        log.error("checksum mismatch on %s in archive %s", path, archive.pk)
                        raise DocumentAltered(
                            _("This document failed its integrity check; the firm is told.")
                        )
                    bundle.writestr(f"{folder}/{invoice.number}.{name}", data, method)
                    archive.files_done += 1
                    if archive.files_done % PROGRESS_EVERY == 0:
                        InvoiceArchive.objects.filter(pk=archive.pk).update(
                            files_done=archive.files_done
                        )
        spool.seek(0)
        return spool.read()


def _ready_tell(archive: InvoiceArchive, site_url: str) -> None:
    person = archive.requested_by
    if archive.company_id:
        page = reverse("companies:invoices", kwargs={"company_id": archive.company_id})
    else:
        page = reverse("account:invoices")
    with translation.override(person.language or "fr"):
        subject = gettext("Your invoices of %(year)s are ready to download") % {
            "year": archive.year
        }
        scope = (
            gettext("the invoices of %(company)s") % {"company": archive.company.legal_name}
            if archive.company_id
            else gettext("your invoices")
        )
        body = gettext(
            "Hello,\n\nThe archive of %(scope)s for %(year)s (PDF and Factur-X XML) is ready. "
            "Download it from this page:\n%(url)s\n"
        ) % {"scope": scope, "year": archive.year, "url": f"{site_url}{page}"}
    send_mail(subject, body, None, [person.email])


def archive_download_path(*, actor: Any, archive: InvoiceArchive) -> str:
    """The S3 path of a ready archive, for its requester while they still hold the download
    right on its company (on at least one company, for an archive of all theirs)."""
    if archive.requested_by_id != getattr(actor, "pk", None):
        raise NotFound()
    mine = invoice_companies_for(actor, DOWNLOAD)
    if archive.company_id:
        mine = mine.filter(pk=archive.company_id)
    if not mine.exists():
        raise NotFound()
    if archive.status != InvoiceArchive.Status.READY:
        raise DomainError(_("The archive is being prepared."), code="pending")
    return archive.path
