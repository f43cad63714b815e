"""A client administrator in a real browser: Mon compte > Factures, then a whole year in one
ZIP, built by a real Celery worker while the page polls its progress."""

from __future__ import annotations

import datetime
import re
import zipfile

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from saas.celery import app as celery_app
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD
from tests.invoicing.factories import billable_company, firm_profile_complete
from tests.invoicing.test_archives import client_admin, issued, issued_on
from tests.workers import stop, worker_start


@pytest.fixture
def invoiced(e2e_firm, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(e2e_firm.firm):
        firm_profile_complete()
        company = billable_company(legal_name="Boulangerie Martin")
        admin = client_admin(company, email="alice@martin.example", first_name="Alice")
        invoice = issued(company)
        issued_on(company, datetime.date(2025, 6, 2), ready=True)
    connection.set_schema_to_public()
    return e2e_firm.firm, company, admin, invoice


@pytest.fixture
def worker(invoiced, tmp_path):
    """A worker process on this run's queue, stopped before the firm is dropped."""
    celery_app.control.purge()
    process = worker_start(name="invoice-pages", log=tmp_path / "worker.log")
    yield process
    stop(process)


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_admin_sees_the_invoice_and_downloads_the_year_as_a_zip(server, page, invoiced, worker):
    firm, company, admin, invoice = invoiced
    base = f"http://{firm.slug}.localhost:{server}"
    _sign_in(page, base, admin.email)

    page.get_by_role("link", name="Mon compte").first.click()
    page.get_by_role("link", name="Factures", exact=True).click()
    page.wait_for_url(f"{base}/mon-compte/factures/")
    row = page.get_by_role("row").filter(has_text=invoice.number)
    assert row.is_visible()
    assert "Boulangerie Martin" in row.inner_text()
    assert "À payer" in row.inner_text()
    assert row.get_by_role("link", name=f"Télécharger le PDF de {invoice.number}").is_visible()
    screenshot(page, "invoices-list")

    assert page.get_by_role("button", name="Télécharger l'année 2025 (ZIP)").is_visible()
    page.get_by_role("button", name="Télécharger l'année 2026 (ZIP)").click()
    page.get_by_role("status").first.wait_for()
    screenshot(page, "invoices-archive-asked")
    link = page.get_by_role("button", name=re.compile(r"Télécharger l'archive 2026 \(ZIP"))
    link.wait_for(timeout=60_000)
    screenshot(page, "invoices-archive-ready")

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "factures-2026.zip"
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert sorted(names) == [
        f"{company.siren}/{invoice.number}.pdf",
        f"{company.siren}/{invoice.number}.xml",
    ]

    page.get_by_role("link", name="Entreprises").click()
    page.get_by_role("link", name="Factures", exact=True).click()
    page.wait_for_url(f"{base}/entreprises/{company.pk}/factures/")
    assert page.get_by_role("row").filter(has_text=invoice.number).is_visible()
    screenshot(page, "invoices-company")


def test_the_invoice_list_fits_a_phone(server, phone, invoiced):
    firm, _company, admin, invoice = invoiced
    base = f"http://{firm.slug}.localhost:{server}"
    _sign_in(phone, base, admin.email)

    phone.goto(f"{base}/mon-compte/factures/")

    assert phone.get_by_text(invoice.number).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "invoices-list-phone")
