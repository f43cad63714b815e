"""A firm signs up on the public site in a real browser and lands on its own portal."""

import pytest
from django.db import connection

from tenants.models import Firm
from tests.e2e.conftest import screenshot


@pytest.fixture
def cleanup(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA IF EXISTS "firm_navigateur" CASCADE')
        Firm.objects.filter(slug="navigateur").delete()


def test_a_firm_signs_up_and_signs_in(server, page, cleanup):
    page.goto(f"http://localhost:{server}/")
    screenshot(page, "public-landing")
    page.get_by_role("button", name="Créer le portail de mon cabinet").first.click()
    page.fill("#id_name", "Cabinet Navigateur")
    page.fill("#id_siren", "732829320")
    page.fill("#id_slug", "navigateur")
    page.fill("#id_first_name", "Anne")
    page.fill("#id_last_name", "Lenoir")
    page.fill("#id_email", "anne@navigateur.example")
    page.fill("#id_password", "Un-Mot-De-Passe-Solide-7")
    screenshot(page, "public-signup")
    page.locator("form[novalidate] button[type=submit]").click()

    page.wait_for_load_state()
    screenshot(page, "public-signup-sent")
    page.wait_for_url(f"http://navigateur.localhost:{server}/connexion/**")
    assert page.locator("#id_username").input_value() == "anne@navigateur.example"
    page.fill("#id_password", "Un-Mot-De-Passe-Solide-7")
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"http://navigateur.localhost:{server}/")
    screenshot(page, "firm-home")
    assert "Mon compte" in page.content()
