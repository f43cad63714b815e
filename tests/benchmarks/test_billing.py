"""The monthly run end to end (broker, two worker processes, PostgreSQL, S3 API), against a
minimal loop in the same run that renders the same documents, uploads them and inserts the same
rows with two processes, no Django and no Celery.

    make bench PYTEST_ARGS="-k billing"
"""

from __future__ import annotations

import datetime
import multiprocessing
import time
from pathlib import Path

import boto3
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company
from entitlements.models import Subscription
from firms.services import firm_open
from invoicing import services
from invoicing.document import document_build, document_data
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine
from saas.celery import app as celery_app
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX
from tests.factories import siren
from tests.invoicing.factories import PERIOD, application, firm_profile_complete
from tests.workers import database_url_of_tests, stop, wait_until, worker_start

pytestmark = pytest.mark.bench
WORKERS = 2
MINIMAL = "bench_minimal"


def _firm(index: int, companies: int) -> str:
    schema = firm_open(
        name=f"Cabinet {index}",
        slug=f"{PREFIX}bill-{index}",
        siren="552100554",
        admin_email=f"admin{index}@bench.example",
    ).firm.schema_name
    with schema_context(schema):
        firm_profile_complete()
        app = application()
        fees = application("Honoraires de tenue", price_excl_vat=180, launch_url="")
        made = Company.objects.bulk_create(
            Company(
                legal_name=f"Client {n:05d} SARL",
                siren=siren(20_000 + n),
                address_line=f"{n} avenue Jean Jaurès",
                postal_code="69007",
                city="Lyon",
                billing_email=f"compta{n}@client.example",
            )
            for n in range(companies)
        )
        Subscription.objects.bulk_create(
            Subscription(company=c, application=a, start_date=datetime.date(2026, 1, 1))
            for c in made
            for a in (app, fees)
        )
    return schema


def _all_ready(schemas: list[str], expected: int) -> bool:
    ready = 0
    for schema in schemas:
        with schema_context(schema):
            ready += InvoiceDocument.objects.filter(status="ready").count()
    return ready >= expected


def _end_to_end(schemas: list[str], expected: int, log: Path) -> float:
    celery_app.control.purge()
    # Two processes; two threads in each overlap one task's waits on S3 and PostgreSQL with
    # another's rendering.
    workers = [
        worker_start(name=f"bench{n}", log=log, concurrency=2, threads=True) for n in range(WORKERS)
    ]
    try:
        time.sleep(3)  # both workers connected before the clock starts
        started = time.perf_counter()
        for schema in schemas:
            with schema_context(schema):
                services.billing_run_start(actor=None, period_start=PERIOD, trigger="schedule")
        finished = wait_until(lambda: _all_ready(schemas, expected), timeout=1800, every=0.25)
        elapsed = time.perf_counter() - started
        assert finished, log.read_text()[-3000:]
        return elapsed
    finally:
        for worker in workers:
            stop(worker)


# --- the minimal loop ------------------------------------------------------------------------


def _rows(schemas: list[str]) -> list[tuple]:
    """What the minimal loop needs per invoice, read outside its clock: the document data and
    the rows as they were inserted."""
    jobs = []
    for schema in schemas:
        with schema_context(schema):
            invoices = Invoice.objects.select_related("company").prefetch_related("lines")
            for invoice in invoices:
                invoice_row = {
                    f.column: getattr(invoice, f.attname)
                    for f in Invoice._meta.concrete_fields
                    if f.column != "id"
                }
                line_rows = [
                    {
                        f.column: getattr(line, f.attname)
                        for f in InvoiceLine._meta.concrete_fields
                        if f.column not in ("id", "invoice_id")
                    }
                    for line in invoice.lines.all()
                ]
                jobs.append(
                    (schema, invoice.number, document_data(invoice), invoice_row, line_rows)
                )
    return jobs


def _json(value):
    return psycopg.types.json.Jsonb(value) if isinstance(value, dict | list) else value


