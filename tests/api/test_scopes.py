"""Scopes: a key reaches only the groups it was given, read or read-write; people keep their
role's rights; every API view declares its group."""

import pytest
from django.urls import get_resolver
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api import scopes
from api.services import api_key_create
from clients.models import Company, User
from tests.api.test_guard import _api_views
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

DOCUMENTATION = (SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView)


def _key(firm, *granted: str) -> str:
    with firm.context():
        admin = User.objects.get(email=firm.admin_email)
        _row, secret = api_key_create(actor=admin, name="portée", scopes=list(granted))
    return secret


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


NEW_COMPANY = {"legal_name": "Boulangerie Martin", "siren": "732829320"}


def test_every_api_view_declares_its_scope_group():
    views = list(_api_views(get_resolver("saas.urls_tenant").url_patterns))

    undeclared = [
        route
        for route, view in views
        if not issubclass(view, DOCUMENTATION) and not scopes.declared(view)
    ]

    assert len(views) > 4
    assert undeclared == []


def test_a_read_scope_reads_but_does_not_write(alpha):
    secret = _key(alpha, "companies:read")

    listed = alpha.client().get("/api/v1/companies/", **_bearer(secret))
    created = alpha.client().post(
        "/api/v1/companies/", NEW_COMPANY, content_type="application/json", **_bearer(secret)
    )

    assert listed.status_code == 200
    assert created.status_code == 403
    assert created["Content-Type"] == "application/problem+json"
    assert created.json()["detail"] == "This API key lacks the scope companies:write."
    with alpha.context():
        assert not Company.objects.filter(siren="732829320").exists()


def test_a_write_scope_reads_and_writes(alpha):
    secret = _key(alpha, "companies:write")

    created = alpha.client().post(
        "/api/v1/companies/", NEW_COMPANY, content_type="application/json", **_bearer(secret)
    )
    listed = alpha.client().get("/api/v1/companies/", **_bearer(secret))

    assert created.status_code == 201, created.content
    assert listed.status_code == 200


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/api/v1/users/", "people:read"),
        ("/api/v1/memberships/", "people:read"),
        ("/api/v1/applications/", "entitlements:read"),
        ("/api/v1/subscriptions/", "entitlements:read"),
        ("/api/v1/grants/", "entitlements:read"),
        ("/api/v1/audit-events/", "entitlements:read"),
        ("/api/v1/invoices/", "invoicing:read"),
        ("/api/v1/credit-notes/", "invoicing:read"),
        ("/api/v1/billing-runs/", "invoicing:read"),
    ],
)
def test_a_key_without_the_group_is_refused_naming_the_scope(alpha, path, scope):
    outsider = _key(alpha, "companies:write")
    insider = _key(alpha, scope)

    refused = alpha.client().get(path, **_bearer(outsider))
    allowed = alpha.client().get(path, **_bearer(insider))

    assert refused.status_code == 403
    assert scope in refused.json()["detail"]
    assert allowed.status_code == 200


def test_no_scope_lets_a_key_manage_keys(alpha):
    secret = _key(alpha, *scopes.EVERYTHING)

    response = alpha.client().get("/api/v1/api-keys/", **_bearer(secret))

    assert response.status_code == 403
    assert response.json()["detail"] == "API keys cannot be used here."


def test_scopes_do_not_apply_to_a_signed_in_person(alpha):
    client = alpha.client()
    signed_in = client.post("/connexion/", {"username": alpha.admin_email, "password": PASSWORD})

    response = client.get("/api/v1/companies/")

    assert signed_in.status_code == 302
    assert response.status_code == 200


def test_a_scoped_key_of_another_firm_is_unknown(alpha, beta):
    secret = _key(beta, "companies:read")

    response = alpha.client().get("/api/v1/companies/", **_bearer(secret))

    assert response.status_code == 401


def test_required_scope_follows_the_method_and_the_overrides():
    class Report:
        scope_group = "invoicing"
        required_scopes = {"POST": "invoicing:read"}

    class Undeclared:
        pass

    assert scopes.required_scope(Report, "GET") == "invoicing:read"
    assert scopes.required_scope(Report, "POST") == "invoicing:read"
    assert scopes.required_scope(Report, "DELETE") == "invoicing:write"
    assert scopes.required_scope(Undeclared, "GET") is None


def test_the_schema_names_scopes_idempotency_and_rate_limits(alpha):
    schema = alpha.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    companies = schema["paths"]["/api/v1/companies/"]
    keys = schema["paths"]["/api/v1/api-keys/"]
    assert companies["get"]["x-required-scope"] == "companies:read"
    assert companies["post"]["x-required-scope"] == "companies:write"
    assert "x-required-scope" not in keys["get"]
    headers = [p["name"] for p in companies["post"]["parameters"] if p["in"] == "header"]
    assert "Idempotency-Key" in headers
    assert not [p for p in companies["get"].get("parameters", []) if p["name"] == "Idempotency-Key"]
    assert "Retry-After" in companies["get"]["responses"]["429"]["headers"]
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert set(scheme["x-scopes"]) == set(scopes.ALL_SCOPES)
