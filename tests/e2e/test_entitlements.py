"""Entitlements in a real browser: a client administrator switches an application on for a
collaborator in the matrix; the collaborator finds it in Mon compte > Accès aux services."""

import datetime
import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from clients.models import Membership
from entitlements.models import Application, Subscription, SubscriptionUserObjectPermission
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory


@pytest.fixture
def app_world(e2e_firm, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(e2e_firm.firm):
        company = CompanyFactory(legal_name="Boulangerie Martin")
        admin = UserFactory(email="alice@martin.example", first_name="Alice", last_name="Martin")
        collaborator = UserFactory(
            email="bruno@martin.example", first_name="Bruno", last_name="Roy"
        )
        MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
        MembershipFactory(user=collaborator, company=company)
        for n in range(2):
            MembershipFactory(
                user=UserFactory(email=f"salarie{n}@martin.example", first_name=f"Salarié {n}"),
                company=company,
            )
        application = Application.objects.create(
            name="Pennylane",
            description="Comptabilité en ligne et rapprochement bancaire",
            launch_url="https://pennylane.example/launch",
        )
        subscription = Subscription.objects.create(
            company=company,
            application=application,
            start_date=datetime.date(2026, 1, 1),
            seat_limit=1,
        )
        fee = Application.objects.create(name="Forfait tenue comptable", launch_url="")
        Subscription.objects.create(
            company=company, application=fee, start_date=datetime.date(2026, 1, 1)
        )
    connection.set_schema_to_public()
    return e2e_firm.firm, company, admin, collaborator, subscription


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_admin_switches_an_application_on_and_the_collaborator_sees_it(
    server, page, phone, app_world, django_db_blocker
):
    firm, company, admin, collaborator, subscription = app_world
    base = f"http://{firm.slug}.localhost:{server}"
    _sign_in(page, base, admin.email)

    page.goto(f"{base}/entreprises/{company.pk}/applications/")
    assert page.get_by_role("heading", name="Applications").is_visible()
    screenshot(page, "entitlements-company-applications")

    page.goto(f"{base}/entreprises/{company.pk}/acces/applications/")
    cell = page.get_by_role("button", name="Pennylane pour Bruno Roy")
    assert cell.get_attribute("aria-pressed") == "false"
    cell.click()
    page.locator("button[aria-pressed=true][aria-label='Pennylane pour Bruno Roy']").wait_for()
    assert page.url == f"{base}/entreprises/{company.pk}/acces/applications/"  # htmx swap
    # the only seat is taken: the next switch is refused, with the reason next to the cell
    page.get_by_role("button", name=re.compile("^Pennylane pour Salarié 0")).click()
    page.get_by_role("alert").filter(has_text="Toutes les places").wait_for()
    screenshot(page, "entitlements-matrix")
    with django_db_blocker.unblock(), tenant_context(firm):
        grants = SubscriptionUserObjectPermission.objects.filter(content_object=subscription)
        assert list(grants.values_list("user_id", flat=True)) == [collaborator.pk]
    connection.set_schema_to_public()

    page.goto(f"{base}/utilisateurs/{collaborator.pk}/applications/")
    assert page.get_by_role("heading", name="Boulangerie Martin").is_visible()
    screenshot(page, "entitlements-person")

    _sign_in(phone, base, collaborator.email)
    phone.goto(f"{base}/mon-compte/services/")
    assert phone.get_by_text("Pennylane", exact=True).is_visible()
    launch = phone.get_by_role("button", name="Lancer Pennylane")
    assert launch.get_attribute("href") == f"/mon-compte/services/{subscription.pk}/lancer/"
    screenshot(phone, "entitlements-services-phone")

    phone.set_viewport_size({"width": 1280, "height": 900})
    screenshot(phone, "entitlements-services")

    page.set_viewport_size({"width": 375, "height": 800})
    for path, name in [
        (f"/entreprises/{company.pk}/acces/applications/", "entitlements-matrix-phone"),
        (f"/entreprises/{company.pk}/applications/", "entitlements-company-applications-phone"),
        (f"/utilisateurs/{collaborator.pk}/applications/", "entitlements-person-phone"),
    ]:
        page.goto(base + path)
        screenshot(page, name)
