"""Prometheus metrics: requests by route name and status, Celery tasks by name and state, the
billing progress gauge; `/metrics` on the public host only, behind METRICS_TOKEN when set; and
the multiprocess mode gunicorn workers and Celery children use, across real processes."""

import textwrap

import pytest
from celery import shared_task
from django.conf import settings
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from saas.observability import billing_progress_set
from tests.ops.conftest import run_python

pytestmark = pytest.mark.django_db


@shared_task(name="tests.ops.fine")
def fine() -> int:
    return 1


@shared_task(name="tests.ops.broken")
def broken() -> None:
    raise RuntimeError("broken on purpose")


def _scrape(**headers) -> dict[tuple[str, frozenset], float]:
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return _samples(response.content.decode())


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_name_method_and_status(alpha):
    before = _scrape()

    alpha.client().get("/connexion/")
    alpha.client().get("/no-such-page/")
    after = _scrape()

    counted = "comptoir_http_requests_total"
    login = {"route": "frontend:login", "method": "GET"}
    assert (
        _value(after, counted, **login, status="200")
        == _value(before, counted, **login, status="200") + 1
    )
    missing = {"route": "unmatched", "method": "GET", "status": "404"}
    assert _value(after, counted, **missing) == _value(before, counted, **missing) + 1
    timed = "comptoir_http_request_duration_seconds_count"
    assert _value(after, timed, **login) == _value(before, timed, **login) + 1


def test_metrics_are_not_served_on_a_firm_host(alpha):
    assert alpha.client().get("/metrics").status_code == 404


@override_settings(METRICS_TOKEN="scrape-token-0123456789")
def test_metrics_need_the_token_when_one_is_set():
    public = Client(HTTP_HOST=settings.BASE_DOMAIN)

    refused = public.get("/metrics")
    wrong = public.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456788")
    accepted = public.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")

    assert refused.status_code == wrong.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert b"comptoir_http" not in refused.content
    assert accepted.status_code == 200


def test_billing_progress_is_a_gauge_per_firm_and_run():
    billing_progress_set("firm_alpha", 12, 30, 120)

    samples = _scrape()

    labels = {"schema": "firm_alpha", "run_id": "12"}
    assert _value(samples, "comptoir_billing_run_progress", **labels) == 0.25
    assert _value(samples, "comptoir_billing_run_companies", **labels, state="done") == 30
    assert _value(samples, "comptoir_billing_run_companies", **labels, state="total") == 120


def test_celery_tasks_are_counted_by_name_and_state(worker, alpha):
    before = _scrape()

    with alpha.context():
        fine.delay().get(timeout=30)
        broken.delay().get(timeout=30, propagate=False)
    after = _scrape()

    counted = "comptoir_celery_tasks_total"
    for task, state in (("tests.ops.fine", "SUCCESS"), ("tests.ops.broken", "FAILURE")):
        assert _value(after, counted, task=task, state=state) == (
            _value(before, counted, task=task, state=state) + 1
        )
    timed = "comptoir_celery_task_duration_seconds_count"
    assert (
        _value(after, timed, task="tests.ops.fine")
        == _value(before, timed, task="tests.ops.fine") + 1
    )


def test_in_multiprocess_mode_one_reader_adds_up_every_process(tmp_path):
    """What gunicorn's workers and a Celery worker's pool processes do: each process writes its
    own files under PROMETHEUS_MULTIPROC_DIR; the pod's reader sums the counters and keeps the
    most recent value of the billing gauge."""
    write = textwrap.dedent(
        """
        import sys
        from saas import observability
        observability.HTTP_REQUESTS.labels("frontend:login", "GET", "200").inc()
        observability.billing_progress_set("firm_alpha", 3, int(sys.argv[1]), 10)
        """
    )
    read = "from prometheus_client import generate_latest\nfrom saas import observability\n"
    read += "print(generate_latest(observability.registry()).decode())"

    for done in ("4", "7"):
        run_python(write, done, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    samples = _samples(run_python(read, PROMETHEUS_MULTIPROC_DIR=str(tmp_path)).stdout)

    assert (
        _value(
            samples,
            "comptoir_http_requests_total",
            route="frontend:login",
            method="GET",
            status="200",
        )
        == 2
    )
    assert _value(samples, "comptoir_billing_run_progress", schema="firm_alpha", run_id="3") == 0.7
