"""Factures, in Mon compte (every invoice I may see) and in Entreprises (one company's, for
its client administrators): the list, its filters, the document downloads and the yearly ZIP.
Every download goes through a rights check, then a presigned link of a few minutes."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clients.models import Company
from frontend.access import client_admin_required
from frontend.companies.views import _company, _context
from frontend.invoices.forms import ArchiveForm, InvoiceFilterForm
from invoicing.archives import archive_download_path, archive_filename, archive_request
from invoicing.archives import archive_years as archive_years_of
from invoicing.selectors import (
    DOWNLOAD,
    VIEW,
    access_archive,
    access_invoice,
    archives_of,
    invoice_companies_for,
    invoice_years,
    invoices_filtered,
    invoices_visible_to,
    invoices_with_status_paged,
)
from invoicing.services import DocumentAltered, document_verified_path
from tenants import storage
from tenants.errors import DomainError, NotFound

PAGE_SIZE = 25
LINK_SECONDS = 300
ARCHIVES_SHOWN = 5
ARCHIVES_RECENT = datetime.timedelta(days=7)


def _rows(page, user) -> list[dict[str, Any]]:
    company_ids = {invoice.company_id for invoice in page}
    downloadable = set(
        invoice_companies_for(user, DOWNLOAD)
        .filter(pk__in=company_ids)
        .values_list("pk", flat=True)
    )
    rows = []
    for invoice in page:
        status = None if invoice.is_credit_note else invoice.payment_status
        rows.append(
            {
                "invoice": invoice,
                "status": status,
                "downloadable": invoice.company_id in downloadable,
                "ready": invoice.document.status == invoice.document.Status.READY,
            }
        )
    return rows


def _archives_context(user, company: Company | None, **extra) -> dict[str, Any]:
    recent = archives_of(user).filter(
        company=company, created_at__gte=timezone.now() - ARCHIVES_RECENT
    )
    if company is None:
        url = reverse("account:invoice_archives")
    else:
        url = reverse("companies:invoice_archives", kwargs={"company_id": company.pk})
    return {
        "archive_years": archive_years_of(user, company),
        "archives": list(recent[:ARCHIVES_SHOWN]),
        "archive_url": url,
        **extra,
    }


def _listing(request, company: Company | None = None, **extra) -> tuple[dict[str, Any], int]:
    user = request.user
    visible = invoices_visible_to(user)
    companies = None
    if company is not None:
        visible = visible.filter(company=company)
        list_url = reverse("companies:invoices", kwargs={"company_id": company.pk})
    else:
        companies = list(
            invoice_companies_for(user, VIEW)
            .order_by("legal_name", "pk")
            .values_list("pk", "legal_name")
        )
        list_url = reverse("account:invoices")
    form = InvoiceFilterForm(request.GET or None, companies=companies, years=invoice_years(visible))
    filters = form.filters()
    invoices = invoices_filtered(visible, **filters).order_by("-issue_date", "-pk")
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = invoices_with_status_paged(invoices, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page, user),
        "query": query.urlencode(),
        "filtered": any(value for value in filters.values()),
        "list_url": list_url,
        "show_company": company is None,
        **_archives_context(user, company, **extra),
    }
    return context, 400 if form.errors else 200


def _page(request, context: dict, status: int, template: str):
    if request.htmx:
        return render(request, "frontend/invoices/_list.html", context, status=status)
    return render(request, template, context, status=status)


@require_GET
@login_required
def account_invoices(request):
    context, status = _listing(request)
    return _page(request, context, status, "frontend/invoices/account.html")


@require_GET
@client_admin_required
def company_invoices(request, company_id):
    company = _company(request, company_id)
    context, status = _listing(request, company)
    context = _context(request, company, "invoices", **context)
    return _page(request, context, status, "frontend/invoices/company.html")


@require_GET
@login_required
def invoice_download(request, invoice_id, fmt: str):
    """Rights, then the checksum of the stored file, then a presigned link of 5 minutes."""
    invoice = access_invoice(request.user, invoice_id, DOWNLOAD)
    try:
        path = document_verified_path(invoice, fmt)
    except DocumentAltered as error:
        context = {"invoice": invoice, "message": error.message, "altered": True}
        return render(request, "frontend/invoices/unavailable.html", context, status=409)
    except DomainError as error:
        context = {"invoice": invoice, "message": error.message}
        return render(request, "frontend/invoices/unavailable.html", context)
    filename = f"{invoice.number}.{fmt}"
    return redirect(storage.download_url(path, filename=filename, seconds=LINK_SECONDS))


def _archive_ask(request, company: Company | None):
    form = ArchiveForm(request.POST, years=archive_years_of(request.user, company))
    error = None
    if form.is_valid():
        try:
            archive_request(actor=request.user, year=form.cleaned_data["year"], company=company)
        except NotFound:
            raise
        except DomainError as exc:
            error = exc.message
    else:
        error = form.errors["year"][0]
    if request.htmx:
        context = _archives_context(request.user, company, archive_error=error)
        return render(
            request, "frontend/invoices/_archives.html", context, status=400 if error else 200
        )
    if error is None:
        if company is None:
            return redirect(reverse("account:invoices") + "#archives")
        return redirect(
            reverse("companies:invoices", kwargs={"company_id": company.pk}) + "#archives"
        )
    context, _status = _listing(request, company, archive_error=error)
    if company is None:
        return render(request, "frontend/invoices/account.html", context, status=400)
    context = _context(request, company, "invoices", **context)
    return render(request, "frontend/invoices/company.html", context, status=400)


@require_POST
@login_required
def account_archive_request(request):
    return _archive_ask(request, None)


@require_POST
@client_admin_required
def company_archive_request(request, company_id):
    return _archive_ask(request, _company(request, company_id))


@require_GET
@login_required
def archive_status(request, archive_id):
    """The progress block the page polls until the archive is ready (or failed)."""
    archive = access_archive(request.user, archive_id)
    return render(request, "frontend/invoices/_archive.html", {"archive": archive})


@require_GET
@login_required
def archive_download(request, archive_id):
    archive = access_archive(request.user, archive_id)
    try:
        path = archive_download_path(actor=request.user, archive=archive)
    except NotFound:
        raise
    except DomainError:
        return render(request, "frontend/invoices/unavailable.html", {"archive": archive})
    filename = archive_filename(archive)
    return redirect(storage.download_url(path, filename=filename, seconds=LINK_SECONDS))
