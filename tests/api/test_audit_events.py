"""/api/v1/audit-events/: the append-only trail of subscription and access changes, read
only; each caller reads the events of the companies they oversee."""

import datetime

import pytest
from django.utils import timezone

from entitlements.models import AuditEvent
from tests.api.conftest import errors
from tests.api.entitlements_fixtures import ent_fixture  # noqa: F401 (the `ent` fixture)

pytestmark = pytest.mark.django_db

JSON = "application/json"
MAX_QUERIES = 20
CREATED_B = ("subscription_created", "Boulangerie Martin")
CREATED_G = ("subscription_created", "Garage Dupont")
GRANTED_B = ("grant_created", "Boulangerie Martin")


def _events(world, response) -> set[tuple[str, str]]:
    names = {world.company.pk: "Boulangerie Martin", world.other.pk: "Garage Dupont"}
    return {(row["action"], names[row["company"]]) for row in response.json()["results"]}


def _grant_event(alpha) -> AuditEvent:
    with alpha.context():
        return AuditEvent.objects.get(action="grant_created")


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", {CREATED_B, CREATED_G, GRANTED_B}),
        ("beta_key", 401),
        ("firm_admin", {CREATED_B, CREATED_G, GRANTED_B}),
        ("accountant", {CREATED_B, GRANTED_B}),
        ("other_accountant", set()),
        ("client_admin", {CREATED_B, GRANTED_B}),
        ("other_admin", {CREATED_G}),
        ("collaborator", set()),
    ],
)
def test_list_matrix(world, ent, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/audit-events/")

    if expected == 401:
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        assert _events(world, response) == expected


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
def test_detail_matrix(alpha, world, ent, as_actor, actor, status):
    event = _grant_event(alpha)

    response = as_actor(actor).get(f"/api/v1/audit-events/{event.pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["action"] == "grant_created"
        assert body["target_user"] == world.people["collaborator"].pk
        assert body["actor_label"] == world.people["firm_admin"].email
        assert body["details"] == {"application": "Compta en ligne"}


@pytest.mark.parametrize("actor", ["key", "firm_admin", "client_admin"])
def test_the_trail_cannot_be_written(alpha, ent, as_actor, actor):
    client = as_actor(actor)
    event = _grant_event(alpha)
    url = f"/api/v1/audit-events/{event.pk}/"

    answers = [
        client.post("/api/v1/audit-events/", {"action": "grant_revoked"}, content_type=JSON),
        client.patch(url, {"action": "grant_revoked"}, content_type=JSON),
        client.put(url, {"action": "grant_revoked"}, content_type=JSON),
        client.delete(url),
    ]

    assert [answer.status_code for answer in answers] == [405] * 4
    with alpha.context():
        assert AuditEvent.objects.count() == 3
        assert AuditEvent.objects.get(pk=event.pk).action == "grant_created"


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(ent, as_actor, actor):
    response = as_actor(actor).get(f"/api/v1/audit-events/{ent.beta_event.pk}/")

    assert response.status_code == 404


def test_filters(alpha, world, ent, as_actor):
    client = as_actor("key")
    with alpha.context():
        at = AuditEvent.objects.get(action="grant_created").at
    day = timezone.localtime(at).date()

    def events(query):
        response = client.get(f"/api/v1/audit-events/?{query}")
        assert response.status_code == 200, response.json()
        return _events(world, response)

    assert events(f"company={world.other.pk}") == {CREATED_G}
    assert events("action=grant_created") == {GRANTED_B}
    assert events(f"user={world.people['collaborator'].pk}") == {GRANTED_B}
    assert events(f"since={day.isoformat()}") == {CREATED_B, CREATED_G, GRANTED_B}
    assert events(f"until={day.isoformat()}") == {CREATED_B, CREATED_G, GRANTED_B}
    assert events(f"since={day + datetime.timedelta(days=1)}") == set()
    assert events(f"until={day - datetime.timedelta(days=1)}") == set()
    later = (at + datetime.timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert events(f"since={later}") == set()
    assert events(f"until={later}") == {CREATED_B, CREATED_G, GRANTED_B}


def test_a_bad_date_is_named_in_french(ent, as_actor):
    response = as_actor("key").get("/api/v1/audit-events/?since=hier")

    assert response.status_code == 400
    assert errors(response) == {"since": "Saisissez une date valide."}


def test_a_bad_date_is_named_in_english(ent, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    response = client.get("/api/v1/audit-events/?until=2026-13-45")

    assert response.status_code == 400
    assert errors(response) == {"until": "Enter a valid date."}


def test_the_list_costs_the_same_queries_for_30_events(
    alpha, world, ent, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")
    with alpha.context():
        for n in range(30):
            AuditEvent.objects.create(
                action=AuditEvent.Action.SUBSCRIPTION_CHANGED,
                company=world.company,
                subscription=ent.subscription,
                actor=world.people["accountant"],
                actor_label="comptable@alpha.example",
                details={"n": n},
            )

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/audit-events/")

    assert len(response.json()["results"]) == 32
