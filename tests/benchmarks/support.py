"""Timing, counting and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection

from tenants.models import Firm

PREFIX = "bench-"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def schema_tables(schema: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return cursor.fetchone()[0]


def bench_firms_drop() -> None:
    """Every firm slugged `bench-…`, its domain and its schema."""
    connection.set_schema_to_public()
    firms = Firm.objects.filter(slug__startswith=PREFIX)
    with connection.cursor() as cursor:
        for schema in firms.values_list("schema_name", flat=True):
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
    firms.delete()


def report(*lines: str) -> None:
    print("\n" + "\n".join(lines), flush=True)
