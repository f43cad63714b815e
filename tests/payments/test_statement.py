"""A company's statement of account and the firm's dashboard, read from invoices, credit notes,
payments and reversals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from clients.models import User
from invoicing.services import credit_note_issue
from payments.models import Source
from payments.selectors import (
    aging_bucket,
    dashboard,
    payments_visible_to,
    statement_of_account,
)
from payments.services import payment_record, payment_reverse
from tests.factories import CompanyFactory, UserFactory
from tests.invoicing.factories import firm_profile_complete
from tests.invoicing.test_archives import client_admin, collaborator
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
D = Decimal


def days_ago(days: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=days)


def pay(invoice, amount, date=None, **kw):
    values = {"actor": None, "source": Source.BANK, "means": "transfer", "date": date or TODAY()}
    return payment_record(invoice=invoice, amount=amount, **{**values, **kw})


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "not_due"),
        (0, "not_due"),
        (1, "0_30"),
        (30, "0_30"),
        (31, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (90, "61_90"),
        (91, "90_plus"),
        (400, "90_plus"),
    ],
)
def test_aging_buckets_follow_the_days_past_due(days, bucket):
    assert aging_bucket(days) == bucket


def test_a_statement_lists_debits_and_credits_in_order_with_the_running_balance(alpha):
    with alpha.context():
        firm_profile_complete()
        company = CompanyFactory(address_line="1 rue", postal_code="69001", city="Lyon")
        first = invoice_due(
            company, total_excl_vat="100.00", issue_date=days_ago(80), due_date=days_ago(50)
        )
        second = invoice_due(
            company, total_excl_vat="50.00", issue_date=days_ago(20), due_date=days_ago(-10)
        )
        payment = pay(first, "100.00", date=days_ago(40), reference="VIR 1")
        payment_reverse(
            actor=None, payment=payment, date=days_ago(35), reason="AM04", source=Source.BANK
        )
        pay(first, "20.00", date=days_ago(30))
        admin = UserFactory(firm_role=User.FirmRole.ADMIN)
        credit_note_issue(actor=admin, invoice=second, reason="Remise", amounts=None)

        statement = statement_of_account(company)

    kinds = [(line.kind, line.debit, line.credit, line.balance) for line in statement.lines]
    assert kinds == [
        ("invoice", D("120.00"), D("0"), D("120.00")),
        ("payment", D("0"), D("100.00"), D("20.00")),
        ("reversal", D("100.00"), D("0"), D("120.00")),
        ("payment", D("0"), D("20.00"), D("100.00")),
        ("invoice", D("60.00"), D("0"), D("160.00")),
        ("credit_note", D("0"), D("60.00"), D("100.00")),
    ]
    assert statement.lines[1].reference == "VIR 1"
    assert statement.total_debit == D("280.00") and statement.total_credit == D("180.00")
    assert statement.balance == D("100.00")
    assert statement.aging == {
        "not_due": D("0"),
        "0_30": D("0"),
        "31_60": D("100.00"),
        "61_90": D("0"),
        "90_plus": D("0"),
    }
    assert statement.open_invoices == 1


def test_a_statement_until_a_past_date_ages_what_was_due_then(alpha):
    with alpha.context():
        company = CompanyFactory()
        invoice = invoice_due(
            company, total_excl_vat="100.00", issue_date=days_ago(60), due_date=days_ago(30)
        )
        pay(invoice, "120.00", date=days_ago(5))

        then = statement_of_account(company, until=days_ago(10))
        now = statement_of_account(company)

    assert [line.kind for line in then.lines] == ["invoice"]
    assert then.balance == D("120.00") and then.aging["0_30"] == D("120.00")
    assert now.balance == D("0.00") and sum(now.aging.values()) == 0


def test_a_statement_holds_that_company_only(alpha):
    with alpha.context():
        mine, other = CompanyFactory(), CompanyFactory()
        invoice_due(mine)
        pay(invoice_due(other), "10.00")

        statement = statement_of_account(mine)

    assert len(statement.lines) == 1


def test_a_statement_is_two_queries_whatever_its_length(alpha, django_assert_max_num_queries):
    with alpha.context():
        company = CompanyFactory()
        for _ in range(15):
            pay(invoice_due(company, days_overdue=3), "5.00")

        with django_assert_max_num_queries(4):
            statement = statement_of_account(company)

    assert len(statement.lines) == 30


def test_the_dashboard_sums_receivables_overdue_collected_and_aging(alpha):
    with alpha.context():
        accountant = UserFactory(firm_role=User.FirmRole.ACCOUNTANT)
        company = CompanyFactory(accountant=accountant)
        elsewhere = CompanyFactory()
        late = invoice_due(
            company, total_excl_vat="100.00", issue_date=days_ago(70), due_date=days_ago(40)
        )
        pay(late, "20.00", date=days_ago(1))
        invoice_due(company, total_excl_vat="50.00", days_overdue=None)
        paid = invoice_due(
            company, total_excl_vat="10.00", issue_date=days_ago(12), due_date=days_ago(-18)
        )
        pay(paid, "12.00", date=days_ago(2))
        invoice_due(elsewhere, total_excl_vat="1000.00", days_overdue=100)

        board = dashboard(accountant)

    assert board.receivables == D("160.00")
    assert board.overdue_amount == D("100.00") and board.overdue_count == 1
    assert [invoice.pk for invoice in board.overdue] == [late.pk]
    assert board.aging["31_60"] == D("100.00") and board.aging["not_due"] == D("60.00")
    assert board.aging["90_plus"] == D("0.00")
    assert board.average_days_to_pay == D("10.0") and board.paid_invoices == 1
    assert len(board.months) == 12 and board.months[-1][0] == TODAY().replace(day=1)
    this_month = sum(
        (
            D(a)
            for a, day in (("20.00", days_ago(1)), ("12.00", days_ago(2)))
            if day.month == TODAY().month
        ),
        D("0"),
    )
    assert board.collected_this_month == this_month


def test_the_dashboard_nets_reversals_out_of_what_was_collected(alpha):
    with alpha.context():
        admin = UserFactory(firm_role=User.FirmRole.ADMIN)
        invoice = invoice_due(total_excl_vat="100.00")
        payment = pay(invoice, "120.00")
        pay(invoice_due(total_excl_vat="10.00"), "12.00")
        payment_reverse(
            actor=None, payment=payment, date=TODAY(), reason="AM04", source=Source.BANK
        )

        board = dashboard(admin)

    assert board.collected_this_month == D("12.00")


def test_the_dashboard_is_a_few_queries_for_many_invoices(alpha, django_assert_max_num_queries):
    with alpha.context():
        admin = UserFactory(firm_role=User.FirmRole.ADMIN)
        for days in range(0, 150, 5):
            pay(invoice_due(days_overdue=days), "1.00")

        with django_assert_max_num_queries(8):
            board = dashboard(admin)

    assert len(board.overdue) == 20


def test_a_client_sees_the_payments_of_the_companies_where_they_see_invoices(alpha):
    with alpha.context():
        company, other = CompanyFactory(), CompanyFactory()
        mine = pay(invoice_due(company), "10.00")
        pay(invoice_due(other), "10.00")
        admin = client_admin(company)
        viewer = collaborator(company, "view_invoices")
        nothing = collaborator(company)
        other_admin = client_admin(other)

        assert list(payments_visible_to(admin)) == [mine]
        assert list(payments_visible_to(viewer)) == [mine]
        assert list(payments_visible_to(nothing)) == []
        assert mine not in payments_visible_to(other_admin)
