"""Serializers of the invoicing API: JSON shapes and types only; every rule stays in
`invoicing.services`. Amounts are decimal strings in euros, dates ISO 8601."""

from __future__ import annotations

import contextlib
import datetime
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from invoicing.models import BillingRun, BillingRunItem, Invoice, InvoiceDocument, InvoiceLine
from invoicing.services import BUYER_FIELDS, SELLER_FIELDS

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_parse(value: str) -> datetime.date:
    """`YYYY-MM` as the first day of that month."""
    match = MONTH.match(value.strip())
    if match is not None:
        with contextlib.suppress(ValueError):  # month 13, year 0
            return datetime.date(int(match[1]), int(match[2]), 1)
    raise serializers.ValidationError(_("Enter a month as YYYY-MM, for example 2026-10."))


def _snapshot(name: str, fields: tuple[str, ...], doc: str) -> type[serializers.Serializer]:
    """A read-only shape of an identity frozen on the invoice when it was issued."""
    declared: dict[str, Any] = {
        field: serializers.CharField(read_only=True, required=False) for field in fields
    }
    return type(name, (serializers.Serializer,), {"__doc__": doc, **declared})


SellerSerializer = _snapshot(
    "SellerSerializer", (*SELLER_FIELDS, "country"), "The firm, as it stood at issue."
)
BuyerSerializer = _snapshot("BuyerSerializer", BUYER_FIELDS, "The company, as it stood at issue.")


class VatEntrySerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    basis = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)


class InvoiceLineSerializer(serializers.ModelSerializer):
    credited_excl_vat = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="Already credited on this line by credit notes, excl. VAT.",
    )

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "label",
            "detail",
            "quantity",
            "unit_price",
            "vat_rate",
            "total_excl_vat",
            "vat_amount",
            "credited_excl_vat",
        ]
        read_only_fields = fields


class CreditNoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "label",
            "detail",
            "credited_line",
            "quantity",
            "unit_price",
            "vat_rate",
            "total_excl_vat",
            "vat_amount",
        ]
        read_only_fields = fields


COMMON_FIELDS = [
    "id",
    "number",
    "company",
    "company_name",
    "company_external_id",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "currency",
    "language",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "document_status",
    "retained_until",
    "created_at",
]
DETAIL_FIELDS = ["vat_breakdown", "seller", "buyer", "payment_terms_days", "late_penalty_rate"]


class _IssuedSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    company_external_id = serializers.CharField(
        source="company.external_id", read_only=True, allow_null=True
    )
    document_status = serializers.ChoiceField(
        choices=InvoiceDocument.Status.values,
        source="document.status",
        read_only=True,
        help_text="`pending` while the PDF and XML are being prepared, then `ready`.",
    )
    retained_until = serializers.DateField(
        read_only=True, help_text="Kept until this day (10 years after the end of its year)."
    )


class _IssuedDetail(serializers.Serializer):
    """What the single invoice or credit note adds to the list's fields."""

    vat_breakdown = VatEntrySerializer(many=True, read_only=True)
    seller = SellerSerializer(read_only=True)
    buyer = BuyerSerializer(read_only=True)


class InvoiceSerializer(_IssuedSerializer):
    status = serializers.CharField(
        source="payment_status",
        read_only=True,
        help_text="`issued` (nothing paid yet, not due), `partially_paid`, `paid`, `overdue` "
        "(something left to pay after the due date), `credited` (credit notes cover it) or "
        "`reversed` (a payment was returned by the bank).",
    )
    amount_paid = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="Payments received less payments returned.",
    )
    balance_due = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="What is left to pay: total incl. VAT less credit notes and payments.",
    )
    credit_notes = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the credit notes correcting it."
    )

    class Meta:
        model = Invoice
        fields = [
            *COMMON_FIELDS[:2],
            "origin",
            *COMMON_FIELDS[2:],
            "status",
            "amount_paid",
            "balance_due",
            "credit_notes",
        ]
        read_only_fields = fields


class InvoiceDetailSerializer(_IssuedDetail, InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "note", *DETAIL_FIELDS, "lines"]
        read_only_fields = fields


class CreditNoteSerializer(_IssuedSerializer):
    credited_invoice_number = serializers.CharField(
        source="credited_invoice.number", read_only=True
    )
    reason = serializers.CharField(source="note", read_only=True)

    class Meta:
        model = Invoice
        fields = [
            *COMMON_FIELDS[:2],
            "credited_invoice",
            "credited_invoice_number",
            "reason",
            *COMMON_FIELDS[2:],
        ]
        read_only_fields = fields


