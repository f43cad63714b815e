"""Invoicing tasks: thin, tenant-aware, safe to retry."""

from __future__ import annotations

import datetime
import random

from celery import shared_task
from django.conf import settings
from django.db import connection

from invoicing import services
from invoicing.models import BillingRun, Invoice, InvoiceArchive
from tenants.provisioning import firm_url
from tenants.tasks import FirmTask, PublicTask, for_each_firm


@shared_task(base=PublicTask, name="invoicing.monthly")
def monthly() -> int:
    """Beat, on the 1st: one billing task per firm for the month just ended."""
    period = services.billing_period_default().isoformat()
    return for_each_firm("invoicing.firm_month", period)


@shared_task(base=FirmTask, name="invoicing.firm_month")
def firm_month(period_start: str) -> str:
    run = services.billing_run_start(
        actor=None,
        period_start=datetime.date.fromisoformat(period_start),
        trigger=BillingRun.Trigger.SCHEDULE,
    )
    return str(run.pk)


@shared_task(base=FirmTask, name="invoicing.bill_chunk")
def bill_chunk(run_id: str, company_ids: list[int]) -> int:
    run = BillingRun.objects.get(pk=run_id)
    services.bill_chunk(run, company_ids)
    return len(company_ids)


@shared_task(base=FirmTask, name="invoicing.document_fill", bind=True, max_retries=30)
def document_fill(self, invoice_id: int) -> str:
    """Render and store the invoice's documents; while S3 (or anything) fails, retry with an
    exponential backoff with jitter, up to an hour apart."""
    invoice = Invoice.objects.select_related("company", "credited_invoice").get(pk=invoice_id)
    try:
        services.document_store(invoice)
    except Exception as error:
        services.document_failed(invoice_id, error)
        delay = min(settings.INVOICE_DOCUMENT_RETRY_SECONDS * 2**self.request.retries, 3600)
        jitter = random.uniform(0.5, 1.0)  # noqa: S311 - spreads retries, not a secret
        raise self.retry(exc=error, countdown=delay * jitter) from error
    return invoice.number


@shared_task(base=FirmTask, name="invoicing.invoices_notify")
def invoices_notify(invoice_ids: list[int]) -> int:
    return services.invoices_notify(invoice_ids, site_url=firm_url(connection.tenant).rstrip("/"))


@shared_task(base=PublicTask, name="invoicing.documents_sweep")
def documents_sweep() -> int:
    return for_each_firm("invoicing.documents_resend")


@shared_task(base=FirmTask, name="invoicing.documents_resend")
def documents_resend() -> int:
    ids = list(services.documents_pending())
    for invoice_id in ids:
        document_fill.apply_async((invoice_id,))
    return len(ids)


@shared_task(base=FirmTask, name="invoicing.archive_build", bind=True, max_retries=3)
def archive_build(self, archive_id: str) -> str:
    from invoicing.archives import archive_build as build

    archive = InvoiceArchive.objects.get(pk=archive_id)
    return build(archive, site_url=firm_url(connection.tenant).rstrip("/")).status
