"""Webhooks go to public addresses only, checked at registration and again at each delivery."""

from __future__ import annotations

import pytest

from clients.models import User
from tenants.errors import DomainError
from webhooks import delivery, events, services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

REFUSED = [
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://192.168.1.10/hook",
    "https://172.16.0.1/hook",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fe80::1]/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://100.64.0.1/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fc00::1]/hook",
    "https://localhost/hook",
    "https://localhost:8443/hook",
]


def _admin(alpha) -> User:
    return User.objects.get(email=alpha.admin_email)


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(alpha, url):
    with alpha.context(), pytest.raises(DomainError) as refused:
        services.endpoint_create(actor=_admin(alpha), url=url, event_types=["company.created"])

    assert refused.value.field == "url"
    assert refused.value.code == "private_address"


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/hook", "ftp://93.184.216.34/", "https://", "https://u:p@1.1.1.1/"]
)
def test_plain_http_other_schemes_and_credentials_in_the_url_are_refused(alpha, url):
    with alpha.context(), pytest.raises(DomainError) as refused:
        services.endpoint_create(actor=_admin(alpha), url=url, event_types=["company.created"])

    assert refused.value.field == "url"


def test_a_public_address_is_accepted(alpha):
    with alpha.context():
        endpoint, secret = services.endpoint_create(
            actor=_admin(alpha), url="https://93.184.216.34/hook", event_types=["company.created"]
        )

    assert endpoint.pk and secret.startswith("whsec_")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("::1", False),
        ("169.254.169.254", False),
        ("::", False),
        ("ff02::1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_address_classification(address, public):
    assert delivery.address_is_public(address) is public


def test_a_host_allowed_at_registration_is_checked_again_at_delivery(alpha, receiver, settings):
    with alpha.context():
        endpoint, _secret = services.endpoint_create(
            actor=_admin(alpha), url=receiver.url, event_types=["company.created"]
        )
        events.emit("company.created", {"id": 1})
        pending = WebhookDelivery.objects.get(endpoint=endpoint)
        settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False  # as if DNS now pointed inside

        delivery.delivery_attempt(pending.pk)

        pending.refresh_from_db()
    assert receiver.received == []
    assert pending.status == "failed"
    assert pending.response_status is None
    assert "priv" in pending.error  # "private" or "privée", as the language in force says


def test_redirects_are_not_followed(alpha, receiver):
    receiver.redirect = True
    with alpha.context():
        endpoint, _secret = services.endpoint_create(
            actor=_admin(alpha), url=receiver.url, event_types=["company.created"]
        )
        events.emit("company.created", {"id": 1})
        pending = WebhookDelivery.objects.get(endpoint=endpoint)

        delivery.delivery_attempt(pending.pk)

        pending.refresh_from_db()
    assert len(receiver.received) == 1
    assert pending.status == "failed" and pending.response_status == 302
