"""A real Celery worker delivers every event to a real receiver that fails at first: each one
arrives, signed, once the receiver recovers. A firm of its own, with committed data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django_tenants.utils import schema_context

from clients import services as clients
from clients.models import User
from saas.celery import app as celery_app
from tenants.models import Firm
from tests.factories import siren
from tests.webhooks.receiver import Receiver, signature_valid
from tests.workers import committed_firm, wait_until
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db
SLUG = "crochets"


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Committed data: the worker's thread has its own connection."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def firm() -> Iterator[Firm]:
    with committed_firm(slug=SLUG, name="Cabinet Crochets", siren="552100554") as made:
        yield made


@pytest.fixture
def worker_in_thread() -> Iterator[None]:
    celery_app.control.purge()
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ):
        yield
    celery_app.control.purge()
    connection.set_schema_to_public()


def test_every_event_is_delivered_signed_despite_the_first_failures(
    firm, receiver: Receiver, worker_in_thread
):
    receiver.fail_first = 4
    with schema_context(firm.schema_name):
        admin = User.objects.get(email="admin@crochets.example")
        endpoint, secret = services.endpoint_create(
            actor=admin, url=receiver.url, event_types=["company.created", "company.updated"]
        )
        made = [
            clients.company_create(legal_name=f"Client {i}", siren=siren(20_000 + i))
            for i in range(3)
        ]
        clients.company_update(actor=admin, company=made[0], city="Lyon")
        emitted = set(WebhookEvent.objects.values_list("id", flat=True))

        done = wait_until(
            lambda: WebhookDelivery.objects.filter(status="succeeded").count() == 4,
            timeout=60,
            every=0.5,
        )
        failed = WebhookDelivery.objects.filter(status="failed").count()
        endpoint.refresh_from_db()

    assert done, [(r.answered, r.json["type"]) for r in receiver.received]
    assert len(emitted) == 4
    accepted = [r for r in receiver.received if r.answered == 200]
    assert {r.json["id"] for r in accepted} == {str(pk) for pk in emitted}
    assert all(signature_valid(secret, r.headers["Comptoir-Signature"], r.body) for r in accepted)
    assert failed == 4 == sum(1 for r in receiver.received if r.answered == 500)
    assert endpoint.failing_since is None and endpoint.is_active
    updated = next(r.json for r in accepted if r.json["type"] == "company.updated")
    assert updated["data"]["city"] == "Lyon" and updated["data"]["changed"] == ["city"]
