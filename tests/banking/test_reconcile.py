"""Importing statements reconciles their entries: by invoice number, by amount and payer,
returned direct debits reversed, the rest left to review; never twice, never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from banking import services
from banking.models import BankEntry, BankStatement
from clients.models import User
from invoicing.models import Invoice
from invoicing.selectors import invoices_with_status
from payments.models import PaymentEvent
from payments.services import payment_record
from tenants.errors import DomainError, PermissionDenied
from tests.banking.support import CSV, CSV_MAPPING, MID_MONTH, MONTH, ledger, sample
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Status = BankEntry.Status


def admin() -> User:
    return User.objects.filter(firm_role=User.FirmRole.ADMIN).first()


def load(name: str, **kw):
    fmt = "csv" if name.endswith(".csv") else "camt053"
    mapping = CSV_MAPPING if fmt == "csv" else None
    return services.statement_import(
        actor=admin(), content=sample(name), file_name=name, fmt=fmt, mapping=mapping, **kw
    )


def state(invoice: Invoice) -> tuple[str, Decimal]:
    row = invoices_with_status(Invoice.objects.filter(pk=invoice.pk)).get()
    return row.payment_status, row.balance_due


def outcomes(statement: BankStatement) -> list[tuple[str, str]]:
    return [
        (str(entry.amount), entry.status)
        for entry in statement.entries.order_by("booking_date", "id")
    ]


def test_a_month_statement_pays_reverses_and_leaves_the_unsure_to_review(alpha):
    with alpha.context(), translation.override("en"):
        books = ledger()

        result = load(MONTH)

        assert result.created
        assert outcomes(result.statement) == [
            ("58.80", Status.MATCHED),  # F-2026-000101 by reference
            ("30.00", Status.MATCHED),  # F2026000102: a down payment
            ("240.00", Status.MATCHED),  # Garage Dupont, by amount and payer
            ("60.00", Status.TO_REVIEW),  # two Durand invoices of 60.00
            ("-58.80", Status.REVERSED),  # AM04 on F-2026-000103's collection
            ("100.00", Status.TO_REVIEW),  # USD
            ("-1200.00", Status.IGNORED),  # the rent
        ]
        assert state(books.by_reference) == ("paid", Decimal("0.00"))
        assert state(books.down_payment) == ("partially_paid", Decimal("90.00"))
        assert state(books.by_payer) == ("paid", Decimal("0.00"))
        assert state(books.durand_a)[0] == state(books.durand_b)[0] == "issued"
        assert state(books.debited) == ("reversed", Decimal("58.80"))
        assert state(books.in_dollars) == ("issued", Decimal("120.00"))
        reversal = PaymentEvent.objects.get(reverses=books.collection)
        assert reversal.source == "bank"
        assert reversal.reason == "AM04 insufficient funds"
        payment = PaymentEvent.objects.get(invoice=books.by_reference)
        assert (payment.source, payment.means, payment.payer) == (
            "bank",
            "transfer",
            "BOULANGERIE MARTIN SARL",
        )
        notes = dict(result.statement.entries.values_list("amount", "note"))
        assert "F-2026-000106" in notes[Decimal("60.00")]
        assert "USD" in notes[Decimal("100.00")]


def test_the_same_statement_twice_changes_nothing(alpha):
    with alpha.context():
        books = ledger()
        first = load(MONTH)
        events = PaymentEvent.objects.count()

        again = load(MONTH)

        assert not again.created
        assert again.statement == first.statement
        assert BankStatement.objects.count() == 1
        assert BankEntry.objects.count() == 7
        assert PaymentEvent.objects.count() == events
        assert state(books.by_reference) == ("paid", Decimal("0.00"))


def test_an_entry_in_two_overlapping_statements_pays_once(alpha):
    with alpha.context():
        books = ledger()
        load(MONTH)

        mid = load(MID_MONTH)

        assert mid.statement.entries_total == 3
        assert mid.statement.entries_known == 1
        assert outcomes(mid.statement) == [("60.00", Status.MATCHED), ("120.00", Status.MATCHED)]
        assert state(books.down_payment) == ("partially_paid", Decimal("90.00"))
        assert PaymentEvent.objects.filter(invoice=books.down_payment).count() == 1
        assert state(books.durand_a)[0] == "paid"
        assert state(books.durand_c)[0] == "paid"


def test_the_french_csv_export_reconciles_like_the_camt(alpha):
    with alpha.context():
        books = ledger()

        result = load(CSV)

        assert outcomes(result.statement) == [
            ("58.80", Status.MATCHED),
            ("240.00", Status.MATCHED),
            ("-58.80", Status.REVERSED),
            ("-1200.00", Status.IGNORED),
            ("1015.50", Status.TO_REVIEW),
        ]
        assert state(books.debited)[0] == "reversed"
        assert services.mapping_remembered()["columns"]["credit"] == "Crédit"


def test_a_transfer_above_the_balance_is_not_guessed(alpha):
    with alpha.context(), translation.override("en"):
        books = ledger()
        payment_record(
            actor=None,
            invoice=books.by_reference,
            amount="20.00",
            date="2026-11-02",
            means="cheque",
            source="bank",
        )

        result = load(MONTH)

        entry = result.statement.entries.get(amount=Decimal("58.80"))
        assert entry.status == Status.TO_REVIEW
        assert "38.80" in entry.note and "F-2026-000101" in entry.note
        assert state(books.by_reference) == ("partially_paid", Decimal("38.80"))


def test_a_file_that_cannot_be_read_writes_nothing(alpha):
    with alpha.context():
        ledger()
        events = PaymentEvent.objects.count()

        with pytest.raises(DomainError) as refused:
            services.statement_import(
                actor=admin(), content=sample("pain.008.001.02.xml"), fmt="camt053"
            )
        with pytest.raises(DomainError):
            services.statement_import(
                actor=admin(),
                content=sample("releve_montant_illisible.csv"),
                fmt="csv",
                mapping=CSV_MAPPING,
            )

        assert refused.value.field == "file"
        assert not BankStatement.objects.exists()
        assert not BankEntry.objects.exists()
        assert PaymentEvent.objects.count() == events


def test_only_the_firm_administrators_import(alpha):
    with alpha.context():
        accountant = UserFactory(firm_role=User.FirmRole.ACCOUNTANT)

        with pytest.raises(PermissionDenied):
            services.statement_import(actor=accountant, content=sample(MONTH), fmt="camt053")

        assert not BankStatement.objects.exists()


def test_an_entry_to_review_is_matched_by_hand_partly(alpha):
    with alpha.context():
        books = ledger()
        result = load(MONTH)
        entry = result.statement.entries.get(amount=Decimal("60.00"))

        services.entry_match(actor=admin(), entry=entry, invoice=books.durand_b, amount="40")

        entry.refresh_from_db()
        assert entry.status == Status.MATCHED
        assert entry.invoice == books.durand_b
        assert state(books.durand_b) == ("partially_paid", Decimal("20.00"))
        with pytest.raises(DomainError):
            services.entry_match(actor=admin(), entry=entry, invoice=books.durand_a)


def test_matching_by_hand_more_than_the_entry_is_refused_on_the_amount(alpha):
    with alpha.context(), translation.override("en"):
        books = ledger()
        entry = load(MONTH).statement.entries.get(amount=Decimal("60.00"))

        with pytest.raises(DomainError) as refused:
            services.entry_match(actor=admin(), entry=entry, invoice=books.durand_c, amount="61")

        assert refused.value.field == "amount"
        assert "60.00" in str(refused.value.message)
        assert state(books.durand_c)[0] == "issued"


def test_an_entry_set_aside_can_be_put_back(alpha):
    with alpha.context():
        ledger()
        entry = load(MONTH).statement.entries.get(currency="USD")

        with pytest.raises(DomainError) as refused:
            services.entry_ignore(actor=admin(), entry=entry, reason="  ")
        services.entry_ignore(actor=admin(), entry=entry, reason="Client américain, en attente")
        entry.refresh_from_db()
        assert (entry.status, entry.note) == (Status.IGNORED, "Client américain, en attente")

        services.entry_restore(actor=admin(), entry=entry)

        entry.refresh_from_db()
        assert refused.value.field == "reason"
        assert entry.status == Status.TO_REVIEW


def test_a_return_without_its_collection_waits_then_is_matched_by_hand(alpha):
    with alpha.context():
        books = ledger()
        mapping = {**CSV_MAPPING, "columns": {**CSV_MAPPING["columns"]}}
        mapping["columns"].pop("reference")  # this export drops the end-to-end id
        result = services.statement_import(
            actor=admin(), content=sample(CSV), fmt="csv", mapping=mapping
        )
        entry = result.statement.entries.get(amount=Decimal("-58.80"))
        assert entry.status == Status.TO_REVIEW

        services.entry_match(actor=admin(), entry=entry, invoice=books.debited)

        entry.refresh_from_db()
        assert entry.status == Status.REVERSED
        assert state(books.debited)[0] == "reversed"


@pytest.mark.parametrize(
    ("payer", "company", "same"),
    [
        ("BOULANGERIE MARTIN SARL", "Boulangerie Martin", True),
        ("STE DURAND", "Société Durand", True),
        ("M. GARAGE DUPONT", "Garage Dupont SAS", True),
        ("DUPONT TRADING LLC", "Garage Dupont", False),
        ("SA", "SAS", False),
    ],
)
def test_payer_names_are_compared_as_banks_write_them(payer, company, same):
    assert services.names_match(payer, company) is same
