"""Bank reconciliation at the size of a real firm: a statement of 5,000 entries (80 % naming
their invoice, 10 % known by amount and payer, 10 % to review) on a firm with 2,000 open
invoices. Parsing and storing (the request) and reconciling (the task's work, run here in
process) are timed apart; the baseline is the bare `payment_record` calls of the same payments,
in batches of the same size, in another firm of the same books in the same run."""

from __future__ import annotations

import os

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from banking import services
from banking.models import BankEntry
from clients.models import User
from firms.services import firm_open
from payments.models import Means, PaymentEvent, Source
from payments.services import payment_record
from saas.celery import app as celery_app
from tests.banking.support import long_statement
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX, timed

ENTRIES = 5_000
SIZES = {
    "by_reference": 1_000,  # 4 transfers each: 4,000 entries naming their invoice
    "installments": 4,
    "by_payer": 500,
    "to_review": 500,
    "idle": 500,  # open invoices no entry pays: 2,000 open invoices in all
    "companies": 400,
}


def _open(slug: str):
    firm = firm_open(
        name="Cabinet Rapprochement",
        slug=f"{PREFIX}{slug}",
        siren="732829320",
        admin_email=f"admin@{slug}.example",
        admin_password="Correct-Horse-Battery-9",
    ).firm
    connection.set_schema_to_public()
    return firm


def _bare_payments(plan) -> None:
    """What reconciling must record, straight to `payment_record`, batch by batch."""
    batch = services.RECONCILE_BATCH
    for start in range(0, len(plan.payments), batch):
        with transaction.atomic():
            for n, (invoice_id, amount, move) in enumerate(plan.payments[start : start + batch]):
                payment_record(
                    actor=None,
                    invoice=invoice_id,
                    amount=amount,
                    date=move.booked,
                    means=Means.TRANSFER,
                    source=Source.BANK,
                    reference=move.remittance,
                    payer=move.payer,
                    external_id=f"bare-{start + n}",
                )


@pytest.mark.bench
def test_a_statement_of_5000_entries_on_2000_open_invoices(committed):
    firm = _open("reconcile")
    with tenant_context(firm):
        plan = long_statement(**SIZES, statement_id="STMT-BENCH")
        assert len(plan.payments) + SIZES["to_review"] == ENTRIES
        admin = User.objects.get(email="admin@reconcile.example")
        found = {}
        store = timed(
            lambda: found.update(
                statement=services.statement_import(
                    actor=admin, content=plan.content, file_name="bench.xml", fmt="camt053"
                ).statement
            )
        )
        celery_app.control.purge()  # its task: reconciled here, in process, to be timed
        statement = found["statement"]
        reconcile = timed(lambda: services.statement_reconcile(statement_id=statement.pk))
        statuses = list(BankEntry.objects.values_list("status", flat=True))
        assert statuses.count("matched") == PaymentEvent.objects.count() == len(plan.payments)
        assert statuses.count("to_review") == SIZES["to_review"]
    base = _open("reconcile-base")
    with tenant_context(base):
        same = long_statement(**SIZES, statement_id="STMT-BENCH")
        baseline = timed(lambda: _bare_payments(same))
        assert PaymentEvent.objects.count() == len(plan.payments)

    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    setup = f"{ENTRIES} entries, 2000 open invoices, load {load}"
    figure("reconciliation", f"{ENTRIES} entries parsed and stored (the request)", store, "s")
    figure(
        "reconciliation",
        f"{ENTRIES} entries reconciled ({len(plan.payments)} payments)",
        reconcile,
        "s",
        baseline=(f"{len(plan.payments)} bare payment_record calls", baseline),
        note=setup,
    )
    figure("reconciliation", "entries reconciled per second", ENTRIES / reconcile, "entries/s")
    figure(
        "reconciliation",
        "per entry, stored and reconciled",
        (store + reconcile) * 1000 / ENTRIES,
        "ms",
        note="before: 34 ms an entry, all in the request",
    )
