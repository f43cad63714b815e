"""Provisioning one firm: cloning the template schema vs running every migration into it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from firms.services import firm_open
from tenants import migrate
from tenants.models import Domain, Firm
from tenants.provisioning import host_for, schema_for
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX, schema_tables, timed

RUNS = 5
SIREN = "732829320"


def _clone(slug: str) -> None:
    firm_open(name=slug, slug=slug, siren=SIREN, admin_email=f"admin@{slug}.example")


def _migrate(slug: str) -> None:
    """The baseline: the rows, an empty schema, then every tenant migration applied to it."""
    schema = schema_for(slug)
    firm = Firm.objects.create(schema_name=schema, name=slug, slug=slug, siren=SIREN)
    Domain.objects.create(domain=host_for(slug), tenant=firm, is_primary=True)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
    connection.set_schema_to_public()


@pytest.mark.bench
def test_cloning_the_template_vs_running_the_migrations(committed):
    existing = len(migrate.firm_schemas())
    clone, migrations = [], []
    for run in range(1, RUNS + 1):  # interleaved, so a load change hits both sides alike
        clone.append(timed(lambda run=run: _clone(f"{PREFIX}clone-{run}")))
        migrations.append(timed(lambda run=run: _migrate(f"{PREFIX}migrate-{run}")))

    template = schema_tables(settings.TENANT_BASE_SCHEMA)
    made = [
        schema_for(f"{PREFIX}{kind}-{run}")
        for kind in ("clone", "migrate")
        for run in range(1, RUNS + 1)
    ]
    assert {schema: schema_tables(schema) for schema in made} == dict.fromkeys(made, template)
    assert migrate.plan(made).pending == []

    figure(
        "provisioning",
        "one firm cloned from the template",
        clone,
        "s",
        baseline=("every migration run into an empty schema", migrations),
        note=f"goal ratio <= 0.20; {template} tables a schema, {existing} firm schemas before",
    )
