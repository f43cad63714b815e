"""Faults on committed data, a firm of its own: concurrent issuing, a worker killed in the
middle of a run, S3 down while invoices are issued."""

from __future__ import annotations

import datetime
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django_tenants.utils import schema_context
from moto.server import ThreadedMotoServer

from clients.models import Company
from entitlements.models import Subscription
from invoicing import services
from invoicing.models import BillingRunItem, Invoice, InvoiceDocument, Kind
from saas.celery import app as celery_app
from tenants import storage
from tenants.models import Firm
from tests.factories import UserFactory, siren
from tests.invoicing.factories import PERIOD, application, firm_profile_complete
from tests.workers import committed_firm, kill, stop, wait_until, worker_start

pytestmark = pytest.mark.django_db
SLUG = "faults"


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Committed data: workers in other threads and processes must see it."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def firm() -> Iterator[Firm]:
    with committed_firm(slug=SLUG, name="Cabinet Pannes", siren="552100554") as made:
        with schema_context(made.schema_name):
            firm_profile_complete()
        yield made


def companies(n: int) -> list[int]:
    """`n` billable companies, subscribed to one application since January."""
    app = application()
    made = Company.objects.bulk_create(
        Company(
            legal_name=f"Client {i:04d}",
            siren=siren(10_000 + i),
            address_line="1 rue Test",
            postal_code="69001",
            city="Lyon",
        )
        for i in range(n)
    )
    Subscription.objects.bulk_create(
        Subscription(company=c, application=app, start_date=datetime.date(2026, 1, 1)) for c in made
    )
    return [c.pk for c in made]


def assert_series_continuous(kind: str = Kind.INVOICE) -> list[int]:
    sequences = sorted(Invoice.objects.filter(kind=kind).values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1)), "gap or duplicate in the numbers"
    return sequences


def test_twenty_concurrent_issues_leave_no_gap_and_no_duplicate(firm):
    with schema_context(firm.schema_name):
        ids = companies(12)
        staff = UserFactory(email="staff@faults.example", firm_role="admin")
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with schema_context(firm.schema_name):
                company = Company.objects.get(pk=ids[index % 12])  # 8 companies billed twice
                start.wait()
                if index < 16:
                    services.company_bill(company=company, period_start=PERIOD)
                else:
                    services.invoice_issue_manual(
                        actor=staff,
                        company=company,
                        lines=[
                            {"label": "Mission", "quantity": 1, "unit_price": "10", "vat_rate": 20}
                        ],
                    )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    with schema_context(firm.schema_name):
        assert len(assert_series_continuous()) == 12 + 4
        assert Invoice.objects.filter(origin="monthly").count() == 12


def test_a_worker_killed_in_the_middle_of_a_run_then_a_new_run_bills_each_company_once(
    firm, tmp_path: Path
):
    with schema_context(firm.schema_name):
        ids = companies(500)
    celery_app.control.purge()
    log = tmp_path / "worker.log"
    worker = worker_start(name="doomed", log=log)
    try:
        with schema_context(firm.schema_name):
            run = services.billing_run_start(actor=None, period_start=PERIOD, trigger="schedule")
            started = wait_until(lambda: Invoice.objects.count() >= 60, timeout=120)
            kill(worker)
            issued_before_kill = Invoice.objects.count()
        assert started, log.read_text()[-2000:]
        assert issued_before_kill < 500, "the run finished before the kill: nothing was tested"

        worker = worker_start(name="survivor", log=log)
        with schema_context(firm.schema_name):
            again = services.billing_run_start(actor=None, period_start=PERIOD, trigger="schedule")
            done = wait_until(
                lambda: not BillingRunItem.objects.filter(run=again, outcome="pending").exists(),
                timeout=300,
                every=1,
            )
            assert done, log.read_text()[-2000:]

            assert Invoice.objects.count() == 500
            assert set(Invoice.objects.values_list("company_id", flat=True)) == set(ids)
            assert_series_continuous()
            outcomes = set(
                BillingRunItem.objects.filter(run=again).values_list("outcome", flat=True)
            )
            assert outcomes <= {"issued", "already_issued"}
            assert BillingRunItem.objects.filter(run=run).exclude(outcome="pending").exists()
    finally:
        stop(worker)
        celery_app.control.purge()


@pytest.fixture
def s3_of_our_own(settings) -> Iterator[ThreadedMotoServer]:
    """An S3 API server this test can stop and start again; its state lives in this process,
    so what was stored before the stop is there after it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    storage.client.cache_clear()
    storage.bucket_ensure()
    try:
        yield server
    finally:
        server.stop()
        storage.client.cache_clear()


@pytest.fixture
def worker_in_thread() -> Iterator[None]:
    celery_app.control.purge()
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ):
        yield
    celery_app.control.purge()
    connection.set_schema_to_public()


def test_with_s3_down_invoices_are_issued_and_their_documents_follow_when_it_returns(
    firm, s3_of_our_own, worker_in_thread, settings
):
    settings.INVOICE_DOCUMENT_RETRY_SECONDS = 1
    with schema_context(firm.schema_name):
        companies(10)
    s3_of_our_own.stop()

    with schema_context(firm.schema_name):
        run = services.billing_run_start(actor=None, period_start=PERIOD, trigger="schedule")
        assert wait_until(
            lambda: not BillingRunItem.objects.filter(run=run, outcome="pending").exists(),
            timeout=60,
        )
        assert wait_until(
            lambda: not InvoiceDocument.objects.filter(last_error="").exists(), timeout=60
        )
        issued = Invoice.objects.count()
        pending = InvoiceDocument.objects.filter(status="pending").count()

        s3_of_our_own.start()
        filled = wait_until(
            lambda: not InvoiceDocument.objects.filter(status="pending").exists(),
            timeout=120,
            every=0.5,
        )

        assert (issued, pending) == (10, 10)
        assert filled
        document = InvoiceDocument.objects.select_related("invoice").first()
        assert storage.sha256_of(document.pdf_path) == document.pdf_sha256
        assert document.attempts >= 1 and document.last_error == ""
