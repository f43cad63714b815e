"""Issuing: lines, proration, VAT, numbering, exactly once, skipped companies, credit notes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from clients.models import Company, Membership
from entitlements.models import Application, Subscription, SubscriptionUserObjectPermission
from invoicing import services
from invoicing.models import BillingRun, BillingRunItem, Invoice, InvoiceLine, Kind
from invoicing.pricing import days_open, prorated_quantity, totals
from tenants.errors import DomainError, PermissionDenied
from tests.factories import MembershipFactory, UserFactory
from tests.invoicing.factories import PERIOD, application, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(alpha):
    with alpha.context():
        firm_profile_complete()
        yield alpha


@pytest.fixture
def firm_admin(ctx):
    return UserFactory(email="boss@alpha-cabinet.example", firm_role="admin")


def bill(company: Company, period: datetime.date = PERIOD, **kwargs) -> services.Outcome:
    return services.company_bill(company=company, period_start=period, **kwargs)


def test_a_full_month_is_billed_one_month_at_the_catalogue_price(ctx):
    company = billable_company()

    outcome = bill(company)

    invoice = outcome.invoice
    assert outcome.outcome == "issued"
    assert (invoice.period_start, invoice.period_end) == (PERIOD, datetime.date(2026, 10, 31))
    [line] = invoice.lines.all()
    assert (line.quantity, line.unit_price, line.total_excl_vat) == (
        Decimal("1.0000"),
        Decimal("49.00"),
        Decimal("49.00"),
    )
    assert (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat) == (
        Decimal("49.00"),
        Decimal("9.80"),
        Decimal("58.80"),
    )
    assert invoice.vat_breakdown == [{"rate": "20.00", "basis": "49.00", "amount": "9.80"}]
    assert invoice.document.status == "pending"


def test_a_subscription_starting_inside_the_month_is_prorated_by_days(ctx):
    company = billable_company(start=datetime.date(2026, 10, 17))

    invoice = bill(company).invoice

    [line] = invoice.lines.all()
    assert line.quantity == Decimal("0.4839")  # 15 of 31 days
    assert line.total_excl_vat == Decimal("23.71")
    assert "15" in line.detail and "31" in line.detail


def test_a_subscription_ending_inside_the_month_is_prorated_to_its_last_day(ctx):
    company = billable_company()
    Subscription.objects.filter(company=company).update(
        end_date=datetime.date(2026, 10, 10), status="ended"
    )

    [line] = bill(company).invoice.lines.all()

    assert line.quantity == Decimal("0.3226")  # 10 of 31 days


def test_per_user_pricing_counts_the_people_granted_access(ctx):
    app = application(
        "Notes de frais", pricing=Application.Pricing.PER_USER_MONTH, price_excl_vat=8
    )
    company = billable_company(applications=(app,))
    subscription = Subscription.objects.get(company=company)
    for _ in range(3):
        user = MembershipFactory(company=company).user
        SubscriptionUserObjectPermission.objects.assign_perm("use_subscription", user, subscription)

    [line] = bill(company).invoice.lines.all()

    assert (line.quantity, line.total_excl_vat) == (Decimal("3.0000"), Decimal("24.00"))


def test_vat_is_computed_per_rate_on_the_sum_of_the_lines(ctx):
    lines = [
        services.LineDraft("a", "", Decimal("1"), Decimal("0.33"), Decimal("20")),
        services.LineDraft("b", "", Decimal("1"), Decimal("0.33"), Decimal("20")),
        services.LineDraft("c", "", Decimal("1"), Decimal("10.00"), Decimal("5.5")),
    ]

    summed = totals(lines)

    assert [(e["rate"], e["basis"], e["amount"]) for e in summed.breakdown] == [
        (Decimal("20"), Decimal("0.66"), Decimal("0.13")),
        (Decimal("5.5"), Decimal("10.00"), Decimal("0.55")),
    ]
    assert summed.incl_vat == summed.excl_vat + summed.vat == Decimal("11.34")


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (datetime.date(2026, 1, 1), None, 31),
        (datetime.date(2026, 10, 31), None, 1),
        (datetime.date(2026, 11, 1), None, 0),
        (datetime.date(2026, 1, 1), datetime.date(2026, 9, 30), 0),
        (datetime.date(2026, 10, 5), datetime.date(2026, 10, 5), 1),
    ],
)
def test_days_open_counts_both_ends(start, end, days):
    assert days_open(start, end, PERIOD, datetime.date(2026, 10, 31)) == days


def test_prorated_quantity_of_a_whole_month_is_the_units():
    assert prorated_quantity(2, 30, 30) == Decimal(2)
    assert prorated_quantity(1, 1, 3) == Decimal("0.3333")


def test_numbers_follow_each_other_within_a_series(ctx):
    first, second, third = (bill(billable_company()).invoice for _ in range(3))

    year = first.issue_date.year
    assert [first.sequence + 1, first.sequence + 2] == [second.sequence, third.sequence]
    assert second.number == f"F-{year}-{second.sequence:06d}"


def test_credit_notes_have_their_own_series(ctx, firm_admin):
    invoice = bill(billable_company()).invoice

    note = services.credit_note_issue(actor=firm_admin, invoice=invoice, reason="Erreur")

    assert note.number.startswith(f"AV-{note.issue_date.year}-")
    assert note.sequence == 1 or Invoice.objects.filter(kind=Kind.CREDIT_NOTE).count() >= 1


def test_a_company_is_billed_once_per_month_however_often_it_runs(ctx):
    company = billable_company()

    first = bill(company)
    second = bill(company)

    assert first.outcome == "issued" and second.outcome == "already_issued"
    assert second.invoice == first.invoice
    assert Invoice.objects.filter(company=company).count() == 1


def test_the_database_refuses_a_second_monthly_invoice_for_the_same_period(ctx):
    company = billable_company()
    invoice = bill(company).invoice

    with pytest.raises(IntegrityError), transaction.atomic():
        services._issue(
            kind=Kind.INVOICE,
            origin=Invoice.Origin.MONTHLY,
            company=company,
            lines=[services.LineDraft("x", "", Decimal(1), Decimal(1), Decimal(20))],
            profile=services.firm_profile(),
            language="fr",
            period_start=invoice.period_start,
            period_end=invoice.period_end,
        )


def test_an_aborted_issue_leaves_no_gap_in_the_numbers(ctx):
    before = bill(billable_company()).invoice
    company = billable_company()

    with pytest.raises(RuntimeError), transaction.atomic():
        bill(company)
        raise RuntimeError("crash after numbering")
    after = bill(billable_company()).invoice

    assert after.sequence == before.sequence + 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE invoicing_invoice SET total_excl_vat = 0, total_incl_vat = total_vat WHERE id = %s",
        "UPDATE invoicing_invoice SET number = 'F-0000-000001' WHERE id = %s",
        "DELETE FROM invoicing_invoice WHERE id = %s",
        "UPDATE invoicing_invoiceline SET unit_price = 0 WHERE invoice_id = %s",
        "DELETE FROM invoicing_invoiceline WHERE invoice_id = %s",
    ],
)
def test_raw_sql_cannot_change_or_delete_an_issued_invoice(ctx, sql):
    invoice = bill(billable_company()).invoice

    with (
        pytest.raises(Exception, match="refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [invoice.pk])

    invoice.refresh_from_db()
    assert invoice.total_excl_vat == Decimal("49.00")
    assert invoice.lines.get().unit_price == Decimal("49.00")


def test_the_orm_cannot_change_or_delete_an_issued_invoice(ctx):
    invoice = bill(billable_company()).invoice

    invoice.note = "changed"
    with pytest.raises(Exception, match="refused"), transaction.atomic():
        invoice.save()
    with pytest.raises(Exception, match=r"refused|protected"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).delete()
    with pytest.raises(Exception, match="refused"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk)._raw_delete(using="default")
    with pytest.raises(Exception, match="refused"), transaction.atomic():
        InvoiceLine.objects.filter(invoice=invoice).update(label="x")

    assert Invoice.objects.get(pk=invoice.pk).note == ""


def test_a_ready_document_is_sealed(ctx):
    invoice = bill(billable_company()).invoice
    document = invoice.document
    document.status = "ready"
    document.pdf_sha256 = "a" * 64
    document.save()

    with pytest.raises(Exception, match="sealed"), transaction.atomic():
        type(document).objects.filter(pk=document.pk).update(pdf_sha256="b" * 64)
    type(document).objects.filter(pk=document.pk).update(
        notified_at=datetime.datetime.now(datetime.UTC)
    )


def test_a_company_with_incomplete_billing_data_is_skipped_with_its_reason(ctx):
    company = billable_company(address_line="", postal_code="")

    with translation.override("fr"):
        outcome = bill(company)

    assert outcome.outcome == "skipped"
    assert "adresse" in outcome.reason and "code postal" in outcome.reason
    assert not Invoice.objects.filter(company=company).exists()


def test_an_incomplete_firm_identity_skips_every_company(ctx):
    firm_profile_complete(iban="")
    company = billable_company()

    outcome = bill(company)

    assert outcome.outcome == "skipped" and "IBAN" in outcome.reason


def test_a_company_billed_elsewhere_is_skipped(ctx):
    outcome = bill(billable_company(billing=Company.Billing.ELSEWHERE))

    assert outcome.outcome == "skipped"


def test_a_company_with_nothing_to_bill_is_skipped(ctx):
    outcome = bill(billable_company(start=datetime.date(2026, 11, 5)))

    assert outcome.outcome == "skipped" and outcome.reason


def test_a_preview_writes_no_invoice_and_gives_the_totals(ctx, firm_admin):
    company = billable_company()
    run = BillingRun.objects.create(
        period_start=PERIOD,
        period_end=datetime.date(2026, 10, 31),
        mode="preview",
        trigger="manual",
    )

    outcome = bill(company, preview=True, run=run)

    assert outcome.outcome == "previewed"
    assert outcome.total_incl_vat == Decimal("58.80")
    assert not Invoice.objects.filter(company=company).exists()
    assert BillingRunItem.objects.get(run=run, company=company).total_incl_vat == Decimal("58.80")


def test_the_invoice_is_in_english_when_every_administrator_chose_english(ctx):
    company = billable_company()
    admin = UserFactory(language="en")
    Membership.objects.create(user=admin, company=company, role=Membership.Role.ADMIN)

    invoice = bill(company).invoice

    assert invoice.language == "en"
    assert invoice.lines.get().detail.startswith("From")


def test_due_date_follows_the_company_payment_terms_or_the_firm(ctx):
    firm_terms = bill(billable_company()).invoice
    own_terms = bill(billable_company(payment_terms_days=45)).invoice

    assert (firm_terms.due_date - firm_terms.issue_date).days == 30
    assert (own_terms.due_date - own_terms.issue_date).days == 45


def test_later_identity_changes_do_not_touch_an_issued_invoice(ctx):
    company = billable_company()
    invoice = bill(company).invoice

    Company.objects.filter(pk=company.pk).update(legal_name="Nouveau nom")
    firm_profile_complete(legal_name="Autre cabinet")

    invoice.refresh_from_db()
    assert invoice.buyer["legal_name"] != "Nouveau nom"
    assert invoice.seller["legal_name"] == "Cabinet Alpha Expertise"


def test_a_partial_credit_note_references_the_invoice_and_caps_what_remains(ctx, firm_admin):
    invoice = bill(billable_company()).invoice
    line = invoice.lines.get()

    note = services.credit_note_issue(
        actor=firm_admin, invoice=invoice, reason="Geste commercial", amounts={line.pk: "20.00"}
    )
    with pytest.raises(DomainError) as refused:
        services.credit_note_issue(
            actor=firm_admin, invoice=invoice, reason="Encore", amounts={line.pk: "29.01"}
        )
    rest = services.credit_note_issue(actor=firm_admin, invoice=invoice, reason="Solde")

    assert note.credited_invoice == invoice and note.type_code == "381"
    assert note.total_excl_vat == Decimal("20.00") and note.total_incl_vat == Decimal("24.00")
    assert refused.value.field == f"amounts.{line.pk}"
    assert rest.total_excl_vat == Decimal("29.00")
    with pytest.raises(DomainError, match=r"Nothing is left|Il ne reste"):
        services.credit_note_issue(actor=firm_admin, invoice=invoice, reason="Trop")


def test_a_credit_note_needs_a_reason_and_staff(ctx, firm_admin):
    company = billable_company()
    invoice = bill(company).invoice
    client_admin = UserFactory()
    Membership.objects.create(user=client_admin, company=company, role=Membership.Role.ADMIN)

    with pytest.raises(DomainError) as no_reason:
        services.credit_note_issue(actor=firm_admin, invoice=invoice, reason=" ")
    with pytest.raises(PermissionDenied):
        services.credit_note_issue(actor=client_admin, invoice=invoice, reason="Moi")

    assert no_reason.value.field == "reason"
    assert not Invoice.objects.filter(kind=Kind.CREDIT_NOTE).exists()


def test_a_manual_invoice_checks_every_line(ctx, firm_admin):
    company = billable_company()

    with pytest.raises(DomainError) as refused:
        services.invoice_issue_manual(
            actor=firm_admin,
            company=company,
            lines=[
                {"label": "Mission", "quantity": "1", "unit_price": "100", "vat_rate": "20"},
                {"label": "Frais", "quantity": "1", "unit_price": "12.345", "vat_rate": "20"},
            ],
        )

    assert refused.value.field == "lines.1.unit_price"
    assert not Invoice.objects.filter(company=company).exists()


def test_a_manual_invoice_is_issued_with_its_lines(ctx, firm_admin):
    company = billable_company()

    invoice = services.invoice_issue_manual(
        actor=firm_admin,
        company=company,
        lines=[
            {"label": "Bilan 2025", "quantity": "1", "unit_price": "1200", "vat_rate": "20"},
            {"label": "Liasse", "quantity": "2", "unit_price": "50,5", "vat_rate": "10"},
        ],
        note="Mission exceptionnelle",
    )

    assert invoice.origin == "manual" and invoice.created_by == firm_admin
    assert invoice.total_excl_vat == Decimal("1301.00")
    assert invoice.total_vat == Decimal("250.10")


@pytest.mark.parametrize(
    ("vat_rate", "field"), [("19.6", "lines.0.vat_rate"), ("abc", "lines.0.vat_rate")]
)
def test_a_manual_invoice_refuses_a_wrong_vat_rate(ctx, firm_admin, vat_rate, field):
    with pytest.raises(DomainError) as refused:
        services.invoice_issue_manual(
            actor=firm_admin,
            company=billable_company(),
            lines=[{"label": "X", "quantity": "1", "unit_price": "1", "vat_rate": vat_rate}],
        )

    assert refused.value.field == field


def test_a_run_lists_every_billable_company_and_skips_the_others(ctx, firm_admin):
    billed = billable_company()
    elsewhere = billable_company(billing=Company.Billing.ELSEWHERE)
    archived = billable_company(status=Company.Status.ARCHIVED)

    run = services.billing_run_start(actor=firm_admin, period_start=PERIOD)
    services.bill_chunk(run, [billed.pk, elsewhere.pk, archived.pk])

    outcomes = dict(BillingRunItem.objects.filter(run=run).values_list("company_id", "outcome"))
    assert outcomes[billed.pk] == "issued"
    assert archived.pk not in outcomes and elsewhere.pk not in outcomes


def test_a_run_for_a_future_month_is_refused(ctx, firm_admin):
    with pytest.raises(DomainError) as refused:
        services.billing_run_start(actor=firm_admin, period_start=datetime.date(2099, 1, 1))

    assert refused.value.field == "period"


def test_a_failed_company_is_recorded_and_can_be_retried(ctx, firm_admin):
    company = billable_company()
    run = services.billing_run_start(actor=firm_admin, period_start=PERIOD, company=company)
    Subscription.objects.filter(company=company).update(price_override=Decimal("-1"))

    services.bill_chunk(run, [company.pk])
    failed = BillingRunItem.objects.get(run=run)
    Subscription.objects.filter(company=company).update(price_override=None)
    retried = services.billing_run_retry(actor=firm_admin, run=run)
    services.bill_chunk(run, [company.pk])

    assert failed.outcome == "failed" and failed.reason
    assert retried == 1
    assert BillingRunItem.objects.get(run=run).outcome == "issued"


def test_only_the_firm_may_start_a_run(ctx):
    client_admin = UserFactory()

    with pytest.raises(PermissionDenied):
        services.billing_run_start(actor=client_admin, period_start=PERIOD)

    assert not BillingRun.objects.exists()


def test_the_other_firm_sees_none_of_these_invoices(ctx, beta):
    bill(billable_company())

    with beta.context():
        assert not Invoice.objects.exists()
