"""Card payments: the firm's Stripe keys, Stripe's documented event payloads (events/) signed
exactly as Stripe signs them, and the loopback stand-in for Stripe's API (stripe_stub)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from cards.models import CardSettings
from clients.models import Membership, User
from invoicing.models import Invoice
from tests.cards import stripe_stub
from tests.factories import PASSWORD, MembershipFactory, UserFactory

EVENTS = Path(__file__).parent / "events"
SECRET = "whsec_test_alpha_5f1c0a6b2e9d4c7a"
WEBHOOK = "/paiement/carte/webhook/"
_ids = itertools.count(1)


@pytest.fixture
def stripe_api(settings):
    stub, server = stripe_stub.serve()
    settings.STRIPE_API_BASE = stub.base
    yield stub
    server.shutdown()
    server.server_close()


def keys_set(secret: str = SECRET) -> CardSettings:
    """Card payment on for the firm in force (call inside its context)."""
    return CardSettings.objects.create(
        pk=1,
        publishable_key="pk_test_51AlphaPublishable0001",
        secret_key="sk_test_51AlphaSecretKey000000009876",
        webhook_secret=secret,
    )


@pytest.fixture
def cards_on(alpha):
    with alpha.context():
        keys_set()


def event(name: str, **fields: Any) -> dict[str, Any]:
    """Stripe's sample payload `events/<name>.json`, a fresh event id, `fields` set on its
    object (`metadata=None` drops it)."""
    data = copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))
    data["id"] = f"evt_test{next(_ids):08d}"
    data["created"] = int(time.time())
    data["data"]["object"].update(fields)
    return data


def for_invoice(invoice: Invoice, intent: str = "pi_test_1", **extra: str) -> dict[str, str]:
    return {
        "invoice": str(invoice.pk),
        "invoice_number": invoice.number,
        "company": str(invoice.company_id),
        "firm": connection.schema_name,
        **extra,
    }


def signature(payload: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature as Stripe writes it: t=<timestamp>,v1=HMAC-SHA256(secret, "t.payload")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(firm, data: dict[str, Any], *, secret: str = SECRET, header: str | None = None):
    payload = json.dumps(data).encode()
    client = firm.client()
    extra = {} if header == "" else {"HTTP_STRIPE_SIGNATURE": header or signature(payload, secret)}
    return client.post(WEBHOOK, data=payload, content_type="application/json", **extra)


def signed_in(firm, email: str, *, language: str = "fr"):
    with firm.context():
        User.objects.filter(email=email).update(language=language)
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def client_admin(company, **fields) -> User:
    person = UserFactory(**fields)
    MembershipFactory(user=person, company=company, role=Membership.Role.ADMIN)
    return person