class CreditNoteDetailSerializer(_IssuedDetail, CreditNoteSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)

    class Meta(CreditNoteSerializer.Meta):
        fields = [*CreditNoteSerializer.Meta.fields, *DETAIL_FIELDS, "lines"]
        read_only_fields = fields


class ManualLineSerializer(serializers.Serializer):
    """One line of a one-off invoice, as documented; checked by `invoice_issue_manual`."""

    label = serializers.CharField(max_length=200)
    detail = serializers.CharField(max_length=300, required=False)
    quantity = serializers.CharField(required=False, help_text="Default 1; 4 decimals at most.")
    unit_price = serializers.CharField(help_text="Excl. VAT, in euros: `120.00`.")
    vat_rate = serializers.CharField(required=False, help_text="20, 10, 5.5, 2.1 or 0; default 20.")


@extend_schema_field(ManualLineSerializer)
class ManualLineField(serializers.DictField):
    """A line as given: its values are read, and named in errors (`lines.<i>.<name>`), by the
    service, so that every line error has the same field path."""

    child = serializers.CharField(allow_blank=True)


class ManualInvoiceCreateSerializer(serializers.Serializer):
    company = serializers.IntegerField(help_text="The company's id.")
    lines = serializers.ListField(child=ManualLineField(), help_text="1 to 200 lines.")
    note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")
    period_start = serializers.DateField(required=False, allow_null=True, default=None)
    period_end = serializers.DateField(required=False, allow_null=True, default=None)


class CreditNoteCreateSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(help_text="The id of the invoice to correct.")
    reason = serializers.CharField(max_length=500, allow_blank=True, help_text="Why.")
    amounts = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text='Line id → amount excl. VAT to credit on it (`"12.50"`). Absent or null: '
        "everything that remains to credit on the invoice.",
    )


class BillingRunCreateSerializer(serializers.Serializer):
    period = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The month to bill, `YYYY-MM`; default: the month just ended.",
    )
    mode = serializers.ChoiceField(
        choices=BillingRun.Mode.choices,
        help_text="`preview` computes what would be billed and issues nothing; `issue` issues.",
    )
    company = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="One company; default: all."
    )

    def validate_period(self, value: str) -> datetime.date | None:
        return month_parse(value) if value else None


class OutcomeCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    issued = serializers.IntegerField()
    already_issued = serializers.IntegerField()
    previewed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()


class RunSummarySerializer(serializers.Serializer):
    counts = OutcomeCountsSerializer(help_text="Companies per outcome.")
    total_excl_vat = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Issued (or previewed) so far."
    )
    total_incl_vat = serializers.DecimalField(max_digits=16, decimal_places=2)
    done = serializers.IntegerField(help_text="Companies no longer pending.")
    finished = serializers.BooleanField()
    progress = serializers.IntegerField(help_text="0 to 100.")


class BillingRunSerializer(serializers.ModelSerializer):
    """A run read through `runs_counted` (views_invoicing): its counts come annotated."""

    period = serializers.SerializerMethodField(help_text="`YYYY-MM`.")
    company_name = serializers.CharField(
        source="company.legal_name", read_only=True, allow_null=True, default=None
    )
    summary = serializers.SerializerMethodField()

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "period",
            "period_start",
            "period_end",
            "mode",
            "trigger",
            "company",
            "company_name",
            "started_by",
            "companies_total",
            "created_at",
            "summary",
        ]
        read_only_fields = fields

    def get_period(self, run: BillingRun) -> str:
        return f"{run.period_start:%Y-%m}"

    @extend_schema_field(RunSummarySerializer)
    def get_summary(self, run: BillingRun) -> dict[str, Any]:
        outcomes = BillingRunItem.Outcome.values
        counts = {outcome: getattr(run, f"n_{outcome}") for outcome in outcomes}
        done = run.companies_total - counts["pending"]
        summary = {
            "counts": counts,
            "total_excl_vat": run.billed_excl_vat or 0,
            "total_incl_vat": run.billed_incl_vat or 0,
            "done": done,
            "finished": counts["pending"] == 0,
            "progress": 100 if not run.companies_total else int(done * 100 / run.companies_total),
        }
        return RunSummarySerializer(summary).data


class BillingRunItemSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    invoice_number = serializers.CharField(
        source="invoice.number", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = BillingRunItem
        fields = [
            "id",
            "company",
            "company_name",
            "outcome",
            "reason",
            "invoice",
            "invoice_number",
            "total_excl_vat",
            "total_incl_vat",
            "attempts",
            "updated_at",
        ]
        read_only_fields = fields


class RetriedSerializer(serializers.Serializer):
    retried = serializers.IntegerField(help_text="Companies sent again to the workers.")
