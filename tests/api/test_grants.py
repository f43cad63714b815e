"""/api/v1/grants/: who may use which subscription. A grant's id is the id of its
django-guardian direct permission row; DELETE revokes that access."""

import pytest

from entitlements import services
from entitlements.models import AuditEvent, Subscription, SubscriptionUserObjectPermission
from tests.api.conftest import errors, person
from tests.api.entitlements_fixtures import ent_fixture  # noqa: F401 (the `ent` fixture)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
MAX_QUERIES = 20
COLLABORATOR = ("vendeur@boulangerie.example", "Boulangerie Martin")
OTHER_ADMIN = ("gerant@garage.example", "Garage Dupont")


def _url(grant) -> str:
    return f"/api/v1/grants/{grant.pk}/"


def _granted(alpha, user, subscription) -> bool:
    with alpha.context():
        return SubscriptionUserObjectPermission.objects.filter(
            user=user, content_object=subscription
        ).exists()


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", {COLLABORATOR, OTHER_ADMIN}),
        ("beta_key", 401),
        ("firm_admin", {COLLABORATOR, OTHER_ADMIN}),
        ("accountant", {COLLABORATOR}),
        ("other_accountant", set()),
        ("client_admin", {COLLABORATOR}),
        ("other_admin", {OTHER_ADMIN}),
        ("collaborator", {COLLABORATOR}),  # their own
    ],
)
def test_list_matrix(alpha, world, ent, as_actor, actor, expected):
    with alpha.context():
        services.grant_access(
            actor=world.people["firm_admin"],
            user=world.people["other_admin"],
            subscription=ent.garage,
        )
        names = dict(Subscription.objects.values_list("pk", "company__legal_name"))

    response = as_actor(actor).get("/api/v1/grants/")

    if expected == 401:
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        rows = response.json()["results"]
        assert {(row["user_email"], names[row["subscription"]]) for row in rows} == expected


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 200),
        ("beta_key", 401),
        ("firm_admin", 200),
        ("accountant", 200),
        ("other_accountant", 404),
        ("client_admin", 200),
        ("other_admin", 404),
        ("collaborator", 200),
    ],
)
def test_detail_matrix(world, ent, as_actor, actor, status):
    response = as_actor(actor).get(_url(ent.grant))

    assert response.status_code == status
    if status == 200:
        assert response.json() == {
            "id": ent.grant.pk,
            "user": world.people["collaborator"].pk,
            "user_email": "vendeur@boulangerie.example",
            "subscription": ent.subscription.pk,
            "company": world.company.pk,
            "application_name": "Compta en ligne",
        }


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 201),
        ("beta_key", 401),
        ("firm_admin", 201),
        ("accountant", 201),
        ("other_accountant", 404),
        ("client_admin", 201),
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_create_matrix(alpha, world, ent, as_actor, actor, status):
    target = world.people["client_admin"]
    payload = {"user": target.pk, "subscription": ent.subscription.pk}

    response = as_actor(actor).post("/api/v1/grants/", payload, content_type=JSON)

    assert response.status_code == status
    assert _granted(alpha, target, ent.subscription) is (status == 201)
    with alpha.context():
        events = AuditEvent.objects.filter(action="grant_created", target_user=target)
        assert list(events.values_list("ip", flat=True)) == (["127.0.0.1"] if status == 201 else [])
    if status == 201:
        assert response.json()["user_email"] == "gerante@boulangerie.example"


def test_granting_an_access_twice_answers_it_again(alpha, world, ent, as_actor):
    payload = {"user": world.people["collaborator"].pk, "subscription": ent.subscription.pk}

    response = as_actor("client_admin").post("/api/v1/grants/", payload, content_type=JSON)

    assert response.status_code == 200
    assert response.json()["id"] == ent.grant.pk
    with alpha.context():
        assert AuditEvent.objects.filter(action="grant_created").count() == 1


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 204),
        ("beta_key", 401),
        ("firm_admin", 204),
        ("accountant", 204),
        ("other_accountant", 404),
        ("client_admin", 204),
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_revoke_matrix(alpha, world, ent, as_actor, actor, status):
    response = as_actor(actor).delete(_url(ent.grant))

    assert response.status_code == status
    revoked = status == 204
    assert _granted(alpha, world.people["collaborator"], ent.subscription) is not revoked
    with alpha.context():
        assert AuditEvent.objects.filter(action="grant_revoked").exists() is revoked


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(alpha, beta, world, ent, as_actor, actor):
    client = as_actor(actor)

    answers = [
        client.get(_url(ent.beta_grant)),
        client.delete(_url(ent.beta_grant)),
        client.post(
            "/api/v1/grants/",
            {"user": world.people["client_admin"].pk, "subscription": ent.beta_subscription.pk},
            content_type=JSON,
        ),
        client.post(
            "/api/v1/grants/",
            {"user": world.beta_person.pk, "subscription": ent.subscription.pk},
            content_type=JSON,
        ),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 400]
    assert set(errors(answers[3])) == {"user"}
    with beta.context():
        assert SubscriptionUserObjectPermission.objects.filter(pk=ent.beta_grant.pk).exists()
    with alpha.context():
        assert SubscriptionUserObjectPermission.objects.count() == 1


