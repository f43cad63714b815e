"""Writes on webhook endpoints and deliveries: firm administrators and API keys only, one
transaction each."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.rights import is_firm_wide
from tenants.errors import DomainError, PermissionDenied
from webhooks import delivery as delivery_module
from webhooks import signing
from webhooks.events import CATALOGUE, subscribed_types_forget
from webhooks.models import WebhookDelivery, WebhookEndpoint

EDITABLE = frozenset({"url", "description", "event_types", "is_active"})


def _admin_check(actor: Any) -> None:
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators manage webhooks."))


def _event_types_clean(event_types: Any) -> list[str]:
    if not isinstance(event_types, (list, tuple)) or not event_types:
        raise DomainError(
            _("Choose at least one event type."), field="event_types", code="required"
        )
    unknown = [str(t) for t in event_types if t not in CATALOGUE]
    if unknown:
        raise DomainError(
            _("Unknown event type: %(types)s.") % {"types": ", ".join(unknown)},
            field="event_types",
            code="unknown_event_type",
        )
    return sorted(set(event_types))


def _url_clean(url: Any) -> str:
    url = str(url or "").strip()
    if not url:
        raise DomainError(_("This field is required."), field="url", code="required")
    if len(url) > 2000:
        raise DomainError(_("The URL is too long."), field="url")
    delivery_module.url_check(url)
    return url


def _description_clean(description: Any) -> str:
    description = str(description or "").strip()
    if len(description) > 200:
        raise DomainError(_("At most 200 characters."), field="description")
    return description


@transaction.atomic
def endpoint_create(
    *,
    actor: Any,
    url: str,
    event_types: list[str],
    description: str = "",
    is_active: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, which is shown this once."""
    _admin_check(actor)
    endpoint = WebhookEndpoint.objects.create(
        url=_url_clean(url),
        description=_description_clean(description),
        event_types=_event_types_clean(event_types),
        secret=signing.secret_new(),
        is_active=bool(is_active),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    subscribed_types_forget()
    return endpoint, endpoint.secret


@transaction.atomic
def endpoint_update(*, actor: Any, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Turning an endpoint back on clears why it was disabled and its failing streak."""
    _admin_check(actor)
    refused = sorted(set(changes) - EDITABLE)
    if refused:
        raise DomainError(_("This field cannot be changed."), field=refused[0], code="read_only")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if "url" in changes:
        endpoint.url = _url_clean(changes["url"])
    if "description" in changes:
        endpoint.description = _description_clean(changes["description"])
    if "event_types" in changes:
        endpoint.event_types = _event_types_clean(changes["event_types"])
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if active and not endpoint.is_active:
            endpoint.disabled_reason = ""
            endpoint.failing_since = None
        endpoint.is_active = active
    endpoint.save()
    subscribed_types_forget()
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Any, endpoint: WebhookEndpoint) -> None:
    _admin_check(actor)
    endpoint.delete()
    subscribed_types_forget()


@transaction.atomic
def endpoint_secret_rotate(*, actor: Any, endpoint: WebhookEndpoint) -> str:
    """A new secret, effective for the next attempts; shown this once."""
    _admin_check(actor)
    secret = signing.secret_new()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret, updated_at=timezone.now())
    endpoint.secret = secret
    return secret


@transaction.atomic
def delivery_redeliver(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the event again to the same endpoint now, as a new series of attempts."""
    _admin_check(actor)
    endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        raise DomainError(
            _("Turn the endpoint back on before sending events to it again."),
            field="endpoint",
            code="endpoint_disabled",
        )
    again = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=delivery.event_id, attempt=1, next_attempt_at=timezone.now()
    )
    delivery_module.send_later(again.pk)
    return again
