"""Tenant-aware Celery tasks.

A `FirmTask` carries the schema it was sent from (tenant-schemas-celery puts it in the
message headers) and runs inside that schema. One sent, or received, without a firm is
refused: it never runs on the public schema. Jobs for every firm go through
`for_each_firm`, which sends one task per firm.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context
from tenant_schemas_celery.task import TenantTask

from tenants.errors import MissingFirm
from tenants.models import Firm

SCHEMA_HEADER = "_schema_name"


class FirmTask(TenantTask):
    abstract = True
    autoretry_for = (ConnectionError, TimeoutError)
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8

    def apply_async(self, args=None, kwargs=None, **options):  # type: ignore[override]
        headers = options.get("headers") or {}
        schema = headers.get(SCHEMA_HEADER, connection.schema_name)
        if schema == get_public_schema_name():
            raise MissingFirm(f"{self.name} needs a firm and was sent from the public schema")
        options["headers"] = {**headers, SCHEMA_HEADER: schema}
        return super().apply_async(args, kwargs, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # tenant-schemas-celery has switched the connection before we get here.
        if connection.schema_name == get_public_schema_name():
            raise MissingFirm(f"{self.name} arrived with no firm; refused")
        return super().__call__(*args, **kwargs)


class PublicTask(TenantTask):
    """For the few tasks that work across firms (dispatchers): they run on the public schema."""

    abstract = True


def enqueue(task: FirmTask, *args: Any, **kwargs: Any) -> None:
    """Send `task` once the current transaction commits, for the firm in force now."""
    schema = connection.schema_name
    transaction.on_commit(lambda: task.apply_async(args, kwargs, headers={SCHEMA_HEADER: schema}))


def send_for_firm(firm: Firm, task: FirmTask, *args: Any, **kwargs: Any) -> Any:
    return task.apply_async(args, kwargs, headers={SCHEMA_HEADER: firm.schema_name})


@shared_task(base=PublicTask, name="tenants.for_each_firm")
def for_each_firm(task_name: str, *args: Any, **kwargs: Any) -> int:
    """The dispatcher: sends `task_name` once per active firm, each inside its own schema."""
    from celery import current_app

    task = current_app.tasks[task_name]
    schemas = list(
        Firm.objects.filter(status=Firm.Status.ACTIVE).values_list("schema_name", flat=True)
    )
    for schema in schemas:
        with schema_context(schema):
            task.apply_async(args, kwargs, headers={SCHEMA_HEADER: schema})
    return len(schemas)
