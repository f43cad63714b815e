"""The back-office Webhooks pages: firm administrators only; secret shown once; the log."""

from __future__ import annotations

import pytest
from django.test import Client

from clients.models import User
from tests.factories import PASSWORD, UserFactory
from webhooks import events, services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"


def _signed_in(firm, email: str) -> Client:
    client = firm.client()
    assert client.post("/connexion/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def admin_client(alpha) -> Client:
    return _signed_in(alpha, alpha.admin_email)


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(alpha, admin_client):
    response = admin_client.post(
        "/cabinet/webhooks/nouveau/",
        {"url": PUBLIC_URL, "event_types": ["invoice.issued"], "is_active": "on"},
    )
    with alpha.context():
        endpoint = WebhookEndpoint.objects.get()
    detail = admin_client.get(f"/cabinet/webhooks/{endpoint.pk}/")
    listing = admin_client.get("/cabinet/webhooks/")

    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in detail.content.decode()
    assert PUBLIC_URL in listing.content.decode()


def test_a_private_address_is_refused_on_the_url_field(alpha, admin_client):
    response = admin_client.post(
        "/cabinet/webhooks/nouveau/",
        {"url": "https://169.254.169.254/", "event_types": ["invoice.issued"]},
    )

    assert response.status_code == 400
    assert "url_error" in response.content.decode()
    with alpha.context():
        assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_codes_and_times_and_an_event_is_sent_again(alpha, admin_client):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        endpoint, _secret = services.endpoint_create(
            actor=admin, url=PUBLIC_URL, event_types=["company.created"]
        )
        events.emit("company.created", {"id": 1})
        row = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=row.pk).update(
            status="failed", response_status=503, response_ms=842
        )

    page = admin_client.get(f"/cabinet/webhooks/{endpoint.pk}/?status=failed")
    sent = admin_client.post(f"/cabinet/webhooks/{endpoint.pk}/envois/{row.pk}/renvoyer/")

    html = page.content.decode()
    assert "503" in html and "842 ms" in html and "company.created" in html
    assert sent.status_code == 302
    with alpha.context():
        assert WebhookDelivery.objects.filter(status="pending").count() == 1


def test_rotating_shows_the_new_secret(alpha, admin_client):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        endpoint, old = services.endpoint_create(
            actor=admin, url=PUBLIC_URL, event_types=["company.created"]
        )

    response = admin_client.post(f"/cabinet/webhooks/{endpoint.pk}/secret/")

    with alpha.context():
        endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()


def test_an_accountant_gets_404_everywhere(alpha):
    with alpha.context():
        UserFactory(email="compta@alpha.example", password=PASSWORD, firm_role="accountant")
        admin = User.objects.get(email=alpha.admin_email)
        endpoint, _secret = services.endpoint_create(
            actor=admin, url=PUBLIC_URL, event_types=["company.created"]
        )
    client = _signed_in(alpha, "compta@alpha.example")

    answers = [
        client.get("/cabinet/webhooks/").status_code,
        client.get(f"/cabinet/webhooks/{endpoint.pk}/").status_code,
        client.post(f"/cabinet/webhooks/{endpoint.pk}/secret/").status_code,
        client.post(f"/cabinet/webhooks/{endpoint.pk}/supprimer/").status_code,
    ]

    assert set(answers) == {404}
    with alpha.context():
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_betas_endpoint_is_404_on_alphas_back_office(beta, admin_client):
    with beta.context():
        admin = User.objects.get(email=beta.admin_email)
        endpoint, _secret = services.endpoint_create(
            actor=admin, url=PUBLIC_URL, event_types=["company.created"]
        )

    answers = [
        admin_client.get(f"/cabinet/webhooks/{endpoint.pk}/").status_code,
        admin_client.post(f"/cabinet/webhooks/{endpoint.pk}/supprimer/").status_code,
    ]

    assert set(answers) == {404}
    with beta.context():
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
