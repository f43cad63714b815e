"""A firm administrator bills a month in a real browser: previews it, reads the totals, issues
it, opens an invoice and issues a partial credit note. A Celery worker bills the run's chunks
and renders the documents, as in production."""

import re
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django_tenants.utils import tenant_context

from clients.models import Company
from invoicing.models import Invoice, Kind
from saas.celery import app as celery_app
from tests.e2e.conftest import screenshot
from tests.factories import siren
from tests.invoicing.factories import application, billable_company, firm_profile_complete

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def worker(django_db_blocker):
    with django_db_blocker.unblock():
        celery_app.control.purge()
        with start_worker(
            celery_app,
            pool="threads",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ):
            yield
        celery_app.control.purge()
        connection.set_schema_to_public()


def _sign_in(page, base, email):
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _wait_until_done(page):
    """The summary is polled every 2 s; once every company is done the page reloads."""
    page.locator("#run-summary:not([hx-get])").wait_for(timeout=60_000)


def test_admin_previews_issues_a_month_and_credits_an_invoice(
    server, page, phone, e2e_firm, worker, django_db_blocker
):
    firm, email = e2e_firm.firm, e2e_firm.admin.email
    base = f"http://{firm.slug}.localhost:{server}"
    with django_db_blocker.unblock(), tenant_context(firm):
        firm_profile_complete(legal_name="Cabinet Navigateur Expertise")
        compta = application("Comptabilité en ligne")
        paie = application("Paie en ligne", price_excl_vat=Decimal("35.00"))
        for n, (name, apps) in enumerate(
            [
                ("Boulangerie Dupain", (compta,)),
                ("Garage du Port", (compta, paie)),
                ("Café Central", (paie,)),
            ]
        ):
            billable_company(legal_name=name, siren=siren(700 + n), applications=apps)
        billable_company(legal_name="Atelier Sans Adresse", siren=siren(710), address_line="")
    _sign_in(page, base, email)

    page.get_by_role("link", name="Cabinet", exact=True).click()
    page.get_by_role("link", name="Facturation", exact=True).click()
    assert page.input_value("#id_month") == "2026-10"
    screenshot(page, "billing-home")
    page.get_by_role("button", name="Émettre les factures").click()
    assert page.get_by_role("heading", name="Émettre les factures de octobre 2026 ?").is_visible()
    screenshot(page, "billing-confirm")
    page.get_by_role("button", name="D’abord un aperçu").click()
    page.wait_for_url(re.compile(r".*/cabinet/facturation/[0-9a-f-]{36}/$"))
    _wait_until_done(page)
    summary = page.locator("#run-summary").inner_text()
    # 49 + (49 + 35) + 35 = 168.00 excl. VAT, 201.60 incl. VAT; the company without an
    # address is skipped with its reason.
    assert "168,00 €" in summary and "201,60 €" in summary
    assert "adresse" in page.locator("tbody").inner_text()
    with django_db_blocker.unblock(), tenant_context(firm):
        assert not Invoice.objects.exists()
    screenshot(page, "billing-preview")

    page.get_by_role("button", name="Émettre ce mois").click()
    page.wait_for_url(re.compile(r".*/cabinet/facturation/[0-9a-f-]{36}/$"))
    _wait_until_done(page)
    assert "201,60 €" in page.locator("#run-summary").inner_text()
    screenshot(page, "billing-issued")
    with django_db_blocker.unblock(), tenant_context(firm):
        assert Invoice.objects.filter(kind=Kind.INVOICE).count() == 3

    page.get_by_role("row", name=re.compile("Garage du Port")).get_by_role("link").last.click()
    page.wait_for_url(re.compile(r".*/cabinet/factures/\d+/$"))
    assert page.get_by_role("heading", name=re.compile(r"Facture F-2026-\d{6}")).is_visible()
    screenshot(page, "billing-invoice")
    page.fill("#id_reason", "Paie offerte en octobre")
    boxes = page.locator("#credit-note input[name^=amount_]")
    assert boxes.count() == 2
    boxes.nth(0).fill("0")
    boxes.nth(1).fill("35,00")
    page.get_by_role("button", name="Émettre l’avoir").click()
    page.wait_for_url(re.compile(r".*/cabinet/factures/\d+/$"))
    assert page.get_by_role("heading", name=re.compile(r"Avoir AV-2026-\d{6}")).is_visible()
    assert "42,00 €" in page.content()  # 35.00 + 20 % VAT
    screenshot(page, "billing-credit-note")
    with django_db_blocker.unblock(), tenant_context(firm):
        note = Invoice.objects.get(kind=Kind.CREDIT_NOTE)
        assert note.credited_invoice.company == Company.objects.get(legal_name="Garage du Port")
        assert (note.total_excl_vat, note.note) == (Decimal("35.00"), "Paie offerte en octobre")

    page.get_by_role("link", name="Garage du Port").click()
    page.get_by_role("button", name="Émettre une facture").click()
    page.fill("#id_lines-0-label", "Bilan annuel 2025")
    page.fill("#id_lines-0-detail", "Liasse fiscale et annexes")
    page.fill("#id_lines-0-unit_price", "1 200,00")
    page.fill("#id_lines-1-label", "Frais de dossier")
    page.fill("#id_lines-1-unit_price", "15,505")
    page.select_option("#id_lines-1-vat_rate", "10")
    page.get_by_role("button", name="Émettre la facture").click()
    assert "au plus 2 décimales" in page.locator("#id_lines-1-unit_price_error").inner_text()
    screenshot(page, "billing-manual-invoice-error")
    page.fill("#id_lines-1-unit_price", "15,50")
    page.get_by_role("button", name="Émettre la facture").click()
    page.wait_for_url(re.compile(r".*/cabinet/factures/\d+/$"))
    totals = page.locator("table.totals").inner_text().replace("\xa0", " ")
    assert "1 457,05 €" in totals  # 1 200.00 + 20 % and 15.50 + 10 %
    screenshot(page, "billing-manual-invoice")

    page.get_by_role("link", name="Factures", exact=True).first.click()
    page.wait_for_url(f"{base}/cabinet/factures/")
    assert page.locator("#invoice-results tbody tr").count() == 5
    screenshot(page, "billing-invoice-list")

    _sign_in(phone, base, email)
    for path, name in [
        ("/cabinet/facturation/", "billing-home-phone"),
        ("/cabinet/factures/", "billing-invoice-list-phone"),
        (f"/cabinet/factures/{note.credited_invoice_id}/", "billing-invoice-phone"),
    ]:
        phone.goto(base + path)
        screenshot(phone, name)
        assert phone.evaluate("document.querySelector('main').scrollWidth") <= 375, path