def test_filters(alpha, world, ent, as_actor):
    with alpha.context():
        services.grant_access(
            actor=world.people["firm_admin"],
            user=world.people["other_admin"],
            subscription=ent.garage,
        )
    client = as_actor("key")

    def emails(query):
        response = client.get(f"/api/v1/grants/?{query}")
        return {row["user_email"] for row in response.json()["results"]}

    assert emails(f"company={world.other.pk}") == {"gerant@garage.example"}
    assert emails(f"subscription={ent.subscription.pk}") == {"vendeur@boulangerie.example"}
    assert emails(f"user={world.people['other_admin'].pk}") == {"gerant@garage.example"}


def test_the_list_costs_the_same_queries_for_30_grants(
    alpha, world, ent, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")
    with alpha.context():
        for n in range(30):
            member = person(f"equipe{n}@boulangerie.example")
            MembershipFactory(user=member, company=world.company)
            services.grant_access(
                actor=world.people["firm_admin"], user=member, subscription=ent.subscription
            )

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/grants/")

    assert len(response.json()["results"]) == 31


def test_a_full_subscription_is_refused_on_subscription_in_french(alpha, world, ent, as_actor):
    with alpha.context():
        Subscription.objects.filter(pk=ent.subscription.pk).update(seat_limit=1)
    payload = {"user": world.people["client_admin"].pk, "subscription": ent.subscription.pk}

    response = as_actor("client_admin").post("/api/v1/grants/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {
        "subscription": "Toutes les places de cette application sont attribuées (1)."
    }
    assert not _granted(alpha, world.people["client_admin"], ent.subscription)


def test_a_suspended_subscription_is_refused_in_english(alpha, world, ent, as_actor):
    with alpha.context():
        Subscription.objects.filter(pk=ent.subscription.pk).update(status="suspended")
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")
    payload = {"user": world.people["client_admin"].pk, "subscription": ent.subscription.pk}

    response = client.post("/api/v1/grants/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {
        "subscription": "The company does not subscribe to this application."
    }
    assert not _granted(alpha, world.people["client_admin"], ent.subscription)


def test_a_person_of_another_company_is_refused_on_user(alpha, world, ent, as_actor):
    payload = {"user": world.people["other_admin"].pk, "subscription": ent.subscription.pk}

    response = as_actor("firm_admin").post("/api/v1/grants/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {"user": "Cette personne n'appartient pas à l'entreprise."}
    assert not _granted(alpha, world.people["other_admin"], ent.subscription)


def test_missing_and_mistyped_fields_are_named(ent, as_actor):
    client = as_actor("key")

    missing = client.post("/api/v1/grants/", {}, content_type=JSON)
    mistyped = client.post("/api/v1/grants/", {"user": "x", "subscription": 1}, content_type=JSON)

    assert set(errors(missing)) == {"user", "subscription"}
    assert set(errors(mistyped)) == {"user"}


def test_a_collaborator_granted_manage_accesses_manages_ordinary_accesses_only(
    alpha, world, ent, as_actor
):
    people = world.people
    with alpha.context():
        services.company_right_grant(
            actor=people["client_admin"],
            user=people["collaborator"],
            company=world.company,
            codename="manage_accesses",
        )
        payroll = services.subscription_create(
            actor=people["firm_admin"],
            company=world.company,
            application=ent.paie,
            start_date=ent.subscription.start_date,
        )
    client = as_actor("collaborator")
    admin = people["client_admin"]

    ordinary = client.post(
        "/api/v1/grants/",
        {"user": admin.pk, "subscription": ent.subscription.pk},
        content_type=JSON,
    )
    sensitive = client.post(
        "/api/v1/grants/", {"user": admin.pk, "subscription": payroll.pk}, content_type=JSON
    )
    listed = client.get("/api/v1/grants/")
    revoked = client.delete(f"/api/v1/grants/{ordinary.json()['id']}/")

    assert (ordinary.status_code, sensitive.status_code) == (201, 403)
    assert len(listed.json()["results"]) == 2
    assert revoked.status_code == 204
    assert not _granted(alpha, admin, ent.subscription)
    assert not _granted(alpha, admin, payroll)
