"""A client administrator in a real browser: invites a collaborator who accepts, deactivates
them, switches between two companies, cancels and reactivates an account."""

from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from clients.models import Company, Invitation, Membership, User
from clients.services.invitations import invitation_resend
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

NEW_PASSWORD = "Un-Mot-De-Passe-Solide-7"


@pytest.fixture
def admin_world(e2e_firm, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(e2e_firm.firm):
        first = CompanyFactory(legal_name="Boulangerie Martin", address_line="3 rue des Lilas")
        second = CompanyFactory(legal_name="Garage Petit", city="Villeurbanne")
        admin = UserFactory(email="alice@martin.example", first_name="Alice", last_name="Martin")
        for company in (first, second):
            MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
        for n in range(3):
            MembershipFactory(
                user=UserFactory(email=f"salarie{n}@martin.example", first_name=f"Salarié {n}"),
                company=first,
            )
    connection.set_schema_to_public()
    return e2e_firm.firm, first, second, admin


def _sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_admin_invites_a_collaborator_who_accepts_then_is_deactivated(
    server, page, browser, admin_world, django_db_blocker
):
    firm, _first, _second, admin = admin_world
    base = f"http://{firm.slug}.localhost:{server}"
    _sign_in(page, base, admin.email)

    page.goto(f"{base}/utilisateurs/")
    assert page.get_by_role("heading", name="Utilisateurs").is_visible()
    screenshot(page, "people-list")
    page.get_by_role("searchbox").fill("salarie1")
    page.locator("#people tbody tr").filter(has_text="salarie0").wait_for(state="detached")
    assert page.locator("#people tbody tr").count() == 1

    page.get_by_role("button", name="Inviter un utilisateur").click()
    page.fill("#id_email", "nina@martin.example")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Blanc")
    page.get_by_label("Boulangerie Martin").check()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_url(f"{base}/utilisateurs/inviter/")
    assert "Une invitation a été envoyée à nina@martin.example" in page.content()
    screenshot(page, "people-invite")

    # The mail went out from the server process; a new link from here is as good.
    with django_db_blocker.unblock(), tenant_context(firm):
        invitation = Invitation.objects.get(email="nina@martin.example")
        link = invitation_resend(actor=admin, invitation=invitation).link
    connection.set_schema_to_public()

    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    invitee = context.new_page()
    invitee.goto(base + urlsplit(link).path)
    assert "Boulangerie Martin" in invitee.content()
    screenshot(invitee, "invitation-accept-phone")
    invitee.fill("#id_password", NEW_PASSWORD)
    invitee.get_by_role("button", name="Accepter l'invitation").click()
    invitee.wait_for_url(f"{base}/")
    assert invitee.get_by_role("link", name="Mon compte").is_visible()
    context.close()

    page.goto(f"{base}/utilisateurs/")
    page.get_by_role("link", name="Nina Blanc").click()
    screenshot(page, "people-detail")
    page.get_by_role("button", name="Désactiver").click()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/utilisateurs/*/")
    assert "Nina Blanc est désactivé" in page.content()
    with django_db_blocker.unblock(), tenant_context(firm):
        assert not User.objects.get(email="nina@martin.example").is_active
    connection.set_schema_to_public()


def test_admin_switches_companies_then_cancels_and_reactivates(
    server, page, phone, admin_world, django_db_blocker
):
    firm, first, second, admin = admin_world
    base = f"http://{firm.slug}.localhost:{server}"
    _sign_in(page, base, admin.email)

    page.get_by_role("link", name="Entreprises").click()
    page.wait_for_url(f"{base}/entreprises/{first.pk}/")
    screenshot(page, "companies-info")
    page.get_by_label("Entreprise", exact=True).select_option(label="Garage Petit")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(f"{base}/entreprises/{second.pk}/")
    assert "Villeurbanne" in page.content()
    page.get_by_role("link", name="Accès utilisateur").click()
    page.wait_for_url(f"{base}/entreprises/{second.pk}/acces/")
    screenshot(page, "companies-access")
    page.goto(f"{base}/entreprises/")
    page.wait_for_url(f"{base}/entreprises/{second.pk}/")

    page.get_by_role("button", name="Résilier l'abonnement…").click()
    page.get_by_role("button", name="Résilier", exact=True).click()
    page.wait_for_url(f"{base}/entreprises/{second.pk}/")
    assert "est résilié" in page.content()
    with django_db_blocker.unblock(), tenant_context(firm):
        assert Company.objects.get(pk=second.pk).status == Company.Status.CANCELLED
    connection.set_schema_to_public()
    screenshot(page, "companies-cancelled")
    page.get_by_role("button", name="Réactiver l'abonnement").click()
    page.wait_for_url(f"{base}/entreprises/{second.pk}/")
    assert "est de nouveau actif" in page.content()
    with django_db_blocker.unblock(), tenant_context(firm):
        assert Company.objects.get(pk=second.pk).status == Company.Status.TRIAL
    connection.set_schema_to_public()

    _sign_in(phone, base, admin.email)
    for path, name in [
        ("/utilisateurs/", "people-list-phone"),
        ("/utilisateurs/inviter/", "people-invite-phone"),
        (f"/entreprises/{first.pk}/", "companies-info-phone"),
        (f"/entreprises/{first.pk}/acces/", "companies-access-phone"),
    ]:
        phone.goto(base + path)
        screenshot(phone, name)
    phone.goto(f"{base}/utilisateurs/")
    phone.locator("#people tbody a").first.click()
    screenshot(phone, "people-detail-phone")
