"""Serializers of the payments API: JSON shapes and types only; every rule (amount within the
balance, no future date, who may record) stays in `payments.services`. Amounts are decimal
strings in euros, dates ISO 8601."""

from __future__ import annotations

from rest_framework import serializers

from payments.models import Means, PaymentEvent


class PaymentSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    company = serializers.IntegerField(source="invoice.company_id", read_only=True)
    company_name = serializers.CharField(source="invoice.company.legal_name", read_only=True)
    reverses = serializers.IntegerField(source="reverses_id", read_only=True, allow_null=True)
    reversed_by = serializers.SerializerMethodField(
        help_text="The id of the reversal of this payment, if it came back."
    )

    class Meta:
        model = PaymentEvent
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "company",
            "company_name",
            "kind",
            "amount",
            "date",
            "means",
            "source",
            "reference",
            "payer",
            "external_id",
            "reverses",
            "reversed_by",
            "reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_reversed_by(self, event: PaymentEvent) -> int | None:
        reversal = getattr(event, "reversal", None) if event.kind == "payment" else None
        return reversal.pk if reversal is not None else None


class PaymentCreateSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(help_text="The id of the invoice paid.")
    # Text, so that the service answers "1.234" or "abc" with its own message on `amount`.
    amount = serializers.CharField(max_length=30, help_text='Euros, e.g. `"120.50"`.')
    date = serializers.CharField(
        max_length=10, help_text="When the money came in, YYYY-MM-DD; not in the future."
    )
    means = serializers.ChoiceField(choices=Means.choices)
    reference = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    payer = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your own id of this payment: sent again, it returns the first record (200).",
    )


class PaymentReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why the payment came back.")
    date = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="YYYY-MM-DD; default: today."
    )


class StatementLineSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=["invoice", "credit_note", "payment", "reversal"])
    number = serializers.CharField(
        help_text="The invoice or credit note; for a payment, its invoice."
    )
    invoice = serializers.IntegerField(source="invoice_id")
    reference = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    debit = serializers.DecimalField(max_digits=14, decimal_places=2)
    credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)


class AgingSerializer(serializers.Serializer):
    not_due = serializers.DecimalField(max_digits=14, decimal_places=2)
    days_0_30 = serializers.DecimalField(max_digits=14, decimal_places=2, source="0_30")
    days_31_60 = serializers.DecimalField(max_digits=14, decimal_places=2, source="31_60")
    days_61_90 = serializers.DecimalField(max_digits=14, decimal_places=2, source="61_90")
    days_90_plus = serializers.DecimalField(max_digits=14, decimal_places=2, source="90_plus")


class StatementSerializer(serializers.Serializer):
    company = serializers.IntegerField(source="company.pk")
    company_name = serializers.CharField(source="company.legal_name")
    until = serializers.DateField()
    lines = StatementLineSerializer(many=True)
    total_debit = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_credit = serializers.DecimalField(max_digits=14, decimal_places=2)
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Positive: the company owes the firm."
    )
    open_invoices = serializers.IntegerField()
    aging = AgingSerializer(help_text="What is left to pay at `until`, by days past due.")
