"""Stripe's signed events record card payments and their reversals: each once, whatever the
number of deliveries and their order; unsigned or foreign events change nothing."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from cards.models import StripeEvent
from invoicing.models import Invoice
from invoicing.selectors import invoices_with_status
from payments.models import PaymentEvent
from tests.cards.conftest import SECRET, deliver, event, for_invoice, keys_set, signature
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

INTENT = "pi_3MtwBwLkdIwHu7ix28a3tqPa"


def _status(invoice: Invoice) -> tuple[str, Decimal]:
    row = invoices_with_status(Invoice.objects.filter(pk=invoice.pk)).get()
    return row.payment_status, row.balance_due


def _lifecycle(invoice: Invoice) -> dict[str, dict]:
    metadata = for_invoice(invoice)
    return {
        "completed": event("checkout.session.completed", metadata=metadata, payment_intent=INTENT),
        "succeeded": event("payment_intent.succeeded", metadata=metadata, id=INTENT),
        "refunded": event("charge.refunded", metadata=metadata, payment_intent=INTENT),
        "disputed": event("charge.dispute.created", payment_intent=INTENT),
    }


def test_each_event_three_times_and_out_of_order_gives_one_payment_then_one_reversal(
    alpha, cards_on
):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")
        events = _lifecycle(invoice)
    order = ["refunded", "succeeded", "refunded", "completed", "succeeded", "refunded"]
    order += ["completed", "succeeded", "completed"]

    answers = [deliver(alpha, events[name]).status_code for name in order]

    assert answers == [200] * 9
    with alpha.context():
        payments = PaymentEvent.objects.filter(invoice=invoice).order_by("id")
        assert [(p.kind, p.amount, p.source, p.means) for p in payments] == [
            ("payment", Decimal("120.00"), "card", "card"),
            ("reversal", Decimal("-120.00"), "card", "card"),
        ]
        assert payments[0].external_id == INTENT
        assert _status(invoice) == ("reversed", Decimal("120.00"))
        assert StripeEvent.objects.count() == 3
        assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}


def test_a_refund_waits_for_its_payment_and_is_replayed_after_it(alpha, cards_on):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")
        events = _lifecycle(invoice)

    deliver(alpha, events["refunded"])

    with alpha.context():
        waiting = StripeEvent.objects.get(event_id=events["refunded"]["id"])
        assert (waiting.status, waiting.waits_for) == ("pending", INTENT)
        assert not PaymentEvent.objects.filter(invoice=invoice).exists()
        assert _status(invoice) == ("issued", Decimal("120.00"))

    deliver(alpha, events["succeeded"])

    with alpha.context():
        waiting.refresh_from_db()
        assert waiting.status == "done"
        assert waiting.payment.kind == "reversal"


def test_a_dispute_after_a_refund_reverses_the_payment_once(alpha, cards_on):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")
        events = _lifecycle(invoice)

    for name in ("completed", "disputed", "refunded", "disputed"):
        assert deliver(alpha, events[name]).status_code == 200

    with alpha.context():
        assert PaymentEvent.objects.filter(invoice=invoice, kind="reversal").count() == 1
        reversal = PaymentEvent.objects.get(invoice=invoice, kind="reversal")
        assert "fraudulent" in reversal.reason


def test_a_second_delivery_says_so_and_changes_nothing(alpha, cards_on):
    with alpha.context():
        data = event("checkout.session.completed", metadata=for_invoice(invoice_due()))

    first, second = deliver(alpha, data), deliver(alpha, data)

    assert first.content.decode() == "done\n"
    assert second.content.decode() == "done (already received)\n"
    with alpha.context():
        assert PaymentEvent.objects.count() == 1


def test_events_are_kept_once_by_a_unique_id(alpha, cards_on):
    with alpha.context():
        data = event("payment_intent.payment_failed", metadata={})
        deliver(alpha, data)

        with pytest.raises(IntegrityError), transaction.atomic():
            StripeEvent.objects.create(
                event_id=data["id"],
                type="x",
                occurred_at="2026-01-01T00:00Z",
                payload={},
                status="",
            )


@pytest.mark.parametrize(
    "name", ["payment_intent.payment_failed", "checkout.session.async_payment_failed"]
)
def test_a_failed_payment_records_nothing_and_is_shown_to_the_firm(alpha, cards_on, name):
    with alpha.context():
        invoice = invoice_due()
        data = event(name, metadata=for_invoice(invoice))

    assert deliver(alpha, data).status_code == 200

    with alpha.context():
        assert not PaymentEvent.objects.filter(invoice=invoice).exists()
        row = StripeEvent.objects.get(event_id=data["id"])
        assert (row.status, row.invoice_id) == ("failed", invoice.pk)
    page = _firm_admin(alpha).get("/cabinet/carte/").content.decode()
    assert invoice.number in page
    assert "Paiement échoué" in page


def test_a_payment_the_invoice_cannot_take_is_kept_to_check(alpha, cards_on):
    with alpha.context():
        invoice = invoice_due(total_excl_vat="100.00")
        data = event(
            "checkout.session.completed", metadata=for_invoice(invoice), amount_total=99999
        )

    assert deliver(alpha, data).status_code == 200

    with alpha.context():
        assert not PaymentEvent.objects.filter(invoice=invoice).exists()
        row = StripeEvent.objects.get(event_id=data["id"])
        assert row.status == "attention"
        assert "120,00" in row.note


@pytest.mark.parametrize(
    "case", ["wrong signature", "stale timestamp", "other firm's secret", "no signature", "junk"]
)
def test_an_event_not_signed_with_the_firm_secret_is_refused_and_changes_nothing(alpha, beta, case):
    with beta.context():
        keys_set(secret="whsec_test_beta_0000000000000000")
    with alpha.context():
        keys_set()
        invoice = invoice_due()
        data = event("checkout.session.completed", metadata=for_invoice(invoice))
    payload = json.dumps(data).encode()
    header = {
        "wrong signature": signature(payload, "whsec_test_someone_else_000000"),
        "stale timestamp": signature(payload, SECRET, timestamp=int(time.time()) - 600),
        "other firm's secret": signature(payload, "whsec_test_beta_0000000000000000"),
        "no signature": "",
        "junk": "t=abc,v1=zz",
    }[case]

    response = deliver(alpha, data, header=header)

    assert response.status_code == 400
    with alpha.context():
        assert not StripeEvent.objects.exists()
        assert not PaymentEvent.objects.filter(invoice=invoice).exists()


def test_an_event_signed_for_a_firm_without_card_payment_is_refused(alpha):
    with alpha.context():
        data = event("checkout.session.completed", metadata=for_invoice(invoice_due()))

    assert deliver(alpha, data).status_code == 400


def test_an_event_for_an_invoice_of_another_firm_records_nothing(alpha, beta, cards_on):
    with beta.context():
        theirs = invoice_due()
        their_metadata = for_invoice(theirs)
    with alpha.context():
        ours = invoice_due()
        # The same id and number as beta's invoice in alpha's schema, to be sure the firm
        # named in the metadata decides, not the id.
        look_alike = {**for_invoice(ours), "firm": their_metadata["firm"]}
        wrong_number = {**for_invoice(ours), "invoice_number": "F-0000-000000"}

    for metadata in (their_metadata, look_alike, wrong_number):
        data = event("checkout.session.completed", metadata=metadata, payment_intent="pi_x")
        assert deliver(alpha, data).status_code == 200

    with alpha.context():
        assert not PaymentEvent.objects.exists()
        assert set(StripeEvent.objects.values_list("status", flat=True)) == {"ignored"}
    with beta.context():
        assert not PaymentEvent.objects.filter(invoice=theirs).exists()


def test_a_refund_of_another_firm_s_payment_is_not_applied_here(alpha, beta, cards_on):
    with beta.context():
        keys_set(secret="whsec_test_beta_0000000000000000")
        theirs = invoice_due()
        metadata = for_invoice(theirs)
    deliver(
        beta,
        event("payment_intent.succeeded", metadata=metadata, id=INTENT),
        secret="whsec_test_beta_0000000000000000",
    )

    deliver(alpha, event("charge.refunded", metadata=metadata, payment_intent=INTENT))

    with beta.context():
        assert list(PaymentEvent.objects.filter(invoice=theirs).values_list("kind", flat=True)) == [
            "payment"
        ]
    with alpha.context():
        assert not PaymentEvent.objects.exists()
        assert StripeEvent.objects.get().status == "pending"


def _firm_admin(firm):
    from tests.cards.conftest import signed_in

    return signed_in(firm, firm.admin_email)
