"""`portal migrate` with nothing pending over 200 firms, against django-tenants' executors."""

from __future__ import annotations

import io
import statistics

import pytest
from django.conf import settings
from django.core.management import call_command

from tenants import migrate
from tenants.provisioning import firm_provision
from tests.benchmarks.support import PREFIX, report, timed

FIRMS = 200
SLOW = 60.0  # seconds: the standard executor runs 3 times only when a run is quicker


def _migrate_firms() -> None:
    out = io.StringIO()
    call_command("migrate_firms", verbosity=0, stdout=out)
    assert " 0 migrated" in out.getvalue(), out.getvalue()


def _migrate_schemas(executor: str) -> None:
    call_command("migrate_schemas", executor=executor, verbosity=0, interactive=False)


@pytest.mark.bench
def test_migrate_with_nothing_pending_over_200_firms(committed):
    provisioning = [
        timed(
            lambda i=i: firm_provision(
                name=f"Bench {i}",
                slug=f"{PREFIX}firm-{i:03d}",
                siren="732829320",
                populate=lambda firm: None,
            )
        )
        for i in range(1, FIRMS + 1)
    ]
    schemas = migrate.firm_schemas()
    assert migrate.plan(schemas).pending == []

    ours = [timed(_migrate_firms) for _ in range(3)]
    standard = [timed(lambda: _migrate_schemas("standard"))]
    if standard[0] < SLOW:
        standard += [timed(lambda: _migrate_schemas("standard")) for _ in range(2)]
    multiprocessing = timed(lambda: _migrate_schemas("multiprocessing"))
    assert migrate.plan(schemas).pending == []

    ours_median, standard_median = statistics.median(ours), statistics.median(standard)
    processes = settings.TENANT_MULTIPROCESSING_MAX_PROCESSES
    report(
        f"migrate, nothing pending, {FIRMS} bench firms ({len(schemas)} firm schemas with the "
        "template and the session's firms; django-tenants skips the template):",
        f"  setup: {FIRMS} firms cloned in {sum(provisioning):.1f} s, "
        f"median {statistics.median(provisioning):.3f} s per firm "
        f"(first 20: {statistics.median(provisioning[:20]):.3f} s, "
        f"last 20: {statistics.median(provisioning[-20:]):.3f} s)",
        f"  ours (migrate_firms):         median {ours_median:.3f} s "
        f"({', '.join(f'{s:.3f}' for s in ours)})",
        f"  standard executor:            median {standard_median:.2f} s "
        f"({', '.join(f'{s:.2f}' for s in standard)})",
        f"  multiprocessing executor:     {multiprocessing:.2f} s (1 run, {processes} processes)",
        f"  ratio ours/standard {ours_median / standard_median:.4f}, "
        f"ours/multiprocessing {ours_median / multiprocessing:.4f}",
    )
