"""Reads on payments: who sees which payment events, a company's statement of account and the
firm's receivables dashboard. Each is a fixed, small number of queries whatever the firm's size:
sums and buckets are computed by PostgreSQL, only the rows shown come back."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Avg,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from clients.models import Company
from invoicing.models import Invoice, Kind
from invoicing.pricing import money
from invoicing.selectors import VIEW, invoice_companies_for, invoices_with_status
from payments.models import PaymentEvent, PaymentStatus
from tenants.errors import NotFound

ZERO = Decimal("0.00")
# Aging buckets of what is left to pay, by days past the due date (inclusive upper bounds).
AGING = (
    ("not_due", None, 0),
    ("0_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("90_plus", 91, None),
)
OVERDUE_SHOWN = 20
MONTHS = 12


def payments_visible_to(actor: Any) -> QuerySet[PaymentEvent]:
    """The payment events of the invoices `actor` may see (invoicing.selectors rules)."""
    return PaymentEvent.objects.filter(
        invoice__company__in=invoice_companies_for(actor, VIEW)
    ).select_related("invoice__company", "recorded_by", "reversal")


def access_payment(actor: Any, payment_id: Any) -> PaymentEvent:
    try:
        return payments_visible_to(actor).get(pk=int(payment_id))
    except (PaymentEvent.DoesNotExist, ValidationError, ValueError, TypeError):
        raise NotFound() from None


def payments_filtered(
    payments: QuerySet[PaymentEvent],
    *,
    invoice: Any = None,
    company: Any = None,
    kind: str = "",
    means: str = "",
    source: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    text: str = "",
) -> QuerySet[PaymentEvent]:
    """The filters the back-office list, its export and the API share."""
    if invoice:
        payments = payments.filter(invoice_id=invoice)
    if company:
        payments = payments.filter(invoice__company_id=company)
    if kind:
        payments = payments.filter(kind=kind)
    if means:
        payments = payments.filter(means=means)
    if source:
        payments = payments.filter(source=source)
    if date_from:
        payments = payments.filter(date__gte=date_from)
    if date_to:
        payments = payments.filter(date__lte=date_to)
    text = text.strip()
    if text:
        payments = payments.filter(
            Q(invoice__number__icontains=text)
            | Q(invoice__company__legal_name__icontains=text)
            | Q(reference__icontains=text)
            | Q(payer__icontains=text)
        )
    return payments


def invoice_payments(invoice: Invoice) -> list[PaymentEvent]:
    """An invoice's payments and reversals, oldest first, each payment with its reversal."""
    return list(
        PaymentEvent.objects.filter(invoice=invoice)
        .select_related("recorded_by", "reversal")
        .order_by("date", "id")
    )


# --- statement of account -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    date: datetime.date
    kind: str  # invoice, credit_note, payment, reversal
    number: str  # the invoice or credit note number; for a payment, its invoice's
    invoice_id: int
    reference: str
    due_date: datetime.date | None
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass
class Statement:
    company: Company
    until: datetime.date
    lines: list[StatementLine] = field(default_factory=list)
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO
    balance: Decimal = ZERO
    aging: dict[str, Decimal] = field(default_factory=dict)
    open_invoices: int = 0


def aging_bucket(days_past_due: int) -> str:
    for name, low, high in AGING:
        if (low is None or days_past_due >= low) and (high is None or days_past_due <= high):
            return name
    return AGING[-1][0]


_ORDER = {"invoice": 0, "credit_note": 1, "payment": 2, "reversal": 3}


def statement_of_account(company: Company, *, until: datetime.date | None = None) -> Statement:
    """Every invoice (a debit), credit note and payment (credits) and reversal (a debit) of
    `company` up to `until` (today), oldest first with the running balance, and what is left
    to pay on each invoice at that date by days past due. Two queries."""
    until = until or timezone.localdate()
    documents = list(
        Invoice.objects.filter(company=company, issue_date__lte=until)
        .order_by("issue_date", "id")
        .values(
            "pk",
            "kind",
            "number",
            "issue_date",
            "due_date",
            "total_incl_vat",
            "credited_invoice_id",
        )
    )
    events = list(
        PaymentEvent.objects.filter(invoice__company=company, date__lte=until)
        .order_by("date", "id")
        .values(
            "pk", "kind", "amount", "date", "reference", "means", "invoice_id", "invoice__number"
        )
    )
    entries: list[tuple[tuple, dict[str, Any]]] = []
    remaining: dict[int, Decimal] = {}
    for doc in documents:
        credit_note = doc["kind"] == Kind.CREDIT_NOTE
        amount = doc["total_incl_vat"]
        if credit_note:
            target = doc["credited_invoice_id"]
            remaining[target] = remaining.get(target, ZERO) - amount
        else:
            remaining[doc["pk"]] = remaining.get(doc["pk"], ZERO) + amount
        entries.append(
            (
                (doc["issue_date"], _ORDER[doc["kind"]], doc["pk"]),
                {
                    "date": doc["issue_date"],
                    "kind": doc["kind"],
                    "number": doc["number"],
                    "invoice_id": doc["pk"],
                    "reference": "",
                    "due_date": None if credit_note else doc["due_date"],
                    "debit": ZERO if credit_note else amount,
                    "credit": amount if credit_note else ZERO,
                },
            )
        )
    for event in events:
        amount = event["amount"]
        remaining[event["invoice_id"]] = remaining.get(event["invoice_id"], ZERO) - amount
        entries.append(
            (
                (event["date"], _ORDER[event["kind"]], event["pk"]),
                {
                    "date": event["date"],
                    "kind": event["kind"],
                    "number": event["invoice__number"],
                    "invoice_id": event["invoice_id"],
                    "reference": event["reference"],
                    "due_date": None,
                    "debit": -amount if amount < 0 else ZERO,
                    "credit": amount if amount > 0 else ZERO,
                },
            )
        )
    entries.sort(key=lambda entry: entry[0])
    statement = Statement(company=company, until=until, aging={name: ZERO for name, *_ in AGING})
    balance = ZERO
    for _key, entry in entries:
        balance += entry["debit"] - entry["credit"]
        statement.total_debit += entry["debit"]
        statement.total_credit += entry["credit"]
        statement.lines.append(StatementLine(**entry, balance=money(balance)))
    statement.balance = money(balance)
    for doc in documents:
        left = remaining.get(doc["pk"], ZERO)
        if doc["kind"] == Kind.CREDIT_NOTE or left <= 0:
            continue
        bucket = aging_bucket((until - doc["due_date"]).days)
        statement.aging[bucket] += left
        statement.open_invoices += 1
    return statement


