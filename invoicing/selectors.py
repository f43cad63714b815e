"""Reads on invoices, runs and archives that pages, the API and tasks share.

Who sees an invoice: the firm's administrators (and API keys) every one, an accountant those of
the companies assigned to them, a client administrator those of their companies, a
collaborator those of the companies where they hold the "view invoices" right. Downloading
needs "download invoices" (client administrators hold both by role). Missing and not yours
both raise NotFound.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Sum, Value, When

from clients.models import Company, Membership, User
from clients.rights import is_firm_wide
from entitlements.models import CompanyUserObjectPermission
from invoicing.models import BillingRun, BillingRunItem, Invoice, InvoiceArchive
from tenants.errors import NotFound

VIEW = "view_invoices"
BILLED = (BillingRunItem.Outcome.ISSUED, BillingRunItem.Outcome.PREVIEWED)
DOWNLOAD = "download_invoices"


def _companies_with_right(user: User, codename: str) -> QuerySet[Company]:
    admin = Membership.objects.filter(
        user_id=user.pk, company_id=OuterRef("pk"), role=Membership.Role.ADMIN
    )
    granted = CompanyUserObjectPermission.objects.filter(
        user_id=user.pk,
        content_object_id=OuterRef("pk"),
        permission__codename=codename,
        permission__content_type__app_label="clients",
    )
    member = Membership.objects.filter(user_id=user.pk, company_id=OuterRef("pk"))
    return Company.objects.filter(Exists(admin) | (Exists(granted) & Exists(member)))


def invoice_companies_for(actor: Any, codename: str = VIEW) -> QuerySet[Company]:
    """The companies whose invoices `actor` may see (or download, with DOWNLOAD)."""
    if is_firm_wide(actor):
        return Company.objects.all()
    if not isinstance(actor, User) or not actor.is_active:
        return Company.objects.none()
    if actor.is_firm_staff:
        return Company.objects.filter(accountant=actor)
    return _companies_with_right(actor, codename)


def invoices_visible_to(actor: Any) -> QuerySet[Invoice]:
    return Invoice.objects.filter(company__in=invoice_companies_for(actor)).select_related(
        "company", "document", "credited_invoice"
    )


def invoices_filtered(
    invoices: QuerySet[Invoice],
    *,
    company: Any = None,
    year: Any = None,
    kind: str | None = None,
    status: str | None = None,
) -> QuerySet[Invoice]:
    """Filters the invoice lists share; unknown values filter nothing out silently but are
    rejected by the forms and the API before they get here."""
    if company:
        invoices = invoices.filter(company_id=company)
    if year:
        invoices = invoices.filter(issue_date__year=year)
    if kind:
        invoices = invoices.filter(kind=kind)
    if status:
        invoices = invoices.filter(invoice_status_q(status))
    return invoices


def invoice_status_q(status: str) -> Q:
    """Until payments are recorded, an invoice is open until its due date, then overdue, or
    credited when its credit notes cover it."""
    from django.utils import timezone

    credited = (
        Invoice.objects.filter(credited_invoice=OuterRef("pk"))
        .values("credited_invoice")
        .annotate(total=Sum("total_incl_vat"))
        .filter(total__gte=OuterRef("total_incl_vat"))
    )
    today = timezone.localdate()
    if status == "credited":
        return Q(kind="invoice") & Q(Exists(credited))
    if status == "overdue":
        return Q(kind="invoice", due_date__lt=today) & ~Q(Exists(credited))
    if status == "open":
        return Q(kind="invoice", due_date__gte=today) & ~Q(Exists(credited))
    return Q()


def access_invoice(actor: Any, invoice_id: Any, codename: str = VIEW) -> Invoice:
    try:
        return (
            Invoice.objects.filter(company__in=invoice_companies_for(actor, codename))
            .select_related("company", "document", "credited_invoice")
            .get(pk=int(invoice_id))
        )
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def may_download(actor: Any, invoice: Invoice) -> bool:
    return invoice_companies_for(actor, DOWNLOAD).filter(pk=invoice.company_id).exists()


def invoice_years(invoices: QuerySet[Invoice]) -> list[int]:
    return sorted({day.year for day in invoices.dates("issue_date", "year")}, reverse=True)


def runs_visible_to(actor: Any) -> QuerySet[BillingRun]:
    if is_firm_wide(actor):
        return BillingRun.objects.all()
    return BillingRun.objects.none()


def access_run(actor: Any, run_id: Any) -> BillingRun:
    try:
        return runs_visible_to(actor).get(pk=run_id)
    except (BillingRun.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound() from None


def run_summary(run: BillingRun) -> dict[str, Any]:
    """Counts per outcome and the totals issued (or previewed): one query."""
    rows = (
        BillingRunItem.objects.filter(run=run)
        .values("outcome")
        .annotate(
            n=Count("id"),
            excl=Sum("total_excl_vat"),
            incl=Sum("total_incl_vat"),
        )
    )
    counts = {outcome: 0 for outcome in BillingRunItem.Outcome.values}
    excl = incl = 0
    for row in rows:
        counts[row["outcome"]] = row["n"]
        if row["outcome"] in ("issued", "previewed"):
            excl += row["excl"] or 0
            incl += row["incl"] or 0
    done = run.companies_total - counts["pending"]
    return {
        "counts": counts,
        "total_excl_vat": excl,
        "total_incl_vat": incl,
        "done": done,
        "finished": counts["pending"] == 0,
        "progress": 100 if not run.companies_total else int(done * 100 / run.companies_total),
    }


def archives_of(user: User) -> QuerySet[InvoiceArchive]:
    return InvoiceArchive.objects.filter(requested_by=user).select_related("company")


def access_archive(user: User, archive_id: Any) -> InvoiceArchive:
    try:
        return archives_of(user).get(pk=archive_id)
    except (InvoiceArchive.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound() from None


def invoices_with_status(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice's `payment_status` (open, overdue, credited), in the same query."""
    return invoices.annotate(
        payment_status=Case(
            When(invoice_status_q("credited"), then=Value("credited")),
            When(invoice_status_q("overdue"), then=Value("overdue")),
            default=Value("open"),
            output_field=CharField(),
        )
    )


def runs_counted(runs: QuerySet[BillingRun]) -> QuerySet[BillingRun]:
    """Runs with their count per outcome and the totals issued or previewed: one query for a
    whole page of runs (the figures of `run_summary`)."""
    counts = {
        f"n_{outcome}": Count("items", filter=Q(items__outcome=outcome))
        for outcome in BillingRunItem.Outcome.values
    }
    billed = Q(items__outcome__in=BILLED)
    return runs.annotate(
        **counts,
        billed_excl_vat=Sum("items__total_excl_vat", filter=billed),
        billed_incl_vat=Sum("items__total_incl_vat", filter=billed),
    )
