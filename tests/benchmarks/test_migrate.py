"""`portal migrate` with nothing pending over 200 firms, against django-tenants' executors."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from tenants import migrate
from tenants.provisioning import firm_provision
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX, timed

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
    multi = timed(lambda: _migrate_schemas("multiprocessing"))
    assert migrate.plan(schemas).pending == []

    processes = settings.TENANT_MULTIPROCESSING_MAX_PROCESSES
    schemas_note = f"{len(schemas)} firm schemas (template and the session's firms included)"
    figure("migrate", f"{FIRMS} firms cloned (setup)", sum(provisioning), "s")
    figure("migrate", "one firm cloned (setup)", provisioning, "s")
    figure(
        "migrate",
        "migrate_firms, nothing pending",
        ours,
        "s",
        baseline=("migrate_schemas, standard executor", standard),
        note=schemas_note,
    )
    figure(
        "migrate",
        "migrate_firms vs multiprocessing",
        ours,
        "s",
        baseline=(f"migrate_schemas, multiprocessing executor ({processes} processes)", multi),
        note="one run of the multiprocessing executor",
    )
