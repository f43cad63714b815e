"""Bank statement tasks: thin, tenant-aware, safe to retry."""

from __future__ import annotations

from celery import shared_task

from banking import services
from tenants.tasks import FirmTask


@shared_task(base=FirmTask, name="banking.reconcile")
def reconcile(statement_id: int) -> int:
    """Settle the statement's pending entries; an entry already settled is skipped."""
    return services.statement_reconcile(statement_id=statement_id)
