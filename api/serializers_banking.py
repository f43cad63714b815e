"""Serializers of the bank statements API: JSON shapes and types only; every rule stays in
`banking.services`. Amounts are signed decimal strings, dates ISO 8601."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from banking import selectors
from banking.models import BankEntry, BankStatement, StatementFormat


class MappingField(serializers.JSONField):
    """A JSON object, or its text (a multipart form sends every field as text)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else None
            except ValueError:
                raise serializers.ValidationError(_("Give the mapping as a JSON object.")) from None
        return super().to_internal_value(data)


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=StatementFormat.values)
    mapping = MappingField(
        required=False,
        allow_null=True,
        help_text="CSV only: {columns: {date, amount | debit+credit, label, reference, payer, "
        "payer_iban, value_date, currency}, delimiter, decimal_comma, date_format, header, "
        "skip_lines}. Left out: the last mapping used.",
    )


class CountsSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    reversed = serializers.IntegerField()
    to_review = serializers.IntegerField()
    ignored = serializers.IntegerField()


class BankEntrySerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", default=None, read_only=True)
    payment = serializers.IntegerField(source="payment_id", read_only=True, allow_null=True)

    class Meta:
        model = BankEntry
        fields = [
            "id",
            "statement",
            "line",
            "booking_date",
            "value_date",
            "amount",
            "currency",
            "counterparty",
            "counterparty_iban",
            "remittance",
            "end_to_end_id",
            "bank_reference",
            "bank_code",
            "return_code",
            "status",
            "note",
            "invoice",
            "invoice_number",
            "payment",
        ]
        read_only_fields = fields


class BankStatementSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(
        help_text="`pending` while its entries are being reconciled (a long statement is "
        "reconciled in the background: poll this URL), then `done`."
    )
    pending = serializers.SerializerMethodField(
        help_text="Entries not reconciled yet; they are in no count."
    )
    counts = serializers.SerializerMethodField()

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "format",
            "file_name",
            "sha256",
            "account_iban",
            "bank_id",
            "period_start",
            "period_end",
            "entries_total",
            "entries_known",
            "status",
            "pending",
            "counts",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "done"]))
    def get_status(self, statement: BankStatement) -> str:
        return selectors.progress_of(statement)["status"]

    def get_pending(self, statement: BankStatement) -> int:
        return selectors.pending_of(statement)

    @extend_schema_field(CountsSerializer)
    def get_counts(self, statement: BankStatement) -> dict[str, int]:
        return selectors.counts_of(statement)


class ImportResultSerializer(BankStatementSerializer):
    duplicate = serializers.BooleanField(
        help_text="True: this very file was imported before; nothing changed."
    )
    to_review = BankEntrySerializer(many=True, help_text="The statement's entries to review.")

    class Meta(BankStatementSerializer.Meta):
        fields = [*BankStatementSerializer.Meta.fields, "duplicate", "to_review"]
        read_only_fields = fields
