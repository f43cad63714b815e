"""Copy the template schema into a new firm schema, reading only the template's own catalog
entries, so the cost of a new firm does not grow with the number of firms.

Tables come with their columns, defaults and identity columns (`LIKE ... INCLUDING`), then
their rows, then constraints, indexes and triggers under the template's own names (Django's
later migrations refer to them by name). Run inside a transaction: PostgreSQL's DDL is
transactional, so a failure leaves nothing.
"""

from __future__ import annotations

from django.db import connection

from tenants.routing import search_path_changed

TABLES = """
    SELECT c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname
"""
IDENTITY_COLUMNS = """
    SELECT c.relname, a.attname
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND a.attidentity <> '' AND NOT a.attisdropped
"""
# Primary keys and unique constraints first: foreign keys need them.
CONSTRAINTS = """
    SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = k.connamespace
    WHERE n.nspname = %s AND k.contype IN ('p', 'u', 'c', 'x', 'f')
    ORDER BY k.contype = 'f', c.relname, k.conname
"""
INDEXES = """
    SELECT pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_namespace n ON n.oid = ic.relnamespace
    WHERE n.nspname = %s
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    ORDER BY ic.relname
"""
TRIGGERS = """
    SELECT pg_get_triggerdef(t.oid)
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND NOT t.tgisinternal
"""


def clone_schema(template: str, target: str) -> None:
    try:
        _clone(template, target)
    finally:
        # The SET LOCALs below last until the end of the caller's transaction, unknown to
        # django-tenants; its next cursor must set the connection's own path again.
        search_path_changed()


def _clone(template: str, target: str) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(TABLES, [template])
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(IDENTITY_COLUMNS, [template])
        identities = cursor.fetchall()
        # Definitions are read with the template first on the search path, so that they name
        # its tables without a schema and can be replayed inside the new one.
        cursor.execute(f"SET LOCAL search_path TO {quote(template)}")
        cursor.execute(CONSTRAINTS, [template])
        constraints = cursor.fetchall()
        cursor.execute(INDEXES, [template])
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(TRIGGERS, [template])
        triggers = [row[0] for row in cursor.fetchall()]

        cursor.execute(f"CREATE SCHEMA {quote(target)}")
        cursor.execute(f"SET LOCAL search_path TO {quote(target)}")
        for table in tables:
            cursor.execute(
                f"CREATE TABLE {quote(table)} (LIKE {quote(template)}.{quote(table)} "
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED)"
            )
        for table in tables:  # the template's rows: content types, permissions, migrations
            cursor.execute(
                f"INSERT INTO {quote(table)} SELECT * FROM {quote(template)}.{quote(table)}"
            )
        for table, column in identities:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"COALESCE((SELECT max({quote(column)}) FROM {quote(table)}), 0) + 1, false)",
                [f"{quote(target)}.{quote(table)}", column],
            )
        for table, name, definition in constraints:
            cursor.execute(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} "
                f"{_unqualified(definition, template)}"
            )
        for statement in indexes + triggers:
            cursor.execute(_unqualified(statement, template))


def _unqualified(definition: str, schema: str) -> str:
    """PostgreSQL names some objects with their schema whatever the search path."""
    return definition.replace(f'"{schema}".', "").replace(f" {schema}.", " ")
