"""Celery tasks carry their firm and run inside it, on a real worker over the real broker."""

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from firms.models import FirmProfile
from saas.celery import app as celery_app
from tenants.errors import MissingFirm
from tenants.tasks import enqueue, for_each_firm


@shared_task(name="tests.whereami")
def whereami(marker: int) -> tuple[str, str, int]:
    return connection.schema_name, FirmProfile.objects.get().legal_name, marker


@shared_task(name="tests.remember")
def remember(value: str) -> None:
    cache.set("dispatched", value)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        celery_app.control.purge()
        with start_worker(
            celery_app,
            pool="threads",
            concurrency=1,  # one at a time: tests rely on the queue order
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=60,
        ) as running:
            yield running
        connection.set_schema_to_public()


def test_thousand_tasks_sent_alternately_run_in_their_own_firm(worker, alpha, beta):
    sent = []
    for marker in range(1000):
        firm = alpha if marker % 2 == 0 else beta
        with firm.context():
            sent.append((firm, marker, whereami.delay(marker)))

    results = [(firm, marker, result.get(timeout=120)) for firm, marker, result in sent]

    for firm, marker, (schema, legal_name, echoed) in results:
        assert (schema, legal_name, echoed) == (firm.firm.schema_name, firm.firm.name, marker)
    assert {schema for _, _, (schema, _, _) in results} == {"firm_alpha", "firm_beta"}


def test_a_firm_task_sent_without_a_firm_is_refused_at_once(worker):
    with schema_context("public"), pytest.raises(MissingFirm):
        whereami.delay(1)


def test_a_firm_task_received_without_a_firm_is_refused_by_the_worker(worker):
    with schema_context("public"):
        result = celery_app.send_task("tests.whereami", args=[1])

    result.get(timeout=30, propagate=False)

    assert result.failed()
    assert type(result.result).__name__ == "MissingFirm"


def test_the_dispatcher_sends_one_task_per_firm_inside_it(worker, alpha, beta):
    for firm in (alpha, beta):
        with firm.context():
            cache.delete("dispatched")

    with schema_context("public"):
        count = for_each_firm.delay("tests.remember", "done").get(timeout=30)
    # The dispatched tasks are queued behind the dispatcher on the same solo worker.
    whereami_a = None
    with alpha.context():
        whereami_a = whereami.delay(0)
    whereami_a.get(timeout=30)

    assert count == 2
    for firm in (alpha, beta):
        with firm.context():
            assert cache.get("dispatched") == "done"


@pytest.mark.django_db
def test_enqueue_waits_for_the_commit(worker, alpha, django_capture_on_commit_callbacks):
    with alpha.context():
        cache.delete("dispatched")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            enqueue(remember, "committed")
        assert cache.get("dispatched") is None

    connection.set_schema_to_public()  # the message keeps the firm it was enqueued for
    callbacks[0]()
    with alpha.context():
        whereami.delay(0).get(timeout=30)  # queued behind it on the solo worker
        assert cache.get("dispatched") == "committed"
    assert len(callbacks) == 1
