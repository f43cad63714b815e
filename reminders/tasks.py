"""Reminder tasks: the daily beat fans out over firms; each firm's task sends its reminders."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from reminders import services
from tenants.provisioning import firm_url
from tenants.tasks import FirmTask, PublicTask, for_each_firm


@shared_task(base=PublicTask, name="reminders.due")
def due() -> int:
    """Beat, every morning: one task per firm."""
    return for_each_firm("reminders.firm_due")


@shared_task(base=FirmTask, name="reminders.firm_due")
def firm_due() -> int:
    """Safe to run twice or retry: a level already recorded for an invoice is never sent
    again."""
    return services.reminders_due(site_url=firm_url(connection.tenant).rstrip("/"))
