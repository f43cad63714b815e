"""Benchmarks work on committed data in the test database, and remove what they made.

pytest-django sets up the test database only when a selected test carries the `django_db`
mark, and under `-m bench` only benchmarks are selected: they get the mark here, and
`_django_db_helper` keeps it from wrapping them in a transaction (as in tests/e2e/). A session
that recorded figures writes the report (tests/benchmarks/report.py) when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from tests.benchmarks import report
from tests.benchmarks.support import bench_firms_drop


def pytest_sessionstart(session):
    report.started()


def pytest_sessionfinish(session, exitstatus):
    if report.recorded():
        command = " ".join(["pytest", *session.config.invocation_params.args])
        written = report.write(command)
        print(f"\nbenchmark report: {written}", flush=True)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("bench") and "committed" in item.fixturenames:
            item.add_marker(pytest.mark.django_db)


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def committed(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The test database unblocked, outside any transaction; the `bench-…` firms and their
    schemas are dropped afterwards, so the rest of the session is unaffected."""
    with django_db_blocker.unblock():
        assert not connection.in_atomic_block, "the benchmarks must commit what they make"
        report.context(postgresql=connection.cursor().execute("SHOW server_version").fetchone()[0])
        bench_firms_drop()
        try:
            yield
        finally:
            bench_firms_drop()
