"""`portal migrate`: the public schema, the template schema and every firm schema, in parallel,
skipping the schemas whose recorded migrations already cover the whole migration graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import get_public_schema_name, schema_exists

from tenants.models import Firm

BATCH = 200


@dataclass(frozen=True)
class Plan:
    up_to_date: list[str]
    pending: list[str]


def graph_nodes() -> set[tuple[str, str]]:
    # Django records every migration of the plan in every schema, even those the
    # tenant router turns into no-ops, so an up-to-date schema holds all of them.
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def applied_by_schema(schemas: list[str]) -> dict[str, set[tuple[str, str]]]:
    """Every schema's recorded migrations, read with one query per batch of schemas."""
    applied: dict[str, set[tuple[str, str]]] = {schema: set() for schema in schemas}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [schemas],
        )
        recorded = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(recorded), BATCH):
            batch = recorded[start : start + BATCH]
            union = " UNION ALL ".join(
                f"SELECT %s, app, name FROM {connection.ops.quote_name(schema)}.django_migrations"  # noqa: S608 - quoted identifiers
                for schema in batch
            )
            cursor.execute(union, batch)
            for schema, app, name in cursor.fetchall():
                applied[schema].add((app, name))
    return applied


def plan(schemas: Iterable[str]) -> Plan:
    schemas = list(schemas)
    nodes = graph_nodes()
    applied = applied_by_schema(schemas)
    pending = [schema for schema in schemas if not nodes <= applied[schema]]
    return Plan(up_to_date=[s for s in schemas if s not in pending], pending=pending)


def firm_schemas() -> list[str]:
    template = settings.TENANT_BASE_SCHEMA
    firms = Firm.objects.exclude(schema_name=get_public_schema_name()).order_by("schema_name")
    return [template, *firms.values_list("schema_name", flat=True)]


def template_ensure() -> None:
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(template)}")
