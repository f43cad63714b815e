"""Issuing invoices and credit notes, the monthly runs, and the documents that follow them.

An invoice is issued in one transaction that takes the next number of its series under a row
lock: numbers follow commits, with no gap and no duplicate. A monthly invoice exists at most
once per company and period (a partial unique constraint), so a retried or repeated run finds
it and moves on. Documents are rendered and stored after the commit; until then the invoice
exists with its document pending.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum, prefetch_related_objects
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Membership
from clients.rights import manages_company
from entitlements.models import Application, Subscription, SubscriptionUserObjectPermission
from firms.models import FirmProfile
from invoicing.models import (
    BillingRun,
    BillingRunItem,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    Kind,
    retained_until,
)
from invoicing.pricing import (
    LineDraft,
    days_open,
    money,
    month_end,
    month_start,
    previous_month,
    prorated_quantity,
    totals,
)
from tenants import storage
from tenants.errors import DomainError, PermissionDenied
from webhooks import events

log = logging.getLogger(__name__)

NUMBER_PREFIX = {Kind.INVOICE: "F", Kind.CREDIT_NOTE: "AV"}
CHUNK_SIZE = 50
# Bounds of what a line may hold, well inside the columns (12 and 14 digits).
LARGEST = Decimal("1e9")
LINE_TOTAL_MAX = Decimal("1e9")
BUYER_REQUIRED = {
    "legal_name": _("legal name"),
    "address_line": _("address"),
    "postal_code": _("postal code"),
    "city": _("city"),
}
SELLER_REQUIRED = {
    "legal_name": _("legal name"),
    "siren": _("SIREN"),
    "vat_number": _("VAT number"),
    "address_line": _("address"),
    "postal_code": _("postal code"),
    "city": _("city"),
    "iban": _("IBAN"),
}
SELLER_FIELDS = (
    "legal_name",
    "legal_form",
    "share_capital",
    "siren",
    "rcs_city",
    "vat_number",
    "address_line",
    "postal_code",
    "city",
    "iban",
    "bic",
    "email",
    "phone",
)
BUYER_FIELDS = (
    "legal_name",
    "siren",
    "vat_number",
    "address_line",
    "postal_code",
    "city",
    "country",
    "billing_email",
)


# --- identities ------------------------------------------------------------------------------


def firm_profile() -> FirmProfile:
    return FirmProfile.objects.get(pk=1)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def seller_snapshot(profile: FirmProfile) -> dict[str, str]:
    snapshot = {field: _text(getattr(profile, field)) for field in SELLER_FIELDS}
    snapshot["country"] = "FR"
    return snapshot


def buyer_snapshot(company: Company) -> dict[str, str]:
    return {field: _text(getattr(company, field)) for field in BUYER_FIELDS}


def _missing(values: dict[str, str], required: dict[str, Any]) -> list[str]:
    return [str(label) for field, label in required.items() if not values.get(field, "").strip()]


def seller_problems(profile: FirmProfile) -> list[str]:
    missing = _missing(seller_snapshot(profile), SELLER_REQUIRED)
    return [gettext("firm identity incomplete: %s") % ", ".join(missing)] if missing else []


def buyer_problems(company: Company) -> list[str]:
    problems = []
    if company.billing != Company.Billing.DIRECT:
        problems.append(gettext("billed elsewhere"))
    if company.status == Company.Status.TRIAL:
        problems.append(gettext("in its trial period"))
    missing = _missing(buyer_snapshot(company), BUYER_REQUIRED)
    if missing:
        problems.append(gettext("billing data incomplete: %s") % ", ".join(missing))
    return problems


def document_language(company: Company) -> str:
    """English when every administrator of the company chose English; French otherwise."""
    languages = set(
        Membership.objects.filter(company=company, role=Membership.Role.ADMIN).values_list(
            "user__language", flat=True
        )
    )
    return "en" if languages == {"en"} else "fr"


# --- lines -----------------------------------------------------------------------------------


def _billed_subscriptions(company: Company, start: datetime.date, end: datetime.date):
    return (
        Subscription.objects.filter(company=company, start_date__lte=end)
        .exclude(end_date__lt=start)
        .exclude(status=Subscription.Status.SUSPENDED)
        .select_related("application")
        .order_by("application__name", "id")
    )


def _users_by_subscription(subscription_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        SubscriptionUserObjectPermission.objects.filter(content_object_id__in=subscription_ids)
        .values("content_object_id")
        .annotate(n=Count("user_id", distinct=True))
    )
    return {row["content_object_id"]: row["n"] for row in rows}


def _day(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def monthly_lines(
    company: Company,
    period_start: datetime.date,
    language: str,
    *,
    subscriptions: list[Subscription] | None = None,
    users: dict[int, int] | None = None,
) -> list[LineDraft]:
    """The lines of `company`'s invoice for the month starting `period_start`; a billing
    chunk passes the subscriptions and user counts it has read for all its companies."""
    period_end = month_end(period_start)
    month_days = period_end.day
    if subscriptions is None:
        subscriptions = list(_billed_subscriptions(company, period_start, period_end))
    per_user = [
        s.pk for s in subscriptions if s.application.pricing == Application.Pricing.PER_USER_MONTH
    ]
    if users is None:
        users = _users_by_subscription(per_user) if per_user else {}
    lines = []
    with translation.override(language):
        for subscription in subscriptions:
            application = subscription.application
            days = days_open(
                subscription.start_date, subscription.end_date, period_start, period_end
            )
            units = users.get(subscription.pk, 0) if subscription.pk in per_user else 1
            if not days or not units:
                continue
            price = (
                subscription.price_override
                if subscription.price_override is not None
                else application.price_excl_vat
            )
            first = max(subscription.start_date, period_start)
            last = min(subscription.end_date or period_end, period_end)
            detail = gettext("From %(start)s to %(end)s") % {
                "start": _day(first),
                "end": _day(last),
            }
            if days < month_days:
                detail += " " + gettext("(%(days)s of %(month)s days)") % {
                    "days": days,
                    "month": month_days,
                }
            if subscription.pk in per_user:
                detail += ", " + gettext("%(n)s user(s)") % {"n": units}
            lines.append(
                LineDraft(
                    label=application.name,
                    detail=detail,
                    quantity=prorated_quantity(units, days, month_days),
                    unit_price=money(price),
                    vat_rate=application.vat_rate,
                    subscription_id=subscription.pk,
                )
            )
    return [line for line in lines if line.total_excl_vat != 0]


# --- issuing ---------------------------------------------------------------------------------


def _next_number(kind: str, year: int) -> tuple[int, str]:
    """Take the next number of the series under the counter row's lock, held until commit.
    The row is made on the series' first number (a concurrent first is absorbed by the
    conflict clause; both then queue on the row's lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoicing_numbercounter SET next_value = next_value + 1 "
            "WHERE kind = %s AND year = %s RETURNING next_value - 1",
            [kind, year],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                "INSERT INTO invoicing_numbercounter (kind, year, next_value) "
                "VALUES (%s, %s, 1) ON CONFLICT (kind, year) DO NOTHING",
                [kind, year],
            )
            cursor.execute(
                "UPDATE invoicing_numbercounter SET next_value = next_value + 1 "
                "WHERE kind = %s AND year = %s RETURNING next_value - 1",
                [kind, year],
            )
            row = cursor.fetchone()
    (sequence,) = row
    return sequence, f"{NUMBER_PREFIX[kind]}-{year}-{sequence:06d}"


