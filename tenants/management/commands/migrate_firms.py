"""Migrate the public schema, the template schema and every firm, skipping those up to date."""

import time

from django.core.management.base import CommandError
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors.multiproc import MultiprocessingExecutor
from django_tenants.migration_executors.standard import StandardExecutor
from django_tenants.utils import get_public_schema_name

from tenants import migrate


class Command(MigrateSchemasCommand):
    help = __doc__

    def handle(self, *args, **options):
        if options.get("schema_name"):
            raise CommandError("portal migrate migrates every schema; it takes no --schema.")
        options["executor"] = "multiprocessing"
        options.setdefault("skip_checks", True)
        started = time.monotonic()
        public = get_public_schema_name()

        if migrate.plan([public]).pending:
            StandardExecutor(args, options).run_migrations(tenants=[public])
        connection.set_schema_to_public()
        migrate.template_ensure()

        schemas = migrate.firm_schemas()
        todo = migrate.plan(schemas)
        if len(todo.pending) > 1:
            MultiprocessingExecutor(args, options).run_migrations(tenants=list(todo.pending))
        elif todo.pending:
            StandardExecutor(args, options).run_migrations(tenants=list(todo.pending))
        connection.set_schema_to_public()

        self.stdout.write(
            f"{len(schemas)} firm schemas (template included): {len(todo.pending)} migrated, "
            f"{len(todo.up_to_date)} already up to date, in {time.monotonic() - started:.1f} s"
        )
