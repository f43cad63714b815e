"""The invoicing cast of the API matrices, on top of tests/api/conftest.py's `world`: alpha's
identity complete, an October invoice for each of its two companies (Boulangerie Martin's
partly credited), and beta's invoice and credit note with ids alpha's sequences never reach."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection

from clients.models import Company, User
from entitlements.models import Subscription
from invoicing import services
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine
from tests.api.conftest import BETA_IDS
from tests.invoicing.factories import PERIOD, application, firm_profile_complete

JSON = "application/json"
BILLING_ADDRESS = {
    "address_line": "3 place Bellecour",
    "postal_code": "69002",
    "city": "Lyon",
    "billing_email": "compta@client.example",
}


@dataclass(frozen=True)
class Inv:
    invoice: Invoice  # Boulangerie Martin, October: one line, 49.00 + 20 % VAT
    garage: Invoice  # Garage Dupont, October
    credit_note: Invoice  # 10.00 excl. VAT off `invoice`
    beta_invoice: Invoice
    beta_credit_note: Invoice
    line: InvoiceLine  # the line of `invoice`
    garage_line: InvoiceLine


def billable(*companies: Company) -> None:
    """Complete billing data, and one application at 49 EUR a month since January."""
    app = application()
    for company in companies:
        Company.objects.filter(pk=company.pk).update(**BILLING_ADDRESS)
        Subscription.objects.create(
            company=company, application=app, start_date=PERIOD.replace(month=1)
        )


def bill(company: Company) -> Invoice:
    outcome = services.company_bill(company=Company.objects.get(pk=company.pk), period_start=PERIOD)
    assert outcome.invoice is not None, outcome.reason
    return outcome.invoice


def credit(invoice: Invoice, actor, amount: str | None = "10.00", reason="Remise") -> Invoice:
    amounts = None if amount is None else {invoice.lines.get().pk: amount}
    return services.credit_note_issue(actor=actor, invoice=invoice, reason=reason, amounts=amounts)


def ready(invoice: Invoice) -> InvoiceDocument:
    """The invoice's PDF and XML rendered and stored in S3, as the task does after issue."""
    return services.document_store(Invoice.objects.get(pk=invoice.pk))


def _beta_ids_start_high() -> None:
    with connection.cursor() as cursor:
        for table in ("invoicing_invoice", "invoicing_invoiceline"):
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, BETA_IDS])


@pytest.fixture(name="inv")
def inv_fixture(alpha, beta, world) -> Inv:
    with alpha.context():
        firm_profile_complete()
        billable(world.company, world.other)
        invoice = bill(world.company)
        garage = bill(world.other)
        credit_note = credit(invoice, world.people["firm_admin"])
        line, garage_line = invoice.lines.get(), garage.lines.get()
    with beta.context():
        firm_profile_complete()
        billable(world.beta_company)
        _beta_ids_start_high()
        beta_invoice = bill(world.beta_company)
        beta_credit_note = credit(beta_invoice, User.objects.get(email=beta.admin_email))
    return Inv(invoice, garage, credit_note, beta_invoice, beta_credit_note, line, garage_line)