# --- the firm's dashboard -------------------------------------------------------------------


@dataclass
class Dashboard:
    today: datetime.date
    receivables: Decimal
    overdue_amount: Decimal
    overdue_count: int
    overdue: list[Invoice]
    collected_this_month: Decimal
    average_days_to_pay: Decimal | None
    paid_invoices: int
    months: list[tuple[datetime.date, Decimal]]
    aging: dict[str, Decimal]

    @property
    def months_max(self) -> Decimal:
        return max([amount for _month, amount in self.months] + [ZERO])

    @property
    def aging_max(self) -> Decimal:
        return max([*self.aging.values(), ZERO])


def _month_start(day: datetime.date, back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _aging_filters(today: datetime.date) -> dict[str, Q]:
    filters = {}
    for name, low, high in AGING:
        q = Q(balance_due__gt=0)
        # Days past due between low and high <=> due date between today-high and today-low.
        if low is not None:
            q &= Q(due_date__lte=today - datetime.timedelta(days=low))
        if high is not None:
            q &= Q(due_date__gte=today - datetime.timedelta(days=high))
        filters[name] = q
    return filters


def dashboard(actor: Any) -> Dashboard:
    """Receivables of the companies whose invoices `actor` may see: three queries."""
    today = timezone.localdate()
    companies = invoice_companies_for(actor, VIEW)
    invoices = invoices_with_status(
        Invoice.objects.filter(company__in=companies, kind=Kind.INVOICE)
    )
    last_paid = (
        PaymentEvent.objects.filter(invoice=OuterRef("pk"), kind=PaymentEvent.Kind.PAYMENT)
        .values("invoice")
        .annotate(last=Max("date"))
        .values("last")
    )
    year_ago = today - datetime.timedelta(days=365)
    paid_recently = Q(payment_status=PaymentStatus.PAID, amount_paid__gt=0, last_paid__gte=year_ago)
    due = Q(balance_due__gt=0)
    late = due & Q(due_date__lt=today)
    figures = invoices.annotate(last_paid=Subquery(last_paid, output_field=DateField())).aggregate(
        receivables=Sum("balance_due", filter=due),
        overdue_amount=Sum("balance_due", filter=late),
        overdue_count=Count("pk", filter=late),
        average_wait=Avg(
            ExpressionWrapper(F("last_paid") - F("issue_date"), output_field=DurationField()),
            filter=paid_recently,
        ),
        paid_invoices=Count("pk", filter=paid_recently),
        **{
            f"aging_{name}": Sum("balance_due", filter=q)
            for name, q in _aging_filters(today).items()
        },
    )
    overdue = list(
        invoices.filter(late).select_related("company").order_by("due_date", "id")[:OVERDUE_SHOWN]
    )
    for invoice in overdue:
        invoice.days_late = (today - invoice.due_date).days
    first_month = _month_start(today, MONTHS - 1)
    per_month = {
        row["month"]: row["total"]
        for row in PaymentEvent.objects.filter(
            invoice__company__in=companies, date__gte=first_month, date__lte=today
        )
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(total=Sum("amount"))
        .values("month", "total")
    }
    months = []
    for back in range(MONTHS - 1, -1, -1):
        month = _month_start(today, back)
        months.append((month, money(per_month.get(month) or ZERO)))
    wait = figures["average_wait"]
    average = None
    if wait is not None:
        average = (Decimal(wait.total_seconds()) / 86400).quantize(Decimal("0.1"))
    return Dashboard(
        today=today,
        receivables=money(figures["receivables"] or ZERO),
        overdue_amount=money(figures["overdue_amount"] or ZERO),
        overdue_count=figures["overdue_count"],
        overdue=overdue,
        collected_this_month=months[-1][1],
        average_days_to_pay=average,
        paid_invoices=figures["paid_invoices"],
        months=months,
        aging={name: money(figures[f"aging_{name}"] or ZERO) for name, *_ in AGING},
    )
