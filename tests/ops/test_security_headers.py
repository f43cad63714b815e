"""Hardening seen from the browser: the Content Security Policy (no inline script, the firm's
colour under a nonce), HSTS and the HTTPS redirect, and cookies that are Secure, HttpOnly,
SameSite and kept to the firm's own host, under the settings production gets."""

import json
import re

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.factories import PASSWORD, UserFactory
from tests.ops.conftest import DJANGO, run_python

pytestmark = pytest.mark.django_db

PRODUCTION = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_NAME",
    "LANGUAGE_COOKIE_SECURE",
]


@pytest.fixture(scope="module")
def production() -> dict:
    """The settings above as a production process computes them (DEBUG off, HTTPS on)."""
    code = DJANGO + (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {PRODUCTION!r}}}))"
    )
    values = json.loads(run_python(code, DJANGO_DEBUG="0", HTTPS="1").stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_policy_upgrades_insecure_requests():
    code = DJANGO + (
        "from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['upgrade-insecure-requests'])"
    )

    assert run_python(code, DJANGO_DEBUG="0", HTTPS="1").stdout.strip() == "True"


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.strip().split() for part in policy.split(";") if part.strip())
    }


def test_a_firm_page_has_a_policy_without_inline_script(alpha):
    response = alpha.client().get("/connexion/")

    csp = _directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert not re.search(r"\son[a-z]+=", html), "an inline event handler"


def test_the_firm_colour_style_carries_the_policy_nonce(alpha):
    first = alpha.client().get("/connexion/")
    second = alpha.client().get("/connexion/")

    nonces = []
    for response in (first, second):
        html = response.content.decode()
        (style_nonce,) = re.findall(r'<style nonce="([^"]+)">:root \{ --firm-colour', html)
        assert f"'nonce-{style_nonce}'" in _directives(response)["style-src"]
        nonces.append(style_nonce)
    assert nonces[0] != nonces[1]


def test_the_public_site_has_the_policy_and_forms_may_go_to_a_firm_host():
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/")

    csp = _directives(response)
    assert csp["script-src"] == ["'self'"]
    # Stripe's Checkout takes the redirect of the "pay by card" forms.
    assert csp["form-action"] == [
        "'self'",
        f"*.{settings.BASE_DOMAIN}",
        "https://checkout.stripe.com",
    ]


def test_only_the_api_reference_pages_allow_inline_code(alpha):
    docs = alpha.client().get("/api/v1/docs/")
    api = alpha.client().get("/api/v1/companies/")

    assert "'unsafe-inline'" in _directives(docs)["script-src"]
    assert "'unsafe-inline'" not in api["Content-Security-Policy"]


def test_other_headers_on_a_firm_page(alpha):
    response = alpha.client().get("/connexion/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_production_settings_send_hsts_and_redirect_plain_http(alpha, production):
    with override_settings(**production):
        plain = alpha.client().get("/connexion/")
        secure = alpha.client().get("/connexion/", HTTP_X_FORWARDED_PROTO="https")
        probe = alpha.client().get("/healthz")

    assert plain.status_code == 301
    assert plain["Location"] == f"https://{alpha.host}/connexion/"
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert probe.status_code == 200, "the kubelet probes pods over plain HTTP"


def test_production_cookies_are_secure_httponly_samesite_and_host_only(alpha, production):
    with alpha.context():
        user = UserFactory()
    https = {"HTTP_X_FORWARDED_PROTO": "https"}
    with override_settings(**production):
        client = alpha.client()
        page = client.get("/connexion/", **https)
        signed_in = client.post(
            "/connexion/", {"username": user.email, "password": PASSWORD}, **https
        )
        language = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, **https)

    assert signed_in.status_code == 302
    cookies = {
        "__Host-csrftoken": page.cookies["__Host-csrftoken"],
        "__Host-sessionid": signed_in.cookies["__Host-sessionid"],
        settings.LANGUAGE_COOKIE_NAME: language.cookies[settings.LANGUAGE_COOKIE_NAME],
    }
    for name, cookie in cookies.items():
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name
        assert cookie["domain"] == "", name
        assert cookie["path"] == "/", name


def test_development_cookies_keep_their_usual_names_and_stay_on_the_host(alpha):
    with alpha.context():
        user = UserFactory()
    client = alpha.client()

    response = client.post("/connexion/", {"username": user.email, "password": PASSWORD})

    cookie = response.cookies["sessionid"]
    assert cookie["domain"] == ""
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
