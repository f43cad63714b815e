"""Entreprises: a client administrator picks one of their companies, reads its legal details,
edits its contact details and sees who has access."""

from __future__ import annotations

import pytest

from clients.models import Company, Membership
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.frontend.test_people import World, make_world, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alpha) -> World:
    return make_world(alpha)


def _pages(company: Company) -> list[str]:
    return [
        f"/entreprises/{company.pk}/",
        f"/entreprises/{company.pk}/acces/",
        f"/entreprises/{company.pk}/resilier/",
    ]


CONTACT = {
    "address_line": "3 rue des Lilas",
    "postal_code": "69001",
    "city": "Lyon",
    "billing_email": "compta@martin.example",
    "phone": "04 72 00 00 00",
}


def test_anonymous_is_sent_to_sign_in(alpha, world):
    client = alpha.client()
    for url in ["/entreprises/", *_pages(world.company)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/connexion/")


def test_collaborator_gets_404(alpha, world):
    client = signed_in(alpha, world.collaborator)
    for url in ["/entreprises/", *_pages(world.company)]:
        assert client.get(url).status_code == 404, url


def test_admin_of_another_company_gets_404_for_it(alpha, world):
    client = signed_in(alpha, world.other_admin)
    for url in _pages(world.company):
        assert client.get(url).status_code == 404, url
    assert client.get("/entreprises/", {"company": world.company.pk}).status_code == 404


def test_alpha_company_ids_are_404_on_beta(alpha, beta, world):
    with beta.context():
        company = CompanyFactory()
        admin = UserFactory(email="admin.beta@example.com")
        MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
    assert company.pk != world.company.pk
    client = signed_in(beta, admin)

    for url in _pages(world.company):
        assert client.get(url).status_code == 404, url


def test_index_redirects_to_the_first_company_then_to_the_last_chosen(alpha, world):
    with alpha.context():
        second = CompanyFactory(legal_name="Zèbre SARL")
        MembershipFactory(user=world.admin, company=second, role=Membership.Role.ADMIN)
    client = signed_in(alpha, world.admin)

    first = client.get("/entreprises/")
    switched = client.get("/entreprises/", {"company": second.pk, "section": "access"})
    again = client.get("/entreprises/")

    assert first["Location"] == f"/entreprises/{world.company.pk}/"
    assert switched["Location"] == f"/entreprises/{second.pk}/acces/"
    client.get(switched["Location"])
    assert client.session["company_id"] == second.pk
    assert again.status_code == 302
    assert client.get("/entreprises/")["Location"] == f"/entreprises/{second.pk}/"


def test_switcher_lists_only_my_companies(alpha, world):
    with alpha.context():
        second = CompanyFactory(legal_name="Zèbre SARL")
        MembershipFactory(user=world.admin, company=second, role=Membership.Role.ADMIN)
    client = signed_in(alpha, world.admin)

    content = client.get(f"/entreprises/{world.company.pk}/").content.decode()

    assert "Zèbre SARL" in content
    assert "Garage Petit" not in content


def test_information_shows_legal_fields_read_only(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.get(f"/entreprises/{world.company.pk}/")

    content = response.content.decode()
    assert response.status_code == 200
    assert world.company.siren in content
    assert 'name="siren"' not in content
    assert 'name="legal_name"' not in content
    assert 'name="billing_email"' in content


def test_admin_edits_contact_details(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(f"/entreprises/{world.company.pk}/", CONTACT)

    assert response.status_code == 302
    with alpha.context():
        company = Company.objects.get(pk=world.company.pk)
    assert company.billing_email == "compta@martin.example"
    assert company.phone == "+33472000000"
    assert company.city == "Lyon"


def test_legal_fields_posted_are_ignored(alpha, world):
    client = signed_in(alpha, world.admin)

    client.post(
        f"/entreprises/{world.company.pk}/", {**CONTACT, "legal_name": "Pirate", "siren": "1"}
    )

    with alpha.context():
        company = Company.objects.get(pk=world.company.pk)
    assert company.legal_name == "Boulangerie Martin"
    assert company.siren == world.company.siren


def test_invalid_billing_email_is_400_in_french_and_nothing_saved(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/entreprises/{world.company.pk}/", {**CONTACT, "billing_email": "faux"}
    )

    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    with alpha.context():
        assert Company.objects.get(pk=world.company.pk).address_line == ""


def test_invalid_phone_is_400_in_english(alpha, world):
    from clients.models import User

    with alpha.context():
        User.objects.filter(pk=world.admin.pk).update(language="en")
    client = signed_in(alpha, world.admin)

    response = client.post(f"/entreprises/{world.company.pk}/", {**CONTACT, "phone": "12"})

    assert response.status_code == 400
    assert "Enter a valid phone number" in response.content.decode()


@pytest.mark.parametrize("who", ["collaborator", "other_admin"])
def test_refused_edits_change_nothing(alpha, world, who):
    client = signed_in(alpha, getattr(world, who))

    response = client.post(f"/entreprises/{world.company.pk}/", CONTACT)

    assert response.status_code == 404
    with alpha.context():
        assert Company.objects.get(pk=world.company.pk).billing_email == ""


def test_anonymous_edit_changes_nothing(alpha, world):
    response = alpha.client().post(f"/entreprises/{world.company.pk}/", CONTACT)

    assert response.status_code == 302
    with alpha.context():
        assert Company.objects.get(pk=world.company.pk).billing_email == ""


def test_access_lists_members_with_roles_and_links(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.get(f"/entreprises/{world.company.pk}/acces/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Accès utilisateur" in content
    assert "collab.a@example.com" in content
    assert f"/utilisateurs/{world.collaborator.pk}/" in content
    assert "Administrateur client" in content
    assert "collab.b@example.com" not in content
