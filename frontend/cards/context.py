"""What every page of a firm's portal knows about card payments: `card_payment.enabled` (the
firm offers it) and `card_payment.companies` (those whose invoices the person may pay). Both
lazy and read once a request: a page that shows no pay button or card tab asks nothing."""

from functools import cached_property

from django.db import connection
from django.http import HttpRequest


class _CardPayment:
    def __init__(self, user):
        self._user = user

    @cached_property
    def enabled(self) -> bool:
        from cards.selectors import card_payment_enabled

        return card_payment_enabled()

    @cached_property
    def companies(self) -> set[int]:
        from cards.selectors import card_payer_companies

        return card_payer_companies(self._user) if self.enabled else set()


def portal(request: HttpRequest) -> dict:
    if getattr(request, "tenant", None) is None or connection.schema_name == "public":
        return {}
    return {"card_payment": _CardPayment(getattr(request, "user", None))}
