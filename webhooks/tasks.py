"""Webhook tasks: thin, tenant-aware, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import FirmTask, PublicTask, for_each_firm
from webhooks import delivery


@shared_task(base=FirmTask, name="webhooks.deliver", autoretry_for=())
def deliver(delivery_id: int) -> str:
    return delivery.delivery_attempt(delivery_id)


@shared_task(base=FirmTask, name="webhooks.firm_due")
def firm_due() -> int:
    """Send the deliveries whose time has come (retries scheduled far ahead, lost tasks)."""
    due = delivery.deliveries_due()
    for delivery_id in due:
        deliver.delay(delivery_id)
    return len(due)


@shared_task(base=PublicTask, name="webhooks.due")
def due() -> int:
    """Beat, every minute: one sweep per firm."""
    return for_each_firm("webhooks.firm_due")
