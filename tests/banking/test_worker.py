"""A long statement reconciled by a real Celery worker, on committed data in a firm of its own:
the import answers before the entries are settled, two runs at once settle each entry once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from banking import selectors, services, tasks
from banking.models import BankEntry, BankStatement
from clients.models import User
from payments.models import PaymentEvent
from saas.celery import app as celery_app
from tenants.models import Firm
from tenants.tasks import send_for_firm
from tests.banking.support import long_statement
from tests.factories import siren
from tests.workers import committed_firm, stop, wait_until, worker_start

pytestmark = pytest.mark.django_db
SLUG = "rapprochement"


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Committed data: the worker, in another process, must see it."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def firm() -> Iterator[Firm]:
    with committed_firm(slug=SLUG, name="Cabinet Rapprochement", siren=siren(77_002)) as made:
        yield made


@pytest.fixture
def worker(tmp_path: Path):
    celery_app.control.purge()
    process = worker_start(name="banking", log=tmp_path / "worker.log", concurrency=2, threads=True)
    try:
        yield process
    finally:
        stop(process)


def _pending(statement_id: int) -> int:
    statement = selectors.statements_counted(BankStatement.objects.filter(pk=statement_id)).get()
    return selectors.pending_of(statement)


def test_a_long_statement_is_reconciled_by_the_worker_each_entry_once(firm, worker):
    size = services.INLINE_ENTRIES * 3
    with schema_context(firm.schema_name):
        plan = long_statement(by_reference=size - 40, by_payer=20, to_review=20, idle=50)
        admin = User.objects.get(email="admin@rapprochement.example")

        statement = services.statement_import(
            actor=admin, content=plan.content, fmt="camt053"
        ).statement
        second = send_for_firm(firm, tasks.reconcile, statement.pk)  # a retry, at once

        assert wait_until(lambda: _pending(statement.pk) == 0, timeout=120)
    assert second.get(timeout=60) >= 0
    with schema_context(firm.schema_name):
        events = PaymentEvent.objects.count()
        again = send_for_firm(firm, tasks.reconcile, statement.pk)
    assert again.get(timeout=60) == 0
    with schema_context(firm.schema_name):
        statuses = list(BankEntry.objects.values_list("status", flat=True))
        assert statuses.count("matched") == events == plan.counts["matched"]
        assert statuses.count("to_review") == plan.counts["to_review"]
        recorded = sorted(PaymentEvent.objects.values_list("invoice_id", "amount"))
        assert recorded == sorted((pk, amount) for pk, amount, _move in plan.payments)
