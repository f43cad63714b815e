"""Pages of entitlements: Mon compte > Accès aux services (and launching an application),
Entreprises > Applications and the people × applications matrix."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import factory
import pytest

from clients.models import Membership, User
from entitlements.models import Application, Subscription, SubscriptionUserObjectPermission
from entitlements.services import grant_access, revoke_access
from entitlements.tokens import launch_token_verify
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.frontend.test_people import World, make_world, signed_in

pytestmark = pytest.mark.django_db


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Application {n:04d}")
    category = Application.Category.BOOKKEEPING
    launch_url = "https://app.example/launch"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    company = factory.SubFactory(CompanyFactory)
    application = factory.SubFactory(ApplicationFactory)
    start_date = datetime.date(2026, 1, 1)


@pytest.fixture
def world(alpha) -> World:
    world = make_world(alpha)
    with alpha.context():
        world.subscription = SubscriptionFactory(
            company=world.company,
            application=ApplicationFactory(name="Pennylane", description="Comptabilité"),
        )
        world.fee = SubscriptionFactory(
            company=world.company,
            application=ApplicationFactory(name="Forfait tenue", launch_url=""),
        )
        world.other_subscription = SubscriptionFactory(
            company=world.other_company, application=world.subscription.application
        )
    return world


def _grants(alpha) -> set[tuple[int, int]]:
    with alpha.context():
        return set(
            SubscriptionUserObjectPermission.objects.values_list("user_id", "content_object_id")
        )


def _grant(alpha, user, subscription, actor=None):
    with alpha.context():
        admin = actor or (
            Membership.objects.filter(company=subscription.company, role=Membership.Role.ADMIN)
            .first()
            .user
        )
        grant_access(actor=admin, user=user, subscription=subscription)


# --- Mon compte > Accès aux services ------------------------------------------------------


def test_services_lists_my_applications_by_company_with_a_launch_link(alpha, world):
    _grant(alpha, world.collaborator, world.subscription)
    _grant(alpha, world.collaborator, world.fee)
    client = signed_in(alpha, world.collaborator)

    response = client.get("/mon-compte/services/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Accès aux services" in html
    assert "Boulangerie Martin" in html
    assert "Pennylane" in html and "Comptabilité" in html
    assert "Forfait tenue" in html
    assert f"/mon-compte/services/{world.subscription.pk}/lancer/" in html
    assert f"/mon-compte/services/{world.fee.pk}/lancer/" not in html  # no launch URL
    assert "Garage Petit" not in html


def test_services_without_access_says_so(alpha, world):
    client = signed_in(alpha, world.collaborator)
    response = client.get("/mon-compte/services/")
    assert response.status_code == 200
    assert "Pennylane" not in response.content.decode()


def test_services_anonymous_is_sent_to_sign_in(alpha, world):
    response = alpha.client().get("/mon-compte/services/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_services_query_count_does_not_grow(alpha, world, django_assert_max_num_queries):
    with alpha.context():
        for _n in range(8):
            company = CompanyFactory()
            MembershipFactory(user=world.collaborator, company=company)
            admin = MembershipFactory(company=company, role=Membership.Role.ADMIN).user
            for _m in range(3):
                subscription = SubscriptionFactory(company=company)
                grant_access(actor=admin, user=world.collaborator, subscription=subscription)
    client = signed_in(alpha, world.collaborator)
    client.get("/mon-compte/services/")
    with django_assert_max_num_queries(24):
        response = client.get("/mon-compte/services/")
    assert response.content.decode().count("/lancer/") == 24


def test_launch_redirects_with_a_valid_token(alpha, world):
    _grant(alpha, world.collaborator, world.subscription)
    client = signed_in(alpha, world.collaborator)

    response = client.get(f"/mon-compte/services/{world.subscription.pk}/lancer/")

    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://app.example/launch"
    token = parse_qs(url.query)["token"][0]
    claims = launch_token_verify(token, world.subscription.application.launch_secret)
    assert claims["sub"] == str(world.collaborator.pk)
    assert claims["sub_id"] == world.subscription.pk


def test_launch_is_refused_after_revocation_and_for_others(alpha, world):
    _grant(alpha, world.collaborator, world.subscription)
    _grant(alpha, world.collaborator, world.fee)
    with alpha.context():
        revoke_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    client = signed_in(alpha, world.collaborator)

    assert client.get(f"/mon-compte/services/{world.subscription.pk}/lancer/").status_code == 404
    # another company's subscription, a fee without launch URL, a missing one
    for pk in (world.other_subscription.pk, world.fee.pk, 999999):
        response = client.get(f"/mon-compte/services/{pk}/lancer/")
        assert response.status_code == 404, pk
        assert "Location" not in response


def test_launch_anonymous_gets_no_token(alpha, world):
    _grant(alpha, world.collaborator, world.subscription)
    response = alpha.client().get(f"/mon-compte/services/{world.subscription.pk}/lancer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_launch_alpha_ids_on_beta_are_404(alpha, beta, world):
    _grant(alpha, world.collaborator, world.subscription)
    with beta.context():
        person = UserFactory(email="someone.beta@example.com")
        MembershipFactory(user=person, company=CompanyFactory())
    client = signed_in(beta, person)
    assert client.get(f"/mon-compte/services/{world.subscription.pk}/lancer/").status_code == 404


# --- Entreprises > Applications and the matrix --------------------------------------------


def _company_pages(world) -> list[str]:
    return [
        f"/entreprises/{world.company.pk}/applications/",
        f"/entreprises/{world.company.pk}/acces/applications/",
    ]


def _toggle(world, subscription=None, person=None) -> str:
    subscription = subscription or world.subscription
    person = person or world.collaborator
    return f"/entreprises/{world.company.pk}/acces/applications/{subscription.pk}/{person.pk}/"


def test_applications_page_shows_seats(alpha, world):
    with alpha.context():
        Subscription.objects.filter(pk=world.subscription.pk).update(seat_limit=3)
    _grant(alpha, world.collaborator, world.subscription)
    client = signed_in(alpha, world.admin)

    response = client.get(f"/entreprises/{world.company.pk}/applications/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Pennylane" in html and "Forfait tenue" in html
    assert "1 / 3" in html


def test_matrix_shows_people_and_switches(alpha, world):
    _grant(alpha, world.collaborator, world.subscription)
    client = signed_in(alpha, world.admin)

    response = client.get(f"/entreprises/{world.company.pk}/acces/applications/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bruno Roy" in html and "Alice Martin" in html
    assert "Denis Lo" not in html
    assert 'aria-pressed="true"' in html
    assert _toggle(world) in html


def test_admin_switches_on_then_off_with_htmx(alpha, world):
    client = signed_in(alpha, world.admin)

    on = client.post(_toggle(world), {"grant": "1"}, HTTP_HX_REQUEST="true")
    assert on.status_code == 200
    assert 'aria-pressed="true"' in on.content.decode()
    assert (world.collaborator.pk, world.subscription.pk) in _grants(alpha)

    off = client.post(_toggle(world), {"grant": "0"}, HTTP_HX_REQUEST="true")
    assert off.status_code == 200
    assert 'aria-pressed="false"' in off.content.decode()
    assert (world.collaborator.pk, world.subscription.pk) not in _grants(alpha)


def test_plain_form_post_redirects_to_the_matrix(alpha, world):
    client = signed_in(alpha, world.admin)
    response = client.post(_toggle(world), {"grant": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/entreprises/{world.company.pk}/acces/applications/"
    assert (world.collaborator.pk, world.subscription.pk) in _grants(alpha)


def test_seat_limit_reached_is_400_in_french(alpha, world):
    with alpha.context():
        Subscription.objects.filter(pk=world.subscription.pk).update(seat_limit=1)
    _grant(alpha, world.admin, world.subscription)
    before = _grants(alpha)
    client = signed_in(alpha, world.admin)

    htmx = client.post(_toggle(world), {"grant": "1"}, HTTP_HX_REQUEST="true")
    plain = client.post(_toggle(world), {"grant": "1"})

    assert htmx.status_code == 400
    assert "Toutes les places de cette application sont attribuées (1)." in htmx.content.decode()
    assert 'aria-pressed="false"' in htmx.content.decode()
    assert plain.status_code == 400
    assert "Toutes les places de cette application sont attribuées (1)." in plain.content.decode()
    assert _grants(alpha) == before


def test_seat_limit_reached_in_english_for_an_english_speaker(alpha, world):
    with alpha.context():
        Subscription.objects.filter(pk=world.subscription.pk).update(seat_limit=1)
        User.objects.filter(pk=world.admin.pk).update(language="en")
    _grant(alpha, world.admin, world.subscription)
    client = signed_in(alpha, world.admin)

    response = client.post(_toggle(world), {"grant": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "All the seats of this application are taken (1)." in response.content.decode()


def test_refusals_change_nothing(alpha, world):
    _grant(alpha, world.collaborator, world.fee)
    before = _grants(alpha)
    anonymous = alpha.client()
    for url in _company_pages(world):
        assert anonymous.get(url).status_code == 302
    assert anonymous.post(_toggle(world), {"grant": "1"}).status_code == 302

    for person in (world.collaborator, world.other_admin):
        client = signed_in(alpha, person)
        for url in _company_pages(world):
            assert client.get(url).status_code == 404, (person, url)
        assert client.post(_toggle(world), {"grant": "1"}).status_code == 404
        revoke = client.post(_toggle(world, world.fee), {"grant": "0"})
        assert revoke.status_code == 404

    # my company, but another company's subscription or person
    admin = signed_in(alpha, world.admin)
    assert admin.post(_toggle(world, world.other_subscription), {"grant": "1"}).status_code == 404
    assert admin.post(_toggle(world, person=world.other_person), {"grant": "1"}).status_code == 404
    assert admin.get(_toggle(world)).status_code == 405
    assert _grants(alpha) == before


def test_alpha_ids_on_beta_change_nothing(alpha, beta, world):
    before = _grants(alpha)
    with beta.context():
        company = CompanyFactory()
        admin = UserFactory(email="admin.beta@example.com")
        MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
    client = signed_in(beta, admin)
    for url in _company_pages(world):
        assert client.get(url).status_code == 404, url
    assert client.post(_toggle(world), {"grant": "1"}).status_code == 404
    assert _grants(alpha) == before


@pytest.mark.parametrize("size", [3, 20])
def test_matrix_query_ceiling(alpha, world, size, django_assert_max_num_queries):
    with alpha.context():
        for n in range(size):
            person = UserFactory(email=f"person{n}@example.com")
            MembershipFactory(user=person, company=world.company)
            if n % 2:
                grant_access(actor=world.admin, user=person, subscription=world.subscription)
        for _n in range(3):
            SubscriptionFactory(company=world.company)
    client = signed_in(alpha, world.admin)
    client.get(f"/entreprises/{world.company.pk}/acces/applications/")
    with django_assert_max_num_queries(40):
        response = client.get(f"/entreprises/{world.company.pk}/acces/applications/")
    assert response.status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(f"/entreprises/{world.company.pk}/applications/").status_code == 200


# --- Utilisateurs > person > Applications -------------------------------------------------


def _rights(alpha) -> set[tuple[int, int, str]]:
    from entitlements.models import CompanyUserObjectPermission

    with alpha.context():
        return set(
            CompanyUserObjectPermission.objects.values_list(
                "user_id", "content_object_id", "permission__codename"
            )
        )


def _person_toggle(world, person=None, company=None) -> str:
    person = person or world.collaborator
    company = company or world.company
    return f"/utilisateurs/{person.pk}/applications/{company.pk}/"


def test_person_page_lists_applications_and_rights(alpha, world):
    _grant(alpha, world.collaborator, world.subscription)
    client = signed_in(alpha, world.admin)

    response = client.get(f"/utilisateurs/{world.collaborator.pk}/applications/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Boulangerie Martin" in html and "Garage Petit" not in html
    assert "Pennylane" in html and "Forfait tenue" in html
    assert "Voir les factures" in html and "Télécharger les factures" in html
    assert html.count('aria-pressed="true"') == 1
    assert (
        f"/utilisateurs/{world.collaborator.pk}/applications/"
        in client.get(f"/utilisateurs/{world.collaborator.pk}/").content.decode()
    )


def test_person_switches_application_and_rights(alpha, world):
    client = signed_in(alpha, world.admin)
    url = _person_toggle(world)

    grant = {"subscription": world.subscription.pk, "grant": "1"}
    on = client.post(url, grant, HTTP_HX_REQUEST="true")
    right = client.post(url, {"right": "view_invoices", "grant": "1"})

    assert on.status_code == 200 and 'aria-pressed="true"' in on.content.decode()
    assert right.status_code == 302
    assert (world.collaborator.pk, world.subscription.pk) in _grants(alpha)
    assert (world.collaborator.pk, world.company.pk, "view_invoices") in _rights(alpha)

    off = client.post(url, {"right": "view_invoices", "grant": "0"}, HTTP_HX_REQUEST="true")
    assert off.status_code == 200 and 'aria-pressed="false"' in off.content.decode()
    assert (world.collaborator.pk, world.company.pk, "view_invoices") not in _rights(alpha)


def test_person_seat_limit_is_400_in_french(alpha, world):
    with alpha.context():
        Subscription.objects.filter(pk=world.subscription.pk).update(seat_limit=1)
    _grant(alpha, world.admin, world.subscription)
    before = _grants(alpha)
    client = signed_in(alpha, world.admin)

    response = client.post(
        _person_toggle(world), {"subscription": world.subscription.pk, "grant": "1"}
    )

    assert response.status_code == 400
    assert "Toutes les places de cette application sont attribuées (1)." in response.text
    assert _grants(alpha) == before


def test_person_refusals_change_nothing(alpha, beta, world):
    before, rights_before = _grants(alpha), _rights(alpha)
    page = f"/utilisateurs/{world.collaborator.pk}/applications/"
    on = {"subscription": world.subscription.pk, "grant": "1"}
    right = {"right": "view_invoices", "grant": "1"}

    anonymous = alpha.client()
    assert anonymous.get(page).status_code == 302
    assert anonymous.post(_person_toggle(world), on).status_code == 302
    for person in (world.collaborator, world.other_admin):
        client = signed_in(alpha, person)
        assert client.get(page).status_code == 404
        assert client.post(_person_toggle(world), on).status_code == 404
        assert client.post(_person_toggle(world), right).status_code == 404

    admin = signed_in(alpha, world.admin)
    other = {"subscription": world.other_subscription.pk, "grant": "1"}
    assert admin.post(_person_toggle(world), other).status_code == 404
    assert admin.post(_person_toggle(world), {"right": "manage_accesses"}).status_code == 404
    assert admin.post(_person_toggle(world, company=world.other_company), on).status_code == 404
    assert admin.post(_person_toggle(world, person=world.other_person), on).status_code == 404

    with beta.context():
        company = CompanyFactory()
        beta_admin = UserFactory(email="admin.beta@example.com")
        MembershipFactory(user=beta_admin, company=company, role=Membership.Role.ADMIN)
    client = signed_in(beta, beta_admin)
    assert client.get(page).status_code == 404
    assert client.post(_person_toggle(world), on).status_code == 404

    assert _grants(alpha) == before
    assert _rights(alpha) == rights_before
