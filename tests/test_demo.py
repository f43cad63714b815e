"""The demo firm `make run` loads: complete, with payments, and unchanged when loaded again."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from invoicing.models import Invoice
from invoicing.selectors import invoices_with_status
from payments.models import PaymentEvent
from saas import demo

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "invoices": Invoice.objects.count(),
        "payments": PaymentEvent.objects.count(),
    }


def test_the_demo_loads_once_with_invoices_in_every_payment_state():
    firm = demo.load()
    with tenant_context(firm):
        first = _counts()
        statuses = set(
            invoices_with_status(Invoice.objects.all()).values_list("payment_status", flat=True)
        )
    connection.set_schema_to_public()

    demo.load()

    with tenant_context(firm):
        assert _counts() == first
    assert first["invoices"] > 0
    assert {"paid", "partially_paid", "issued"} <= statuses
