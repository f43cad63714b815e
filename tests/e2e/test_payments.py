"""In a real browser: a firm administrator records a payment from the invoice page, then reads
the dashboard, the payments and the statement of account, at desktop and phone widths (no
sideways scrolling at 375 px). Screenshots and the statement's PDF go to .data/screenshots/."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from payments.models import PaymentEvent, Source
from payments.services import payment_record
from tests.e2e.conftest import SHOTS, screenshot
from tests.factories import CompanyFactory
from tests.invoicing.factories import firm_profile_complete
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-Battery-9"


def _sign_in(tab, base, email):
    tab.goto(f"{base}/connexion/")
    tab.fill("#id_username", email)
    tab.fill("#id_password", PASSWORD)
    tab.locator("form[novalidate] button[type=submit]").click()
    tab.wait_for_url(f"{base}/")


def _no_sideways_scroll(tab) -> None:
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.viewport_size["width"], width


# The browser resolves <firm>.localhost, Playwright's own HTTP client does not: fetch in the page.
FETCH = """async (url) => {
  const answer = await fetch(url);
  const bytes = new Uint8Array(await answer.arrayBuffer());
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}"""


def test_admin_records_a_payment_and_reads_the_receivables(request, django_db_blocker):
    port = request.getfixturevalue("server")
    tab, small = request.getfixturevalue("page"), request.getfixturevalue("phone")
    opened = request.getfixturevalue("e2e_firm")
    firm, email = opened.firm, opened.admin.email
    base = f"http://{firm.slug}.localhost:{port}"
    today = timezone.localdate()
    with django_db_blocker.unblock(), tenant_context(firm):
        firm_profile_complete(legal_name="Cabinet Navigateur Expertise")
        company = CompanyFactory(
            legal_name="Boulangerie Martin et Fils",
            address_line="3 place Bellecour",
            postal_code="69002",
            city="Lyon",
        )
        invoices = []
        for days in (130, 75, 45, 12, -20):
            invoices.append(
                invoice_due(
                    company,
                    total_excl_vat="240.00",
                    issue_date=today - datetime.timedelta(days=days + 30),
                    due_date=today - datetime.timedelta(days=days),
                )
            )
        for back, invoice in enumerate(invoices[:3]):
            payment_record(
                actor=None,
                invoice=invoice,
                amount="100.00",
                date=today - datetime.timedelta(days=40 * back + 3),
                means="transfer",
                source=Source.BANK,
                reference=f"VIR MARTIN {back}",
            )
        target = invoices[3]

    _sign_in(tab, base, email)
    tab.goto(f"{base}/cabinet/factures/{target.pk}/")
    tab.fill("#id_amount", "150,00")
    tab.fill("#id_reference", "CHQ 7781")
    tab.select_option("#id_means", "cheque")
    tab.get_by_role("button", name="Enregistrer le règlement").click()
    tab.wait_for_url(f"{base}/cabinet/factures/{target.pk}/")
    assert "CHQ 7781" in tab.content()
    screenshot(tab, "payments-invoice")
    with django_db_blocker.unblock(), tenant_context(firm):
        assert PaymentEvent.objects.filter(invoice=target, reference="CHQ 7781").exists()

    for url, name in (
        ("/cabinet/tableau-de-bord/", "payments-dashboard"),
        ("/cabinet/tableau-de-bord/reglements/", "payments-list"),
        (f"/cabinet/tableau-de-bord/entreprises/{company.pk}/releve/", "payments-statement"),
    ):
        tab.goto(base + url)
        assert tab.locator("h1").count() == 1
        screenshot(tab, name)

    _sign_in(small, base, email)
    for url, name in (
        ("/cabinet/tableau-de-bord/", "payments-dashboard-phone"),
        ("/cabinet/tableau-de-bord/reglements/", "payments-list-phone"),
        (f"/cabinet/tableau-de-bord/entreprises/{company.pk}/releve/", "payments-statement-phone"),
        (f"/cabinet/factures/{target.pk}/", "payments-invoice-phone"),
    ):
        small.goto(base + url)
        _no_sideways_scroll(small)
        screenshot(small, name)

    url = f"{base}/cabinet/tableau-de-bord/entreprises/{company.pk}/releve.pdf"
    pdf = base64.b64decode(tab.evaluate(FETCH, url))
    assert pdf.startswith(b"%PDF")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "payments-statement.pdf").write_bytes(pdf)
