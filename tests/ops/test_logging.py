"""Structured logs: each line is one JSON object carrying the request id (taken from
X-Request-ID or made, and echoed back), the firm's schema and the user id; a task's line
carries the task and the firm it runs for."""

import json
import logging

import pytest
from celery import shared_task
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from tests.ops.conftest import DJANGO, log_lines, run_python

pytestmark = pytest.mark.django_db


@shared_task(name="tests.ops.say")
def say(marker: str) -> None:
    logging.getLogger("tests.ops").warning("task line %s", marker)


def _signed_in(firm):
    with firm.context():
        user = UserFactory()
    client = firm.client()
    response = client.post("/connexion/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client, user


def _access(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("logger") == "comptoir.access"]


def test_a_request_writes_one_json_access_line_with_its_id_firm_and_user(alpha):
    client, user = _signed_in(alpha)

    with log_lines() as lines:
        response = client.get("/mon-compte/", HTTP_X_REQUEST_ID="req-0123456789abcdef")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    (line,) = _access(lines)
    assert line["request_id"] == "req-0123456789abcdef"
    assert line["schema"] == alpha.firm.schema_name
    assert line["user_id"] == user.pk
    assert line["level"] == "INFO"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["path"] == "/mon-compte/"
    assert line["route"] == "account:index"
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")


def test_a_request_without_an_id_gets_one_and_a_bad_one_is_replaced(alpha):
    client = alpha.client()

    with log_lines() as lines:
        made = client.get("/connexion/")
        replaced = client.get("/connexion/", HTTP_X_REQUEST_ID="bad id\nforged: line")

    ids = [made["X-Request-ID"], replaced["X-Request-ID"]]
    assert all(len(value) == 32 for value in ids) and ids[0] != ids[1]
    assert [line["request_id"] for line in _access(lines)] == ids
    assert all("user_id" not in line for line in _access(lines))


def test_every_line_of_a_request_carries_its_id_and_firm(alpha):
    with log_lines() as lines:
        response = alpha.client().get("/no-such-page/", HTTP_X_REQUEST_ID="trace-404-000001")

    assert response.status_code == 404
    assert lines, "Django logs the 404 and the access line"
    for line in lines:
        assert line["request_id"] == "trace-404-000001"
        assert line["schema"] == alpha.firm.schema_name
    assert {line["logger"] for line in lines} >= {"django.request", "comptoir.access"}


def test_secrets_in_the_url_and_the_query_string_are_not_logged(alpha):
    with log_lines() as lines:
        alpha.client().get("/connexion/?next=/mon-compte/&token=abc")

    (line,) = _access(lines)
    assert line["path"] == "/connexion/"


def test_probes_write_no_access_line(alpha):
    with log_lines() as lines:
        Client(HTTP_HOST=alpha.host).get("/healthz")
        Client(HTTP_HOST=alpha.host).get("/readyz")

    assert _access(lines) == []


def test_a_task_log_line_carries_the_task_and_its_firm(worker, alpha):
    with log_lines() as lines:
        with alpha.context():
            result = say.delay("m-42")
        result.get(timeout=30)

    (line,) = [line for line in lines if line.get("message") == "task line m-42"]
    assert line["schema"] == alpha.firm.schema_name
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.ops.say"
    assert "request_id" not in line


def test_json_in_production_and_text_on_a_developers_machine():
    show = DJANGO + "from django.conf import settings; print(settings.LOG_FORMAT)"

    assert run_python(show, DJANGO_DEBUG="0").stdout.strip() == "json"
    assert run_python(show, DJANGO_DEBUG="1").stdout.strip() == "text"
    assert run_python(show, DJANGO_DEBUG="1", LOG_FORMAT="json").stdout.strip() == "json"


def test_a_text_line_shows_the_context_that_is_known():
    code = DJANGO + "import logging; logging.getLogger('x').warning('hello %s', 'there')"

    result = run_python(code, LOG_FORMAT="text")

    assert "WARNING x [schema=public] hello there" in result.stderr


def test_a_json_line_is_one_object_even_with_an_exception():
    code = DJANGO + (
        "import logging\n"
        "try:\n    1 / 0\n"
        "except ZeroDivisionError:\n    logging.getLogger('x').exception('broken')\n"
    )

    result = run_python(code, LOG_FORMAT="json")

    (line,) = [json.loads(text) for text in result.stderr.splitlines() if text]
    assert line["message"] == "broken"
    assert "ZeroDivisionError" in line["exc_info"]


def test_sentry_starts_only_when_a_dsn_is_set():
    active = DJANGO + "import sentry_sdk; print(sentry_sdk.get_client().is_active())"

    assert run_python(active).stdout.strip() == "False"
    assert run_python(active, SENTRY_DSN="https://key@127.0.0.1:1/1").stdout.strip() == "True"
