"""/api/v1/subscriptions/: the applications configured on companies; the firm's staff in
charge change them, client administrators read theirs."""

import pytest

from entitlements.models import AuditEvent, Subscription, SubscriptionUserObjectPermission
from tests.api.conftest import errors
from tests.api.entitlements_fixtures import (
    START,
    ent_fixture,  # noqa: F401 (the `ent` fixture)
)
from tests.entitlements.conftest import ApplicationFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
MAX_QUERIES = 20
BOULANGERIE = {("Boulangerie Martin", "Compta en ligne")}
GARAGE = {("Garage Dupont", "Compta en ligne")}


def _url(subscription) -> str:
    return f"/api/v1/subscriptions/{subscription.pk}/"


def _pairs(response) -> set[tuple[str, str]]:
    return {(row["company_name"], row["application_name"]) for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", BOULANGERIE | GARAGE),
        ("beta_key", 401),
        ("firm_admin", BOULANGERIE | GARAGE),
        ("accountant", BOULANGERIE),
        ("other_accountant", set()),
        ("client_admin", BOULANGERIE),
        ("other_admin", GARAGE),
        ("collaborator", set()),
    ],
)
def test_list_matrix(ent, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/subscriptions/")

    if expected == 401:
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        assert _pairs(response) == expected


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
        ("collaborator", 404),
    ],
)
def test_detail_matrix(ent, as_actor, actor, status):
    response = as_actor(actor).get(_url(ent.subscription))

    assert response.status_code == status
    if status == 200:
        assert response.json()["status"] == "active"
        assert response.json()["company_name"] == "Boulangerie Martin"


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 201),
        ("beta_key", 401),
        ("firm_admin", 201),
        ("accountant", 201),
        ("other_accountant", 404),
        ("client_admin", 403),
        ("other_admin", 404),
        ("collaborator", 404),
    ],
)
def test_create_matrix(alpha, world, ent, as_actor, actor, status):
    payload = {
        "company": world.company.pk,
        "application": ent.paie.pk,
        "start_date": "2026-02-01",
        "seat_limit": 3,
    }

    response = as_actor(actor).post("/api/v1/subscriptions/", payload, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        created = Subscription.objects.filter(application=ent.paie)
        assert created.exists() is (status == 201)
        assert AuditEvent.objects.filter(
            action="subscription_created", subscription__application=ent.paie
        ).exists() is (status == 201)
    if status == 201:
        assert response.json()["seat_limit"] == 3
        assert response.json()["application_name"] == "Paie"


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 200),
        ("beta_key", 401),
        ("firm_admin", 200),
        ("accountant", 200),
        ("other_accountant", 404),
        ("client_admin", 403),
        ("other_admin", 404),
        ("collaborator", 404),
    ],
)
def test_update_matrix(alpha, ent, as_actor, actor, status):
    response = as_actor(actor).patch(
        _url(ent.subscription), {"status": "suspended"}, content_type=JSON
    )

    assert response.status_code == status
    with alpha.context():
        ent.subscription.refresh_from_db()
        assert ent.subscription.status == ("suspended" if status == 200 else "active")
        assert AuditEvent.objects.filter(action="subscription_changed").exists() is (status == 200)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 204),
        ("beta_key", 401),
        ("firm_admin", 204),
        ("accountant", 204),
        ("other_accountant", 404),
        ("client_admin", 403),
        ("other_admin", 404),
        ("collaborator", 404),
    ],
)
def test_end_matrix(alpha, ent, as_actor, actor, status):
    response = as_actor(actor).delete(_url(ent.subscription))

    assert response.status_code == status
    with alpha.context():
        ent.subscription.refresh_from_db()
        ended = status == 204
        assert ent.subscription.status == ("ended" if ended else "active")
        assert (ent.subscription.end_date is not None) is ended
        still_granted = SubscriptionUserObjectPermission.objects.filter(pk=ent.grant.pk).exists()
        assert still_granted is not ended


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(alpha, beta, world, ent, as_actor, actor):
    client = as_actor(actor)
    target = ent.beta_subscription

    answers = [
        client.get(_url(target)),
        client.patch(_url(target), {"status": "suspended"}, content_type=JSON),
        client.delete(_url(target)),
        client.post(
            "/api/v1/subscriptions/",
            {"company": world.beta_company.pk, "application": ent.paie.pk, "start_date": START},
            content_type=JSON,
        ),
        client.post(
            "/api/v1/subscriptions/",
            {
                "company": world.company.pk,
                "application": ent.beta_application.pk,
                "start_date": START,
            },
            content_type=JSON,
        ),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404, 400]
    with beta.context():
        target.refresh_from_db()
        assert target.status == "active"
    with alpha.context():
        assert Subscription.objects.count() == 2


def test_filters(world, ent, as_actor):
    client = as_actor("key")

    def pairs(query):
        return _pairs(client.get(f"/api/v1/subscriptions/?{query}"))

    assert pairs(f"company={world.other.pk}") == GARAGE
    assert pairs(f"application={ent.compta.pk}") == BOULANGERIE | GARAGE
    assert pairs(f"application={ent.paie.pk}") == set()
    assert pairs("status=active") == BOULANGERIE | GARAGE
    assert pairs("status=ended") == set()


def test_a_bad_filter_is_named(ent, as_actor):
    response = as_actor("key").get("/api/v1/subscriptions/?company=abc")

    assert response.status_code == 400
    assert set(errors(response)) == {"company"}


def test_the_list_costs_the_same_queries_for_30_subscriptions(
    alpha, world, ent, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")
    with alpha.context():
        for _n in range(30):
            SubscriptionFactory(company=world.company, application=ApplicationFactory())

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/subscriptions/")

    assert len(response.json()["results"]) == 31


def test_configuring_an_application_twice_is_refused_in_french(alpha, world, ent, as_actor):
    payload = {"company": world.company.pk, "application": ent.compta.pk, "start_date": START}

    response = as_actor("accountant").post("/api/v1/subscriptions/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {
        "application": "Cette application est déjà configurée sur ce dossier."
    }
    with alpha.context():
        assert Subscription.objects.filter(company=world.company).count() == 1


def test_a_seat_limit_below_the_seats_used_is_refused_in_english(alpha, ent, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    response = client.patch(_url(ent.subscription), {"seat_limit": 0}, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {
        "seat_limit": "More people already use this application: revoke some accesses first."
    }
    with alpha.context():
        ent.subscription.refresh_from_db()
        assert ent.subscription.seat_limit is None


def test_an_unknown_status_and_a_missing_date_are_named(ent, world, as_actor):
    client = as_actor("key")

    bad_status = client.patch(_url(ent.subscription), {"status": "ended"}, content_type=JSON)
    no_date = client.post(
        "/api/v1/subscriptions/",
        {"company": world.company.pk, "application": ent.paie.pk},
        content_type=JSON,
    )

    assert (bad_status.status_code, no_date.status_code) == (400, 400)
    assert set(errors(bad_status)) == {"status"}
    assert set(errors(no_date)) == {"start_date"}


def test_an_ended_subscription_cannot_be_ended_again(alpha, ent, as_actor):
    client = as_actor("key")
    assert client.delete(_url(ent.subscription)).status_code == 204

    response = client.delete(_url(ent.subscription))

    assert response.status_code == 400
    with alpha.context():
        assert AuditEvent.objects.filter(action="subscription_ended").count() == 1
