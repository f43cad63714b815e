"""API keys: made by a firm administrator, shown once, stored hashed, revocable, firm-bound."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import FirmAPIKey
from api.services import api_key_create, api_key_revoke
from clients.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(firm, email, password=PASSWORD):
    client = firm.client()
    assert client.post("/connexion/", {"username": email, "password": password}).status_code == 302
    return client


def test_a_firm_administrator_creates_a_key_shown_once(alpha):
    client = _signed_in(alpha, alpha.admin_email)

    created = client.post("/api/v1/api-keys/", {"name": "Logiciel de production"})
    listed = client.get("/api/v1/api-keys/")

    secret = created.json()["key"]
    assert created.status_code == 201
    assert "key" not in listed.json()[0]
    with alpha.context():
        stored = FirmAPIKey.objects.get(prefix=created.json()["prefix"])
        assert secret not in (stored.hashed_key, stored.id)
        assert stored.is_valid(secret)
    used = alpha.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert used.status_code == 200


def test_a_revoked_key_is_refused(alpha):
    client = _signed_in(alpha, alpha.admin_email)
    created = client.post("/api/v1/api-keys/", {"name": "Ancienne intégration"}).json()

    revoked = client.delete(f"/api/v1/api-keys/{created['prefix']}/")
    used = alpha.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {created['key']}")

    assert revoked.status_code == 204
    assert used.status_code == 401


def test_an_expired_key_is_refused(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        key, secret = api_key_create(
            actor=admin, name="expirée", expires_at=timezone.now() + timedelta(days=1)
        )
        FirmAPIKey.objects.filter(pk=key.pk).update(
            expiry_date=timezone.now() - timedelta(minutes=1)
        )

    used = alpha.client().get(
        "/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert used.status_code == 401
    assert used["Content-Type"] == "application/problem+json"
    assert used.json()["detail"] == "This API key has expired."


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer ", "Bearer abc.def", "Token x"])
def test_a_malformed_or_unknown_key_is_refused(alpha, header):
    response = alpha.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_a_person_who_is_not_firm_administrator_cannot_manage_keys(alpha):
    with alpha.context():
        UserFactory(email="comptable@alpha.example", firm_role=User.FirmRole.ACCOUNTANT)
        UserFactory(email="client@alpha.example")
    for email in ("comptable@alpha.example", "client@alpha.example"):
        client = _signed_in(alpha, email)

        created = client.post("/api/v1/api-keys/", {"name": "tentative"})
        listed = client.get("/api/v1/api-keys/")

        assert created.status_code == 403
        assert listed.status_code == 403
    with alpha.context():
        assert not FirmAPIKey.objects.filter(name="tentative").exists()


def test_an_api_key_cannot_mint_keys(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        _key, secret = api_key_create(actor=admin, name="intégration")

    response = alpha.client().post(
        "/api/v1/api-keys/", {"name": "clone"}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert response.status_code == 403


def test_anonymous_gets_401_in_problem_details(alpha):
    response = alpha.client().get("/api/v1/api-keys/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["title"]


def test_a_key_without_a_name_gets_a_field_error_in_french(alpha):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post("/api/v1/api-keys/", {"name": ""})

    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "name"
    assert body["errors"][0]["message"] == "Ce champ ne peut être vide."


def test_a_key_without_a_name_gets_a_field_error_in_english(alpha):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post("/api/v1/api-keys/", {"name": ""}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["errors"][0]["message"] == "This field may not be blank."


def test_keys_of_firm_a_are_not_listed_or_revocable_on_firm_b(alpha, beta):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        key, _secret = api_key_create(actor=admin, name="alpha seulement")
    b_client = _signed_in(beta, beta.admin_email)

    listed = b_client.get("/api/v1/api-keys/").json()
    revoked = b_client.delete(f"/api/v1/api-keys/{key.prefix}/")

    assert all(entry["name"] != "alpha seulement" for entry in listed)
    assert revoked.status_code == 404
    with alpha.context():
        key.refresh_from_db()
        assert key.revoked is False


def test_a_key_is_created_with_scopes_and_an_expiry_date(alpha):
    client = _signed_in(alpha, alpha.admin_email)
    expiry = (timezone.now() + timedelta(days=30)).isoformat()

    created = client.post(
        "/api/v1/api-keys/",
        {"name": "Lecture", "scopes": ["companies:read", "invoicing:write"], "expiry_date": expiry},
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["scopes"] == ["companies:read", "invoicing:write"]
    with alpha.context():
        stored = FirmAPIKey.objects.get(prefix=created.json()["prefix"])
        assert stored.scopes == ["companies:read", "invoicing:write"]
        assert stored.expiry_date is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["companies:admin"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "expiry_date": "2001-01-01T00:00:00Z"}, "expiry_date"),
        ({"name": "x", "expiry_date": "demain"}, "expiry_date"),
    ],
)
def test_bad_scopes_or_expiry_get_a_field_error(alpha, body, field):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post("/api/v1/api-keys/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith(field)
    with alpha.context():
        assert not FirmAPIKey.objects.filter(name="x").exists()


def test_a_key_without_scopes_may_read_and_write_every_group(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        key, _secret = api_key_create(actor=admin, name="tout")

    assert key.scopes == [
        "companies:write",
        "people:write",
        "entitlements:write",
        "invoicing:write",
        "webhooks:write",
        "payments:write",
    ]


def test_use_records_when_and_from_where(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        key, secret = api_key_create(actor=admin, name="trace")

    alpha.client().get(
        "/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="203.0.113.7"
    )

    with alpha.context():
        key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_used_ip == "203.0.113.7"


def test_a_revoked_key_is_refused_with_a_problem_saying_so(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        key, secret = api_key_create(actor=admin, name="révoquée")
        api_key_revoke(actor=admin, key=key)

    used = alpha.client().get(
        "/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert used.status_code == 401
    assert used.json()["detail"] == "This API key is revoked."


def test_a_key_of_firm_b_is_unknown_on_firm_a(alpha, beta):
    with beta.context():
        admin = User.objects.get(email=beta.admin_email)
        _key, secret = api_key_create(actor=admin, name="bêta")

    used = alpha.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert used.status_code == 401
    assert used["Content-Type"] == "application/problem+json"
