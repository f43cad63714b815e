"""Sample statements, the CSV mapping of the sample French export, and the invoices the
samples pay (call inside alpha's schema)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

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


# --- statements of any size ------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """One credit (or debit, negative) as a CAMT.053 entry writes it."""

    amount: Decimal
    booked: datetime.date
    payer: str = ""
    iban: str = ""
    remittance: str = ""
    end_to_end_id: str = ""
    return_code: str = ""


def camt_of(movements: list[Movement], *, statement_id: str = "STMT-GEN") -> bytes:
    """A CAMT.053.001.02 statement of `movements`, each entry with its own bank reference."""
    rows = []
    for n, move in enumerate(movements, start=1):
        debit = move.amount < 0
        sub = "UPDD" if move.return_code else ("ESCT" if not debit else "DMCT")
        family = "RDDT" if move.return_code else ("RCDT" if not debit else "ICDT")
        party = "Dbtr" if not debit or move.return_code else "Cdtr"
        e2e = move.end_to_end_id or "NOTPROVIDED"
        returned = (
            f"<RtrInf><Rsn><Cd>{move.return_code}</Cd></Rsn></RtrInf>" if move.return_code else ""
        )
        rows.append(
            f"""<Ntry><NtryRef>{n:06d}</NtryRef><Amt Ccy="EUR">{abs(move.amount)}</Amt>
<CdtDbtInd>{"DBIT" if debit else "CRDT"}</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>{move.booked.isoformat()}</Dt></BookgDt>
<AcctSvcrRef>{statement_id}-{n:06d}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn>
</BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
<RltdPties><{party}><Nm>{escape(move.payer)}</Nm></{party}>
<{party}Acct><Id><IBAN>{move.iban}</IBAN></Id></{party}Acct></RltdPties>
<RmtInf><Ustrd>{escape(move.remittance) or "VIREMENT"}</Ustrd></RmtInf>{returned}
</TxDtls></NtryDtls></Ntry>"""
        )
    first = min((move.booked for move in movements), default=ISSUED)
    last = max((move.booked for move in movements), default=ISSUED)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{last.isoformat()}T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>{statement_id}</Id><CreDtTm>{last.isoformat()}T06:00:00</CreDtTm>
<FrToDt><FrDtTm>{first.isoformat()}T00:00:00</FrDtTm><ToDtTm>{last.isoformat()}T23:59:59</ToDtTm>
</FrToDt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Ccy>EUR</Ccy></Acct>
{"".join(rows)}
</Stmt></BkToCstmrStmt></Document>""".encode()


@dataclass(frozen=True)
class LongStatement:
    """A statement of many entries and the invoices it pays (see `long_statement`)."""

    content: bytes
    companies: list[Company]
    payments: list[tuple[int, Decimal, Movement]]  # invoice id, amount: what it should record
    counts: dict[str, int]  # what reconciling it should give, per status


def long_statement(
    *,
    by_reference: int,
    installments: int = 1,
    by_payer: int = 0,
    to_review: int = 0,
    idle: int = 0,
    companies: int = 10,
    statement_id: str = "STMT-LONG",
) -> LongStatement:
    """Open invoices of `companies` companies, in bulk, and a statement of: `installments`
    transfers naming each of `by_reference` invoices (the last one paying the rest), one
    transfer without reference paying each of `by_payer` invoices in full from its company,
    `to_review` transfers nobody owes; `idle` more invoices stay open. Amounts are unique, so
    the payer's invoice of an amount is always one."""
    owners = Company.objects.bulk_create(
        CompanyFactory.build(legal_name=f"Client {n:05d} Lyon") for n in range(companies)
    )
    total = by_reference + by_payer + idle
    start = 200_000 + (Invoice.objects.count() or 0)
    invoices = Invoice.objects.bulk_create(
        [_open_invoice(owners[n % companies], start + n, Decimal(100 + n)) for n in range(total)],
        batch_size=1000,
    )
    booked = datetime.date(2026, 11, 20)
    step = Decimal("10.01")
    moves: list[tuple[int, Decimal, Movement]] = []
    for invoice in invoices[:by_reference]:
        left = invoice.total_incl_vat
        for k in range(installments):
            amount = left if k == installments - 1 else step
            left -= amount
            text = f"FACTURE {invoice.number} ACOMPTE {k + 1}"
            moves.append((invoice.pk, amount, _move(invoice, owners, amount, booked, text)))
    for invoice in invoices[by_reference : by_reference + by_payer]:
        amount = invoice.total_incl_vat
        moves.append((invoice.pk, amount, _move(invoice, owners, amount, booked, "VIREMENT")))
    strangers = [
        Movement(Decimal("3.00") + Decimal(k) / 100, booked, f"INCONNU {k}", _iban(10**6 + k))
        for k in range(to_review)
    ]
    movements = [move for _pk, _amount, move in moves] + strangers
    return LongStatement(
        content=camt_of(movements, statement_id=statement_id),
        companies=owners,
        payments=moves,
        counts={"matched": len(moves), "reversed": 0, "to_review": to_review, "ignored": 0},
    )


def _iban(n: int) -> str:
    return f"FR76{n:023d}"


def _move(invoice, owners, amount, booked, text) -> Movement:
    company = next(c for c in owners if c.pk == invoice.company_id)
    return Movement(amount, booked, f"{company.legal_name.upper()} SARL", _iban(company.pk), text)


def _open_invoice(company: Company, sequence: int, excl: Decimal) -> Invoice:
    vat = (excl * Decimal("0.20")).quantize(Decimal("0.01"))
    return Invoice(
        kind="invoice",
        origin=Invoice.Origin.MANUAL,
        number=f"F-2026-{sequence:06d}",
        sequence=sequence,
        company=company,
        issue_date=ISSUED,
        due_date=datetime.date(2026, 11, 30),
        total_excl_vat=excl,
        total_vat=vat,
        total_incl_vat=excl + vat,
        vat_breakdown=[{"rate": "20.00", "basis": str(excl), "amount": str(vat)}],
        seller={"legal_name": "Cabinet Alpha Expertise", "siren": "732829320"},
        buyer={"legal_name": company.legal_name, "siren": company.siren},
        payment_terms_days=30,
        late_penalty_rate=Decimal("12.00"),
    )
