"""Paying an open invoice by card and saving a company's card: Checkout sessions opened on
Stripe (here its loopback stand-in) for client administrators only."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import CardCustomer, CheckoutSession
from payments.models import Means, Source
from payments.services import payment_record
from tests.cards.conftest import client_admin, signed_in
from tests.cards.stripe_stub import CHECKOUT_PAGE
from tests.factories import CompanyFactory, MembershipFactory
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alpha, cards_on):
    """Alpha's company with an open invoice of 120 €, its administrator, a collaborator
    allowed to see its invoices, and another company's administrator."""
    from invoicing.selectors import VIEW
    from tests.invoicing.test_archives import collaborator

    with alpha.context():
        company = CompanyFactory(legal_name="Boulangerie Martin", billing_email="compta@b.example")
        other = CompanyFactory(legal_name="Garage Petit")
        people = {
            "admin": client_admin(company, email="alice@martin.example"),
            "viewer": collaborator(company, VIEW, email="leo@martin.example"),
            "other_admin": client_admin(other, email="paul@garage.example"),
        }
        invoice = invoice_due(company, total_excl_vat="100.00")
        schema = connection.schema_name
    return {"firm": alpha, "company": company, "invoice": invoice, "schema": schema, **people}


def _pay_url(world) -> str:
    return f"/entreprises/{world['company'].pk}/carte/payer/{world['invoice'].pk}/"


def test_a_client_admin_pays_what_is_left_through_a_checkout_session(world, stripe_api):
    client = signed_in(world["firm"], world["admin"].email)
    host = world["firm"].host

    response = client.post(_pay_url(world))

    assert response.status_code == 303
    assert response["Location"].startswith(CHECKOUT_PAGE + "cs_test_")
    (call,) = stripe_api.posts("/v1/checkout/sessions")
    form, invoice = call.form, world["invoice"]
    assert call.headers["Authorization"] == "Bearer sk_test_51AlphaSecretKey000000009876"
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == "12000"
    assert form["line_items[0][quantity]"] == "1"
    for prefix in ("metadata", "payment_intent_data[metadata]"):
        assert form[f"{prefix}[invoice]"] == str(invoice.pk)
        assert form[f"{prefix}[invoice_number]"] == invoice.number
        assert form[f"{prefix}[firm]"] == world["schema"]
    assert form["success_url"] == (
        f"http://{host}/entreprises/{world['company'].pk}/carte/paiement/"
        "?session_id={CHECKOUT_SESSION_ID}"
    )
    assert form["cancel_url"] == f"http://{host}/entreprises/{world['company'].pk}/factures/"
    assert form["customer_email"] == "compta@b.example"
    with world["firm"].context():
        session = CheckoutSession.objects.get()
        assert (session.invoice_id, str(session.amount)) == (invoice.pk, "120.00")


def test_a_partly_paid_invoice_is_charged_its_balance(world, stripe_api):
    with world["firm"].context():
        payment_record(
            actor=None,
            invoice=world["invoice"],
            amount="20.50",
            date=world["invoice"].issue_date,
            means=Means.TRANSFER,
            source=Source.BANK,
        )
    client = signed_in(world["firm"], world["admin"].email)

    client.post(_pay_url(world))

    (call,) = stripe_api.posts("/v1/checkout/sessions")
    assert call.form["line_items[0][price_data][unit_amount]"] == "9950"


@pytest.mark.parametrize("who", ["viewer", "other_admin", "beta_admin"])
def test_only_the_company_s_administrator_may_pay_by_card(world, beta, stripe_api, who):
    if who == "beta_admin":
        with beta.context():
            client_admin(CompanyFactory(), email="admin-client@beta.example")
        client = signed_in(beta, "admin-client@beta.example")
    else:
        client = signed_in(world["firm"], world[who].email)

    assert client.post(_pay_url(world)).status_code == 404
    assert stripe_api.calls == []
    with world["firm"].context():
        assert not CheckoutSession.objects.exists()


def test_no_card_payment_when_the_firm_has_no_keys(world, stripe_api):
    from cards.models import CardSettings

    with world["firm"].context():
        CardSettings.objects.all().delete()
    client = signed_in(world["firm"], world["admin"].email)

    assert client.post(_pay_url(world)).status_code == 404
    assert client.get(f"/entreprises/{world['company'].pk}/carte/").status_code == 404
    page = client.get(f"/entreprises/{world['company'].pk}/factures/").content.decode()
    assert "Payer par carte" not in page
    assert "/carte/" not in page
    assert stripe_api.calls == []


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "La facture {} est entièrement réglée."),
        ("en", "Invoice {} has nothing left to pay."),
    ],
)
def test_a_paid_invoice_is_not_offered_again(world, stripe_api, language, message):
    with world["firm"].context():
        payment_record(
            actor=None,
            invoice=world["invoice"],
            amount="120.00",
            date=world["invoice"].issue_date,
            means=Means.TRANSFER,
            source=Source.BANK,
        )
    client = signed_in(world["firm"], world["admin"].email, language=language)

    response = client.post(_pay_url(world), follow=True)

    assert message.format(world["invoice"].number) in unescape(response.content.decode())
    assert stripe_api.calls == []


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Le paiement par carte est indisponible pour le moment."),
        ("en", "Card payment is unavailable for the moment."),
    ],
)
def test_stripe_out_of_reach_gives_a_message_not_an_error(world, stripe_api, language, message):
    stripe_api.down = True
    client = signed_in(world["firm"], world["admin"].email, language=language)

    response = client.post(_pay_url(world), follow=True)

    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    with world["firm"].context():
        assert not CheckoutSession.objects.exists()


