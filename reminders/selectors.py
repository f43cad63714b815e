"""Reads on payment reminders that the pages, the banner and the daily task share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clients.models import Company, Membership
from clients.rights import is_firm_wide
from invoicing.models import Invoice, Kind
from invoicing.selectors import invoice_companies_for, invoices_with_status
from payments.models import PaymentStatus
from reminders.models import LEVELS, Level, Reminder, ReminderSchedule, ReminderStop
from tenants.errors import NotFound

# Statuses that call for a reminder: past due, or a payment that came back.
REMINDED_STATUSES = (PaymentStatus.OVERDUE, PaymentStatus.REVERSED)


def schedule_current() -> ReminderSchedule:
    """The firm's schedule; the defaults until an administrator saves one."""
    return ReminderSchedule.objects.filter(pk=1).first() or ReminderSchedule(pk=1)


def level_due(days_late: int, schedule: ReminderSchedule, sent: set[str]) -> Level | None:
    """The level to send after `days_late` days: the highest one reached, unless it or a later
    one was sent already. Levels skipped (reminders switched on late) are not sent after."""
    reached = [level for level in LEVELS if days_late >= schedule.days_of(level)]
    if not reached:
        return None
    highest = reached[-1]
    if any(LEVELS.index(Level(level)) >= LEVELS.index(highest) for level in sent):
        return None
    return highest


def level_next(sent: set[str]) -> Level | None:
    """The level after the last one sent."""
    done = [LEVELS.index(Level(level)) for level in sent]
    position = max(done) + 1 if done else 0
    return LEVELS[position] if position < len(LEVELS) else None


def _stopped() -> Q:
    active = ReminderStop.objects.filter(resumed_at__isnull=True)
    return Q(Exists(active.filter(invoice=OuterRef("pk")))) | Q(
        Exists(active.filter(company=OuterRef("company_id")))
    )


def invoices_to_remind(invoices: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Invoices with something left to pay, past due or whose payment came back, and no stop
    on them or their company; annotated by `invoices_with_status`."""
    invoices = Invoice.objects.all() if invoices is None else invoices
    return (
        invoices_with_status(invoices.filter(kind=Kind.INVOICE))
        .filter(payment_status__in=REMINDED_STATUSES, balance_due__gt=0)
        .exclude(_stopped())
    )


def sent_levels(invoice_ids: list[int]) -> dict[int, set[str]]:
    sent: dict[int, set[str]] = {}
    rows = Reminder.objects.filter(invoice_id__in=invoice_ids).values_list("invoice_id", "level")
    for invoice_id, level in rows:
        sent.setdefault(invoice_id, set()).add(level)
    return sent


@dataclass(frozen=True)
class Planned:
    invoice: Invoice
    level: Level
    on: datetime.date
    days_late: int


def reminders_planned(
    schedule: ReminderSchedule, *, within_days: int = 0, invoices: QuerySet[Invoice] | None = None
) -> list[Planned]:
    """The reminder each invoice gets today (`within_days=0`) or in the next days: two
    queries, whatever the number of invoices."""
    today = timezone.localdate()
    latest_due = today - datetime.timedelta(days=schedule.courtesy_days - within_days)
    candidates = list(
        invoices_to_remind(invoices)
        .filter(due_date__lte=latest_due)
        .select_related("company")
        .order_by("due_date", "pk")
    )
    sent = sent_levels([invoice.pk for invoice in candidates])
    planned = []
    for invoice in candidates:
        days_late = (today - invoice.due_date).days
        done = sent.get(invoice.pk, set())
        level = level_due(days_late, schedule, done)
        if level is not None:
            planned.append(Planned(invoice, level, today, days_late))
            continue
        if within_days:
            upcoming = level_next(done)
            if upcoming is None:
                continue
            on = invoice.due_date + datetime.timedelta(days=schedule.days_of(upcoming))
            if today < on <= today + datetime.timedelta(days=within_days):
                planned.append(Planned(invoice, upcoming, on, (on - invoice.due_date).days))
    return sorted(planned, key=lambda item: (item.on, item.invoice.due_date, item.invoice.pk))


def companies_in_charge(actor: Any) -> QuerySet[Company]:
    """The companies whose reminders `actor` follows: all of them for a firm administrator,
    an accountant's own."""
    if not getattr(actor, "is_firm_staff", False):
        return Company.objects.none()
    return invoice_companies_for(actor)


def reminders_sent(actor: Any) -> QuerySet[Reminder]:
    return Reminder.objects.filter(invoice__company__in=companies_in_charge(actor)).select_related(
        "invoice", "invoice__company"
    )


def stops_active(actor: Any) -> QuerySet[ReminderStop]:
    companies = companies_in_charge(actor)
    return (
        ReminderStop.objects.filter(resumed_at__isnull=True)
        .filter(Q(company__in=companies) | Q(invoice__company__in=companies))
        .select_related("company", "invoice", "invoice__company", "stopped_by")
    )


def access_stop(actor: Any, stop_id: Any) -> ReminderStop:
    try:
        return stops_active(actor).get(pk=int(stop_id))
    except (ReminderStop.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def invoice_reminder_log(invoice: Invoice) -> dict[str, Any]:
    """What the invoice page shows: reminders sent, stops (the invoice's, and its company's
    one in force)."""
    return {
        "reminders": list(invoice.reminders.order_by("sent_on", "id")),
        "stops": list(
            ReminderStop.objects.filter(invoice=invoice).select_related("stopped_by", "resumed_by")
        ),
        "company_stop": ReminderStop.objects.filter(
            company_id=invoice.company_id, resumed_at__isnull=True
        )
        .select_related("stopped_by")
        .first(),
    }


@dataclass(frozen=True)
class Overdue:
    company_id: int
    legal_name: str
    count: int
    amount: Decimal


def overdue_for_admin(user: Any) -> list[Overdue]:
    """The overdue invoices of the companies `user` administers, per company: one query."""
    if not getattr(user, "is_authenticated", False) or user.is_firm_staff or is_firm_wide(user):
        return []
    mine = Membership.objects.filter(
        user_id=user.pk, company_id=OuterRef("company_id"), role=Membership.Role.ADMIN
    )
    rows = (
        invoices_with_status(Invoice.objects.filter(Exists(mine), kind=Kind.INVOICE))
        .filter(due_date__lt=timezone.localdate(), payment_status=PaymentStatus.OVERDUE)
        .values_list("company_id", "company__legal_name", "balance_due")
        .order_by("company__legal_name", "company_id")
    )
    per_company: dict[int, Overdue] = {}
    for company_id, name, balance in rows:
        seen = per_company.get(company_id)
        per_company[company_id] = Overdue(
            company_id,
            name,
            (seen.count if seen else 0) + 1,
            (seen.amount if seen else Decimal("0.00")) + balance,
        )
    return list(per_company.values())