def _issue(
    *,
    kind: str,
    origin: str,
    company: Company,
    lines: Sequence[LineDraft],
    profile: FirmProfile,
    language: str,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    credited_invoice: Invoice | None = None,
    note: str = "",
    billing_run: BillingRun | None = None,
    created_by: Any = None,
) -> Invoice:
    """Insert the invoice and its lines; the caller holds the transaction."""
    summed = totals(lines)
    terms = (
        company.payment_terms_days
        if company.payment_terms_days is not None
        else profile.payment_terms_days
    )
    issue_date = timezone.localdate()
    sequence, number = _next_number(kind, issue_date.year)
    invoice = Invoice.objects.create(
        kind=kind,
        origin=origin,
        number=number,
        sequence=sequence,
        company=company,
        issue_date=issue_date,
        period_start=period_start,
        period_end=period_end,
        due_date=issue_date + datetime.timedelta(days=terms),
        language=language,
        total_excl_vat=summed.excl_vat,
        total_vat=summed.vat,
        total_incl_vat=summed.incl_vat,
        vat_breakdown=summed.breakdown_json(),
        seller=seller_snapshot(profile),
        buyer=buyer_snapshot(company),
        payment_terms_days=terms,
        late_penalty_rate=profile.late_penalty_rate,
        note=note,
        credited_invoice=credited_invoice,
        billing_run=billing_run,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            label=line.label,
            detail=line.detail,
            subscription_id=line.subscription_id,
            credited_line_id=line.credited_line_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            total_excl_vat=line.total_excl_vat,
            vat_amount=line.vat_amount,
        )
        for position, line in enumerate(lines, start=1)
    )
    InvoiceDocument.objects.create(invoice=invoice)
    return invoice


