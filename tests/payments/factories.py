"""Invoices to pay, dated as a test needs (call inside the firm's schema).

`invoice_due` writes the invoice rows directly, as issuing would, so that a test can place its
issue and due dates in the past; numbers come from a series of their own (T-…)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from clients.models import Company
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine, Kind
from invoicing.pricing import money
from tests.factories import CompanyFactory

_numbers = itertools.count(1)


def invoice_due(
    company: Company | None = None,
    *,
    total_excl_vat: str | Decimal = "100.00",
    days_overdue: int | None = None,
    due_date: datetime.date | None = None,
    issue_date: datetime.date | None = None,
    number: str | None = None,
) -> Invoice:
    """An issued invoice with one line at 20 % VAT. `days_overdue=10`: due ten days ago.
    `number`: the number a test needs (F-2026-000123 in a bank statement), else T-…."""
    company = company or CompanyFactory(
        address_line="3 place Bellecour",
        postal_code="69002",
        city="Lyon",
        billing_email="compta@client.example",
    )
    today = timezone.localdate()
    if due_date is None:
        due_date = today + datetime.timedelta(days=30 if days_overdue is None else -days_overdue)
    issue_date = issue_date or min(today, due_date - datetime.timedelta(days=30))
    excl = money(Decimal(total_excl_vat))
    vat = money(excl * Decimal("0.20"))
    sequence = next(_numbers) + 900000
    invoice = Invoice.objects.create(
        kind=Kind.INVOICE,
        origin=Invoice.Origin.MANUAL,
        number=number or f"T-{issue_date.year}-{sequence}",
        sequence=sequence,
        company=company,
        issue_date=issue_date,
        due_date=due_date,
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        vat_breakdown=[{"rate": "20.00", "basis": str(excl), "amount": str(vat)}],
        seller={"legal_name": "Cabinet Alpha Expertise", "siren": "732829320"},
        buyer={"legal_name": company.legal_name, "siren": company.siren},
        payment_terms_days=30,
        late_penalty_rate=Decimal("12.00"),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        label="Comptabilité en ligne",
        quantity=Decimal("1"),
        unit_price=excl,
        vat_rate=Decimal("20.00"),
        total_excl_vat=excl,
        vat_amount=vat,
    )
    InvoiceDocument.objects.create(invoice=invoice)
    return invoice
