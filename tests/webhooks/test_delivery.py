"""One attempt at a time, against the real receiver on loopback: signature, outcome,
the next attempt's schedule, disabling after days of failures."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from clients.models import User
from tests.factories import UserFactory
from tests.webhooks.receiver import signature_valid
from webhooks import delivery, events, services
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def _endpoint(alpha, url: str, types=("company.created",)) -> tuple[WebhookEndpoint, str]:
    admin = User.objects.get(email=alpha.admin_email)
    return services.endpoint_create(actor=admin, url=url, event_types=list(types))


def _emit_one(endpoint: WebhookEndpoint) -> WebhookDelivery:
    events.emit("company.created", {"id": 7, "legal_name": "Boulangerie Martin"})
    return WebhookDelivery.objects.filter(endpoint=endpoint).latest("id")


def test_the_post_is_signed_as_documented_and_carries_the_event(alpha, receiver):
    with alpha.context():
        endpoint, secret = _endpoint(alpha, receiver.url)
        pending = _emit_one(endpoint)

        outcome = delivery.delivery_attempt(pending.pk)

        pending.refresh_from_db()
    [got] = receiver.received
    assert outcome == "succeeded"
    assert signature_valid(secret, got.headers["Comptoir-Signature"], got.body)
    assert got.headers["Comptoir-Webhook-Id"] == str(pending.event_id)
    assert got.headers["Comptoir-Signature"].startswith(
        f"t={got.headers['Comptoir-Webhook-Timestamp']},v1="
    )
    assert got.json["type"] == "company.created"
    assert got.json["id"] == str(pending.event_id)
    assert got.json["data"] == {"id": 7, "legal_name": "Boulangerie Martin"}
    assert set(got.json) == {"id", "type", "created_at", "data"}
    assert (pending.status, pending.response_status, pending.response_body) == (
        "succeeded",
        200,
        "ok",
    )
    assert pending.response_ms is not None and pending.delivered_at is not None


def test_a_wrong_secret_does_not_verify(alpha, receiver):
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        delivery.delivery_attempt(_emit_one(endpoint).pk)
    [got] = receiver.received
    assert not signature_valid("whsec_other", got.headers["Comptoir-Signature"], got.body)
    assert not signature_valid(_secret, got.headers["Comptoir-Signature"], got.body + b" ")


def test_a_failure_is_logged_and_the_next_attempt_scheduled(alpha, receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [60, 300]
    receiver.fail_first = 10
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        first = _emit_one(endpoint)
        before = timezone.now()

        delivery.delivery_attempt(first.pk)

        first.refresh_from_db()
        endpoint.refresh_from_db()
        second = WebhookDelivery.objects.get(endpoint=endpoint, attempt=2)
        not_yet = delivery.delivery_attempt(second.pk)
    assert first.status == "failed" and first.response_status == 500
    assert len(first.response_body) == 1024  # an excerpt of the 2000 bytes answered
    assert endpoint.failing_since is not None and endpoint.is_active
    assert second.status == "pending"
    wait = (second.next_attempt_at - before).total_seconds()
    assert 60 <= wait <= 60 * 1.2 + 2  # the first step of the schedule, with jitter
    assert not_yet == "not due"
    assert len(receiver.received) == 1


def test_the_schedule_ends_with_the_last_failure(alpha, receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [0, 0]
    receiver.fail_first = 10
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        _emit_one(endpoint)
        for attempt in (1, 2, 3):
            row = WebhookDelivery.objects.get(endpoint=endpoint, attempt=attempt)
            delivery.delivery_attempt(row.pk)

        rows = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("attempt"))
    assert [(r.attempt, r.status) for r in rows] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert rows[-1].next_attempt_at is None
    assert len(receiver.received) == 3


def test_a_success_ends_the_failing_streak(alpha, receiver, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = [0]
    receiver.fail_first = 1
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        _emit_one(endpoint)
        delivery.delivery_attempt(WebhookDelivery.objects.get(endpoint=endpoint, attempt=1).pk)
        endpoint.refresh_from_db()
        streak = endpoint.failing_since

        delivery.delivery_attempt(WebhookDelivery.objects.get(endpoint=endpoint, attempt=2).pk)

        endpoint.refresh_from_db()
    assert streak is not None
    assert endpoint.failing_since is None


def test_an_endpoint_failing_for_three_days_is_disabled_and_the_admins_told_in_their_language(
    alpha, receiver, django_capture_on_commit_callbacks
):
    receiver.fail_first = 10
    with alpha.context():
        UserFactory(email="second-admin@alpha.example", firm_role="admin", language="en")
        UserFactory(email="accountant@alpha.example", firm_role="accountant")
        endpoint, _secret = _endpoint(alpha, receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - datetime.timedelta(days=3, minutes=1)
        )
        pending = _emit_one(endpoint)

        with django_capture_on_commit_callbacks(execute=True):
            delivery.delivery_attempt(pending.pk)

        endpoint.refresh_from_db()
        retried = WebhookDelivery.objects.filter(endpoint=endpoint, attempt=2).exists()
    assert not endpoint.is_active
    assert "3" in endpoint.disabled_reason
    assert not retried
    assert len(receiver.received) == 1
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert set(subjects) == {alpha.admin_email, "second-admin@alpha.example"}
    assert subjects["second-admin@alpha.example"].startswith("A webhook endpoint was disabled")
    assert receiver.url in mail.outbox[0].body


def test_an_endpoint_failing_for_less_than_three_days_stays_on(alpha, receiver):
    receiver.fail_first = 10
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - datetime.timedelta(days=2, hours=23)
        )

        delivery.delivery_attempt(_emit_one(endpoint).pk)

        endpoint.refresh_from_db()
    assert endpoint.is_active


def test_nothing_is_posted_to_a_disabled_endpoint(alpha, receiver):
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        pending = _emit_one(endpoint)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

        outcome = delivery.delivery_attempt(pending.pk)

        pending.refresh_from_db()
    assert outcome == "disabled"
    assert pending.status == "failed"
    assert receiver.received == []


def test_nobody_listening_writes_nothing(alpha, receiver):
    with alpha.context():
        _endpoint(alpha, receiver.url, types=["invoice.issued"])

        event = events.emit("company.created", {"id": 1})

        assert event is None
        assert not WebhookDelivery.objects.exists()


def test_an_unknown_event_type_is_a_programming_error(alpha):
    with alpha.context(), pytest.raises(ValueError):
        events.emit("company.exploded", {})


def test_a_redelivery_sends_the_same_event_again(alpha, receiver):
    with alpha.context():
        endpoint, _secret = _endpoint(alpha, receiver.url)
        first = _emit_one(endpoint)
        delivery.delivery_attempt(first.pk)
        admin = User.objects.get(email=alpha.admin_email)

        again = services.delivery_redeliver(actor=admin, delivery=first)
        delivery.delivery_attempt(again.pk)

        again.refresh_from_db()
    assert again.status == "succeeded" and again.attempt == 1
    assert [r.json["id"] for r in receiver.received] == [str(first.event_id)] * 2


def test_payload_serialises_decimals_and_dates(alpha):
    with alpha.context():
        event = WebhookEvent.objects.create(
            type="invoice.issued",
            data={"total": Decimal("12.30"), "due": datetime.date(2026, 2, 1)},
        )
        event.refresh_from_db()

        body = json.loads(delivery.payload(event))
    assert body["data"] == {"total": "12.30", "due": "2026-02-01"}


def test_a_firm_without_webhooks_pays_no_query_for_its_events(alpha, django_assert_num_queries):
    with alpha.context():
        events.emit("company.created", {"id": 1})  # fills the cache of subscribed types

        with django_assert_num_queries(0):
            events.emit("company.created", {"id": 2})
            events.emit("invoice.issued", {"id": 3})


def test_a_new_endpoint_is_seen_by_the_next_event_at_once(alpha, receiver):
    with alpha.context():
        events.emit("company.created", {"id": 1})
        endpoint, _secret = _endpoint(alpha, receiver.url)

        event = events.emit("company.created", {"id": 2})

        assert event is not None
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