@dataclass(frozen=True)
class ChunkReads:
    """What billing a chunk of companies reads, in one query each instead of per company."""

    existing: dict[int, Invoice]
    admin_languages: dict[int, set[str]]
    subscriptions: dict[int, list[Subscription]]
    users: dict[int, int]

    def language(self, company_id: int) -> str:
        return "en" if self.admin_languages.get(company_id) == {"en"} else "fr"

    @classmethod
    def read(cls, company_ids: Sequence[int], period_start: datetime.date) -> ChunkReads:
        period_end = month_end(period_start)
        existing = {
            invoice.company_id: invoice
            for invoice in Invoice.objects.filter(
                company_id__in=company_ids,
                period_start=period_start,
                kind=Kind.INVOICE,
                origin=Invoice.Origin.MONTHLY,
            )
        }
        languages: dict[int, set[str]] = {}
        for company_id, language in Membership.objects.filter(
            company_id__in=company_ids, role=Membership.Role.ADMIN
        ).values_list("company_id", "user__language"):
            languages.setdefault(company_id, set()).add(language)
        subscriptions: dict[int, list[Subscription]] = {}
        for subscription in (
            Subscription.objects.filter(company_id__in=company_ids, start_date__lte=period_end)
            .exclude(end_date__lt=period_start)
            .exclude(status=Subscription.Status.SUSPENDED)
            .select_related("application")
            .order_by("application__name", "id")
        ):
            subscriptions.setdefault(subscription.company_id, []).append(subscription)
        per_user = [
            s.pk
            for listed in subscriptions.values()
            for s in listed
            if s.application.pricing == Application.Pricing.PER_USER_MONTH
        ]
        users = _users_by_subscription(per_user) if per_user else {}
        return cls(existing, languages, subscriptions, users)


@dataclass(frozen=True)
class Outcome:
    outcome: str
    reason: str = ""
    invoice: Invoice | None = None
    total_excl_vat: Decimal | None = None
    total_incl_vat: Decimal | None = None


def company_bill(
    *,
    company: Company,
    period_start: datetime.date,
    preview: bool = False,
    run: BillingRun | None = None,
    profile: FirmProfile | None = None,
    document_later: bool = True,
    chunk: ChunkReads | None = None,
) -> Outcome:
    """Bill `company` for the month of `period_start` (or say what it would bill), in one
    transaction with the run's item for it. Never raises for a company that cannot be billed:
    the reason is in the outcome."""
    period_start = month_start(period_start)
    profile = profile or firm_profile()
    problems = seller_problems(profile) + buyer_problems(company)
    if chunk is not None:
        existing = chunk.existing.get(company.pk)
    else:
        existing = Invoice.objects.filter(
            company=company, period_start=period_start, kind=Kind.INVOICE, origin="monthly"
        ).first()
    if existing:
        return _record(run, company, Outcome(BillingRunItem.Outcome.ALREADY_ISSUED, "", existing))
    if problems:
        return _record(run, company, Outcome(BillingRunItem.Outcome.SKIPPED, "; ".join(problems)))
    if chunk is not None:
        language = chunk.language(company.pk)
        lines = monthly_lines(
            company,
            period_start,
            language,
            subscriptions=chunk.subscriptions.get(company.pk, []),
            users=chunk.users,
        )
    else:
        language = document_language(company)
        lines = monthly_lines(company, period_start, language)
    if not lines:
        with translation.override(language):
            reason = gettext("nothing to bill for this month")
        return _record(run, company, Outcome(BillingRunItem.Outcome.SKIPPED, reason))
    summed = totals(lines)
    if preview:
        return _record(
            run,
            company,
            Outcome(
                BillingRunItem.Outcome.PREVIEWED,
                total_excl_vat=summed.excl_vat,
                total_incl_vat=summed.incl_vat,
            ),
        )
    try:
        with transaction.atomic():
            invoice = _issue(
                kind=Kind.INVOICE,
                origin=Invoice.Origin.MONTHLY,
                company=company,
                lines=lines,
                profile=profile,
                language=language,
                period_start=period_start,
                period_end=month_end(period_start),
                billing_run=run,
            )
            outcome = Outcome(
                BillingRunItem.Outcome.ISSUED,
                invoice=invoice,
                total_excl_vat=invoice.total_excl_vat,
                total_incl_vat=invoice.total_incl_vat,
            )
            _record(run, company, outcome)
            if document_later:
                _after_issue(invoice)
    except IntegrityError:
        # Issued by a concurrent run in the meantime: the unique constraint kept it single.
        existing = Invoice.objects.filter(
            company=company, period_start=period_start, kind=Kind.INVOICE, origin="monthly"
        ).first()
        if existing is None:
            raise
        return _record(run, company, Outcome(BillingRunItem.Outcome.ALREADY_ISSUED, "", existing))
    return outcome


