"""Direct-debit tasks: thin, tenant-aware, safe to retry. Beat sends the two dispatchers every
morning; each sends one task per firm."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from sepa import services
from tenants.provisioning import firm_url
from tenants.tasks import FirmTask, PublicTask, for_each_firm


def _site_url() -> str:
    return firm_url(connection.tenant).rstrip("/")


@shared_task(base=PublicTask, name="sepa.prenotify")
def prenotify() -> int:
    """Beat, daily: per firm, the debits whose date has come become payments, then the
    companies are told of the debits still to come."""
    return for_each_firm("sepa.firm_daily")


@shared_task(base=FirmTask, name="sepa.firm_daily")
def firm_daily() -> int:
    services.instructions_collect()
    return services.prenotifications_send(site_url=_site_url())


@shared_task(base=FirmTask, name="sepa.firm_prenotify")
def firm_prenotify() -> int:
    """Right after an export: its debits are announced at once, not the next morning."""
    return services.prenotifications_send(site_url=_site_url())


@shared_task(base=PublicTask, name="sepa.mandates_lapse")
def mandates_lapse() -> int:
    return for_each_firm("sepa.firm_mandates_lapse")


@shared_task(base=FirmTask, name="sepa.firm_mandates_lapse")
def firm_mandates_lapse() -> int:
    return services.mandates_lapse()
