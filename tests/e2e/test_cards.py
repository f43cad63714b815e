"""In a real browser: a client administrator pays an invoice by card (Stripe's Checkout page is
answered by the browser itself, Stripe being out of reach), the invoice shows paid once the
signed event arrives; the card tab and Cabinet › Paiement par carte at desktop and phone width."""

from __future__ import annotations

import json
import os

import pytest
import requests
from django.db import connection
from django_tenants.utils import tenant_context

from tests.cards import stripe_stub
from tests.cards.conftest import event, for_invoice, keys_set, signature
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, CompanyFactory
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def stripe_for_server():
    """The stand-in for Stripe's API, named to the server process before it starts."""
    stub, http = stripe_stub.serve()
    previous = os.environ.get("STRIPE_API_BASE")
    os.environ["STRIPE_API_BASE"] = stub.base
    yield stub
    http.shutdown()
    if previous is None:
        os.environ.pop("STRIPE_API_BASE", None)
    else:
        os.environ["STRIPE_API_BASE"] = previous


@pytest.fixture
def world(e2e_firm, django_db_blocker):
    from tests.cards.conftest import client_admin

    with django_db_blocker.unblock(), tenant_context(e2e_firm.firm):
        keys_set()
        company = CompanyFactory(legal_name="Boulangerie Martin", billing_email="c@martin.example")
        # English: the server process reads the compiled catalogue, where this area's French
        # arrives once its PO part is merged.
        admin = client_admin(
            company, email="alice@martin.example", first_name="Alice", language="en"
        )
        type(admin).objects.filter(email=e2e_firm.admin.email).update(language="en")
        invoice = invoice_due(company, total_excl_vat="1250.00")
        invoice_due(company, total_excl_vat="80.00", days_overdue=12)
        metadata = for_invoice(invoice)
    connection.set_schema_to_public()
    return e2e_firm, company, admin, invoice, metadata


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_client_admin_pays_by_card_and_sees_the_invoice_paid(
    stripe_for_server, server, page, phone, world
):
    opened, company, admin, invoice, metadata = world
    base = f"http://{opened.firm.slug}.localhost:{server}"
    page.route(
        f"{stripe_stub.CHECKOUT_PAGE}**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>Stripe Checkout</h1>"
        ),
    )
    _sign_in(page, base, admin.email)
    page.goto(f"{base}/entreprises/{company.pk}/factures/")
    screenshot(page, "cards-invoices-1280")
    row = page.get_by_role("row").filter(has_text=invoice.number)

    row.get_by_role("button", name=f"Pay invoice {invoice.number} by card").click()

    page.wait_for_url(f"{stripe_stub.CHECKOUT_PAGE}**")
    form = stripe_for_server.posts("/v1/checkout/sessions")[-1].form
    assert form["line_items[0][price_data][unit_amount]"] == "150000"
    payload = json.dumps(
        event(
            "checkout.session.completed",
            metadata=metadata,
            payment_intent="pi_browser_1",
            amount_total=150000,
        )
    ).encode()
    answer = requests.post(
        f"http://127.0.0.1:{server}/paiement/carte/webhook/",
        data=payload,
        headers={
            "Host": f"{opened.firm.slug}.localhost:{server}",
            "Stripe-Signature": signature(payload),
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    page.goto(form["success_url"].replace("{CHECKOUT_SESSION_ID}", "cs_unknown"))
    assert page.get_by_text("Payment being confirmed").is_visible()
    page.goto(f"{base}/entreprises/{company.pk}/factures/")
    row = page.get_by_role("row").filter(has_text=invoice.number)
    assert row.get_by_text("Paid", exact=True).is_visible()
    assert row.get_by_role("button").count() == 0

    page.goto(f"{base}/entreprises/{company.pk}/carte/")
    screenshot(page, "cards-card-1280")
    _sign_in(phone, base, admin.email)
    for path, name in (
        (f"/entreprises/{company.pk}/factures/", "cards-invoices-375"),
        (f"/entreprises/{company.pk}/carte/", "cards-card-375"),
    ):
        phone.goto(base + path)
        screenshot(phone, name)
        assert _no_horizontal_scroll(phone), path


def test_the_firm_admin_page_at_desktop_and_phone_width(
    stripe_for_server, server, page, phone, world
):
    opened, *_rest = world
    base = f"http://{opened.firm.slug}.localhost:{server}"
    for viewer, name in ((page, "cards-settings-1280"), (phone, "cards-settings-375")):
        _sign_in(viewer, base, opened.admin.email)
        viewer.goto(f"{base}/cabinet/carte/")
        screenshot(viewer, name)
        assert viewer.get_by_role("heading", name="Card payment").is_visible()
        assert _no_horizontal_scroll(viewer)