def _record(run: BillingRun | None, company: Company, outcome: Outcome) -> Outcome:
    if run is not None:
        invoice = outcome.invoice
        values = {
            "outcome": outcome.outcome,
            "reason": outcome.reason[:300],
            "invoice": invoice,
            "total_excl_vat": invoice.total_excl_vat if invoice else outcome.total_excl_vat,
            "total_incl_vat": invoice.total_incl_vat if invoice else outcome.total_incl_vat,
            "attempts": F("attempts") + 1,
        }
        if not BillingRunItem.objects.filter(run=run, company=company).update(**values):
            BillingRunItem.objects.create(run=run, company=company, **values | {"attempts": 1})
    return outcome


def _staff_check(actor: Any, company: Company | None = None) -> None:
    if company is None:
        allowed = getattr(actor, "key", None) is not None or getattr(actor, "is_firm_admin", False)
    else:
        allowed = manages_company(actor, company)
    if not allowed:
        raise PermissionDenied(_("Only the firm's staff in charge may do this."))


def _decimal(value: Any, *, field: str) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise DomainError(_("Enter a number."), field=field)
    if abs(number) >= LARGEST:
        raise DomainError(_("Enter a smaller number."), field=field)
    return number


def _manual_lines(lines: Iterable[dict[str, Any]]) -> list[LineDraft]:
    drafts = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}."
        label = str(line.get("label", "")).strip()
        if not label:
            raise DomainError(_("This field is required."), field=prefix + "label")
        quantity = _decimal(line.get("quantity", 1), field=prefix + "quantity")
        unit_price = _decimal(line.get("unit_price", ""), field=prefix + "unit_price")
        vat_rate = _decimal(line.get("vat_rate", "20"), field=prefix + "vat_rate")
        if quantity <= 0 or quantity != quantity.quantize(Decimal("0.0001")):
            raise DomainError(
                _("Enter a positive quantity with at most 4 decimals."), field=prefix + "quantity"
            )
        if unit_price < 0 or unit_price != money(unit_price):
            raise DomainError(
                _("Enter a positive amount with at most 2 decimals."), field=prefix + "unit_price"
            )
        if vat_rate not in (Decimal(0), Decimal("2.1"), Decimal("5.5"), Decimal(10), Decimal(20)):
            raise DomainError(
                _("Choose a French VAT rate: 20, 10, 5.5, 2.1 or 0 %."), field=prefix + "vat_rate"
            )
        drafts.append(
            LineDraft(
                label=label[:200],
                detail=str(line.get("detail", "")).strip()[:300],
                quantity=quantity,
                unit_price=unit_price,
                vat_rate=vat_rate,
            )
        )
    for index, draft in enumerate(drafts):
        if draft.total_excl_vat >= LINE_TOTAL_MAX:
            raise DomainError(
                _("This line's amount is too large."), field=f"lines.{index}.unit_price"
            )
    if not drafts:
        raise DomainError(_("Add at least one line."), field="lines")
    if len(drafts) > 200:
        raise DomainError(_("An invoice holds 200 lines at most."), field="lines")
    return drafts


def invoice_issue_manual(
    *,
    actor: Any,
    company: Company,
    lines: Iterable[dict[str, Any]],
    note: str = "",
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
) -> Invoice:
    """A one-off invoice issued by the firm's staff."""
    _staff_check(actor, company)
    drafts = _manual_lines(lines)
    if (period_start is None) != (period_end is None):
        raise DomainError(_("Give both ends of the period, or neither."), field="period_end")
    if period_start and period_end and period_end < period_start:
        raise DomainError(_("The period ends before it starts."), field="period_end")
    profile = firm_profile()
    problems = seller_problems(profile) + buyer_missing(company)
    if problems:
        raise DomainError("; ".join(problems), field="company")
    with transaction.atomic():
        invoice = _issue(
            kind=Kind.INVOICE,
            origin=Invoice.Origin.MANUAL,
            company=company,
            lines=drafts,
            profile=profile,
            language=document_language(company),
            period_start=period_start,
            period_end=period_end,
            note=str(note).strip()[:500],
            created_by=actor,
        )
        _after_issue(invoice)
    return invoice


