"""Reads on webhooks, through what the caller may see: the whole firm's for its
administrators and API keys, nothing for anyone else."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from clients.rights import is_firm_wide
from tenants.errors import NotFound
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


def endpoints_for(actor: Any) -> QuerySet[WebhookEndpoint]:
    if not is_firm_wide(actor):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.all()


def events_for(actor: Any) -> QuerySet[WebhookEvent]:
    if not is_firm_wide(actor):
        return WebhookEvent.objects.none()
    return WebhookEvent.objects.all()


def deliveries_for(actor: Any) -> QuerySet[WebhookDelivery]:
    if not is_firm_wide(actor):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.select_related("event", "endpoint")


def _access(queryset: QuerySet, pk: Any):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def access_endpoint(actor: Any, pk: Any) -> WebhookEndpoint:
    return _access(endpoints_for(actor), pk)


def access_delivery(actor: Any, pk: Any) -> WebhookDelivery:
    return _access(deliveries_for(actor), pk)
