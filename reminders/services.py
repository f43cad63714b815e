"""Payment reminders: the firm's schedule, sending each level once per invoice, stopping and
resuming them. Mails leave once the reminder is recorded (at most once, never twice)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from clients.models import Company, Membership
from clients.rights import manages_company
from invoicing.models import Invoice
from invoicing.pricing import money
from reminders.models import Level, Reminder, ReminderSchedule, ReminderStop
from reminders.selectors import (
    invoices_to_remind,
    level_due,
    reminders_planned,
    schedule_current,
    sent_levels,
)
from tenants.errors import DomainError, NotFound, PermissionDenied
from webhooks import events

# Indemnité forfaitaire pour frais de recouvrement (Code de commerce L441-10, D441-5).
RECOVERY_INDEMNITY = Decimal("40.00")
DAYS_MIN, DAYS_MAX = 1, 180
YEAR_DAYS = Decimal(365)


def late_penalties(*, balance_due: Decimal, rate: Decimal, days_late: int) -> Decimal:
    """Late-payment penalties: balance due x yearly rate (%) x days late / 365, to the cent
    (half up). Nothing before the due date."""
    if days_late <= 0 or balance_due <= 0:
        return Decimal("0.00")
    return money(balance_due * rate / Decimal(100) * Decimal(days_late) / YEAR_DAYS)


# --- schedule --------------------------------------------------------------------------------


def _days_clean(value: Any, field: str) -> int:
    try:
        days = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter a number of days."), field=field) from None
    if not DAYS_MIN <= days <= DAYS_MAX:
        raise DomainError(
            _("Enter a number of days between %(min)d and %(max)d.")
            % {"min": DAYS_MIN, "max": DAYS_MAX},
            field=field,
        )
    return days


def schedule_update(
    *, actor: Any, enabled: bool, courtesy_days: Any, reminder_days: Any, notice_days: Any
) -> ReminderSchedule:
    """Firm administrators set the days after the due date of each level (strictly increasing,
    1 to 180) and switch reminders on or off for the whole firm."""
    if not getattr(actor, "is_firm_admin", False):
        raise PermissionDenied(_("Only a firm administrator may change the reminder schedule."))
    courtesy = _days_clean(courtesy_days, "courtesy_days")
    reminder = _days_clean(reminder_days, "reminder_days")
    notice = _days_clean(notice_days, "notice_days")
    if reminder <= courtesy:
        raise DomainError(
            _("The firm reminder must come after the courtesy reminder."), field="reminder_days"
        )
    if notice <= reminder:
        raise DomainError(
            _("The formal notice must come after the firm reminder."), field="notice_days"
        )
    with transaction.atomic():
        schedule, _created = ReminderSchedule.objects.select_for_update().get_or_create(pk=1)
        schedule.enabled = bool(enabled)
        schedule.courtesy_days = courtesy
        schedule.reminder_days = reminder
        schedule.notice_days = notice
        schedule.updated_by = actor
        schedule.save()
    return schedule


# --- stops -----------------------------------------------------------------------------------


def _reason_clean(reason: Any) -> str:
    reason = str(reason or "").strip()
    if not reason:
        raise DomainError(_("Say why reminders are stopped."), field="reason")
    if len(reason) > 200:
        raise DomainError(_("Keep the reason under 200 characters."), field="reason")
    return reason


def reminders_stop(
    *, actor: Any, reason: str, invoice: Invoice | None = None, company: Company | None = None
) -> ReminderStop:
    """Stop the reminders of one invoice, or of every invoice of one company, until resumed.
    Stopping what is already stopped returns the stop in force."""
    if (invoice is None) == (company is None):
        raise DomainError(_("Choose an invoice or a company."), field="company")
    target_company = invoice.company if invoice is not None else company
    if not manages_company(actor, target_company):
        raise NotFound()
    if invoice is not None and invoice.is_credit_note:
        raise DomainError(_("A credit note is not reminded."), field="invoice")
    reason = _reason_clean(reason)
    target = {"invoice": invoice} if invoice is not None else {"company": company}
    with transaction.atomic():
        current = ReminderStop.objects.filter(resumed_at__isnull=True, **target).first()
        if current is not None:
            return current
        try:
            with transaction.atomic():
                return ReminderStop.objects.create(reason=reason, stopped_by=actor, **target)
        except IntegrityError:
            # Stopped by someone else between our read and our insert.
            return ReminderStop.objects.get(resumed_at__isnull=True, **target)


def reminders_resume(*, actor: Any, stop: ReminderStop) -> ReminderStop:
    company = stop.company if stop.company_id else stop.invoice.company
    if not manages_company(actor, company):
        raise NotFound()
    with transaction.atomic():
        ReminderStop.objects.filter(pk=stop.pk, resumed_at__isnull=True).update(
            resumed_at=timezone.now(), resumed_by=actor
        )
    stop.refresh_from_db()
    return stop


# --- sending ---------------------------------------------------------------------------------


def admins_by_company(company_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(address, language) of the active client administrators of each company: one query."""
    rows = (
        Membership.objects.filter(
            company_id__in=company_ids, role=Membership.Role.ADMIN, user__is_active=True
        )
        .values_list("company_id", "user__email", "user__language")
        .order_by("company_id", "user__email")
    )
    people: dict[int, list[tuple[str, str]]] = {}
    for company_id, email, language in rows:
        people.setdefault(company_id, []).append((email, language))
    return people


