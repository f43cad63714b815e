"""Cabinet: the payments of an invoice (record, cancel), Règlements (list, filters, CSV), the
dashboard; who may open each, and that a refused or bad request writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.utils import timezone

from clients.models import User
from payments.models import PaymentEvent
from tests.payments.cast import cast_fixture  # noqa: F401
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _text(response) -> str:
    return unescape(response.content.decode())


def _invoice_page(invoice) -> str:
    return f"/cabinet/factures/{invoice.pk}/"


def _record_url(invoice) -> str:
    return f"/cabinet/tableau-de-bord/factures/{invoice.pk}/reglement/"


def _reverse_url(payment) -> str:
    return f"/cabinet/tableau-de-bord/reglements/{payment.pk}/annuler/"


def _record(client, invoice, **changes):
    data = {"amount": "30.00", "date": TODAY().isoformat(), "means": "cheque", "reference": "CHQ 1"}
    return client.post(_record_url(invoice), {**data, **changes})


def _english(cast, name: str) -> None:
    with cast.alpha.context():
        User.objects.filter(pk=cast.people[name].pk).update(language="en")


# --- the invoice page ------------------------------------------------------------------------


def test_the_invoice_page_shows_its_payments_balance_and_the_form(cast):
    client = cast.client("accountant")

    page = _text(client.get(_invoice_page(cast.invoice)))

    assert "Enregistrer un règlement" in page and "Annuler ce règlement" in page
    assert "VIR MARTIN" in page
    assert 'value="100.00"' in page  # the amount defaults to the balance
    assert f'value="{TODAY().isoformat()}"' in page
    assert _record_url(cast.invoice) in page
    assert _reverse_url(cast.payment) in page


def test_the_accountant_in_charge_records_a_payment(cast):
    client = cast.client("accountant")

    response = _record(client, cast.invoice, amount="30,00")

    assert response.status_code == 302
    assert response["Location"] == _invoice_page(cast.invoice)
    with cast.alpha.context():
        event = PaymentEvent.objects.filter(invoice=cast.invoice).latest("id")
        assert (event.amount, event.means, event.source, event.reference) == (
            Decimal("30.00"),
            "cheque",
            "manual",
            "CHQ 1",
        )
        assert event.recorded_by == cast.people["accountant"]


def test_more_than_the_balance_is_refused_on_the_amount_in_french(cast):
    before = cast.events()

    response = _record(cast.client("firm_admin"), cast.invoice, amount="500")

    assert response.status_code == 400
    assert f"Il ne reste que 100,00 € à payer sur la facture {cast.invoice.number}." in _text(
        response
    )
    assert 'id="id_amount_error"' in _text(response)
    assert cast.events() == before


def test_a_bad_amount_is_refused_on_its_field_in_english(cast):
    _english(cast, "accountant")
    before = cast.events()

    response = _record(cast.client("accountant"), cast.invoice, amount="douze")

    assert response.status_code == 400
    assert "Enter an amount such as 120.50." in _text(response)
    assert 'id="id_amount_error"' in _text(response)
    assert cast.events() == before


def test_a_future_date_is_refused_on_the_date_field(cast):
    before = cast.events()
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()

    response = _record(cast.client("firm_admin"), cast.invoice, date=tomorrow)

    assert response.status_code == 400
    assert 'id="id_date_error"' in _text(response)
    assert cast.events() == before


@pytest.mark.parametrize(
    "who", ["anonymous", "other_accountant", "client_admin", "viewer", "beta_admin"]
)
def test_who_is_not_in_charge_records_nothing(cast, who):
    before = cast.events()

    response = _record(cast.client(who), cast.invoice)

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert "/connexion/" in response["Location"]
    assert cast.events() == before


def test_a_payment_is_cancelled_with_its_reason_and_the_invoice_is_due_again(cast):
    client = cast.client("accountant")

    response = client.post(
        _reverse_url(cast.payment), {"reason": "Chèque sans provision", "date": TODAY()}
    )

    assert response.status_code == 302
    with cast.alpha.context():
        reversal = PaymentEvent.objects.get(reverses=cast.payment)
        assert reversal.amount == Decimal("-20.00")
        assert reversal.reason == "Chèque sans provision"
    page = _text(client.get(_invoice_page(cast.invoice)))
    assert "Chèque sans provision" in page
    assert _reverse_url(cast.payment) not in page


def test_a_cancellation_without_reason_is_refused_on_the_reason(cast):
    before = cast.events()

    response = cast.client("accountant").post(
        _reverse_url(cast.payment), {"reason": "", "date": TODAY()}
    )

    assert response.status_code == 400
    assert 'id="id_reason_error"' in _text(response)
    assert cast.events() == before


@pytest.mark.parametrize("who", ["other_accountant", "client_admin", "beta_admin"])
def test_who_is_not_in_charge_cancels_nothing(cast, who):
    before = cast.events()

    response = cast.client(who).post(_reverse_url(cast.payment), {"reason": "x", "date": TODAY()})

    assert response.status_code == (302 if who == "beta_admin" else 404)
    assert cast.events() == before


# --- Règlements -------------------------------------------------------------------------------

LIST = "/cabinet/tableau-de-bord/reglements/"


def test_the_payment_list_shows_the_companies_of_the_accountant_only(cast):
    with cast.alpha.context():
        from payments.services import payment_record

        payment_record(
            actor=None,
            invoice=cast.garage_invoice,
            amount="5.00",
            date=TODAY(),
            means="card",
            source="card",
            reference="GARAGE-CB",
        )

    mine = _text(cast.client("accountant").get(LIST))
    everything = _text(cast.client("firm_admin").get(LIST))

    assert "VIR MARTIN" in mine and "Garage Dupont" not in mine
    assert "VIR MARTIN" in everything and "Garage Dupont" in everything


def test_the_payment_list_filters_on_means_and_period(cast):
    client = cast.client("firm_admin")

    by_card = _text(client.get(LIST, {"means": "card"}))
    in_period = _text(client.get(LIST, {"date_from": TODAY() - datetime.timedelta(days=11)}))

    assert "VIR MARTIN" not in by_card
    assert "VIR MARTIN" in in_period


def test_a_period_backwards_is_refused_on_its_end(cast):
    response = cast.client("firm_admin").get(
        LIST, {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    )

    assert response.status_code == 400
    assert 'id="id_date_to_error"' in _text(response)


def test_the_export_is_a_semicolon_csv_with_a_bom(cast):
    response = cast.client("accountant").get(LIST + "export.csv")

    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffdate;type;amount;means;source;invoice;company")
    assert "20.00;transfer;bank;" in body and "Boulangerie Martin" in body


@pytest.mark.parametrize("who", ["client_admin", "viewer", "beta_admin"])
def test_the_payment_list_and_export_are_not_for_clients_nor_other_firms(cast, who):
    client = cast.client(who)

    for response in (client.get(LIST), client.get(LIST + "export.csv")):
        assert response.status_code in (302, 404)
        assert b"VIR MARTIN" not in response.content


def test_the_payment_list_is_a_few_queries_for_a_page(cast, django_assert_max_num_queries):
    with cast.alpha.context():
        from payments.services import payment_record

        for _ in range(30):
            invoice = invoice_due(cast.company)
            payment_record(
                actor=None,
                invoice=invoice,
                amount="1.00",
                date=TODAY(),
                means="transfer",
                source="bank",
            )
    client = cast.client("firm_admin")

    with django_assert_max_num_queries(24):
        response = client.get(LIST)

    assert response.status_code == 200


# --- the dashboard ----------------------------------------------------------------------------

DASHBOARD = "/cabinet/tableau-de-bord/"


def test_the_dashboard_shows_the_figures_and_the_charts(cast):
    page = _text(cast.client("accountant").get(DASHBOARD))

    assert "<svg" in page and "<title>" in page
    assert cast.invoice.number in page  # overdue, left to pay 100.00
    assert "100,00" in page
    assert "<script>" not in page  # no inline script: the charts are SVG


def test_the_dashboard_of_an_accountant_leaves_out_other_companies(cast):
    with cast.alpha.context():
        late = invoice_due(cast.other, days_overdue=5)

    mine = _text(cast.client("accountant").get(DASHBOARD))
    everything = _text(cast.client("firm_admin").get(DASHBOARD))

    assert late.number not in mine
    assert late.number in everything


@pytest.mark.parametrize("who", ["anonymous", "client_admin", "viewer", "beta_admin"])
def test_the_dashboard_is_for_the_firm_staff_only(cast, who):
    response = cast.client(who).get(DASHBOARD)

    assert response.status_code in (302, 404)
    assert cast.invoice.number.encode() not in response.content


def test_the_dashboard_is_a_few_queries(cast, django_assert_max_num_queries):
    with cast.alpha.context():
        for days in range(0, 120, 4):
            invoice_due(cast.company, days_overdue=days)
    client = cast.client("firm_admin")

    with django_assert_max_num_queries(24):
        response = client.get(DASHBOARD)

    assert response.status_code == 200


def test_the_menu_leads_to_the_dashboard_and_the_payments(cast):
    page = _text(cast.client("accountant").get("/cabinet/factures/"))

    assert f'href="{DASHBOARD}"' in page and f'href="{LIST}"' in page