def buyer_missing(company: Company) -> list[str]:
    missing = _missing(buyer_snapshot(company), BUYER_REQUIRED)
    return [gettext("billing data incomplete: %s") % ", ".join(missing)] if missing else []


def credited_amounts(invoice: Invoice) -> dict[int, Decimal]:
    """Amount excl. VAT already credited, per line of `invoice`."""
    rows = (
        InvoiceLine.objects.filter(credited_line__invoice=invoice)
        .values("credited_line_id")
        .annotate(total=Sum("total_excl_vat"))
    )
    return {row["credited_line_id"]: row["total"] for row in rows}


def credit_note_issue(
    *,
    actor: Any,
    invoice: Invoice,
    reason: str,
    amounts: dict[int, Any] | None = None,
) -> Invoice:
    """A credit note on `invoice`: whole (every line's remaining amount) when `amounts` is None,
    else partial, `amounts` mapping a line id to the amount excl. VAT to credit on it."""
    _staff_check(actor, invoice.company)
    reason = str(reason).strip()
    if not reason:
        raise DomainError(_("Say why the invoice is corrected."), field="reason")
    if invoice.is_credit_note:
        raise DomainError(_("A credit note cannot itself be credited."), field="invoice")
    with transaction.atomic():
        # One credit note at a time per invoice: what remains is read under this lock.
        Invoice.objects.select_for_update().filter(pk=invoice.pk).values("pk").get()
        remaining = {
            line.pk: line.total_excl_vat - credited_amounts(invoice).get(line.pk, Decimal(0))
            for line in invoice.lines.all()
        }
        lines_by_id = {line.pk: line for line in invoice.lines.all()}
        if amounts is None:
            wanted = {pk: value for pk, value in remaining.items() if value > 0}
        else:
            wanted = {}
            for key, value in amounts.items():
                line_id = int(key) if str(key).isdigit() else -1
                field = f"amounts.{key}"
                if line_id not in lines_by_id:
                    raise DomainError(_("This line is not on the invoice."), field=field)
                amount = _decimal(value, field=field)
                if amount != money(amount) or amount < 0:
                    raise DomainError(
                        _("Enter a positive amount with at most 2 decimals."), field=field
                    )
                if amount > remaining[line_id]:
                    raise DomainError(
                        _("At most %(amount)s can still be credited on this line.")
                        % {"amount": remaining[line_id]},
                        field=field,
                    )
                if amount:
                    wanted[line_id] = amount
        if not wanted:
            raise DomainError(_("Nothing is left to credit on this invoice."), field="amounts")
        drafts = []
        for line_id, amount in wanted.items():
            line = lines_by_id[line_id]
            whole = amount == line.total_excl_vat
            drafts.append(
                LineDraft(
                    label=line.label,
                    detail=line.detail,
                    quantity=line.quantity if whole else Decimal(1),
                    unit_price=line.unit_price if whole else amount,
                    vat_rate=line.vat_rate,
                    credited_line_id=line.pk,
                )
            )
        credit_note = _issue(
            kind=Kind.CREDIT_NOTE,
            origin=Invoice.Origin.MANUAL,
            company=invoice.company,
            lines=drafts,
            profile=firm_profile(),
            language=invoice.language,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            credited_invoice=invoice,
            note=reason[:500],
            created_by=actor,
        )
        _after_issue(credit_note)
    return credit_note


# --- runs ------------------------------------------------------------------------------------


def billable_companies(company: Company | None = None):
    companies = Company.objects.filter(
        billing=Company.Billing.DIRECT,
        status__in=[Company.Status.ACTIVE, Company.Status.CANCELLED, Company.Status.TRIAL],
    )
    if company is not None:
        companies = Company.objects.filter(pk=company.pk)
    return companies.order_by("pk")


def billing_period_default(today: datetime.date | None = None) -> datetime.date:
    return previous_month(today or timezone.localdate())


