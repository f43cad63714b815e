"""Reads on invoices, runs and archives that pages, the API and tasks share.

Who sees an invoice: the firm's administrators (and API keys) every one, an accountant those of
the companies assigned to them, a client administrator those of their companies, a
collaborator those of the companies where they hold the "view invoices" right. Downloading
needs "download invoices" (client administrators hold both by role). Missing and not yours
both raise NotFound.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Company, Membership, User
from clients.rights import is_firm_wide
from entitlements.models import CompanyUserObjectPermission
from invoicing.models import BillingRun, BillingRunItem, Invoice, InvoiceArchive
from payments.models import OPEN, OPEN_STATUSES, PaymentEvent, PaymentStatus
from tenants.errors import NotFound

VIEW = "view_invoices"
BILLED = (BillingRunItem.Outcome.ISSUED, BillingRunItem.Outcome.PREVIEWED)
DOWNLOAD = "download_invoices"


def _companies_with_right(user: User, codename: str) -> QuerySet[Company]:
    # Driven from the user's few memberships (one indexed IN) rather than a test on every
    # company of the firm, which the planner cannot estimate and pays for at every size.
    granted = CompanyUserObjectPermission.objects.filter(
        user_id=user.pk,
        content_object_id=OuterRef("company_id"),
        permission__codename=codename,
        permission__content_type__app_label="clients",
    )
    mine = Membership.objects.filter(
        Q(role=Membership.Role.ADMIN) | Exists(granted), user_id=user.pk
    ).values("company_id")
    return Company.objects.filter(pk__in=mine)


def invoice_companies_for(actor: Any, codename: str = VIEW) -> QuerySet[Company]:
    """The companies whose invoices `actor` may see (or download, with DOWNLOAD)."""
    if is_firm_wide(actor):
        return Company.objects.all()
    if not isinstance(actor, User) or not actor.is_active:
        return Company.objects.none()
    if actor.is_firm_staff:
        return Company.objects.filter(accountant=actor)
    return _companies_with_right(actor, codename)


def _invoices_for(actor: Any, codename: str) -> QuerySet[Invoice]:
    # Every invoice has a company: firm-wide, a join with every company filters nothing out.
    if is_firm_wide(actor):
        return Invoice.objects.all()
    return Invoice.objects.filter(company__in=invoice_companies_for(actor, codename))


def invoices_visible_to(actor: Any) -> QuerySet[Invoice]:
    return _invoices_for(actor, VIEW).select_related("company", "document", "credited_invoice")


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
        invoices = invoices_with_status(invoices).filter(payment_status_q(status))
    return invoices


def payment_status_q(status: str) -> Q:
    """Filters a queryset annotated by `invoices_with_status` on one status, or on every
    status with something left to pay (`open`)."""
    if status == OPEN:
        return Q(payment_status__in=OPEN_STATUSES)
    if status in PaymentStatus.values:
        return Q(payment_status=status)
    return Q()


def access_invoice(actor: Any, invoice_id: Any, codename: str = VIEW) -> Invoice:
    try:
        return (
            _invoices_for(actor, codename)
            .select_related("company", "document", "credited_invoice")
            .get(pk=int(invoice_id))
        )
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def may_download(actor: Any, invoice: Invoice) -> bool:
    return invoice_companies_for(actor, DOWNLOAD).filter(pk=invoice.company_id).exists()


def invoice_years(invoices: QuerySet[Invoice]) -> list[int]:
    """The years with at least one of `invoices`, latest first. The first and the last year
    come from the ends of the issue-date index; each year between is one probe of it (LIMIT
    1), rather than a DISTINCT over every invoice."""
    invoices = invoices.order_by()
    bounds = invoices.aggregate(first=Min("issue_date"), last=Max("issue_date"))
    if bounds["first"] is None:
        return []
    first, last = bounds["first"].year, bounds["last"].year
    between = range(last - 1, first, -1)
    if not between:
        return sorted({first, last}, reverse=True)
    probes = [
        invoices.filter(issue_date__year=year).values_list("issue_date", flat=True)[:1]
        for year in between
    ]
    found = probes[0].union(*probes[1:], all=True) if len(probes) > 1 else probes[0]
    return sorted({last, first, *(day.year for day in found)}, reverse=True)


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
    """Each invoice with `amount_paid` (payments less reversals), `amount_credited` (its credit
    notes), `balance_due` and `payment_status`, in the same query. A credit note has no status
    and nothing due. Overdue is reckoned on today's date in Europe/Paris."""
    if "payment_status" in invoices.query.annotations:
        return invoices
    events = PaymentEvent.objects.filter(invoice=OuterRef("pk"))
    paid = events.values("invoice").annotate(total=Sum("amount")).values("total")
    credited = (
        Invoice.objects.filter(credited_invoice=OuterRef("pk"))
        .values("credited_invoice")
        .annotate(total=Sum("total_incl_vat"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    zero = Value(Decimal("0.00"), output_field=money)
    is_credit_note = Q(kind="credit_note")
    return invoices.annotate(
        amount_paid=Coalesce(Subquery(paid, output_field=money), zero),
        amount_credited=Coalesce(Subquery(credited, output_field=money), zero),
        last_payment_kind=Subquery(events.order_by("-id").values("kind")[:1]),
    ).annotate(
        balance_due=Case(
            When(is_credit_note, then=zero),
            default=F("total_incl_vat") - F("amount_credited") - F("amount_paid"),
            output_field=money,
        ),
        payment_status=Case(
            When(is_credit_note, then=Value("")),
            When(amount_credited__gte=F("total_incl_vat"), then=Value(PaymentStatus.CREDITED)),
            When(balance_due__lte=0, then=Value(PaymentStatus.PAID)),
            When(last_payment_kind="reversal", then=Value(PaymentStatus.REVERSED)),
            When(due_date__lt=timezone.localdate(), then=Value(PaymentStatus.OVERDUE)),
            When(amount_paid__gt=0, then=Value(PaymentStatus.PARTIALLY_PAID)),
            default=Value(PaymentStatus.ISSUED),
            output_field=CharField(),
        ),
    )


def invoices_with_status_paged(
    invoices: QuerySet[Invoice], page_rows: QuerySet[Invoice]
) -> list[Invoice]:
    """`page_rows` (one page sliced from `invoices`) annotated by `invoices_with_status`, in
    the page's order. The page's ids are read first and the payment sums then computed for
    those rows only: an OFFSET deep into a large list would otherwise compute them for every
    row it skips."""
    ids = list(page_rows.values_list("pk", flat=True))
    rows = invoices_with_status(invoices).in_bulk(ids)
    return [rows[pk] for pk in ids]


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