def _minimal_worker(jobs: list[tuple]) -> int:
    import hashlib

    s3 = boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        region_name=settings.S3_REGION,
    )
    with psycopg.connect(database_url_of_tests()) as db:
        for schema, number, data, invoice_row, line_rows in jobs:
            pdf, xml = document_build(data)
            digests = []
            for suffix, body, kind in (
                ("pdf", pdf, "application/pdf"),
                ("xml", xml, "application/xml"),
            ):
                s3.put_object(
                    Bucket=settings.S3_BUCKET,
                    Key=f"{MINIMAL}/{schema}/{number}.{suffix}",
                    Body=body,
                    ContentType=kind,
                )
                digests.append(hashlib.sha256(body).hexdigest())
            with db.transaction():
                columns = list(invoice_row)
                (invoice_id,) = db.execute(
                    f"INSERT INTO {_minimal_schema(schema)}.invoice ({', '.join(columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id",
                    [_json(invoice_row[c]) for c in columns],
                ).fetchone()
                for line in line_rows:
                    line_columns = [*line, "invoice_id"]
                    db.execute(
                        f"INSERT INTO {_minimal_schema(schema)}.line ({', '.join(line_columns)}) "
                        f"VALUES ({', '.join(['%s'] * len(line_columns))})",
                        [*line.values(), invoice_id],
                    )
                db.execute(
                    f"INSERT INTO {_minimal_schema(schema)}.document (invoice_id, status, "
                    "pdf_path, xml_path, pdf_sha256, xml_sha256, pdf_size, attempts, last_error, "
                    "ready_at) "
                    "VALUES (%s, 'ready', %s, %s, %s, %s, %s, 1, '', now())",
                    [invoice_id, f"{number}.pdf", f"{number}.xml", *digests, len(pdf)],
                )
    return len(jobs)


def _minimal_schema(schema: str) -> str:
    return f"{MINIMAL}_{schema}"


def _minimal(schemas: list[str]) -> tuple[float, int]:
    """Plain tables shaped like the firm's, one set per firm as the schemas are, without the
    triggers and foreign keys."""
    with connection.cursor() as cursor:
        for schema in schemas:
            target = _minimal_schema(schema)
            cursor.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE; CREATE SCHEMA {target}")
            for table, source in (
                ("invoice", "invoicing_invoice"),
                ("line", "invoicing_invoiceline"),
                ("document", "invoicing_invoicedocument"),
            ):
                cursor.execute(
                    f'CREATE TABLE {target}.{table} (LIKE "{schema}".{source} INCLUDING ALL)'
                )
    jobs = _rows(schemas)
    share = [jobs[n::WORKERS] for n in range(WORKERS)]
    connection.close()
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(WORKERS) as pool:
        done = sum(pool.map(_minimal_worker, share))
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_minimal_schema(schema)} CASCADE")
    return elapsed, done


def _measure(firms: int, companies: int, tmp_path: Path) -> dict[str, float]:
    schemas = [_firm(index, companies) for index in range(firms)]
    connection.set_schema_to_public()
    expected = firms * companies
    end_to_end = _end_to_end(schemas, expected, tmp_path / "workers.log")
    connection.set_schema_to_public()
    minimal, done = _minimal(schemas)
    assert done == expected
    return {
        "invoices": expected,
        "end_to_end_s": end_to_end,
        "end_to_end_rate": expected / end_to_end,
        "minimal_s": minimal,
        "minimal_rate": expected / minimal,
        "ratio": end_to_end / minimal,
    }


@pytest.mark.parametrize(("firms", "companies"), [(1, 2000), (20, 100)])
def test_monthly_run_end_to_end_against_a_minimal_loop(committed, tmp_path, firms, companies):
    figures = _measure(firms, companies, tmp_path)

    broker = settings.CELERY_BROKER_URL.split("://")[0]
    run = f"{firms} firm(s) x {companies} companies"
    figure(
        "billing",
        f"monthly run {run}, end to end",
        figures["end_to_end_s"],
        "s",
        baseline=("minimal loop (same documents, uploads, rows; no Django)", figures["minimal_s"]),
        note=f"{figures['invoices']} invoices issued, rendered, stored, notified; "
        f"{WORKERS} worker processes, broker {broker}",
    )
    figure("billing", f"monthly run {run}, rate", figures["end_to_end_rate"], "invoices/s")
