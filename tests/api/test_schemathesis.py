"""The OpenAPI schema, checked against the running API by schemathesis: every operation of
alpha's API, called with alpha's API key on a seeded firm, answers no 5xx and what it answers
conforms to the schema (status code, content type, headers and body).

DELETE operations are left out: they archive, deactivate or revoke the seeded rows, after
which the other operations would mostly test 404s; they have their own tests. The number of
examples per operation is capped to keep the whole run around a minute; the number of cases
run is printed at the end.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup

from api.services import api_key_create
from clients.models import User

pytestmark = pytest.mark.django_db

EXAMPLES = 15
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def _same_connection():
    # as django.test.Client does: the request must not close the test's transaction
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def key(alpha, world) -> str:
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        _row, secret = api_key_create(actor=admin, name="schemathesis")
    return secret


@pytest.fixture
def headers(alpha, key) -> dict[str, str]:
    return {"Host": alpha.host, "Authorization": f"Bearer {key}"}


def test_api_conforms_to_its_schema(_same_connection, alpha, headers):
    app = WSGIHandler()
    base_url = f"http://{alpha.host}"
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", app, headers=headers, base_url=base_url
    ).exclude(method="DELETE")
    cases = 0
    failures: dict[str, str] = {}

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            nonlocal cases
            cases += 1
            case.call_and_validate(headers=headers, base_url=base_url, checks=CHECKS)

        try:
            call()
        except (Exception, FailureGroup) as error:  # every operation is tried; failures listed
            failures[operation.label] = str(error)[:2000]

    print(f"\nschemathesis: {cases} cases, {len(failures)} operations failing")
    for label, error in failures.items():
        print(f"--- {label}\n{error}")
    assert not failures, sorted(failures)
