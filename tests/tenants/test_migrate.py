"""`portal migrate`: every schema, skipping those already up to date."""

import pytest
from django.core.management import call_command
from django.db import connection

from tenants import migrate

pytestmark = pytest.mark.django_db


def test_nothing_is_pending_after_migrate(alpha, beta):
    todo = migrate.plan(migrate.firm_schemas())

    assert todo.pending == []
    assert {"template_firm", "firm_alpha", "firm_beta"} <= set(todo.up_to_date)


def test_a_schema_missing_a_migration_is_pending_and_only_it(alpha, beta):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM firm_beta.django_migrations "
            "WHERE app = 'clients' AND name = '0001_initial'"
        )

    todo = migrate.plan(migrate.firm_schemas())

    assert todo.pending == ["firm_beta"]


def test_migrate_reports_every_schema_up_to_date(alpha, beta, capsys):
    call_command("migrate_firms")

    out = capsys.readouterr().out
    assert "0 migrated" in out
