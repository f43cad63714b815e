"""Many firms in one database: provisioning them one by one, `portal migrate` with nothing
pending over all of them, the memory of one database connection that has touched every schema,
and the monthly run over all of them with two worker processes.

    make bench PYTEST_ARGS="-k many_firms"   # BENCH_FIRMS (1000), BENCH_COMPANIES (20)
"""

from __future__ import annotations

import io
import os
import socket
import statistics
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from invoicing import services
from saas.celery import app as celery_app
from tenants.export import prefix_remove
from tenants.provisioning import schema_for
from tests.benchmarks.fixtures import bench_firm_open, count_across, firm_fill
from tests.benchmarks.report import chart, figure
from tests.benchmarks.support import PREFIX, schema_tables, timed
from tests.invoicing.factories import PERIOD
from tests.workers import database_url_of_tests, stop, wait_until, worker_start

pytestmark = pytest.mark.bench
SECTION = "Many firms"
FIRMS = int(os.environ.get("BENCH_FIRMS", "1000"))
COMPANIES = int(os.environ.get("BENCH_COMPANIES", "20"))
WORKERS = 2
SAMPLES = 10  # points of the growth charts
# What the invoice list reads in a firm's schema: the query a connection runs in each one.
LIST_QUERY = (
    "SELECT i.number, c.legal_name, d.status FROM invoicing_invoice i "
    "JOIN clients_company c ON c.id = i.company_id "
    "LEFT JOIN invoicing_invoicedocument d ON d.invoice_id = i.id "
    "ORDER BY i.issue_date DESC LIMIT 20"
)

ONE_INVOICE = (
    "(SELECT count(*) FROM {schema}.invoicing_invoice i WHERE i.kind = 'invoice' "
    "AND i.company_id = clients_company.id) = 1"
)


def _provision() -> tuple[list[str], list[float]]:
    schemas, seconds = [], []
    for index in range(FIRMS):
        started = time.perf_counter()
        schemas.append(bench_firm_open(f"many-{index:05d}"))
        seconds.append(time.perf_counter() - started)
    connection.set_schema_to_public()
    return schemas, seconds


def _migrate_nothing_pending() -> float:
    out = io.StringIO()
    elapsed = timed(lambda: call_command("migrate_firms", verbosity=0, stdout=out))
    assert " 0 migrated" in out.getvalue(), out.getvalue()
    return elapsed


# --- the memory of one connection -----------------------------------------------------------


def _backend_memory(db: psycopg.Connection, pid: int) -> dict[str, float]:
    """MiB: the backend process's resident and proportional set and its private pages (from
    /proc, PostgreSQL runs on this machine), and its own memory contexts (PostgreSQL 14+)."""
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *_unit = line.split()
        rollup[key.rstrip(":")] = int(value) / 1024
    contexts, cache = db.execute(
        "SELECT sum(total_bytes), sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext') "
        "FROM pg_backend_memory_contexts"
    ).fetchone()
    return {
        "rss": rollup["Rss"],
        "pss": rollup["Pss"],
        "private": rollup["Private_Clean"] + rollup["Private_Dirty"],
        "contexts": contexts / 2**20,
        "catalog_cache": cache / 2**20,
    }


def _tables_of(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema],
        )
        return [row[0] for row in cursor.fetchall()]


def _touch_every_schema(schemas: list[str], every_table: bool) -> list[dict[str, float]]:
    """A new connection runs the invoice list's query (or reads every table) in each schema in
    turn; its memory before, then at SAMPLES points."""
    tables = _tables_of(schemas[0]) if every_table else []
    marks = {round(len(schemas) * n / SAMPLES) for n in range(1, SAMPLES + 1)}
    with psycopg.connect(database_url_of_tests(), autocommit=True) as db:
        (pid,) = db.execute("SELECT pg_backend_pid()").fetchone()
        db.execute("SELECT 1")
        points = [{"schemas": 0, **_backend_memory(db, pid)}]
        for done, schema in enumerate(schemas, start=1):
            db.execute(f"SET search_path TO {connection.ops.quote_name(schema)}")
            if every_table:
                for table in tables:
                    db.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 0")
            else:
                db.execute(LIST_QUERY).fetchall()
            if done in marks:
                points.append({"schemas": done, **_backend_memory(db, pid)})
    return points


# --- the monthly run -------------------------------------------------------------------------


def _workers_answer(names: list[str]) -> bool:
    replies = celery_app.control.ping(destination=names, timeout=1)
    return len(replies) == len(names)


