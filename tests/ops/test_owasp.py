"""Checks that docs/security.md leans on and no other test covers: password storage, CSRF,
redirects after sign-in, error pages, outbound requests, and the document itself."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.hashers import identify_hasher

from clients.models import User
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("saas", "tenants", "firms", "clients", "entitlements", "invoicing", "api", "frontend")


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2(alpha):
    with alpha.context():
        user = UserFactory()
        stored = User.objects.get(pk=user.pk).password

    assert identify_hasher(stored).algorithm == "argon2"
    assert PASSWORD not in stored


@pytest.mark.django_db
def test_a_form_post_without_the_csrf_token_is_refused(alpha):
    with alpha.context():
        user = UserFactory()
    client = alpha.client(enforce_csrf_checks=True)

    response = client.post("/connexion/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 403
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "https://beta.localhost/"]
)
def test_sign_in_never_sends_the_person_to_another_site(alpha, target):
    with alpha.context():
        user = UserFactory()

    response = alpha.client().post(
        f"/connexion/?next={target}", {"username": user.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//")), response["Location"]


@pytest.mark.django_db
def test_a_missing_page_shows_no_debugging_detail(alpha):
    response = alpha.client().get("/no-such-page/")

    assert response.status_code == 404
    assert b"Traceback" not in response.content
    assert b"urlpatterns" not in response.content.lower()


def test_no_application_code_makes_http_requests_to_addresses_it_is_given():
    """Server-side request forgery needs a fetch of a caller's URL: there is none. The only
    outbound connections are to the configured database, broker, cache, S3 store and SMTP."""
    fetchers = re.compile(
        r"^\s*(import (requests|httpx|urllib3|aiohttp)|from (requests|httpx|urllib3|aiohttp)\b"
        r"|from urllib\.request import|import urllib\.request|from http\.client import)",
        re.M,
    )
    found = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if fetchers.search(path.read_text())
    ]

    assert found == []


def test_every_test_the_security_document_names_exists():
    document = (ROOT / "docs" / "security.md").read_text()

    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", document)
    assert len(named) >= 30
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.M)
    ]
    assert missing == []
    for number in range(1, 11):
        assert f"## A{number:02d}:2021" in document
