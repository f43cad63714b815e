"""Webhooks API: endpoints (with their secret, shown once), events and the delivery log.
Firm administrators and API keys only; anyone else sees nothing (404 on an object)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api.filters import DeclaredFilters, Filter
from api.pagination import Cursor
from api.permissions import FirmAccess
from api.serializers_webhooks import (
    EventTypeSerializer,
    SecretSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookEndpointWriteSerializer,
    WebhookEventSerializer,
)
from api.views import _errors
from clients.rights import is_firm_wide
from webhooks import selectors, services
from webhooks.events import CATALOGUE
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

ENDPOINT = {
    "id": 7,
    "url": "https://erp.cabinet-dupont.fr/comptoir/webhooks",
    "description": "Production ERP",
    "event_types": ["invoice.issued", "company.created"],
    "is_active": True,
    "disabled_reason": "",
    "failing_since": None,
    "created_at": "2026-11-02T09:15:00+01:00",
    "updated_at": "2026-11-02T09:15:00+01:00",
}
EXAMPLE_SECRET = "whsec_6Zp3kq0n1mJ8yX2bV5cR7tW9aS4dF1gH"  # noqa: S105 - documentation
EVENT = {
    "id": "4f1c0b6e-7d0e-4a53-9a8e-0c7b7d1c2f11",
    "type": "invoice.issued",
    "created_at": "2026-12-01T02:04:11+01:00",
    "data": {"id": 812, "number": "F-2026-000812", "total_incl_vat": "58.80"},
}
DELIVERY = {
    "id": "0b5e3f0c-2a1d-4e8f-9c6b-7a5d4e3c2b1a",
    "endpoint": 7,
    "event": EVENT["id"],
    "event_type": "invoice.issued",
    "attempt": 2,
    "status": "succeeded",
    "response_status": 200,
    "response_ms": 84,
    "response_body": "ok",
    "error": "",
    "next_attempt_at": None,
    "attempted_at": "2026-12-01T02:05:12+01:00",
    "delivered_at": "2026-12-01T02:05:12+01:00",
    "created_at": "2026-12-01T02:04:11+01:00",
}


def _example(name: str, value, *, status_code: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status_code])


class EventCursor(Cursor):
    ordering = "-created_at"


@dataclass(frozen=True)
class UUIDFilter(Filter):
    def parse(self, value: str) -> str:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValidationError({self.name: [_("Enter a valid event id.")]}) from None


class FirmWide(FirmAccess):
    """An API key, or a signed-in firm administrator."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_firm_wide(request.user)


class _WebhookView(viewsets.GenericViewSet):
    scope_group = "webhooks"
    permission_classes = [FirmWide]


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints",
        examples=[_example("Endpoints", [ENDPOINT])],
        responses={200: WebhookEndpointSerializer(many=True), **_errors(401, 403)},
    ),
    retrieve=extend_schema(
        summary="One webhook endpoint",
        examples=[_example("Endpoint", ENDPOINT)],
        responses={200: WebhookEndpointSerializer, **_errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Register a webhook endpoint",
        examples=[_example("Registered", ENDPOINT | {"secret": EXAMPLE_SECRET}, status_code="201")],
        description="The answer carries the signing `secret`, shown this once.",
        request=WebhookEndpointWriteSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **_errors(400, 401, 403)},
    ),
    update=extend_schema(
        summary="Replace an endpoint",
        examples=[_example("Replaced", ENDPOINT)],
        request=WebhookEndpointWriteSerializer,
        responses={200: WebhookEndpointSerializer, **_errors(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change an endpoint",
        examples=[_example("Changed", ENDPOINT)],
        description="`is_active: true` turns a disabled endpoint back on.",
        request=WebhookEndpointWriteSerializer(partial=True),
        responses={200: WebhookEndpointSerializer, **_errors(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete an endpoint", responses={204: None, **_errors(401, 403, 404)}
    ),
    rotate_secret=extend_schema(
        summary="Make a new signing secret",
        examples=[_example("New secret", {"secret": EXAMPLE_SECRET})],
        description="Effective at once for the next attempts; shown this once.",
        request=None,
        responses={200: SecretSerializer, **_errors(401, 403, 404)},
    ),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, _WebhookView
):
    serializer_class = WebhookEndpointSerializer
    queryset = WebhookEndpoint.objects.none()
    filter_backends = [OrderingFilter]
    ordering_fields = ["created_at", "url"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.endpoints_for(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, _secret = services.endpoint_create(
            actor=request.user, **dict(serializer.validated_data)
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = WebhookEndpointWriteSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            actor=request.user, endpoint=endpoint, **dict(serializer.validated_data)
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.endpoint_delete(actor=self.request.user, endpoint=instance)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        secret = services.endpoint_secret_rotate(actor=request.user, endpoint=self.get_object())
        return Response({"secret": secret})


@extend_schema_view(
    list=extend_schema(
        summary="List webhook events",
        examples=[_example("Events", [EVENT])],
        responses={200: WebhookEventSerializer(many=True), **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One webhook event",
        examples=[_example("Event", EVENT)],
        responses={200: WebhookEventSerializer, **_errors(401, 403, 404)},
    ),
    types=extend_schema(
        summary="The event types catalogue",
        examples=[
            _example(
                "Types",
                [
                    {
                        "type": "invoice.issued",
                        "description": "An invoice is issued",
                        "emitted": True,
                    }
                ],
            )
        ],
        responses={200: EventTypeSerializer(many=True), **_errors(401, 403)},
    ),
)
class WebhookEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _WebhookView):
    """Events emitted while at least one endpoint listened to their type."""

    serializer_class = WebhookEventSerializer
    queryset = WebhookEvent.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["created_at"]
    filters = (Filter("type", ("type",), description="An event type, e.g. invoice.issued."),)
    pagination_class = EventCursor

    def get_queryset(self) -> QuerySet[WebhookEvent]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookEvent.objects.none()
        return selectors.events_for(self.request.user)

    @action(detail=False, methods=["get"], pagination_class=None)
    def types(self, request):
        rows = [
            {"type": name, "description": str(description), "emitted": emitted}
            for name, (description, emitted) in CATALOGUE.items()
        ]
        return Response(EventTypeSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="The delivery log",
        examples=[_example("Deliveries", [DELIVERY])],
        description="One row per attempt, newest first.",
        responses={200: WebhookDeliverySerializer(many=True), **_errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One delivery attempt",
        examples=[_example("Delivery", DELIVERY)],
        responses={200: WebhookDeliverySerializer, **_errors(401, 403, 404)},
    ),
    redeliver=extend_schema(
        summary="Send the event again",
        examples=[
            _example(
                "Sent again", DELIVERY | {"status": "pending", "attempt": 3}, status_code="202"
            )
        ],
        description="A new series of attempts of the same event to the same endpoint, now.",
        request=None,
        responses={202: WebhookDeliverySerializer, **_errors(400, 401, 403, 404)},
    ),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _WebhookView):
    serializer_class = WebhookDeliverySerializer
    queryset = WebhookDelivery.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["created_at"]
    filters = (
        Filter("endpoint", ("endpoint_id",), "integer", "An endpoint's id."),
        Filter("status", ("status",), description="pending, succeeded or failed"),
        UUIDFilter("event", ("event_id",), description="An event's id."),
    )

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return selectors.deliveries_for(self.request.user)

    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        again = services.delivery_redeliver(actor=request.user, delivery=self.get_object())
        again = self.get_queryset().get(pk=again.pk)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