def reminder_recipients(
    invoice: Invoice, people: dict[int, list[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """The company's billing address (in the invoice's language) and its client
    administrators (each in their own), each address once."""
    recipients: dict[str, tuple[str, str]] = {}
    if invoice.company.billing_email:
        address = invoice.company.billing_email
        recipients[address.lower()] = (address, invoice.language or "fr")
    for address, language in people.get(invoice.company_id, []):
        recipients[address.lower()] = (address, language or "fr")
    return list(recipients.values())


def reminders_due(*, site_url: str) -> int:
    """Send today's reminders of the firm (the daily task): each invoice gets the level its
    lateness has reached, once. Returns the reminders sent."""
    schedule = schedule_current()
    if not schedule.enabled:
        return 0
    planned = reminders_planned(schedule)
    people = admins_by_company(sorted({item.invoice.company_id for item in planned}))
    sent = 0
    for item in planned:
        if reminder_send(
            invoice=item.invoice,
            level=item.level,
            schedule=schedule,
            people=people,
            site_url=site_url,
        ):
            sent += 1
    return sent


def reminder_send(
    *,
    invoice: Invoice,
    level: str,
    schedule: ReminderSchedule,
    people: dict[int, list[tuple[str, str]]],
    site_url: str,
) -> Reminder | None:
    """Record and send one reminder of `invoice`, unless it was paid, credited or stopped in
    the meantime, or this level (or a later one) was sent already."""
    from django.core.mail import get_connection

    with transaction.atomic():
        Invoice.objects.select_for_update(of=("self",)).only("pk").get(pk=invoice.pk)
        current = (
            invoices_to_remind(Invoice.objects.filter(pk=invoice.pk))
            .select_related("company")
            .first()
        )
        if current is None:
            return None
        today = timezone.localdate()
        days_late = (today - current.due_date).days
        sent = sent_levels([current.pk]).get(current.pk, set())
        if level_due(days_late, schedule, sent) != level:
            return None
        notice = level == Level.FORMAL_NOTICE
        recipients = reminder_recipients(current, people)
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(
                    invoice=current,
                    level=level,
                    sent_on=today,
                    days_late=days_late,
                    balance_due=current.balance_due,
                    penalties=late_penalties(
                        balance_due=current.balance_due,
                        rate=current.late_penalty_rate,
                        days_late=days_late,
                    )
                    if notice
                    else Decimal("0.00"),
                    indemnity=RECOVERY_INDEMNITY if notice else Decimal("0.00"),
                    recipients=[address for address, _language in recipients],
                )
        except IntegrityError:
            return None  # another run recorded this level first
        if not sent:
            events.emit(
                "invoice.overdue",
                {
                    "id": current.pk,
                    "number": current.number,
                    "company": current.company_id,
                    "due_date": current.due_date,
                    "balance_due": current.balance_due,
                    "days_late": days_late,
                },
            )
        messages = [
            _reminder_message(current, reminder, address, language, site_url=site_url)
            for address, language in recipients
        ]
        if messages:
            transaction.on_commit(lambda: get_connection().send_messages(messages))
    return reminder


def _euros(amount: Decimal) -> str:
    return number_format(amount, 2, force_grouping=True)


def _reminder_message(
    invoice: Invoice, reminder: Reminder, address: str, language: str, *, site_url: str
) -> Any:
    from django.core.mail import EmailMessage

    with translation.override(language):
        values = {
            "seller": invoice.seller.get("legal_name", ""),
            "number": invoice.number,
            "date": date_format(invoice.issue_date, "SHORT_DATE_FORMAT"),
            "company": invoice.company.legal_name,
            "total": _euros(invoice.total_incl_vat),
            "due": date_format(invoice.due_date, "SHORT_DATE_FORMAT"),
            "days": reminder.days_late,
            "balance": _euros(reminder.balance_due),
            "url": f"{site_url}/entreprises/{invoice.company_id}/factures/?status=overdue",
        }
        facts = (
            _(
                "Invoice %(number)s of %(date)s for %(company)s (%(total)s EUR incl. VAT) was due "
                "on %(due)s. %(balance)s EUR is still unpaid, %(days)s days after its due date."
            )
            % values
        )
        pay = _("See it and pay it in your space:\n%(url)s") % values
        if reminder.level == Level.COURTESY:
            subject = _("Reminder: invoice %(number)s from %(seller)s") % values
            body = "\n\n".join(
                [
                    _("Hello,"),
                    facts,
                    _(
                        "It may have slipped your attention; if you have paid it already, please "
                        "disregard this message."
                    ),
                    pay,
                ]
            )
        elif reminder.level == Level.REMINDER:
            subject = _("Second reminder: invoice %(number)s from %(seller)s") % values
            body = "\n\n".join(
                [
                    _("Hello,"),
                    facts,
                    _(
                        "Despite our first reminder, we have not received your payment. Please "
                        "settle this invoice without delay."
                    ),
                    pay,
                ]
            )
        else:
            claimed = reminder.balance_due + reminder.penalties + reminder.indemnity
            legal = {
                **values,
                "rate": number_format(invoice.late_penalty_rate, 2),
                "penalties": _euros(reminder.penalties),
                "indemnity": _euros(reminder.indemnity),
                "claimed": _euros(claimed),
            }
            subject = _("Formal notice: invoice %(number)s from %(seller)s") % values
            body = "\n\n".join(
                [
                    _("Hello,"),
                    facts,
                    _(
                        "Despite our reminders, this invoice remains unpaid. We hereby give you "
                        "formal notice to pay it within eight days."
                    ),
                    _(
                        "Under articles L441-10 and D441-5 of the French Commercial Code, the "
                        "following are due in addition:\n"
                        "- late-payment penalties at %(rate)s %% a year for %(days)s days: "
                        "%(penalties)s EUR;\n"
                        "- the fixed indemnity for recovery costs: %(indemnity)s EUR.\n"
                        "Total claimed: %(claimed)s EUR."
                    )
                    % legal,
                    pay,
                ]
            )
    return EmailMessage(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [address])
