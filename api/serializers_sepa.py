"""Serializers of the SEPA mandates API: JSON shapes only; the IBAN is never shown whole."""

from __future__ import annotations

from rest_framework import serializers

from sepa.models import Mandate


class MandateSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    iban = serializers.CharField(
        source="iban_masked", read_only=True, help_text="Masked: only the last four characters."
    )

    class Meta:
        model = Mandate
        fields = [
            "id",
            "reference",
            "company",
            "company_name",
            "status",
            "holder_name",
            "iban",
            "bic",
            "creditor_id",
            "language",
            "signed_at",
            "last_debit",
            "ended_at",
        ]
        read_only_fields = fields
