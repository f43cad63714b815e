from rest_framework import serializers

from api.models import FirmAPIKey
from clients.models import Company


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = [
            "id",
            "legal_name",
            "siren",
            "siret",
            "vat_number",
            "legal_form",
            "share_capital",
            "address_line",
            "postal_code",
            "city",
            "country",
            "billing_email",
            "phone",
            "status",
            "billing",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApiKeySerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=50)

    class Meta:
        model = FirmAPIKey
        fields = ["prefix", "name", "created", "expiry_date", "revoked", "last_used_at"]
        read_only_fields = ["prefix", "created", "revoked", "last_used_at"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret: shown once, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
