"""Payments API: the authorization matrix of list, detail, create and reverse (a refused write
changes nothing), the filters and cursor, field errors in French and English, idempotent
external ids, and the list's query ceiling."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import PaymentEvent, Source
from payments.services import payment_record
from tests.api.conftest import errors
from tests.api.invoicing_fixtures import JSON, inv_fixture  # noqa: F401
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

LIST = "/api/v1/payments/"
TODAY = timezone.localdate


@pytest.fixture
def paid(alpha, beta, world, inv):
    """A 20.00 bank transfer on Boulangerie Martin's invoice, 10.00 on the Garage's, and a
    payment of beta's (id out of alpha's reach)."""
    with alpha.context():
        mine = payment_record(
            actor=None,
            invoice=inv.invoice,
            amount="20.00",
            date=TODAY() - datetime.timedelta(days=3),
            means="transfer",
            source=Source.BANK,
            reference="VIR MARTIN",
        )
        garage = payment_record(
            actor=None,
            invoice=inv.garage,
            amount="10.00",
            date=TODAY(),
            means="card",
            source=Source.CARD,
            external_id="pi_garage",
        )
    with beta.context():
        theirs = payment_record(
            actor=None,
            invoice=inv.beta_invoice,
            amount="5.00",
            date=TODAY(),
            means="transfer",
            source=Source.BANK,
        )
    return {"mine": mine, "garage": garage, "beta": theirs}


def _events(firm) -> list[tuple]:
    with firm.context():
        return list(PaymentEvent.objects.order_by("id").values_list("id", "amount"))


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- reads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("key", {"mine", "garage"}),
        ("firm_admin", {"mine", "garage"}),
        ("accountant", {"mine"}),
        ("other_accountant", set()),
        ("client_admin", {"mine"}),
        ("other_admin", {"garage"}),
        ("collaborator", set()),
    ],
)
def test_each_caller_lists_the_payments_of_the_invoices_they_see(as_actor, paid, who, sees):
    response = as_actor(who).get(LIST)

    assert _ids(response) == {paid[name].pk for name in sees}


@pytest.mark.parametrize("who", ["anonymous", "beta_key"])
def test_strangers_list_nothing(as_actor, paid, who):
    response = as_actor(who).get(LIST)

    assert response.status_code in (401, 403)
    assert b"VIR MARTIN" not in response.content


@pytest.mark.parametrize("who", ["other_accountant", "other_admin", "collaborator", "beta_key"])
def test_a_payment_out_of_reach_is_not_found(as_actor, paid, who):
    response = as_actor(who).get(f"{LIST}{paid['mine'].pk}/")

    assert response.status_code == (401 if who == "beta_key" else 404)
    assert b"VIR MARTIN" not in response.content


def test_beta_ids_mean_nothing_on_alpha(as_actor, paid):
    response = as_actor("key").get(f"{LIST}{paid['beta'].pk}/")

    assert response.status_code == 404


def test_the_detail_says_what_the_payment_is(as_actor, paid, inv):
    body = as_actor("client_admin").get(f"{LIST}{paid['mine'].pk}/").json()

    assert body["invoice"] == inv.invoice.pk
    assert body["invoice_number"] == inv.invoice.number
    assert body["amount"] == "20.00" and body["kind"] == "payment"
    assert body["means"] == "transfer" and body["source"] == "bank"
    assert body["reversed_by"] is None


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"means": "card"}, {"garage"}),
        ({"source": "bank"}, {"mine"}),
        ({"kind": "payment"}, {"mine", "garage"}),
        ({"date_to": (TODAY() - datetime.timedelta(days=1)).isoformat()}, {"mine"}),
        ({"date_from": TODAY().isoformat()}, {"garage"}),
    ],
)
def test_the_list_filters(as_actor, paid, query, names):
    assert _ids(as_actor("key").get(LIST, query)) == {paid[name].pk for name in names}


def test_the_list_filters_on_invoice_and_company(as_actor, paid, inv, world):
    client = as_actor("key")

    assert _ids(client.get(LIST, {"invoice": inv.garage.pk})) == {paid["garage"].pk}
    assert _ids(client.get(LIST, {"company": world.company.pk})) == {paid["mine"].pk}


def test_a_bad_filter_is_a_field_error_in_english(as_actor, paid):
    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").get(LIST, {"means": "bitcoin"})

    assert response.status_code == 400
    assert "means" in errors(response)


def test_a_bad_date_filter_is_a_field_error_in_french(as_actor, paid):
    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="fr").get(LIST, {"date_from": "31/12/2026"})

    assert response.status_code == 400
    assert errors(response)["date_from"] == "Saisissez une date valide."


def test_the_list_pages_with_a_cursor(as_actor, paid):
    first = as_actor("key").get(LIST, {"page_size": 1})

    assert len(first.json()["results"]) == 1
    assert "cursor=" in first.json()["next"]


def test_the_list_is_a_few_queries_for_many_payments(
    alpha, as_actor, world, paid, django_assert_max_num_queries
):
    with alpha.context():
        for _ in range(20):
            payment_record(
                actor=None,
                invoice=invoice_due(world.company),
                amount="1.00",
                date=TODAY(),
                means="transfer",
                source=Source.BANK,
            )
    client = as_actor("key")

    with django_assert_max_num_queries(16):
        response = client.get(LIST)

    assert len(response.json()["results"]) == 22


# --- create -----------------------------------------------------------------------------------


def _body(invoice, **changes):
    return {
        "invoice": invoice.pk,
        "amount": "5.00",
        "date": TODAY().isoformat(),
        "means": "cheque",
        "reference": "CHQ 42",
        **changes,
    }


@pytest.mark.parametrize("who", ["key", "firm_admin", "accountant"])
def test_the_firm_in_charge_records_a_payment(alpha, as_actor, paid, inv, who):
    response = as_actor(who).post(LIST, _body(inv.invoice), content_type=JSON)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "5.00" and body["source"] == "api"
    assert response["Location"].endswith(f"{LIST}{body['id']}/")
    with alpha.context():
        assert PaymentEvent.objects.get(pk=body["id"]).invoice_id == inv.invoice.pk


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("anonymous", {401, 403}),
        ("beta_key", {401, 403}),
        ("other_accountant", {400}),
        ("client_admin", {403}),
        ("other_admin", {400}),
        ("collaborator", {400}),
    ],
)
def test_who_is_not_in_charge_records_nothing(alpha, as_actor, paid, inv, who, codes):
    before = _events(alpha)

    response = as_actor(who).post(LIST, _body(inv.invoice), content_type=JSON)

    assert response.status_code in codes
    assert _events(alpha) == before


def test_beta_s_invoice_is_unknown_on_alpha(alpha, beta, as_actor, paid, inv):
    before = _events(beta)

    response = as_actor("key").post(LIST, _body(inv.beta_invoice), content_type=JSON)

    assert response.status_code == 400
    assert "invoice" in errors(response)
    assert _events(beta) == before


def test_more_than_the_balance_is_refused_on_the_amount_in_french(alpha, as_actor, paid, inv):
    before = _events(alpha)

    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="fr").post(
        LIST, _body(inv.invoice, amount="1000.00"), content_type=JSON
    )

    assert response.status_code == 400
    assert "F-" in errors(response)["amount"] and "€" in errors(response)["amount"]
    assert _events(alpha) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "abc"}, "amount", "Enter an amount such as 120.50."),
        ({"amount": "1.234"}, "amount", "Enter an amount with at most two decimals."),
        ({"amount": "-3"}, "amount", "The amount must be greater than zero."),
        ({"date": "2999-01-01"}, "date", "A payment cannot be dated in the future."),
        ({"date": "yesterday"}, "date", "Enter a date such as 2026-03-31."),
    ],
)
def test_bad_input_is_refused_on_its_field_in_english(
    alpha, as_actor, paid, inv, changes, field, message
):
    before = _events(alpha)

    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").post(
        LIST, _body(inv.invoice, **changes), content_type=JSON
    )

    assert response.status_code == 400
    assert errors(response)[field] == message
    assert _events(alpha) == before


def test_an_unknown_means_is_refused_on_its_field_in_french(alpha, as_actor, paid, inv):
    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="fr").post(
        LIST, _body(inv.invoice, means="bitcoin"), content_type=JSON
    )

    assert response.status_code == 400
    assert errors(response)["means"] == "«\xa0bitcoin\xa0» n'est pas un choix valide."


def test_a_credit_note_is_not_paid(alpha, as_actor, paid, inv):
    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").post(
        LIST, _body(inv.credit_note, amount="1.00"), content_type=JSON
    )

    assert response.status_code == 400
    assert "invoice" in errors(response)


def test_the_same_external_id_twice_records_once(alpha, as_actor, paid, inv):
    client = as_actor("key")
    body = _body(inv.invoice, external_id="ERP-1")

    first = client.post(LIST, body, content_type=JSON)
    again = client.post(LIST, body, content_type=JSON)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    with alpha.context():
        assert PaymentEvent.objects.filter(external_id="ERP-1").count() == 1


# --- reverse ----------------------------------------------------------------------------------


def _reverse(client, payment, **body):
    return client.post(
        f"{LIST}{payment.pk}/reverse/",
        {"reason": "Chèque sans provision", **body},
        content_type=JSON,
    )


def test_a_payment_is_reversed_once(alpha, as_actor, paid):
    client = as_actor("accountant")

    first = _reverse(client, paid["mine"])
    again = _reverse(client, paid["mine"])

    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert body["kind"] == "reversal" and body["amount"] == "-20.00"
    assert body["reverses"] == paid["mine"].pk and body["reason"] == "Chèque sans provision"
    assert again.json()["id"] == body["id"]
    detail = client.get(f"{LIST}{paid['mine'].pk}/").json()
    assert detail["reversed_by"] == body["id"]


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("anonymous", {401, 403}),
        ("beta_key", {401, 403}),
        ("other_accountant", {404}),
        ("client_admin", {403}),
        ("other_admin", {404}),
        ("collaborator", {404}),
    ],
)
def test_who_is_not_in_charge_reverses_nothing(alpha, as_actor, paid, who, codes):
    before = _events(alpha)

    response = _reverse(as_actor(who), paid["mine"])

    assert response.status_code in codes
    assert _events(alpha) == before


def test_beta_s_payment_cannot_be_reversed_from_alpha(beta, as_actor, paid):
    before = _events(beta)

    response = _reverse(as_actor("key"), paid["beta"])

    assert response.status_code == 404
    assert _events(beta) == before


def test_a_reversal_needs_a_reason_and_a_date_not_before_the_payment(alpha, as_actor, paid):
    before = _events(alpha)
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")
    early = (TODAY() - datetime.timedelta(days=30)).isoformat()

    no_reason = _reverse(client, paid["mine"], reason="")
    too_early = _reverse(client, paid["mine"], date=early)

    assert no_reason.status_code == 400 and "reason" in errors(no_reason)
    assert too_early.status_code == 400
    assert errors(too_early)["date"] == "A payment cannot come back before it was made."
    assert _events(alpha) == before


def test_a_reversal_is_not_reversed(alpha, as_actor, paid):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="fr")
    reversal = _reverse(client, paid["mine"]).json()

    response = client.post(f"{LIST}{reversal['id']}/reverse/", {"reason": "x"}, content_type=JSON)

    assert response.status_code == 400
    assert "payment" in errors(response)
    with alpha.context():
        assert PaymentEvent.objects.filter(invoice_id=paid["mine"].invoice_id).count() == 2
        assert sum(
            PaymentEvent.objects.filter(invoice_id=paid["mine"].invoice_id).values_list(
                "amount", flat=True
            )
        ) == Decimal("0.00")
