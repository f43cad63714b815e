"""SEPA mandates: the API views. Reads through the caller's rights (the firm and API keys: every
mandate; an accountant: the companies assigned to them; a client administrator: their
companies); revocation by the company's administrators or the firm's staff in charge. Mandates
are signed by a client administrator in the portal, never through the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from api.filters import DeclaredFilters, Filter
from api.serializers_sepa import MandateSerializer
from api.views import _errors
from api.views_invoicing import ChoiceFilter
from sepa import selectors, services
from sepa.models import Mandate

BIGINT = 2**63 - 1


@dataclass(frozen=True)
class IdFilter(Filter):
    """A row id: a whole number PostgreSQL can hold (a larger one is bad input, not a 500)."""

    kind: str = "integer"

    def parse(self, value: str) -> int:
        number = super().parse(value)
        if not isinstance(number, int) or not -BIGINT <= number <= BIGINT:
            raise ValidationError({self.name: [_("Enter a whole number.")]})
        return number


MANDATE_EXAMPLE = OpenApiExample(
    "A mandate",
    value={
        "id": 7,
        "reference": "RUM-12-1",
        "company": 12,
        "company_name": "Boulangerie Martin",
        "status": "active",
        "holder_name": "Boulangerie Martin SARL",
        "iban": "•••• 0189",
        "bic": "AGRIFRPP",
        "creditor_id": "FR72ZZZ123456",
        "language": "fr",
        "signed_at": "2026-11-03T10:12:44+01:00",
        "last_debit": "2026-12-01",
        "ended_at": None,
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List SEPA mandates",
        description="Mandates signed by the client companies, newest first, seen through the "
        "caller's rights. Filters: `company`, `status` (active, revoked, replaced, lapsed). The "
        "IBAN is masked but for its last four characters.",
        responses={200: MandateSerializer(many=True), **_errors(400, 401)},
        examples=[MANDATE_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One SEPA mandate",
        responses={200: MandateSerializer, **_errors(401, 404)},
        examples=[MANDATE_EXAMPLE],
    ),
    revoke=extend_schema(
        summary="Revoke a SEPA mandate",
        description="Nothing more is debited under it; its debits not yet taken are withdrawn. "
        "A company's client administrators, the firm's staff in charge of it, API keys. "
        "Revoking a mandate no longer active changes nothing and answers it as it is.",
        request=None,
        responses={200: MandateSerializer, **_errors(401, 403, 404)},
        examples=[MANDATE_EXAMPLE],
    ),
)
class MandateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_group = "payments"
    serializer_class = MandateSerializer
    queryset = Mandate.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "signed_at", "reference"]
    filters = (
        IdFilter("company", ("company_id",), "integer", "A company's id."),
        ChoiceFilter(
            "status",
            ("status",),
            "choice",
            "active, revoked, replaced or lapsed",
            choices=tuple(Mandate.Status.values),
        ),
    )

    def get_queryset(self) -> QuerySet[Mandate]:
        if getattr(self, "swagger_fake_view", False):
            return Mandate.objects.none()
        return selectors.mandates_visible_to(self.request.user)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None) -> Response:
        mandate = selectors.access_mandate(request.user, pk)
        mandate = services.mandate_revoke(actor=request.user, mandate=mandate)
        return Response(self.get_serializer(mandate).data)


def register(router: DefaultRouter) -> None:
    """Adds this module's routes to the API router."""
    router.register("mandates", MandateViewSet, basename="mandate")


urlpatterns: list = []