def _monthly_run(schemas: list[str], log: Path) -> float:
    expected = len(schemas) * COMPANIES
    celery_app.control.purge()
    workers = [
        worker_start(name=f"many{n}", log=log, concurrency=2, threads=True) for n in range(WORKERS)
    ]
    names = [f"many{n}@{socket.gethostname()}" for n in range(WORKERS)]
    try:
        assert wait_until(lambda: _workers_answer(names), timeout=60, every=0.5), log.read_text()
        started = time.perf_counter()
        for schema in schemas:
            with schema_context(schema):
                services.billing_run_start(actor=None, period_start=PERIOD, trigger="schedule")
        finished = wait_until(
            lambda: (
                count_across(schemas, "invoicing_invoicedocument", "status = 'ready'") >= expected
            ),
            timeout=600 + expected / 10,
            every=1,
        )
        elapsed = time.perf_counter() - started
        assert finished, log.read_text()[-3000:]
        return elapsed
    finally:
        for worker in workers:
            stop(worker)
        celery_app.control.purge()


def test_many_firms_provisioned_migrated_held_and_billed(committed, tmp_path):
    clock = time.perf_counter()
    schemas, provisioning = _provision()
    filling = timed(lambda: [firm_fill(schema, COMPANIES) for schema in schemas])
    connection.set_schema_to_public()
    tables = schema_tables(settings.TENANT_BASE_SCHEMA)
    migrate = _migrate_nothing_pending()
    touching = time.perf_counter()
    listing = _touch_every_schema(schemas, every_table=False)
    everything = _touch_every_schema(schemas, every_table=True)
    touching = time.perf_counter() - touching
    try:
        monthly = _monthly_run(schemas, tmp_path / "workers.log")
        invoices = count_across(schemas, "invoicing_invoice", "kind = 'invoice'")
        billed_once = count_across(schemas, "clients_company", ONE_INVOICE)
    finally:
        # One listing for all of them: the embedded S3 server lists a prefix in a time that
        # grows with the whole bucket.
        prefix_remove(f"firms/{schema_for(PREFIX)}many")
    print(
        f"\nmany firms: {time.perf_counter() - clock:.0f} s in all, {touching:.0f} s of it "
        "reading every schema twice for the memory figures; the schemas are dropped next"
    )

    expected = FIRMS * COMPANIES
    assert invoices == billed_once == expected
    size = f"{FIRMS} firms, {tables} tables a schema"
    figure(
        SECTION,
        "provisioning one firm",
        provisioning,
        "s",
        note=f"{size}; first tenth {statistics.median(provisioning[: FIRMS // 10 or 1]):.3f} s, "
        f"last tenth {statistics.median(provisioning[-(FIRMS // 10 or 1) :]):.3f} s",
    )
    figure(SECTION, "provisioning, all firms", sum(provisioning), "s", note=size)
    figure(SECTION, f"filling {COMPANIES} companies a firm, all firms", filling, "s")
    figure(
        SECTION,
        "portal migrate, nothing pending",
        migrate,
        "s",
        note=f"{len(schemas)} bench firms among all firm schemas; "
        "users of django-tenants report 12 minutes for 900 tenants",
    )
    for label, points in (("invoice list query", listing), ("every table", everything)):
        first, last = points[0], points[-1]
        figure(
            SECTION,
            f"one connection after {label} in every schema, private memory",
            last["private"],
            "MiB",
            note=f"{first['private']:.1f} MiB before; RSS {first['rss']:.1f} -> "
            f"{last['rss']:.1f} MiB, PSS {first['pss']:.1f} -> {last['pss']:.1f} MiB",
        )
        figure(
            SECTION,
            f"one connection, {label}: private memory per schema touched",
            (last["private"] - first["private"]) * 1024 / FIRMS,
            "KiB",
        )
        figure(
            SECTION,
            f"one connection after {label} in every schema, memory contexts",
            last["contexts"],
            "MiB",
            note=f"{first['contexts']:.1f} MiB before; catalog cache {last['catalog_cache']:.1f} "
            "MiB (pg_backend_memory_contexts)",
        )
    chart(
        SECTION,
        "memory of one connection",
        x_label="firm schemas touched",
        y_label="MiB",
        series={
            f"{label}, {key}": [(p["schemas"], p[key]) for p in points]
            for label, points in (("invoice list", listing), ("every table", everything))
            for key in ("private", "contexts")
        },
    )
    step = max(1, FIRMS // (SAMPLES * 5))
    chart(
        SECTION,
        "provisioning time per firm",
        x_label="firms already provisioned",
        y_label="s",
        series={
            "firm_open": [
                (start, statistics.median(provisioning[start : start + step]))
                for start in range(0, FIRMS, step)
            ]
        },
    )
    figure(
        SECTION,
        "monthly run over all firms",
        expected / monthly,
        "invoices/s",
        note=f"{FIRMS} firms x {COMPANIES} companies = {expected} invoices in {monthly:.0f} s, "
        f"{WORKERS} worker processes x 2 threads, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at the end",
    )
