"""Sample statements, the CSV mapping of the sample French export, and the invoices the
samples pay (call inside alpha's schema)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from clients.models import Company
from invoicing.models import Invoice
from payments.models import PaymentEvent
from payments.services import payment_record
from tests.factories import CompanyFactory
from tests.payments.factories import invoice_due

FILES = Path(__file__).parent / "files"
MONTH = "releve_2026-11_camt053.001.02.xml"
MID_MONTH = "releve_2026-11-15_camt053.001.08.xml"
CSV = "releve_2026-11_banque.csv"
CSV_MAPPING = {
    "columns": {
        "date": "Date",
        "value_date": "Date valeur",
        "label": "Libellé",
        "reference": "Référence",
        "debit": "Débit",
        "credit": "Crédit",
        "payer": "Tiers",
    },
    "delimiter": ";",
    "decimal_comma": True,
    "date_format": "dd/mm/yyyy",
    "header": True,
    "skip_lines": 2,
}
ISSUED = datetime.date(2026, 10, 31)


def sample(name: str) -> bytes:
    return (FILES / name).read_bytes()


@dataclass(frozen=True)
class Ledger:
    martin: Company
    dupont: Company
    durand: Company
    by_reference: Invoice  # F-2026-000101, 58.80, named in a transfer
    down_payment: Invoice  # F-2026-000102, 120.00, 30.00 paid on account
    debited: Invoice  # F-2026-000103, 58.80, collected by direct debit, returned AM04
    in_dollars: Invoice  # F-2026-000104, named by a USD transfer
    by_payer: Invoice  # F-2026-000105, 240.00, Garage Dupont, no reference
    durand_a: Invoice  # F-2026-000106, 60.00
    durand_b: Invoice  # F-2026-000107, 60.00
    durand_c: Invoice  # F-2026-000108, 120.00
    collection: PaymentEvent


def ledger() -> Ledger:
    martin = CompanyFactory(legal_name="Boulangerie Martin")
    dupont = CompanyFactory(legal_name="Garage Dupont")
    durand = CompanyFactory(legal_name="Société Durand")

    def invoice(number: int, company: Company, excl: str) -> Invoice:
        return invoice_due(
            company,
            total_excl_vat=excl,
            number=f"F-2026-{number:06d}",
            issue_date=ISSUED,
            due_date=datetime.date(2026, 11, 30),
        )

    debited = invoice(103, martin, "49.00")
    collection = payment_record(
        actor=None,
        invoice=debited,
        amount=Decimal("58.80"),
        date=datetime.date(2026, 11, 5),
        means="direct_debit",
        source="direct_debit",
        external_id="F-2026-000103-0001",
    )
    return Ledger(
        martin=martin,
        dupont=dupont,
        durand=durand,
        by_reference=invoice(101, martin, "49.00"),
        down_payment=invoice(102, martin, "100.00"),
        debited=debited,
        in_dollars=invoice(104, dupont, "100.00"),
        by_payer=invoice(105, dupont, "200.00"),
        durand_a=invoice(106, durand, "50.00"),
        durand_b=invoice(107, durand, "50.00"),
        durand_c=invoice(108, durand, "100.00"),
        collection=collection,
    )
