"""The event catalogue and `emit`, which the business services call inside their transaction.

`emit` records the event and one pending delivery per active endpoint subscribed to its type,
and sends the deliveries once the transaction commits. With no subscriber nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# type -> what it says. Types marked `emitted=False` are reserved: declared so endpoints may
# subscribe now, emitted once payments and mandates exist.
CATALOGUE: dict[str, tuple[Any, bool]] = {
    "company.created": (_("A client company was created."), True),
    "company.updated": (_("A client company's details or status changed."), True),
    "person.invited": (_("A person was invited to the portal."), True),
    "person.activated": (_("A person accepted an invitation or was reactivated."), True),
    "person.deactivated": (_("A person's access to the portal was closed."), True),
    "grant.created": (_("A person was given access to an application."), True),
    "grant.revoked": (_("A person's access to an application was withdrawn."), True),
    "subscription.changed": (
        _("An application was configured on a company, changed or stopped."),
        True,
    ),
    "invoice.issued": (_("An invoice was issued and its documents are ready."), True),
    "credit_note.issued": (_("A credit note was issued and its documents are ready."), True),
    "invoice.paid": (_("An invoice was paid in full."), True),
    "invoice.overdue": (_("An invoice is past its due date."), True),
    "payment.received": (_("A payment was received."), True),
    "payment.failed": (_("A direct debit failed."), True),
    "mandate.created": (_("A SEPA mandate was signed."), True),
    "mandate.revoked": (_("A SEPA mandate was revoked."), True),
}
EVENT_TYPES = tuple(CATALOGUE)
TYPES_CACHE_SECONDS = 600
log = logging.getLogger(__name__)


def _types_key() -> str:
    # The database's name too: several databases (test runs) may share one cache.
    return f"webhooks:subscribed-types:{connection.settings_dict['NAME']}"


def subscribed_types() -> frozenset[str]:
    """The types some active endpoint listens to, cached so that a firm without webhooks pays
    no query for its events."""
    from webhooks.models import WebhookEndpoint

    try:
        cached = cache.get(_types_key())
    except Exception:  # the cache is down: ask the database
        cached = None
    if cached is not None:
        return frozenset(cached)
    rows = WebhookEndpoint.objects.filter(is_active=True).values_list("event_types", flat=True)
    types = sorted({name for row in rows for name in row})
    try:
        cache.set(_types_key(), types, TYPES_CACHE_SECONDS)
    except Exception:
        log.warning("webhook types not cached", exc_info=True)
    return frozenset(types)


def subscribed_types_forget() -> None:
    """After a change of endpoints: now, and again once the change is committed (a reader in
    between may have cached what it saw before)."""

    def forget() -> None:
        try:
            cache.delete(_types_key())
        except Exception:
            log.warning("webhook types not forgotten", exc_info=True)

    forget()
    transaction.on_commit(forget)


def emit(event_type: str, data: dict[str, Any]) -> Any:
    """Record `event_type` with `data` for every subscribed endpoint; returns the event or
    None when nobody listens."""
    from tenants.tasks import enqueue
    from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
    from webhooks.tasks import deliver

    if event_type not in CATALOGUE:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if event_type not in subscribed_types():
        return None
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(
            is_active=True, event_types__contains=[event_type]
        ).values_list("pk", flat=True)
    )
    if not endpoint_ids:
        return None
    with transaction.atomic():
        event = WebhookEvent.objects.create(type=event_type, data=data)
        now = timezone.now()
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint_id=pk, event=event, next_attempt_at=now) for pk in endpoint_ids
        )
        for delivery in deliveries:
            enqueue(deliver, delivery.pk)
    return event


# What each event carries: the object as the API shows it, in short.


def company(company: Any) -> dict[str, Any]:
    return {
        "id": company.pk,
        "legal_name": company.legal_name,
        "siren": company.siren,
        "vat_number": company.vat_number,
        "status": company.status,
        "billing_email": company.billing_email,
        "city": company.city,
        "updated_at": getattr(company, "updated_at", None),
    }


def person(user: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        **extra,
    }


def invitation(invitation: Any, companies: Any) -> dict[str, Any]:
    return {
        "invitation_id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "companies": sorted({c.pk for c in companies}),
        "expires_at": getattr(invitation, "expires_at", None),
    }


def subscription(subscription: Any, change: str) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "change": change,
        "company": subscription.company_id,
        "application": subscription.application_id,
        "status": subscription.status,
        "start_date": subscription.start_date,
        "end_date": subscription.end_date,
    }


def grant(*, user: Any, subscription: Any) -> dict[str, Any]:
    return {
        "user": user.pk,
        "email": user.email,
        "subscription": subscription.pk,
        "company": subscription.company_id,
        "application": subscription.application_id,
    }


def invoice(invoice: Any) -> tuple[str, dict[str, Any]]:
    """The event type (invoice or credit note issued) and its data."""
    kind = "credit_note.issued" if invoice.is_credit_note else "invoice.issued"
    return kind, {
        "id": invoice.pk,
        "number": invoice.number,
        "kind": invoice.kind,
        "company": invoice.company_id,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "currency": invoice.currency,
        "total_excl_vat": invoice.total_excl_vat,
        "total_vat": invoice.total_vat,
        "total_incl_vat": invoice.total_incl_vat,
        "credited_invoice": invoice.credited_invoice_id,
    }
