"""The daily task on a real Celery worker, on committed data in a firm of its own: the beat's
fan-out reaches the firm, and runs sent twice record each reminder once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from clients.models import Membership
from reminders import tasks
from reminders.models import Reminder
from saas.celery import app as celery_app
from tenants.models import Firm
from tenants.tasks import send_for_firm
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, siren
from tests.payments.factories import invoice_due
from tests.workers import committed_firm, stop, wait_until, worker_start

pytestmark = pytest.mark.django_db
SLUG = "relances"


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Committed data: the worker, in another process, must see it."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def firm() -> Iterator[Firm]:
    with committed_firm(slug=SLUG, name="Cabinet Relances", siren=siren(77_001)) as made:
        yield made


@pytest.fixture
def worker(tmp_path: Path):
    celery_app.control.purge()
    process = worker_start(name="reminders", log=tmp_path / "worker.log")
    try:
        yield process
    finally:
        stop(process)


def test_the_beat_task_on_a_worker_sends_each_level_once(firm, worker):
    with schema_context(firm.schema_name):
        company = CompanyFactory(billing_email="factures@client.example")
        MembershipFactory(
            user=UserFactory(email="patron@client.example"),
            company=company,
            role=Membership.Role.ADMIN,
        )
        courtesy = invoice_due(company, days_overdue=8)
        notice = invoice_due(company, days_overdue=31)

    assert tasks.due.delay().get(timeout=60) >= 3  # alpha, beta and this firm
    with schema_context(firm.schema_name):
        assert wait_until(lambda: Reminder.objects.count() == 2, timeout=60)
        again = [send_for_firm(firm, tasks.firm_due) for _ in range(2)]

    assert [result.get(timeout=60) for result in again] == [0, 0]
    with schema_context(firm.schema_name):
        rows = sorted(Reminder.objects.values_list("invoice_id", "level", "recipients"))
    assert rows == [
        (courtesy.pk, "courtesy", ["factures@client.example", "patron@client.example"]),
        (notice.pk, "formal_notice", ["factures@client.example", "patron@client.example"]),
    ]
