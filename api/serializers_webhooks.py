"""Webhook serializers: they shape JSON and check types; the rules (https, public addresses,
known event types) stay in `webhooks.services`."""

from __future__ import annotations

from rest_framework import serializers

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "failing_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown once: keep it to verify the signatures."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="An https URL on a public address.")
    description = serializers.CharField(max_length=200, allow_blank=True, required=False)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=64),
        help_text="Types from /webhook-events/types/.",
    )
    is_active = serializers.BooleanField(required=False)


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True)


class WebhookEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEvent
        fields = ["id", "type", "created_at", "data"]
        read_only_fields = fields


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()
    emitted = serializers.BooleanField(help_text="False: declared, not emitted yet.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_type",
            "attempt",
            "status",
            "response_status",
            "response_ms",
            "response_body",
            "error",
            "next_attempt_at",
            "attempted_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
