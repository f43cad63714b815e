"""An invoice's payment status follows its payments, reversals and credit notes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.models import User
from invoicing.models import Invoice
from invoicing.selectors import invoices_with_status, payment_status_q
from invoicing.services import credit_note_issue
from payments.models import PaymentEvent, Source
from payments.services import payment_record, payment_reverse
from tenants.errors import DomainError, PermissionDenied
from tests.factories import UserFactory
from tests.invoicing.factories import firm_profile_complete
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def status_of(invoice: Invoice) -> tuple[str, Decimal]:
    row = invoices_with_status(Invoice.objects.filter(pk=invoice.pk)).get()
    return row.payment_status, row.balance_due


def pay(invoice, amount, **kw):
    values = {"actor": None, "source": Source.BANK, "means": "transfer", "date": TODAY()}
    return payment_record(invoice=invoice, amount=amount, **{**values, **kw})


def test_an_invoice_moves_from_issued_to_partially_paid_to_paid(alpha):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")
        assert status_of(invoice) == ("issued", Decimal("120.00"))

        pay(invoice, "20.00")
        assert status_of(invoice) == ("partially_paid", Decimal("100.00"))

        pay(invoice, "100.00")
        assert status_of(invoice) == ("paid", Decimal("0.00"))


def test_an_unpaid_invoice_past_its_due_date_is_overdue(alpha):
    with alpha.context():
        invoice = invoice_due(days_overdue=1)
        pay(invoice, "10.00")

        assert status_of(invoice)[0] == "overdue"


def test_a_returned_payment_leaves_the_invoice_reversed_and_due_again(alpha):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="50.00")
        payment = pay(invoice, "60.00", means="direct_debit", source=Source.DIRECT_DEBIT)

        reversal = payment_reverse(
            actor=None, payment=payment, date=TODAY(), reason="AM04", source=Source.BANK
        )

        assert reversal.amount == Decimal("-60.00")
        assert status_of(invoice) == ("reversed", Decimal("60.00"))
        assert (
            payment_reverse(
                actor=None, payment=payment, date=TODAY(), reason="AM04", source=Source.BANK
            )
            == reversal
        )


def test_credit_notes_covering_the_invoice_make_it_credited(alpha):
    with alpha.context():
        firm_profile_complete()
        invoice = invoice_due(total_excl_vat="40.00")
        admin = UserFactory(firm_role=User.FirmRole.ADMIN)
        credit_note_issue(actor=admin, invoice=invoice, reason="Geste commercial")

        assert status_of(invoice) == ("credited", Decimal("0.00"))


def test_the_same_external_id_is_recorded_once(alpha):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")

        first = pay(invoice, "30.00", external_id="BANK-1")
        again = pay(invoice, "30.00", external_id="BANK-1")

        assert again == first
        assert PaymentEvent.objects.filter(invoice=invoice).count() == 1


def test_more_than_the_balance_is_refused_with_the_amount_left(alpha):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")
        pay(invoice, "100.00")

        with pytest.raises(DomainError) as refused:
            pay(invoice, "30.00")

        assert refused.value.field == "amount"
        assert "20,00" in str(refused.value.message) or "20.00" in str(refused.value.message)


@pytest.mark.parametrize(
    ("amount", "date"),
    [("0", None), ("-5", None), ("abc", None), ("1.234", None), ("10", "2999-01-01"), ("10", "x")],
)
def test_bad_amounts_and_dates_are_refused_on_their_field(alpha, amount, date):
    with alpha.context():
        invoice = invoice_due()

        with pytest.raises(DomainError) as refused:
            pay(invoice, amount, date=date or TODAY())

        assert refused.value.field == ("amount" if date is None else "date")
        assert not PaymentEvent.objects.filter(invoice=invoice).exists()


def test_a_client_cannot_record_a_payment(alpha):
    with alpha.context():
        invoice = invoice_due()
        client = UserFactory()

        with pytest.raises(PermissionDenied):
            pay(invoice, "10.00", actor=client, source=Source.MANUAL)

        assert not PaymentEvent.objects.filter(invoice=invoice).exists()


def test_payment_events_are_facts_the_database_keeps(alpha):
    with alpha.context():
        event = pay(invoice_due(), "10.00")

        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentEvent.objects.filter(pk=event.pk).update(amount=Decimal("1.00"))
        with pytest.raises(IntegrityError), transaction.atomic():
            PaymentEvent.objects.filter(pk=event.pk).delete()


def test_status_filter_open_takes_everything_left_to_pay(alpha):
    with alpha.context():
        paid, partial, late = invoice_due(), invoice_due(), invoice_due(days_overdue=3)
        pay(paid, "120.00")
        pay(partial, "1.00")

        open_ids = set(
            invoices_with_status(Invoice.objects.all())
            .filter(payment_status_q("open"))
            .values_list("pk", flat=True)
        )

        assert {partial.pk, late.pk} <= open_ids
        assert paid.pk not in open_ids
        assert status_of(paid)[0] == "paid"
