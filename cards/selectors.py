"""Reads on card payments that the pages share: is it offered, which companies may pay, the
saved card of a company, the events Stripe sent."""

from __future__ import annotations

from django.db.models import QuerySet

from cards.models import CardCustomer, CardSettings, StripeEvent
from clients.models import Company, User
from clients.selectors import companies_administered_by


def card_settings() -> CardSettings | None:
    return CardSettings.objects.filter(pk=1).first()


def card_payment_enabled() -> bool:
    return CardSettings.objects.filter(pk=1).exists()


def card_payer_companies(user: User) -> set[int]:
    """The companies whose invoices `user` may pay by card: those they administer."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(companies_administered_by(user).values_list("pk", flat=True))


def card_of(company: Company) -> CardCustomer | None:
    return CardCustomer.objects.filter(company=company).first()


def card_events_recent(limit: int = 50) -> QuerySet[StripeEvent]:
    return StripeEvent.objects.select_related("invoice").order_by("-received_at", "-id")[:limit]
