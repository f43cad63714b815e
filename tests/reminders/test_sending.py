"""The daily reminders: each level once, at its day, to the right people in their language;
never for an invoice paid, credited or stopped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from invoicing.services import credit_note_issue
from payments.models import Means, Source
from payments.services import payment_record, payment_reverse
from reminders import services, tasks
from reminders.models import Reminder, ReminderSchedule
from tests.invoicing.factories import firm_profile_complete
from tests.payments.factories import invoice_due
from webhooks import events
from webhooks import services as webhooks
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


def run(capture) -> int:
    """What the beat's per-firm task does, mails leaving on commit."""
    with capture(execute=True):
        return tasks.firm_due()


def levels(invoice) -> list[str]:
    return list(invoice.reminders.order_by("id").values_list("level", flat=True))


def test_each_level_is_sent_once_on_its_day(world, django_capture_on_commit_callbacks):
    early = invoice_due(world.mine, days_overdue=6)
    courtesy = invoice_due(world.mine, days_overdue=7)
    firm = invoice_due(world.mine, days_overdue=15)
    notice = invoice_due(world.mine, days_overdue=30)
    Reminder.objects.create(
        invoice=firm, level="courtesy", sent_on=firm.due_date, days_late=7, balance_due=1
    )
    Reminder.objects.create(
        invoice=notice, level="courtesy", sent_on=notice.due_date, days_late=7, balance_due=1
    )
    Reminder.objects.create(
        invoice=notice, level="reminder", sent_on=notice.due_date, days_late=15, balance_due=1
    )

    assert run(django_capture_on_commit_callbacks) == 3
    sent_first = len(mail.outbox)
    assert run(django_capture_on_commit_callbacks) == 0

    assert levels(early) == []
    assert levels(courtesy) == ["courtesy"]
    assert levels(firm) == ["courtesy", "reminder"]
    assert levels(notice) == ["courtesy", "reminder", "formal_notice"]
    assert len(mail.outbox) == sent_first == 3 * 2  # billing address + client administrator


def test_a_late_start_sends_only_the_level_reached(world, django_capture_on_commit_callbacks):
    invoice = invoice_due(world.mine, days_overdue=20)

    run(django_capture_on_commit_callbacks)
    run(django_capture_on_commit_callbacks)

    assert levels(invoice) == ["reminder"]


def test_the_schedule_sets_the_days_and_can_switch_reminders_off(
    world, django_capture_on_commit_callbacks
):
    invoice = invoice_due(world.mine, days_overdue=3)
    services.schedule_update(
        actor=world.firm_admin, enabled=True, courtesy_days=3, reminder_days=10, notice_days=20
    )
    assert run(django_capture_on_commit_callbacks) == 1

    services.schedule_update(
        actor=world.firm_admin, enabled=False, courtesy_days=1, reminder_days=2, notice_days=3
    )
    assert run(django_capture_on_commit_callbacks) == 0
    assert levels(invoice) == ["courtesy"]


def test_paid_credited_and_partly_paid_invoices(world, django_capture_on_commit_callbacks):
    firm_profile_complete()
    paid = invoice_due(world.mine, days_overdue=8)
    credited = invoice_due(world.mine, days_overdue=8)
    partly = invoice_due(world.mine, days_overdue=8)
    today = timezone.localdate()
    payment_record(
        actor=None,
        invoice=paid,
        amount="120.00",
        date=today,
        means=Means.TRANSFER,
        source=Source.BANK,
    )
    payment_record(
        actor=None,
        invoice=partly,
        amount="20.00",
        date=today,
        means=Means.TRANSFER,
        source=Source.BANK,
    )
    credit_note_issue(actor=world.firm_admin, invoice=credited, reason="Erreur de tarif")

    run(django_capture_on_commit_callbacks)

    assert levels(paid) == levels(credited) == []
    assert levels(partly) == ["courtesy"]
    assert partly.reminders.get().balance_due == Decimal("100.00")


def test_a_returned_payment_is_reminded(world, django_capture_on_commit_callbacks):
    invoice = invoice_due(world.mine, days_overdue=9)
    today = timezone.localdate()
    payment = payment_record(
        actor=None,
        invoice=invoice,
        amount="120.00",
        date=today,
        means=Means.DIRECT_DEBIT,
        source=Source.DIRECT_DEBIT,
        external_id="F-1-1",
    )
    payment_reverse(actor=None, payment=payment, date=today, reason="AM04", source=Source.BANK)

    run(django_capture_on_commit_callbacks)

    assert levels(invoice) == ["courtesy"]


def test_stops_per_invoice_and_per_company_then_resume(world, django_capture_on_commit_callbacks):
    stopped = invoice_due(world.mine, days_overdue=8)
    other_company = invoice_due(world.other, days_overdue=8)
    services.reminders_stop(actor=world.accountant, invoice=stopped, reason="Échéancier accordé")
    company_stop = services.reminders_stop(
        actor=world.firm_admin, company=world.other, reason="Litige en cours"
    )

    assert run(django_capture_on_commit_callbacks) == 0

    services.reminders_resume(actor=world.firm_admin, stop=company_stop)
    assert run(django_capture_on_commit_callbacks) == 1
    assert levels(other_company) == ["courtesy"]
    assert levels(stopped) == []


