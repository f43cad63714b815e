"""The calls we make to Stripe's API, with the firm's secret key; at STRIPE_API_BASE."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from tenants.errors import DomainError

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20


def _client(secret_key: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def _unavailable(error: stripe.StripeError) -> DomainError:
    log.warning("stripe call refused: %s", error.__class__.__name__, exc_info=True)
    return DomainError(
        _("Card payment is unavailable for the moment. Please try again in a few minutes."),
        field="card",
        code="unavailable",
    )


def customer_create(
    secret_key: str, *, name: str, email: str, metadata: dict[str, str], idempotency_key: str
) -> str:
    params: dict[str, Any] = {"name": name, "metadata": metadata}
    if email:
        params["email"] = email
    try:
        customer = _client(secret_key).v1.customers.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    return customer.id


def checkout_session_create(secret_key: str, params: dict[str, Any]) -> tuple[str, str]:
    """The session's id and the URL of its payment page."""
    try:
        session = _client(secret_key).v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    if not session.url:
        raise DomainError(_("Stripe did not return a payment page."), field="card")
    return session.id, session.url


def setup_intent_card(secret_key: str, setup_intent_id: str) -> dict[str, Any]:
    """The payment method a SetupIntent saved, as Stripe describes its card (brand, last 4,
    expiry): the number itself never leaves Stripe."""
    try:
        intent = _client(secret_key).v1.setup_intents.retrieve(
            setup_intent_id, params={"expand": ["payment_method"]}
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from error
    method = intent.payment_method
    if isinstance(method, str) or method is None:
        return {"id": method or "", "card": None}
    card = getattr(method, "card", None)
    return {
        "id": method.id,
        "card": None
        if card is None
        else {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        },
    }
