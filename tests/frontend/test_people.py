"""Utilisateurs: a client administrator sees and manages the people of their companies only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from clients.models import Company, Membership, User
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    company: Company
    other_company: Company
    admin: User
    collaborator: User
    other_admin: User
    other_person: User


def make_world(alpha) -> World:
    """Company A (admin + collaborator) and company B (its own admin and person), in alpha."""
    with alpha.context():
        company = CompanyFactory(legal_name="Boulangerie Martin")
        other_company = CompanyFactory(legal_name="Garage Petit")
        admin = UserFactory(email="admin.a@example.com", first_name="Alice", last_name="Martin")
        collaborator = UserFactory(
            email="collab.a@example.com", first_name="Bruno", last_name="Roy"
        )
        other_admin = UserFactory(
            email="admin.b@example.com", first_name="Chloé", last_name="Petit"
        )
        other_person = UserFactory(email="collab.b@example.com", first_name="Denis", last_name="Lo")
        MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
        MembershipFactory(user=collaborator, company=company)
        MembershipFactory(user=other_admin, company=other_company, role=Membership.Role.ADMIN)
        MembershipFactory(user=other_person, company=other_company)
    return World(company, other_company, admin, collaborator, other_admin, other_person)


@pytest.fixture
def world(alpha) -> World:
    return make_world(alpha)


def signed_in(firm, user: User | str, **kwargs):
    client = firm.client(**kwargs)
    email = user if isinstance(user, str) else user.email
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _person_pages(person: User) -> list[str]:
    return [f"/utilisateurs/{person.pk}/", f"/utilisateurs/{person.pk}/desactiver/"]


# Who may open the pages.


def test_anonymous_is_sent_to_sign_in(alpha, world):
    client = alpha.client()
    for url in ["/utilisateurs/", "/utilisateurs/inviter/", *_person_pages(world.collaborator)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/connexion/")


def test_collaborator_gets_404_everywhere(alpha, world):
    client = signed_in(alpha, world.collaborator)
    for url in ["/utilisateurs/", "/utilisateurs/inviter/", *_person_pages(world.admin)]:
        assert client.get(url).status_code == 404, url


def test_firm_admin_without_membership_gets_404(alpha, world):
    client = signed_in(alpha, alpha.admin_email)
    assert client.get("/utilisateurs/").status_code == 404


def test_admin_sees_the_people_of_their_companies_only(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.get("/utilisateurs/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "collab.a@example.com" in content
    assert "Boulangerie Martin (collaborateur)" in content
    assert "collab.b@example.com" not in content
    assert "admin.b@example.com" not in content


def test_admin_of_another_company_gets_404_for_its_people(alpha, world):
    client = signed_in(alpha, world.other_admin)
    for url in _person_pages(world.collaborator):
        assert client.get(url).status_code == 404, url


def test_unknown_person_id_is_404(alpha, world):
    client = signed_in(alpha, world.admin)
    assert client.get("/utilisateurs/999999/").status_code == 404


def test_alpha_person_ids_are_404_on_beta(alpha, beta, world):
    with beta.context():
        company = CompanyFactory()
        admin = UserFactory(email="admin.beta@example.com")
        MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
    assert world.collaborator.pk != admin.pk
    client = signed_in(beta, admin)

    for url in _person_pages(world.collaborator):
        assert client.get(url).status_code == 404, url


def test_alpha_session_is_no_session_on_beta(alpha, beta, world):
    alpha_client = signed_in(alpha, world.admin)
    beta_client = beta.client()
    beta_client.cookies["sessionid"] = alpha_client.cookies["sessionid"].value

    response = beta_client.get("/utilisateurs/")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


# Writes refused leave everything as it was.


def _refused_writes(world: World) -> list[tuple[str, dict]]:
    person, company = world.collaborator, world.company
    return [
        (f"/utilisateurs/{person.pk}/", {"first_name": "Pirate", "last_name": "", "phone": ""}),
        (f"/utilisateurs/{person.pk}/role/", {"company": company.pk, "role": "admin"}),
        (f"/utilisateurs/{person.pk}/retirer/", {"company": company.pk}),
        (f"/utilisateurs/{person.pk}/desactiver/", {}),
    ]


def _unchanged(alpha, world: World) -> None:
    with alpha.context():
        person = User.objects.get(pk=world.collaborator.pk)
        assert person.first_name == "Bruno"
        assert person.is_active
        assert Membership.objects.get(user=person, company=world.company).role == "collaborator"


@pytest.mark.parametrize("who", ["anonymous", "collaborator", "other_admin"])
def test_refused_writes_change_nothing(alpha, world, who):
    client = alpha.client() if who == "anonymous" else signed_in(alpha, getattr(world, who))

    for url, data in _refused_writes(world):
        response = client.post(url, data)
        assert response.status_code in ((302,) if who == "anonymous" else (404,)), url

    _unchanged(alpha, world)


def test_admin_cannot_use_another_company_for_their_own_person(alpha, world):
    client = signed_in(alpha, world.admin)

    role = client.post(
        f"/utilisateurs/{world.collaborator.pk}/role/",
        {"company": world.other_company.pk, "role": "admin"},
    )
    remove = client.post(
        f"/utilisateurs/{world.collaborator.pk}/retirer/", {"company": world.other_company.pk}
    )

    assert role.status_code == 404
    assert remove.status_code == 404
    with alpha.context():
        assert not Membership.objects.filter(
            user=world.collaborator, company=world.other_company
        ).exists()


# What an administrator does.


def test_admin_edits_a_person(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/utilisateurs/{world.collaborator.pk}/",
        {"first_name": "Bruno", "last_name": "Roux", "phone": "06 12 34 56 78"},
    )

    assert response.status_code == 302
    with alpha.context():
        person = User.objects.get(pk=world.collaborator.pk)
    assert (person.last_name, person.phone) == ("Roux", "+33612345678")


def test_invalid_phone_is_400_in_french(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/utilisateurs/{world.collaborator.pk}/",
        {"first_name": "Bruno", "last_name": "Roux", "phone": "123"},
    )

    assert response.status_code == 400
    assert "Saisissez un numéro de téléphone valide" in response.content.decode()
    _unchanged(alpha, world)


def test_invalid_phone_is_400_in_english(alpha, world):
    with alpha.context():
        User.objects.filter(pk=world.admin.pk).update(language="en")
    client = signed_in(alpha, world.admin, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        f"/utilisateurs/{world.collaborator.pk}/",
        {"first_name": "Bruno", "last_name": "Roux", "phone": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "Enter a valid phone number" in response.content.decode()


def test_admin_changes_a_role(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/utilisateurs/{world.collaborator.pk}/role/",
        {"company": world.company.pk, "role": "admin"},
    )

    assert response.status_code == 302
    with alpha.context():
        membership = Membership.objects.get(user=world.collaborator, company=world.company)
    assert membership.role == "admin"


def test_wrong_role_is_400(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/utilisateurs/{world.collaborator.pk}/role/",
        {"company": world.company.pk, "role": "boss"},
    )

    assert response.status_code == 400
    assert "Choisissez un rôle valide." in response.content.decode()
    _unchanged(alpha, world)


def test_last_administrator_cannot_be_demoted(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/utilisateurs/{world.admin.pk}/role/",
        {"company": world.company.pk, "role": "collaborator"},
    )

    assert response.status_code == 400
    assert "au moins un administrateur client" in response.content.decode()
    with alpha.context():
        assert Membership.objects.get(user=world.admin, company=world.company).role == "admin"


def test_admin_removes_a_person_from_their_company(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        f"/utilisateurs/{world.collaborator.pk}/retirer/", {"company": world.company.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == "/utilisateurs/"
    with alpha.context():
        assert not Membership.objects.filter(user=world.collaborator).exists()
        assert User.objects.filter(pk=world.collaborator.pk).exists()


def test_deactivation_asks_for_confirmation_then_deactivates(alpha, world):
    client = signed_in(alpha, world.admin)
    url = f"/utilisateurs/{world.collaborator.pk}/desactiver/"

    confirm = client.get(url)
    with alpha.context():
        assert User.objects.get(pk=world.collaborator.pk).is_active
    done = client.post(url)

    assert confirm.status_code == 200
    assert "Désactiver" in confirm.content.decode()
    assert done.status_code == 302
    with alpha.context():
        assert not User.objects.get(pk=world.collaborator.pk).is_active
    assert client.post(f"/utilisateurs/{world.collaborator.pk}/reactiver/").status_code == 302
    with alpha.context():
        assert User.objects.get(pk=world.collaborator.pk).is_active


def test_a_deactivated_person_can_no_longer_sign_in(alpha, world):
    client = signed_in(alpha, world.admin)
    client.post(f"/utilisateurs/{world.collaborator.pk}/desactiver/")

    response = alpha.client().post(
        "/connexion/", {"username": world.collaborator.email, "password": PASSWORD}
    )

    assert response.status_code == 400


def test_person_in_a_company_i_do_not_administer_cannot_be_deactivated(alpha, world):
    with alpha.context():
        MembershipFactory(user=world.collaborator, company=world.other_company)
    client = signed_in(alpha, world.admin)

    response = client.post(f"/utilisateurs/{world.collaborator.pk}/desactiver/")

    assert response.status_code == 403
    _unchanged(alpha, world)


# Search and the cost of the list.


def test_search_filters_by_name_or_email(alpha, world):
    client = signed_in(alpha, world.admin)

    by_name = client.get("/utilisateurs/", {"q": "bruno roy"})
    by_email = client.get("/utilisateurs/", {"q": "admin.a@"})

    assert "collab.a@example.com" in by_name.content.decode()
    assert "admin.a@example.com" not in by_name.content.decode()
    assert "admin.a@example.com" in by_email.content.decode()
    assert "collab.a@example.com" not in by_email.content.decode()


def test_htmx_search_returns_only_the_table(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.get("/utilisateurs/", {"q": "bruno"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div class="overflow-auto">')
    assert "<html" not in content
    assert "collab.a@example.com" in content


@pytest.mark.parametrize("extra", [2, 25])
def test_the_list_costs_the_same_whatever_the_number_of_people(
    alpha, world, extra, django_assert_max_num_queries
):
    with alpha.context():
        for _ in range(extra):
            MembershipFactory(company=world.company)
            MembershipFactory(company=world.other_company)
    client = signed_in(alpha, world.admin)

    # 12 queries, each preceded by django-tenants' SET search_path.
    with django_assert_max_num_queries(24):
        response = client.get("/utilisateurs/")

    assert response.status_code == 200
    assert response.content.decode().count("/utilisateurs/") >= extra
