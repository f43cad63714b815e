"""Idempotency-Key on POST and PATCH: a retry gets the first answer, never a second write."""

import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from api import idempotency
from api.services import api_key_create, api_key_revoke
from clients.models import Company, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

COMPANY = {"legal_name": "Boulangerie Martin", "siren": "732829320"}
OTHER = {"legal_name": "Garage Dupont", "siren": "404833048"}


@pytest.fixture
def key(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        row, secret = api_key_create(actor=admin, name="rejeux")
    return row, secret


@pytest.fixture
def post(alpha, key):
    """POST a company with the key; `idem` is the Idempotency-Key."""

    def send(body, idem, secret=None, path="/api/v1/companies/"):
        return alpha.client().post(
            path,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret or key[1]}",
            HTTP_IDEMPOTENCY_KEY=idem,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    return send


def _companies(alpha, siren="732829320") -> int:
    with alpha.context():
        return Company.objects.filter(siren=siren).count()


def test_the_same_request_twice_is_answered_once_and_replayed(alpha, post):
    idem = str(uuid.uuid4())

    first = post(COMPANY, idem)
    second = post(COMPANY, idem)

    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _companies(alpha) == 1


def test_the_same_key_with_another_body_is_refused(alpha, post):
    idem = str(uuid.uuid4())
    post(COMPANY, idem)

    reused = post(OTHER, idem)

    assert reused.status_code == 422
    assert reused["Content-Type"] == "application/problem+json"
    assert reused.json()["detail"] == "Idempotency-Key reused with another request."
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _companies(alpha, "404833048") == 0


def test_another_key_runs_the_request_again(alpha, post):
    first = post(COMPANY, str(uuid.uuid4()))
    second = post(COMPANY, str(uuid.uuid4()))

    assert first.status_code == 201
    assert second.status_code == 400  # the SIREN is taken now: it did run
    assert "Idempotent-Replayed" not in second
    assert _companies(alpha) == 1


def test_a_bad_request_is_replayed_too(alpha, post):
    idem = str(uuid.uuid4())
    bad = {"legal_name": "Sans SIREN", "siren": "123"}

    first = post(bad, idem)
    second = post(bad, idem)

    assert first.status_code == 400
    assert second.status_code == 400
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_after_24_hours_the_key_is_forgotten(alpha, post, monkeypatch):
    idem = str(uuid.uuid4())
    started = idempotency.clock()
    first = post(COMPANY, idem)

    monkeypatch.setattr(idempotency, "clock", lambda: started + 24 * 3600 + 1)
    later = post(COMPANY, idem)

    assert first.status_code == 201
    assert later.status_code == 400  # run again: the SIREN is taken
    assert "Idempotent-Replayed" not in later


def test_within_24_hours_the_key_is_remembered(alpha, post, monkeypatch):
    idem = str(uuid.uuid4())
    started = idempotency.clock()
    post(COMPANY, idem)

    monkeypatch.setattr(idempotency, "clock", lambda: started + 23 * 3600)
    later = post(COMPANY, idem)

    assert later.status_code == 201
    assert later["Idempotent-Replayed"] == "true"


def test_the_same_key_from_another_caller_is_not_replayed(alpha, post):
    idem = str(uuid.uuid4())
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        _row, other_secret = api_key_create(actor=admin, name="autre")
    post(COMPANY, idem)

    other = post(COMPANY, idem, secret=other_secret)

    assert other.status_code == 400
    assert "Idempotent-Replayed" not in other


def test_a_revoked_key_gets_no_replay(alpha, post, key):
    idem = str(uuid.uuid4())
    post(COMPANY, idem)
    with alpha.context():
        api_key_revoke(actor=User.objects.get(email=alpha.admin_email), key=key[0])

    again = post(COMPANY, idem)

    assert again.status_code == 401


def test_a_signed_in_person_gets_replays_too(alpha):
    with alpha.context():
        person = UserFactory(email="admin2@alpha.example", firm_role=User.FirmRole.ADMIN)
        person.set_password(PASSWORD)
        person.save()
    client = alpha.client()
    client.post("/connexion/", {"username": person.email, "password": PASSWORD})
    idem = str(uuid.uuid4())

    first = client.post(
        "/api/v1/companies/", COMPANY, content_type="application/json", HTTP_IDEMPOTENCY_KEY=idem
    )
    second = client.post(
        "/api/v1/companies/", COMPANY, content_type="application/json", HTTP_IDEMPOTENCY_KEY=idem
    )

    assert first.status_code == 201, first.content
    assert second["Idempotent-Replayed"] == "true"
    assert _companies(alpha) == 1


@pytest.mark.parametrize("idem", ["", "x" * 256])
def test_an_unusable_idempotency_key_gets_a_field_error(alpha, post, idem):
    response = post(COMPANY, idem)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert _companies(alpha) == 0


def test_get_ignores_the_header(alpha, key):
    response = alpha.client().get(
        "/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {key[1]}", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response


# The next ones drive the middleware's core directly: a request still running, a server
# error and a Location header are hard to produce on demand through a real endpoint.


def _request(secret: str, idem: str, body: bytes = b'{"a": 1}'):
    return RequestFactory().post(
        "/api/v1/billing-runs/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_IDEMPOTENCY_KEY=idem,
    )


def test_a_request_still_running_with_the_same_key_gets_409(alpha, key):
    idem = str(uuid.uuid4())
    seen = {}

    def first_run(request):
        seen["same"] = idempotency.handle(_request(key[1], idem), lambda r: HttpResponse())
        seen["other"] = idempotency.handle(
            _request(key[1], idem, b'{"a": 2}'), lambda r: HttpResponse()
        )
        return HttpResponse(status=202)

    with alpha.context():
        first = idempotency.handle(_request(key[1], idem), first_run)

    assert first.status_code == 202
    assert seen["same"].status_code == 409
    assert seen["other"].status_code == 422


def test_server_errors_and_throttling_are_not_kept(alpha, key):
    idem = str(uuid.uuid4())
    runs = []

    def failing(status):
        def run(request):
            runs.append(status)
            return HttpResponse(status=status)

        return run

    with alpha.context():
        for status in (500, 503, 429, 409, 202):
            idempotency.handle(_request(key[1], idem), failing(status))
        replayed = idempotency.handle(_request(key[1], idem), failing(201))

    assert runs == [500, 503, 429, 409, 202]
    assert replayed.status_code == 202
    assert replayed["Idempotent-Replayed"] == "true"


def test_the_location_header_is_replayed(alpha, key):
    idem = str(uuid.uuid4())

    def accepted(request):
        response = HttpResponse(b'{"id": 7}', status=202, content_type="application/json")
        response["Location"] = "/api/v1/billing-runs/7/"
        return response

    with alpha.context():
        idempotency.handle(_request(key[1], idem), accepted)
        replayed = idempotency.handle(_request(key[1], idem), accepted)

    assert replayed["Location"] == "/api/v1/billing-runs/7/"
    assert replayed["Content-Type"] == "application/json"
    assert replayed.content == b'{"id": 7}'
