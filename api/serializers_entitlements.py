"""Serializers of the entitlements API: JSON shapes and types only; rules stay in
`entitlements.services`. No serializer ever exposes an application's `launch_secret`."""

from __future__ import annotations

from rest_framework import serializers

from entitlements.models import (
    Application,
    AuditEvent,
    Subscription,
    SubscriptionUserObjectPermission,
)


class ApplicationSerializer(serializers.ModelSerializer):
    # An https address or empty (the firm's recurring fees have none).
    launch_url = serializers.CharField(read_only=True, help_text="An https:// address, or empty.")

    class Meta:
        model = Application
        fields = [
            "id",
            "name",
            "description",
            "icon",
            "category",
            "launch_url",
            "is_sensitive",
            "pricing",
            "price_excl_vat",
            "vat_rate",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class ApplicationWriteSerializer(serializers.Serializer):
    """Plain fields: category, pricing, amounts and the https:// address are checked by
    `application_create` / `application_update`, with one message each."""

    name = serializers.CharField(max_length=100, allow_blank=True)
    description = serializers.CharField(allow_blank=True, required=False)
    icon = serializers.CharField(max_length=50, allow_blank=True, required=False)
    category = serializers.CharField(max_length=20, required=False, help_text="bookkeeping, ...")
    launch_url = serializers.CharField(max_length=200, allow_blank=True, required=False)
    is_sensitive = serializers.BooleanField(required=False)
    pricing = serializers.CharField(
        max_length=20, required=False, help_text="per_company_month or per_user_month"
    )
    price_excl_vat = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    is_active = serializers.BooleanField(required=False)


class SubscriptionSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    application_name = serializers.CharField(source="application.name", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "company",
            "company_name",
            "application",
            "application_name",
            "status",
            "start_date",
            "end_date",
            "seat_limit",
            "price_override",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    company = serializers.IntegerField(help_text="The company's id.")
    application = serializers.PrimaryKeyRelatedField(
        queryset=Application.objects.all(), help_text="The application's id."
    )
    start_date = serializers.DateField()
    seat_limit = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    price_override = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, required=False
    )


class SubscriptionUpdateSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=10, required=False, help_text="active or suspended")
    start_date = serializers.DateField(required=False)
    seat_limit = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    price_override = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, required=False
    )


class GrantSerializer(serializers.ModelSerializer):
    """An access: the id is that of the django-guardian direct permission row."""

    user_email = serializers.CharField(source="user.email", read_only=True)
    subscription = serializers.IntegerField(source="content_object_id", read_only=True)
    company = serializers.IntegerField(source="content_object.company_id", read_only=True)
    application_name = serializers.CharField(
        source="content_object.application.name", read_only=True
    )

    class Meta:
        model = SubscriptionUserObjectPermission
        fields = ["id", "user", "user_email", "subscription", "company", "application_name"]
        read_only_fields = fields


class GrantCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The person's id.")
    subscription = serializers.IntegerField(help_text="The subscription's id.")


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "action",
            "actor",
            "actor_label",
            "ip",
            "company",
            "subscription",
            "target_user",
            "details",
        ]
        read_only_fields = fields
