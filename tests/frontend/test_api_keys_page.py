"""Cabinet › API: keys with scopes and expiry, shown once, revoked; the firm's rate limit."""

from __future__ import annotations

import re

import pytest

from api.models import APISettings, FirmAPIKey
from clients.models import Membership, User
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def _signed_in(firm, email, *, language="fr"):
    with firm.context():
        User.objects.filter(email=email).update(language=language)
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def _create(client, **fields):
    return client.post("/cabinet/api/", {"create": "1", "name": "ERP", **fields})


def test_a_key_is_shown_once_and_holds_only_its_scopes(alpha):
    client = _signed_in(alpha, alpha.admin_email)

    response = _create(client, scopes=["companies:read"])

    assert response.status_code == 200
    secret = re.search(r'<code id="api-key">([^<]+)</code>', response.content.decode()).group(1)
    api = alpha.client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/companies/").status_code == 200
    assert api.post("/api/v1/companies/", {}, content_type="application/json").status_code == 403
    assert secret not in client.get("/cabinet/api/").content.decode()
    with alpha.context():
        assert FirmAPIKey.objects.get(name="ERP").scopes == ["companies:read"]


def test_a_revoked_key_is_refused(alpha):
    client = _signed_in(alpha, alpha.admin_email)
    body = _create(client, scopes=["companies:write"]).content.decode()
    secret = re.search(r'<code id="api-key">([^<]+)</code>', body).group(1)
    with alpha.context():
        key = FirmAPIKey.objects.get(name="ERP")

    response = client.post(f"/cabinet/api/{key.pk}/revoquer/")

    assert response.status_code == 302
    api = alpha.client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/companies/").status_code == 401


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"scopes": []}, "Ce champ est obligatoire."),
        ({"scopes": ["companies:read"], "expires_on": "2001-01-01"}, "futur"),
        ({"scopes": ["nothing:read"]}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_gets_a_field_message_in_french(alpha, fields, field_message):
    client = _signed_in(alpha, alpha.admin_email)

    response = _create(client, **fields)

    assert response.status_code == 400
    assert field_message in response.content.decode()
    with alpha.context():
        assert not FirmAPIKey.objects.filter(name="ERP").exists()


def test_the_rate_limit_is_saved_and_checked(alpha):
    client = _signed_in(alpha, alpha.admin_email)

    refused = client.post("/cabinet/api/", {"rate": "1", "rate_limit_per_minute": "0"})
    saved = client.post("/cabinet/api/", {"rate": "1", "rate_limit_per_minute": "300"})

    assert refused.status_code == 400
    assert saved.status_code == 302
    with alpha.context():
        assert APISettings.objects.get().rate_limit_per_minute == 300


@pytest.mark.parametrize("role", [Membership.Role.ADMIN, Membership.Role.COLLABORATOR])
def test_clients_never_reach_the_keys(alpha, role):
    with alpha.context():
        person = MembershipFactory(role=role).user

    client = _signed_in(alpha, person.email)

    assert client.get("/cabinet/api/").status_code == 404
    assert _create(client, scopes=["companies:write"]).status_code == 404
    with alpha.context():
        assert not FirmAPIKey.objects.filter(name="ERP").exists()


def test_the_other_firm_sees_none_of_these_keys(alpha, beta):
    _create(_signed_in(alpha, alpha.admin_email), scopes=["companies:read"])

    page = _signed_in(beta, beta.admin_email).get("/cabinet/api/").content.decode()

    assert "ERP" not in page
