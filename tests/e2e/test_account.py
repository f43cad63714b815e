"""Mon compte in a real browser: edit Informations, turn on two-factor authentication, sign
out and back in with the code; every page photographed at desktop and phone widths."""

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from clients.models import User
from tests.e2e.conftest import screenshot

PASSWORD = "Correct-Horse-Battery-9"
PAGES = {
    "landing": "/mon-compte/",
    "information": "/mon-compte/informations/",
    "email": "/mon-compte/informations/e-mail/",
    "password": "/mon-compte/mot-de-passe/",
    "two-factor": "/mon-compte/double-authentification/",
    "sessions": "/mon-compte/sessions/",
}


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()


def _code(firm, email: str, *, drift: int = 0) -> str:
    with tenant_context(firm):
        device = TOTPDevice.objects.filter(user__email=email).order_by("-pk").first()
        return f"{totp(device.bin_key, drift=drift):06d}"


def test_mon_compte_information_two_factor_and_sign_in_again(
    server, page, phone, e2e_firm, django_db_blocker
):
    firm, email = e2e_firm.firm, e2e_firm.admin.email
    base = f"http://{firm.slug}.localhost:{server}"

    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/mon-compte/informations/")
    assert page.get_by_role("heading", name="Mon compte").is_visible()
    page.fill("#id_first_name", "Anne")
    page.fill("#id_last_name", "Lenoir")
    page.fill("#id_phone", "06 12 34 56 78")
    page.select_option("#id_language", "en")
    screenshot(page, "account-information-filled")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{base}/mon-compte/informations/")
    assert page.get_by_role("heading", name="My account").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    with django_db_blocker.unblock(), tenant_context(firm):
        assert User.objects.get(email=email).phone == "+33612345678"

    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    assert page.locator("figure svg").is_visible()
    screenshot(page, "account-two-factor-enrol")
    with django_db_blocker.unblock():
        page.fill("#id_code", _code(firm, email))
    page.get_by_role("button", name="Confirm").click()
    assert page.locator("#recovery-codes li").count() == 10
    screenshot(page, "account-recovery-codes")

    for name, path in PAGES.items():
        page.goto(base + path)
        screenshot(page, f"account-{name}-desktop")

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(f"{base}/connexion/**")
    _sign_in(page, base, email)
    page.wait_for_url(f"{base}/connexion/code/**")
    screenshot(page, "account-login-code")
    with django_db_blocker.unblock():
        # A code is good once: the next time step's, within the device's tolerance.
        code = _code(firm, email, drift=1)
    page.fill("#id_code", code)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", name="My account").is_visible()

    _sign_in(phone, base, email)
    phone.wait_for_url(f"{base}/connexion/code/**")
    with django_db_blocker.unblock(), tenant_context(firm):
        recovery = (
            StaticToken.objects.filter(device__user__email=email)
            .values_list("token", flat=True)
            .first()
        )
    phone.fill("#id_code", recovery)
    phone.locator("form[novalidate] button[type=submit]").click()
    phone.wait_for_url(f"{base}/")
    for name, path in PAGES.items():
        phone.goto(base + path)
        screenshot(phone, f"account-{name}-phone")
    assert "Chrome" in phone.content() or "Chromium" in phone.content()