def billing_run_start(
    *,
    actor: Any,
    period_start: datetime.date | None = None,
    mode: str = BillingRun.Mode.ISSUE,
    company: Company | None = None,
    trigger: str = BillingRun.Trigger.MANUAL,
) -> BillingRun:
    """Open a run over every billable company (or one) and send its chunks to the workers."""
    if trigger != BillingRun.Trigger.SCHEDULE:
        _staff_check(actor, company)
    if mode not in BillingRun.Mode.values:
        raise DomainError(_("Choose preview or issue."), field="mode")
    period_start = month_start(period_start or billing_period_default())
    if period_start > month_start(timezone.localdate()):
        raise DomainError(_("A month cannot be billed before it starts."), field="period")
    with transaction.atomic():
        run = BillingRun.objects.create(
            period_start=period_start,
            period_end=month_end(period_start),
            mode=mode,
            trigger=trigger,
            company=company,
            started_by=actor if getattr(actor, "pk", None) and not hasattr(actor, "key") else None,
        )
        ids = list(billable_companies(company).values_list("pk", flat=True))
        BillingRunItem.objects.bulk_create(BillingRunItem(run=run, company_id=pk) for pk in ids)
        run.companies_total = len(ids)
        run.save(update_fields=["companies_total"])
        _chunks_send(run, ids)
    return run


def _chunks_send(run: BillingRun, company_ids: list[int]) -> None:
    from invoicing import tasks
    from tenants.tasks import enqueue

    for index in range(0, len(company_ids), CHUNK_SIZE):
        enqueue(tasks.bill_chunk, str(run.pk), company_ids[index : index + CHUNK_SIZE])


def billing_run_retry(*, actor: Any, run: BillingRun) -> int:
    """Send again the companies whose billing failed or never finished; returns how many."""
    _staff_check(actor, run.company)
    with transaction.atomic():
        items = BillingRunItem.objects.select_for_update().filter(
            run=run,
            outcome__in=[BillingRunItem.Outcome.FAILED, BillingRunItem.Outcome.PENDING],
        )
        ids = list(items.values_list("company_id", flat=True))
        items.update(outcome=BillingRunItem.Outcome.PENDING, reason="")
        _chunks_send(run, ids)
    return len(ids)


def bill_chunk(run: BillingRun, company_ids: Sequence[int]) -> list[Invoice]:
    """Bill the companies of one chunk, each in its own transaction, then render and store
    the documents of what was issued and send one notification task for them; returns the
    invoices issued. One company's failure is recorded on its item and stops nothing else; a
    document that cannot be stored now is retried later by its own task."""
    profile = firm_profile()
    pending = set(
        BillingRunItem.objects.filter(
            run=run, company_id__in=company_ids, outcome=BillingRunItem.Outcome.PENDING
        ).values_list("company_id", flat=True)
    )
    issued = []
    chunk = ChunkReads.read(sorted(pending), run.period_start)
    for company in Company.objects.filter(pk__in=pending).order_by("pk"):
        try:
            outcome = company_bill(
                company=company,
                period_start=run.period_start,
                preview=run.mode == BillingRun.Mode.PREVIEW,
                run=run,
                profile=profile,
                document_later=False,
                chunk=chunk,
            )
        except Exception as error:
            log.exception("billing failed for company %s in run %s", company.pk, run.pk)
            BillingRunItem.objects.filter(run=run, company=company).update(
                outcome=BillingRunItem.Outcome.FAILED, reason=str(error)[:300]
            )
            continue
        if outcome.outcome == BillingRunItem.Outcome.ISSUED and outcome.invoice:
            issued.append(outcome.invoice)
    if issued:
        prefetch_related_objects(issued, "lines")
        documents_store(issued, logo=_logo(profile) or NO_LOGO)
    return issued


def documents_store(invoices: Sequence[Invoice], *, logo: bytes | None) -> list[int]:
    """Store the documents of freshly committed invoices; what fails goes to `document_fill`
    with its backoff. One notification task follows for those stored. Returns their ids."""
    from invoicing import tasks
    from tenants.tasks import enqueue

    stored = []
    for invoice in invoices:
        try:
            document_store(invoice, logo=logo, notify=False, fresh=True)
        except Exception as error:
            log.warning("document of %s not stored yet: %s", invoice.number, error)
            document_failed(invoice.pk, error)
            tasks.document_fill.apply_async(
                (invoice.pk,), countdown=settings.INVOICE_DOCUMENT_RETRY_SECONDS
            )
            continue
        stored.append(invoice.pk)
    if stored:
        enqueue(tasks.invoices_notify, stored)
    return stored


# --- documents -------------------------------------------------------------------------------


def _after_issue(invoice: Invoice) -> None:
    from invoicing import tasks
    from tenants.tasks import enqueue

    enqueue(tasks.document_fill, invoice.pk)