def test_an_accountant_cannot_stop_a_company_not_theirs(world):
    from tenants.errors import NotFound

    with pytest.raises(NotFound):
        services.reminders_stop(actor=world.accountant, company=world.other, reason="x")
    with pytest.raises(NotFound):
        services.reminders_stop(actor=world.admin_mine, company=world.mine, reason="x")


def test_mails_go_to_billing_address_and_admins_in_their_language(
    world, django_capture_on_commit_callbacks
):
    invoice = invoice_due(world.mine, days_overdue=7)  # invoice language: fr

    run(django_capture_on_commit_callbacks)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"factures@martin.example", "patron@martin.example"}
    french, english = by_address["factures@martin.example"], by_address["patron@martin.example"]
    assert french.subject.startswith("Relance") and invoice.number in french.subject
    assert "120,00" in french.body and "/entreprises/" in french.body
    assert english.subject.startswith("Reminder") and "120.00" in english.body
    assert "salarie@martin.example" not in by_address
    assert invoice.reminders.get().recipients == [
        "factures@martin.example",
        "patron@martin.example",
    ]


def test_the_formal_notice_states_penalties_and_the_fixed_indemnity(
    world, django_capture_on_commit_callbacks
):
    invoice = invoice_due(world.mine, days_overdue=30)  # 120.00 due, 12 % a year
    for level, days in (("courtesy", 7), ("reminder", 15)):
        Reminder.objects.create(
            invoice=invoice, level=level, sent_on=invoice.due_date, days_late=days, balance_due=1
        )

    run(django_capture_on_commit_callbacks)

    notice = invoice.reminders.get(level="formal_notice")
    assert (notice.penalties, notice.indemnity) == (Decimal("1.18"), Decimal("40.00"))
    french = next(m for m in mail.outbox if m.to == ["factures@martin.example"])
    assert french.subject.startswith("Mise en demeure")
    assert "1,18" in french.body and "40,00" in french.body and "161,18" in french.body
    assert "L441-10" in french.body and "D441-5" in french.body
    english = next(m for m in mail.outbox if m.to == ["patron@martin.example"])
    assert "fixed indemnity for recovery costs: 40.00 EUR" in english.body


@pytest.mark.parametrize(
    ("balance", "rate", "days", "expected"),
    [
        ("120.00", "12.00", 30, "1.18"),  # 1.1835...
        ("1000.00", "10.00", 365, "100.00"),
        ("1000.00", "11.62", 45, "14.33"),  # 14.3260...
        ("0.10", "3.00", 1, "0.00"),
        ("500.00", "12.00", 0, "0.00"),
        ("250.00", "15.00", 73, "7.50"),  # exactly 7.5
        ("33.33", "10.00", 547, "4.99"),  # 4.9948...
    ],
)
def test_late_penalties_arithmetic(balance, rate, days, expected):
    assert services.late_penalties(
        balance_due=Decimal(balance), rate=Decimal(rate), days_late=days
    ) == Decimal(expected)


def test_penalties_round_half_up_to_the_cent():
    # 36.50 x 10 % x 5 / 365 = 0.05 exactly; 18.25 x 10 % x 5 / 365 = 0.025 -> 0.03
    assert services.late_penalties(
        balance_due=Decimal("18.25"), rate=Decimal("10"), days_late=5
    ) == Decimal("0.03")


def test_the_first_reminder_emits_invoice_overdue(world, django_capture_on_commit_callbacks):
    webhooks.endpoint_create(
        actor=world.firm_admin, url="https://93.184.216.34/hooks", event_types=["invoice.overdue"]
    )
    invoice = invoice_due(world.mine, days_overdue=7)
    assert events.CATALOGUE["invoice.overdue"][1] is True

    run(django_capture_on_commit_callbacks)
    Reminder.objects.filter(invoice=invoice).update(level="courtesy")
    ReminderSchedule.objects.update_or_create(
        pk=1, defaults={"courtesy_days": 1, "reminder_days": 2, "notice_days": 3}
    )
    run(django_capture_on_commit_callbacks)  # the formal notice: no second event

    emitted = list(WebhookEvent.objects.filter(type="invoice.overdue"))
    assert len(emitted) == 1
    assert emitted[0].data["number"] == invoice.number
    assert levels(invoice) == ["courtesy", "formal_notice"]


def test_another_firm_s_invoices_are_not_touched(
    world, beta, alpha, django_capture_on_commit_callbacks
):
    mine = invoice_due(world.mine, days_overdue=7)
    with beta.context():
        theirs = invoice_due(days_overdue=7)
        run(django_capture_on_commit_callbacks)
        assert levels(theirs) == ["courtesy"]
    with alpha.context():
        assert levels(mine) == []