def test_the_return_page_says_the_payment_is_being_confirmed(world, stripe_api):
    client = signed_in(world["firm"], world["admin"].email)
    session_id = client.post(_pay_url(world))["Location"].rsplit("/", 1)[1]

    page = client.get(f"/entreprises/{world['company'].pk}/carte/paiement/?session_id={session_id}")

    text = unescape(page.content.decode())
    assert "Paiement en cours de confirmation" in text
    assert world["invoice"].number in text


def test_saving_a_card_creates_the_company_s_customer_once(world, stripe_api):
    client = signed_in(world["firm"], world["admin"].email)
    url = f"/entreprises/{world['company'].pk}/carte/enregistrer/"

    first, second = client.post(url), client.post(url)

    assert first.status_code == second.status_code == 303
    (customer,) = stripe_api.posts("/v1/customers")
    assert customer.form["name"] == "Boulangerie Martin"
    assert customer.headers["Idempotency-Key"].endswith(f"-company-{world['company'].pk}")
    sessions = stripe_api.posts("/v1/checkout/sessions")
    assert [call.form["mode"] for call in sessions] == ["setup", "setup"]
    with world["firm"].context():
        stored = CardCustomer.objects.get(company=world["company"]).stripe_customer_id
    assert {call.form["customer"] for call in sessions} == {stored}
    assert sessions[0].form["metadata[company]"] == str(world["company"].pk)


def test_a_payment_session_reuses_the_company_s_customer(world, stripe_api):
    with world["firm"].context():
        CardCustomer.objects.create(company=world["company"], stripe_customer_id="cus_known")
    client = signed_in(world["firm"], world["admin"].email)

    client.post(_pay_url(world))

    (call,) = stripe_api.posts("/v1/checkout/sessions")
    assert call.form["customer"] == "cus_known"
    assert "customer_email" not in call.form


@pytest.mark.parametrize("who", ["viewer", "other_admin"])
def test_only_the_company_s_administrator_sees_or_saves_its_card(world, stripe_api, who):
    client = signed_in(world["firm"], world[who].email)
    company = world["company"].pk

    assert client.get(f"/entreprises/{company}/carte/").status_code == 404
    assert client.post(f"/entreprises/{company}/carte/enregistrer/").status_code == 404
    assert stripe_api.calls == []


def test_a_collaborator_is_not_shown_the_button(world):
    with world["firm"].context():
        MembershipFactory(user=world["viewer"], company=CompanyFactory())
    client = signed_in(world["firm"], world["viewer"].email)

    page = client.get("/mon-compte/factures/").content.decode()

    assert world["invoice"].number in page
    assert "Payer par carte" not in page


def test_the_button_shows_on_open_invoices_of_the_companies_i_administer(world):
    with world["firm"].context():
        paid = invoice_due(world["company"], total_excl_vat="10.00")
        payment_record(
            actor=None,
            invoice=paid,
            amount="12.00",
            date=paid.issue_date,
            means=Means.TRANSFER,
            source=Source.BANK,
        )
    client = signed_in(world["firm"], world["admin"].email)

    for url in ("/mon-compte/factures/", f"/entreprises/{world['company'].pk}/factures/"):
        page = client.get(url).content.decode()
        assert page.count("Payer par carte") == 1
        assert f'action="{_pay_url(world)}"' in page


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    statements = [q["sql"] for q in captured.captured_queries if "search_path" not in q["sql"]]
    return len(statements), page


def test_the_buttons_cost_two_queries_whatever_the_number_of_rows(
    world, django_assert_max_num_queries
):
    from cards.models import CardSettings

    with world["firm"].context():
        for _ in range(10):
            invoice_due(world["company"])
    client = signed_in(world["firm"], world["admin"].email)
    url = f"/entreprises/{world['company'].pk}/factures/"
    client.get(url)
    with world["firm"].context():
        keys = CardSettings.objects.get()
        CardSettings.objects.all().delete()
    without, page = _queries(client, url)
    assert "Payer par carte" not in page
    with world["firm"].context():
        keys.save()

    with django_assert_max_num_queries(2 * (without + 2)):
        count, page = _queries(client, url)

    assert page.count("Payer par carte") == 11
    assert count <= without + 2