def document_paths(invoice: Invoice) -> tuple[str, str]:
    base = f"invoices/{invoice.issue_date.year}/{invoice.number}"
    return f"{base}.pdf", f"{base}.xml"


def _logo(profile: FirmProfile | None = None) -> bytes | None:
    path = (profile or firm_profile()).logo_path
    if not path or not path.endswith((".png", ".jpg", ".jpeg")):
        return None
    try:
        return storage.get(path)
    except Exception:
        log.warning("logo %s unreadable; the document shows the firm's name", path)
        return None


NO_LOGO = b""


def _mandate_of(invoice: Invoice) -> str | None:
    """The RUM of the SEPA mandate the invoice will be debited under, when its company has an
    active one: the document then asks for no transfer."""
    if invoice.is_credit_note:
        return None
    from sepa.selectors import active_mandate

    mandate = active_mandate(invoice.company)
    return mandate.reference if mandate else None


def document_store(
    invoice: Invoice, *, logo: bytes | None = None, notify: bool = True, fresh: bool = False
) -> InvoiceDocument | None:
    """Render the Factur-X PDF and its XML, store both in S3, seal the document row. Safe to
    repeat: a ready document is left as it is. `logo` None reads the firm's (NO_LOGO: none);
    `fresh` says the caller has just issued the invoice, so its document is pending, and
    wants nothing back; otherwise the document is returned."""
    from invoicing.document import document_build, document_data

    if not fresh:
        document = InvoiceDocument.objects.get(invoice=invoice)
        if document.status == InvoiceDocument.Status.READY:
            return document
    if logo is None:
        logo = _logo()
    data = document_data(invoice, logo=logo or None, mandate_reference=_mandate_of(invoice))
    pdf, xml = document_build(data)
    pdf_path, xml_path = document_paths(invoice)
    retention = retained_until(invoice.issue_date)
    pdf_sha = storage.put(pdf_path, pdf, content_type="application/pdf", retain_until=retention)
    xml_sha = storage.put(xml_path, xml, content_type="application/xml", retain_until=retention)
    sealed = InvoiceDocument.objects.filter(
        invoice=invoice, status=InvoiceDocument.Status.PENDING
    ).update(
        status=InvoiceDocument.Status.READY,
        pdf_path=pdf_path,
        xml_path=xml_path,
        pdf_sha256=pdf_sha,
        xml_sha256=xml_sha,
        pdf_size=len(pdf),
        attempts=F("attempts") + 1,
        last_error="",
        ready_at=timezone.now(),
    )
    if sealed:
        events.emit(*events.invoice(invoice))
    if sealed and notify:
        from invoicing import tasks
        from tenants.tasks import enqueue

        enqueue(tasks.invoices_notify, [invoice.pk])
    return None if fresh else InvoiceDocument.objects.get(invoice=invoice)


def document_failed(invoice_id: int, error: BaseException) -> None:
    InvoiceDocument.objects.filter(
        invoice_id=invoice_id, status=InvoiceDocument.Status.PENDING
    ).update(last_error=f"{type(error).__name__}: {error}"[:500], attempts=F("attempts") + 1)


def documents_pending(older_than: datetime.timedelta = datetime.timedelta(minutes=5)):
    """Documents still pending a while after their invoice: their task was lost."""
    return InvoiceDocument.objects.filter(
        status=InvoiceDocument.Status.PENDING,
        invoice__created_at__lt=timezone.now() - older_than,
    ).values_list("invoice_id", flat=True)


class DocumentAltered(DomainError):
    """The stored file no longer matches the checksum recorded when it was issued."""


def document_verified_path(invoice: Invoice, fmt: str) -> str:
    """The S3 path of the invoice's PDF or XML, after checking that the stored object still
    carries the SHA-256 recorded at issue."""
    document = InvoiceDocument.objects.get(invoice=invoice)
    if document.status != InvoiceDocument.Status.READY:
        raise DomainError(
            _("The document is being prepared; try again in a minute."), code="pending"
        )
    path, expected = (
        (document.pdf_path, document.pdf_sha256)
        if fmt == "pdf"
        else (document.xml_path, document.xml_sha256)
    )
    if storage.sha256_of(path) != expected:
        log.error("checksum mismatch on %s", path)
        raise DocumentAltered(_("This document failed its integrity check; the firm is told."))
    return path


# --- notification ----------------------------------------------------------------------------


