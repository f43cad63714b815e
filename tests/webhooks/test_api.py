"""The webhooks API: firm administrators and API keys only; beta's rows are 404 on alpha."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import api_key_create
from clients.models import User
from tests.factories import PASSWORD, UserFactory
from webhooks import events, services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhook-endpoints/"
PUBLIC_URL = "https://93.184.216.34/hooks"


def _admin(firm) -> User:
    return User.objects.get(email=firm.admin_email)


def _key_client(firm, host_firm=None) -> Client:
    with firm.context():
        _row, secret = api_key_create(actor=_admin(firm), name="intégration")
    return (host_firm or firm).client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _signed_in(alpha, email: str) -> Client:
    client = alpha.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def admin_client(alpha) -> Client:
    return _signed_in(alpha, alpha.admin_email)


@pytest.fixture
def key_client(alpha) -> Client:
    return _key_client(alpha)


def _errors(response) -> dict[str, str]:
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(alpha, admin_client):
    created = admin_client.post(
        BASE,
        {"url": PUBLIC_URL, "event_types": ["invoice.issued", "company.created"]},
        content_type="application/json",
    )
    listed = admin_client.get(BASE)
    one = admin_client.get(f"{BASE}{created.json()['id']}/")

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["event_types"] == ["company.created", "invoice.issued"]
    assert listed.status_code == 200 and "secret" not in listed.json()["results"][0]
    assert one.status_code == 200 and "secret" not in one.json()


def test_a_key_manages_endpoints_change_rotate_delete(alpha, key_client):
    created = key_client.post(
        BASE, {"url": PUBLIC_URL, "event_types": ["company.created"]}, "application/json"
    ).json()
    url = f"{BASE}{created['id']}/"

    changed = key_client.patch(url, {"description": "ERP", "is_active": False}, "application/json")
    rotated = key_client.post(f"{url}rotate-secret/")
    with alpha.context():
        secret_now = WebhookEndpoint.objects.get(pk=created["id"]).secret
    deleted = key_client.delete(url)

    assert changed.status_code == 200
    assert changed.json()["description"] == "ERP" and not changed.json()["is_active"]
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in ("", created["secret"])
    assert rotated.json()["secret"] == secret_now
    assert deleted.status_code == 204
    assert key_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://93.184.216.34/", "event_types": ["company.created"]}, "url"),
        ({"url": "https://10.0.0.5/", "event_types": ["company.created"]}, "url"),
        ({"url": "https://169.254.169.254/", "event_types": ["company.created"]}, "url"),
        ({"url": "https://localhost/", "event_types": ["company.created"]}, "url"),
        ({"url": "not a url", "event_types": ["company.created"]}, "url"),
        ({"url": PUBLIC_URL, "event_types": ["company.exploded"]}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
        ({"url": PUBLIC_URL}, "event_types"),
        ({"url": PUBLIC_URL, "event_types": "company.created"}, "event_types"),
    ],
)
def test_bad_input_is_a_400_on_the_field(alpha, admin_client, body, field):
    response = admin_client.post(BASE, body, content_type="application/json")

    assert response.status_code == 400
    assert field in _errors(response)
    with alpha.context():
        assert not WebhookEndpoint.objects.exists()


def test_the_event_types_catalogue(admin_client):
    response = admin_client.get("/api/v1/webhook-events/types/")

    types = {row["type"]: row for row in response.json()}
    assert response.status_code == 200
    assert types["invoice.issued"]["emitted"] is True
    assert types["invoice.paid"]["emitted"] is True
    assert set(types) == set(events.CATALOGUE)


@pytest.fixture
def delivered(alpha, settings):
    """An endpoint with one failed and one succeeded delivery."""
    with alpha.context():
        endpoint, _secret = services.endpoint_create(
            actor=_admin(alpha), url=PUBLIC_URL, event_types=["company.created"]
        )
        event = events.emit("company.created", {"id": 1})
        events.emit("company.created", {"id": 2})
        first, second = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
        WebhookDelivery.objects.filter(pk=first.pk).update(status="failed", response_status=503)
        WebhookDelivery.objects.filter(pk=second.pk).update(status="succeeded", response_status=200)
    return endpoint, event, first


def test_the_delivery_log_filters_by_endpoint_and_status(alpha, admin_client, delivered):
    endpoint, event, first = delivered

    failed = admin_client.get(f"/api/v1/webhook-deliveries/?endpoint={endpoint.pk}&status=failed")
    by_event = admin_client.get(f"/api/v1/webhook-deliveries/?event={event.pk}")
    bad = admin_client.get("/api/v1/webhook-deliveries/?event=nope")

    assert [row["id"] for row in failed.json()["results"]] == [first.pk]
    assert failed.json()["results"][0]["response_status"] == 503
    assert failed.json()["results"][0]["event_type"] == "company.created"
    assert [row["event"] for row in by_event.json()["results"]] == [str(event.pk)]
    assert bad.status_code == 400 and "event" in _errors(bad)


def test_events_are_listed_and_read(admin_client, delivered):
    _endpoint, event, _first = delivered

    listed = admin_client.get("/api/v1/webhook-events/?type=company.created")
    one = admin_client.get(f"/api/v1/webhook-events/{event.pk}/")
    malformed = admin_client.get("/api/v1/webhook-events/not-a-uuid/")

    assert len(listed.json()["results"]) == 2
    assert one.json()["data"] == {"id": 1}
    assert malformed.status_code == 404


def test_redeliver_makes_a_new_pending_attempt(alpha, admin_client, delivered):
    _endpoint, event, first = delivered

    response = admin_client.post(f"/api/v1/webhook-deliveries/{first.pk}/redeliver/")

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert response.json()["event"] == str(event.pk)
    assert response.json()["id"] != first.pk


def test_redeliver_to_a_disabled_endpoint_is_refused(alpha, admin_client, delivered):
    endpoint, _event, first = delivered
    with alpha.context():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

    response = admin_client.post(f"/api/v1/webhook-deliveries/{first.pk}/redeliver/")

    assert response.status_code == 400 and "endpoint" in _errors(response)


@pytest.mark.parametrize("role", ["accountant", "client"])
def test_staff_who_are_not_administrators_and_clients_are_refused(alpha, role, delivered):
    endpoint, event, first = delivered
    email = f"{role}@alpha.example"
    with alpha.context():
        UserFactory(
            email=email, password=PASSWORD, firm_role="accountant" if role == "accountant" else ""
        )
    client = _signed_in(alpha, email)

    answers = [
        client.get(BASE).status_code,
        client.get(f"{BASE}{endpoint.pk}/").status_code,
        client.post(BASE, {"url": PUBLIC_URL, "event_types": ["company.created"]}).status_code,
        client.post(f"{BASE}{endpoint.pk}/rotate-secret/").status_code,
        client.delete(f"{BASE}{endpoint.pk}/").status_code,
        client.get("/api/v1/webhook-deliveries/").status_code,
        client.post(f"/api/v1/webhook-deliveries/{first.pk}/redeliver/").status_code,
        client.get(f"/api/v1/webhook-events/{event.pk}/").status_code,
    ]

    assert set(answers) == {403}
    with alpha.context():
        assert WebhookEndpoint.objects.count() == 1
        assert WebhookDelivery.objects.count() == 2


def test_anonymous_is_401(alpha):
    assert alpha.client().get(BASE).status_code == 401


def test_betas_endpoints_deliveries_and_events_are_404_from_alpha(alpha, beta, key_client):
    with beta.context():
        endpoint, _secret = services.endpoint_create(
            actor=_admin(beta), url=PUBLIC_URL, event_types=["company.created"]
        )
        event = events.emit("company.created", {"id": 1})
        beta_delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    with alpha.context():
        assert not WebhookEndpoint.objects.exists()  # the ids below can only be beta's

    answers = [
        key_client.get(f"{BASE}{endpoint.pk}/").status_code,
        key_client.patch(
            f"{BASE}{endpoint.pk}/", {"description": "x"}, "application/json"
        ).status_code,
        key_client.post(f"{BASE}{endpoint.pk}/rotate-secret/").status_code,
        key_client.delete(f"{BASE}{endpoint.pk}/").status_code,
        key_client.get(f"/api/v1/webhook-deliveries/{beta_delivery.pk}/").status_code,
        key_client.post(f"/api/v1/webhook-deliveries/{beta_delivery.pk}/redeliver/").status_code,
        key_client.get(f"/api/v1/webhook-events/{event.pk}/").status_code,
    ]
    listed = key_client.get(BASE).json()["results"]

    assert set(answers) == {404}
    assert listed == []
    with beta.context():
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).description == ""
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1


def test_betas_key_is_refused_on_alphas_host(alpha, beta):
    client = _key_client(beta, host_firm=alpha)

    assert client.get(BASE).status_code == 401
