"""A firm administrator runs the back-office in a real browser: creates a company, finds it in
the filtered list, changes the firm's colour and logo; on a desktop and on a phone."""

import re

from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from clients.models import Company
from firms.models import FirmProfile
from tests.e2e.conftest import screenshot
from tests.factories import CompanyFactory, siren

PASSWORD = "Correct-Horse-Battery-9"
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48">'
    b'<rect width="48" height="48" rx="10" fill="#aa3300"/>'
    b'<text x="58" y="32" font-family="sans-serif" font-size="22" fill="#333">Navigateur</text>'
    b"</svg>"
)


def _sign_in(page, base, email):
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_admin_runs_the_back_office(server, page, phone, e2e_firm, django_db_blocker):
    firm, email = e2e_firm.firm, e2e_firm.admin.email
    base = f"http://{firm.slug}.localhost:{server}"
    with django_db_blocker.unblock(), tenant_context(firm):
        for n, (name, city) in enumerate(
            [
                ("Boulangerie Dupain", "Lyon"),
                ("Garage du Port", "Nantes"),
                ("Café Central", "Lille"),
            ]
        ):
            CompanyFactory(legal_name=name, siren=siren(500 + n), city=city)
    _sign_in(page, base, email)

    page.get_by_role("link", name="Cabinet", exact=True).click()
    page.get_by_role("link", name="Dossiers clients").first.click()
    page.get_by_role("button", name="Nouvelle entreprise").first.click()
    page.fill("#id_legal_name", "Menuiserie Lenoir")
    page.fill("#id_siren", "732 829 320")
    page.fill("#id_city", "Rennes")
    page.fill("#id_phone", "02 99 00 00 00")
    screenshot(page, "backoffice-company-form")
    page.get_by_role("button", name="Créer l’entreprise").click()
    page.wait_for_url(re.compile(r".*/cabinet/entreprises/\d+/$"))
    assert page.get_by_role("heading", name="Menuiserie Lenoir").is_visible()
    page.fill("#id_email", "gerant@menuiserie.example")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_url(re.compile(r".*/cabinet/entreprises/\d+/$"))
    assert page.get_by_role("button", name="Renvoyer l’invitation").is_visible()
    screenshot(page, "backoffice-company-detail")

    page.goto(f"{base}/cabinet/entreprises/")
    page.fill("#id_q", "menuis")
    page.wait_for_url(re.compile(r".*q=menuis.*"))
    rows = page.locator("#company-results tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "Menuiserie Lenoir" in rows.first.inner_text()
    page.fill("#id_q", "")
    page.select_option("#id_status", "active")
    expect(page.locator("#company-results tbody tr")).to_have_count(4)
    screenshot(page, "backoffice-company-list")
    page.goto(f"{base}/cabinet/")
    screenshot(page, "backoffice-index")
    page.goto(f"{base}/cabinet/equipe/")
    screenshot(page, "backoffice-staff")

    page.goto(f"{base}/cabinet/identite/")
    page.locator("#id_logo").set_input_files(
        files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": LOGO}]
    )
    page.get_by_role("button", name="Envoyer le logo").click()
    page.wait_for_url(f"{base}/cabinet/identite/")
    page.fill("#id_profile-primary_colour", "#aa3300")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{base}/cabinet/identite/")
    assert "L’identité du cabinet a été enregistrée." in page.content()
    screenshot(page, "backoffice-identity")
    colour = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--firm-colour').trim()"
    )
    assert colour == "#aa3300"
    with django_db_blocker.unblock(), tenant_context(firm):
        assert Company.objects.get(siren="732829320").phone == "+33299000000"
        profile = FirmProfile.objects.get()
        assert (profile.primary_colour, profile.logo_path) == ("#aa3300", "branding/logo.svg")

    _sign_in(phone, base, email)
    for path, name in [
        ("/cabinet/entreprises/?q=gar", "backoffice-company-list-phone"),
        ("/cabinet/entreprises/nouvelle/", "backoffice-company-form-phone"),
        ("/cabinet/identite/", "backoffice-identity-phone"),
    ]:
        phone.goto(base + path)
        screenshot(phone, name)
        # The pages of this space fit a phone (the shared header is the lead's).
        assert phone.evaluate("document.querySelector('main').scrollWidth") <= 375, path