def recipients_by_company(company_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """(address, language) of the people told of a company's new invoices: each person with
    the invoice right (client administrators, collaborators granted "view the invoices") who
    chose invoice notifications. One query for every company asked."""
    from entitlements.models import CompanyUserObjectPermission

    granted = CompanyUserObjectPermission.objects.filter(
        user_id=OuterRef("user_id"),
        content_object_id=OuterRef("company_id"),
        permission__codename="view_invoices",
    )
    rows = (
        Membership.objects.filter(
            company_id__in=list(company_ids),
            user__is_active=True,
            user__notify_invoices=True,
        )
        .filter(Q(role=Membership.Role.ADMIN) | Exists(granted))
        .values_list("company_id", "user__email", "user__language")
        .order_by("company_id", "user__email")
    )
    people: dict[int, list[tuple[str, str]]] = {}
    for company_id, email, language in rows:
        people.setdefault(company_id, []).append((email, language))
    return people


def invoice_recipients(
    invoice: Invoice, people: dict[int, list[tuple[str, str]]] | None = None
) -> list[tuple[str, str]]:
    """(address, language) of who is told of `invoice`: its company's billing address (in the
    invoice's language) and the people of `recipients_by_company`, each once."""
    company = invoice.company
    if people is None:
        people = recipients_by_company([company.pk])
    recipients = {
        email.lower(): (email, language) for email, language in people.get(company.pk, [])
    }
    if company.billing_email and company.billing_email.lower() not in recipients:
        recipients[company.billing_email.lower()] = (company.billing_email, invoice.language)
    return list(recipients.values())


def invoices_notify(invoice_ids: Sequence[int], *, site_url: str) -> int:
    """Tell the recipients of each invoice whose document is ready and not yet notified, over
    one mail connection; returns mails sent. One UPDATE claims the batch (a second call finds
    nothing to send), one query finds every recipient."""
    from django.core.mail import get_connection

    with transaction.atomic():
        claimed = list(
            InvoiceDocument.objects.filter(
                invoice_id__in=list(invoice_ids),
                status=InvoiceDocument.Status.READY,
                notified_at__isnull=True,
            )
            .select_for_update(skip_locked=True)
            .values_list("invoice_id", flat=True)
        )
        if not claimed:
            return 0
        InvoiceDocument.objects.filter(invoice_id__in=claimed).update(notified_at=timezone.now())
        invoices = list(Invoice.objects.filter(pk__in=claimed).select_related("company"))
        people = recipients_by_company({invoice.company_id for invoice in invoices})
        messages = [
            message
            for invoice in invoices
            for message in _invoice_messages(invoice, people, site_url=site_url)
        ]
    if messages:
        get_connection().send_messages(messages)
    return len(messages)


def invoice_notify(invoice: Invoice, *, site_url: str) -> int:
    """E-mail the recipients of one invoice once; returns how many were sent."""
    return invoices_notify([invoice.pk], site_url=site_url)


def _invoice_messages(
    invoice: Invoice, people: dict[int, list[tuple[str, str]]], *, site_url: str
) -> list[Any]:
    from django.core.mail import EmailMessage

    messages = []
    seller = invoice.seller.get("legal_name", "")
    for address, language in invoice_recipients(invoice, people):
        with translation.override(language or "fr"):
            values = {
                "seller": seller,
                "number": invoice.number,
                "date": date_format(invoice.issue_date, "SHORT_DATE_FORMAT"),
                "company": invoice.company.legal_name,
                "amount": number_format(invoice.total_incl_vat, 2, force_grouping=True),
                "due": date_format(invoice.due_date, "SHORT_DATE_FORMAT"),
                "url": f"{site_url}/mon-compte/factures/",
            }
            if invoice.is_credit_note:
                subject = gettext("New credit note %(number)s from %(seller)s") % values
                body = (
                    gettext(
                        "Hello,\n\n%(seller)s has issued credit note %(number)s of %(date)s "
                        "for %(company)s: %(amount)s EUR incl. VAT.\n\n"
                        "See it and download it in your space:\n%(url)s\n"
                    )
                    % values
                )
            else:
                subject = gettext("New invoice %(number)s from %(seller)s") % values
                body = (
                    gettext(
                        "Hello,\n\n%(seller)s has issued invoice %(number)s of %(date)s for "
                        "%(company)s: %(amount)s EUR incl. VAT, due on %(due)s.\n\n"
                        "See it and download it in your space:\n%(url)s\n"
                    )
                    % values
                )
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
    return messages
