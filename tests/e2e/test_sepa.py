"""In a real browser: a client administrator signs the company's mandate; the firm sees it and
exports the collection file; the pages hold at phone width."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from sepa.models import Collection, Mandate
from tests.e2e import conftest as e2e
from tests.payments.factories import invoice_due
from tests.sepa.factories import company_with_admin, creditor_ready

PASSWORD = "Correct-Horse-Battery-9"
pytestmark = pytest.mark.django_db(transaction=True)
# The browser fixtures, for this module only (the rest of tests/sepa rolls back its rows).
screenshot = e2e.screenshot


def _sign_in(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/**")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_mandate_is_signed_and_collected_in_the_browser(
    server, page, phone, e2e_firm, django_db_blocker
):
    firm = e2e_firm.firm
    base = f"http://{firm.slug}.localhost:{server}"
    with django_db_blocker.unblock(), tenant_context(firm):
        creditor_ready()
        company, admin = company_with_admin(legal_name="Boulangerie Martin")
        admin.set_password(PASSWORD)
        admin.save()
        invoice_due(company, days_overdue=2)

    _sign_in(page, base, admin.email)
    page.goto(f"{base}/entreprises/{company.pk}/prelevement/")
    page.locator("#sign button[type=submit]").click()
    assert page.locator(".errorlist").count() >= 1
    screenshot(page, "sepa-sign-errors")
    page.fill("#id_holder_name", "Boulangerie Martin SARL")
    page.fill("#id_iban", "FR76 3000 6000 0112 3456 7890 189")
    page.fill("#id_bic", "AGRIFRPP")
    page.check("#id_consent")
    page.locator("#sign button[type=submit]").click()
    page.wait_for_url(f"**/entreprises/{company.pk}/prelevement/")
    assert page.get_by_text("•••• 0189").count() >= 1
    screenshot(page, "sepa-company")
    _sign_in(phone, base, admin.email)
    phone.goto(f"{base}/entreprises/{company.pk}/prelevement/")
    screenshot(phone, "sepa-company-phone")
    wide = phone.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + '#' + e.id)"
        ".slice(0, 8).join(' ')"
    )
    assert _no_horizontal_scroll(phone), wide

    _sign_in(page, base, e2e_firm.admin.email)
    page.goto(f"{base}/cabinet/prelevements/")
    page.locator("#export button[type=submit]").click()
    page.wait_for_url("**/cabinet/prelevements/fichiers/*/")
    screenshot(page, "sepa-collection")
    with django_db_blocker.unblock(), tenant_context(firm):
        assert Mandate.objects.get(company=company).status == "active"
        assert Collection.objects.get().count == 1
    _sign_in(phone, base, e2e_firm.admin.email)
    collection = _collection(firm, django_db_blocker)
    for path in ("", "réglages/", f"fichiers/{collection}/"):
        phone.goto(f"{base}/cabinet/prelevements/{path}")
        screenshot(phone, "sepa-cabinet-phone-" + (path.split("/")[0] or "home"))
        assert _no_horizontal_scroll(phone), path
    screenshot(phone, "sepa-cabinet-phone")


def _collection(firm, django_db_blocker) -> int:
    with django_db_blocker.unblock(), tenant_context(firm):
        return Collection.objects.get().pk
