"""A long statement is stored at once and reconciled afterwards, in batches that read the books
once: entries wait `pending`, the page and the API follow the progress, a second run changes
nothing; a payer is also known by the account of its SEPA mandate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from banking import selectors, services
from banking.models import BankEntry, BankStatement
from clients.models import User
from payments.models import PaymentEvent
from tenants.errors import DomainError
from tests.banking.support import Movement, camt_of, long_statement
from tests.factories import PASSWORD, CompanyFactory
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db
Status = BankEntry.Status
HOME = "/cabinet/rapprochement/"
LONG = services.INLINE_ENTRIES + 20
# What one payment_record costs in statements (lock, balance, external id, insert and their
# savepoints): reconciling may add only a few statements per batch on top of it.
PAYMENT_STATEMENTS = 8


def admin() -> User:
    return User.objects.filter(firm_role=User.FirmRole.ADMIN).first()


def long(**sizes):
    return long_statement(
        by_reference=sizes.get("by_reference", LONG - 20),
        installments=sizes.get("installments", 1),
        by_payer=sizes.get("by_payer", 10),
        to_review=sizes.get("to_review", 10),
        idle=sizes.get("idle", 30),
    )


def counted(statement: BankStatement) -> BankStatement:
    return selectors.statements_counted(BankStatement.objects.filter(pk=statement.pk)).get()


def test_a_long_statement_is_stored_pending_then_reconciled_once(alpha):
    with alpha.context():
        plan = long()

        result = services.statement_import(actor=admin(), content=plan.content, fmt="camt053")

        stored = counted(result.statement)
        assert selectors.progress_of(stored)["status"] == "pending"
        assert selectors.pending_of(stored) == LONG
        assert not PaymentEvent.objects.exists()

        settled = services.statement_reconcile(statement_id=stored.pk)
        again = services.statement_reconcile(statement_id=stored.pk)

        done = counted(stored)
        assert (settled, again) == (LONG, 0)
        assert selectors.counts_of(done) == plan.counts
        assert selectors.progress_of(done)["status"] == "done"
        recorded = sorted(PaymentEvent.objects.values_list("invoice_id", "amount"))
        assert recorded == sorted((pk, amount) for pk, amount, _move in plan.payments)


def test_installments_naming_one_invoice_pay_it_in_turn_within_a_batch(alpha):
    with alpha.context(), translation.override("en"):
        plan = long_statement(by_reference=30, installments=4)
        statement = services.statement_import(
            actor=admin(), content=plan.content, fmt="camt053"
        ).statement

        services.statement_reconcile(statement_id=statement.pk)

        assert selectors.counts_of(counted(statement))["matched"] == 120
        assert PaymentEvent.objects.count() == 120


def test_reconciling_reads_the_books_once_per_batch_not_once_per_entry(alpha):
    with alpha.context():
        plan = long()
        statement = services.statement_import(
            actor=admin(), content=plan.content, fmt="camt053"
        ).statement

        with CaptureQueriesContext(connection) as captured:
            services.statement_reconcile(statement_id=statement.pk)

        matched = plan.counts["matched"]
        assert len(captured) <= PAYMENT_STATEMENTS * matched + 12, len(captured)


def test_a_short_statement_is_reconciled_within_its_import(alpha):
    with alpha.context():
        plan = long_statement(by_reference=20, by_payer=5, to_review=5)

        result = services.statement_import(actor=admin(), content=plan.content, fmt="camt053")

        assert selectors.progress_of(counted(result.statement))["status"] == "done"
        assert selectors.counts_of(counted(result.statement)) == plan.counts


def test_an_entry_being_reconciled_cannot_be_matched_by_hand(alpha):
    with alpha.context(), translation.override("en"):
        plan = long()
        statement = services.statement_import(
            actor=admin(), content=plan.content, fmt="camt053"
        ).statement
        entry = statement.entries.first()
        invoice_id = plan.payments[0][0]

        with pytest.raises(DomainError) as refused:
            services.entry_match(actor=admin(), entry=entry, invoice=invoice_id)

        assert "no longer waiting for review" in str(refused.value.message)
        assert not PaymentEvent.objects.exists()
        assert entry not in selectors.entries_to_review(admin())


def _mandate(company, iban: str):
    try:
        mandate = apps.get_model("sepa", "Mandate")
    except LookupError:
        pytest.skip("no SEPA mandate model in this build")
    return mandate.objects.create(
        company=company,
        reference=f"RUM-{company.pk:06d}-1",
        sequence=1,
        holder_name="M OU MME JEAN DUPONT",
        iban=iban,
        bic="CCBPFRPPLYO",
        creditor_id="FR12ZZZ123456",
        creditor_name="Cabinet Alpha",
        text="Mandat de prélèvement SEPA",
        language="fr",
        signed_at=timezone.now(),
        signer_email="jean@dupont.example",
    )


def test_a_transfer_from_the_account_of_a_mandate_pays_that_companys_invoice(alpha):
    iban = "FR7613807000401234567890142"
    with alpha.context():
        company = CompanyFactory(legal_name="Garage des Alpes")
        stranger = CompanyFactory(legal_name="Menuiserie Morel")
        _mandate(company, iban)
        invoice = invoice_due(company, total_excl_vat="200.00", number="F-2026-000501")
        invoice_due(stranger, total_excl_vat="200.00", number="F-2026-000502")
        content = camt_of(
            [
                Movement(
                    Decimal("240.00"),
                    datetime.date(2026, 11, 20),
                    payer="M OU MME JEAN DUPONT",
                    iban="FR76 1380 7000 4012 3456 7890 142",
                )
            ]
        )

        result = services.statement_import(actor=admin(), content=content, fmt="camt053")

        entry = result.statement.entries.get()
        assert (entry.status, entry.invoice_id) == (Status.MATCHED, invoice.pk)


def test_the_page_follows_the_progress_then_reloads(alpha):
    with alpha.context():
        plan = long()
    client = alpha.client()  # the administrator's saved language: French
    client.post("/connexion/", {"username": alpha.admin_email, "password": PASSWORD})

    imported = client.post(HOME, {"file": _upload(plan.content), "format": "camt053"}, follow=True)
    with alpha.context():
        statement = BankStatement.objects.get()
    progress = f"{HOME}releves/{statement.pk}/avancement/"
    polled = client.get(progress, HTTP_HX_REQUEST="true")
    with alpha.context():
        services.statement_reconcile(statement_id=statement.pk)
    finished = client.get(progress, HTTP_HX_REQUEST="true")

    page = imported.content.decode()
    assert "en cours de rapprochement" in page and f'hx-get="{progress}"' in page
    assert f"Rapprochement en cours : 0 opérations sur {LONG}" in polled.content.decode()
    assert 'hx-trigger="every 2s"' in polled.content.decode()
    assert finished["HX-Refresh"] == "true"
    assert "hx-trigger" not in finished.content.decode()


def test_the_progress_of_another_firms_statement_is_not_found(alpha, beta):
    with alpha.context():
        plan = long()
        statement = services.statement_import(
            actor=admin(), content=plan.content, fmt="camt053"
        ).statement
    client = beta.client()
    client.post("/connexion/", {"username": beta.admin_email, "password": PASSWORD})

    answer = client.get(f"{HOME}releves/{statement.pk}/avancement/")

    assert answer.status_code == 404
    with alpha.context():
        assert selectors.pending_of(counted(statement)) == LONG


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("releve-long.xml", content)
