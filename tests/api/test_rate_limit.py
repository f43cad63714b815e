"""Rate limit per API key and per signed-in person: 120 requests a minute unless the firm
sets its own; past it, 429 with Retry-After; the X-RateLimit-* headers on every answer."""

import time

import pytest

from api import throttling
from api.services import api_key_create, api_settings_update
from clients.models import User
from tenants.errors import DomainError
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PATH = "/api/v1/applications/"


@pytest.fixture
def minute(monkeypatch):
    """The clock stands 10 seconds into a minute; `minute.advance(s)` moves it."""

    class Clock:
        now = (int(time.time()) // 60) * 60 + 10.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(throttling, "clock", lambda: clock.now)
    return clock


def _secret(firm) -> str:
    with firm.context():
        admin = User.objects.get(email=firm.admin_email)
        _row, secret = api_key_create(actor=admin, name="cadence")
    return secret


def _firm_limit(firm, per_minute: int) -> None:
    with firm.context():
        admin = User.objects.get(email=firm.admin_email)
        api_settings_update(actor=admin, rate_limit_per_minute=per_minute)


def _get(firm, secret):
    return firm.client().get(PATH, HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")


def test_the_121st_request_of_a_minute_is_refused(alpha, minute):
    secret = _secret(alpha)

    answers = [_get(alpha, secret) for _ in range(121)]

    assert {answer.status_code for answer in answers[:120]} == {200}
    refused = answers[120]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert refused["Retry-After"] == "50"
    assert refused["X-RateLimit-Limit"] == "120"
    assert refused["X-RateLimit-Remaining"] == "0"


def test_every_answer_tells_the_limit_and_what_remains(alpha, minute):
    secret = _secret(alpha)

    first = _get(alpha, secret)
    second = _get(alpha, secret)

    assert first["X-RateLimit-Limit"] == "120"
    assert first["X-RateLimit-Remaining"] == "119"
    assert second["X-RateLimit-Remaining"] == "118"
    assert int(first["X-RateLimit-Reset"]) == int(minute.now) - 10 + 60


def test_another_key_is_not_slowed_down(alpha, minute):
    busy, quiet = _secret(alpha), _secret(alpha)
    for _ in range(121):
        _get(alpha, busy)

    assert _get(alpha, busy).status_code == 429
    assert _get(alpha, quiet).status_code == 200


def test_the_next_minute_starts_afresh(alpha, minute):
    _firm_limit(alpha, 2)
    secret = _secret(alpha)
    for _ in range(3):
        _get(alpha, secret)

    minute.advance(60)

    assert _get(alpha, secret).status_code == 200


def test_a_firm_with_a_limit_of_5_refuses_the_6th(alpha, beta, minute):
    _firm_limit(alpha, 5)
    secret, beta_secret = _secret(alpha), _secret(beta)

    answers = [_get(alpha, secret).status_code for _ in range(6)]
    beta_answers = [_get(beta, beta_secret).status_code for _ in range(6)]

    assert answers == [200] * 5 + [429]
    assert beta_answers == [200] * 6


def test_a_signed_in_person_is_limited_too(alpha, minute):
    _firm_limit(alpha, 3)
    with alpha.context():
        person = UserFactory(email="presse@alpha.example")
        person.set_password(PASSWORD)
        person.save()
    client = alpha.client()
    client.post("/connexion/", {"username": person.email, "password": PASSWORD})

    answers = [client.get(PATH).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]


def test_refused_requests_are_not_counted(alpha, minute):
    _firm_limit(alpha, 1)

    anonymous = [alpha.client().get(PATH).status_code for _ in range(3)]

    assert anonymous == [401, 401, 401]
    assert "X-RateLimit-Limit" not in alpha.client().get(PATH)


@pytest.mark.parametrize("value", [0, 100_001])
def test_a_firm_limit_out_of_range_is_refused(alpha, value):
    with alpha.context(), pytest.raises(DomainError) as refused:
        api_settings_update(
            actor=User.objects.get(email=alpha.admin_email), rate_limit_per_minute=value
        )

    assert refused.value.field == "rate_limit_per_minute"
