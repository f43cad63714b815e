"""Workers on several machines: two worker processes started apart, reading the same queue over
RabbitMQ, share a firm's monthly run; each issues part of it, and each company gets one invoice.

Needs a RabbitMQ (RABBITMQ_URL, by default the guest account on loopback); PostgreSQL and S3
are the test run's.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django_tenants.utils import schema_context
from kombu import Connection
from kombu.exceptions import OperationalError

from invoicing import services, tasks
from invoicing.models import BillingRunItem, Invoice, InvoiceDocument
from saas.celery import app as celery_app
from tenants.tasks import SCHEMA_HEADER
from tests.benchmarks.fixtures import firm_fill
from tests.invoicing.factories import PERIOD
from tests.workers import committed_firm, stop, wait_until, worker_start

RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
SLUG = "rabbitmq-workers"
COMPANIES = 300  # six chunks of services.CHUNK_SIZE companies
# Node names of this run only: a worker left over by another run (its own pidbox queue on the
# broker, exclusive) must not stand in the way.
WORKERS = tuple(f"{side}-{os.getpid()}" for side in ("north", "south"))


def _rabbitmq_reachable() -> bool:
    try:
        with Connection(RABBITMQ_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1)
    except (OSError, OperationalError):
        return False
    return True


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not _rabbitmq_reachable(),
        reason=f"no RabbitMQ answers at {Connection(RABBITMQ_URL).as_uri()} (RABBITMQ_URL)",
    ),
]


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Committed data: the workers in other processes must see it."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def firm_schema() -> Iterator[str]:
    with committed_firm(slug=SLUG, name="Cabinet Lapin", siren="552100554") as firm:
        firm_fill(firm.schema_name, COMPANIES)
        connection.set_schema_to_public()
        yield firm.schema_name


@pytest.fixture
def broker() -> Iterator[Connection]:
    """A connection to RabbitMQ; the test's queue is emptied before and deleted after."""
    with celery_app.connection_for_write(RABBITMQ_URL) as rabbitmq:
        celery_app.control.purge(connection=rabbitmq)
        try:
            yield rabbitmq
        finally:
            rabbitmq.default_channel.queue_delete(settings.CELERY_TASK_DEFAULT_QUEUE)


# Remote control over RabbitMQ from an app of its own: the test run's app publishes control
# messages through its producer pool, on the test run's broker, whatever connection is given.
control = Celery("rabbitmq-control", broker=RABBITMQ_URL, set_as_current=False).control


def _answering(names: list[str]) -> bool:
    return len(control.ping(destination=names, timeout=1)) == 2


def _finished(schema: str) -> bool:
    with schema_context(schema):
        pending = BillingRunItem.objects.filter(outcome=BillingRunItem.Outcome.PENDING).exists()
        ready = InvoiceDocument.objects.filter(status="ready").count()
    return not pending and ready >= COMPANIES


def test_two_workers_on_one_rabbitmq_queue_share_the_monthly_run(
    firm_schema, broker, monkeypatch, tmp_path: Path
):
    # The workers' broker only: this process keeps the test run's for anything else.
    monkeypatch.setenv("CELERY_BROKER_URL", RABBITMQ_URL)
    logs = {name: tmp_path / f"{name}.log" for name in WORKERS}
    workers = [worker_start(name=name, log=logs[name]) for name in WORKERS]
    names = [f"{name}@{socket.gethostname()}" for name in WORKERS]
    try:
        assert wait_until(lambda: _answering(names), timeout=180, every=0.5), [
            log.read_text()[-2000:] for log in logs.values()
        ]

        # What beat's dispatcher sends for each firm on the 1st, sent over RabbitMQ.
        tasks.firm_month.apply_async(
            (PERIOD.isoformat(),), headers={SCHEMA_HEADER: firm_schema}, connection=broker
        )
        finished = wait_until(lambda: _finished(firm_schema), timeout=240, every=0.5)
        stats = control.inspect(destination=names, timeout=5).stats()
    finally:
        for worker in workers:
            stop(worker)

    assert finished, [log.read_text()[-2000:] for log in logs.values()]
    chunks = {name: stats[name]["total"].get("invoicing.bill_chunk", 0) for name in names}
    assert all(count >= 1 for count in chunks.values()), chunks
    assert sum(chunks.values()) == COMPANIES // services.CHUNK_SIZE
    with schema_context(firm_schema):
        per_company = Invoice.objects.values("company").annotate(n=Count("id"))
        assert len(per_company) == COMPANIES
        assert {row["n"] for row in per_company} == {1}
        assert not BillingRunItem.objects.exclude(outcome=BillingRunItem.Outcome.ISSUED).exists()
