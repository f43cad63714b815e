"""Entitlements API: the catalogue, subscriptions, accesses (grants) and the audit trail.

Views translate HTTP to `entitlements.services` and back. Each caller sees:
- applications: everyone of the firm; clients only the active ones;
- subscriptions: the firm's staff, the companies they manage; client administrators, the
  companies they administer (read only);
- grants: as subscriptions, plus a person's own accesses, plus those of the companies
  where they were granted `manage_accesses`;
- audit events: as subscriptions.
A grant's id is the id of its django-guardian direct permission row
(`SubscriptionUserObjectPermission`): DELETE /grants/{id}/ revokes that access.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api.filters import DeclaredFilters, Filter
from api.serializers_entitlements import (
    ApplicationSerializer,
    ApplicationWriteSerializer,
    AuditEventSerializer,
    GrantCreateSerializer,
    GrantSerializer,
    SubscriptionCreateSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
)
from api.views import _errors, _is_accountant, companies_for
from clients.models import Company, User
from clients.rights import is_firm_wide
from clients.selectors import companies_administered_by
from entitlements import services
from entitlements.models import (
    Application,
    AuditEvent,
    CompanyUserObjectPermission,
    Subscription,
    SubscriptionUserObjectPermission,
)
from tenants.errors import DomainError, NotFound


def companies_overseen_by(actor: Any) -> QuerySet[Company]:
    """Companies whose subscriptions, accesses and audit trail `actor` may read."""
    if is_firm_wide(actor) or _is_accountant(actor):
        return companies_for(actor)
    return companies_administered_by(actor)


def subscriptions_for(actor: Any) -> QuerySet[Subscription]:
    if is_firm_wide(actor):
        return Subscription.objects.all()
    return Subscription.objects.filter(company__in=companies_overseen_by(actor))


def grants_for(actor: Any) -> QuerySet[SubscriptionUserObjectPermission]:
    rows = SubscriptionUserObjectPermission.objects.all()
    if is_firm_wide(actor):
        return rows
    # A member explicitly granted `manage_accesses` on a company sees its accesses too.
    delegated = CompanyUserObjectPermission.objects.filter(
        user_id=actor.pk,
        permission__codename="manage_accesses",
        permission__content_type__app_label="clients",
        content_object__memberships__user_id=actor.pk,
    ).values("content_object_id")
    return rows.filter(
        Q(content_object__company__in=companies_overseen_by(actor))
        | Q(content_object__company__in=delegated)
        | Q(user_id=actor.pk)
    )


def audit_events_for(actor: Any) -> QuerySet[AuditEvent]:
    if is_firm_wide(actor):
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(company__in=companies_overseen_by(actor))


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class MomentFilter(Filter):
    """`?since=` / `?until=`: an ISO 8601 date or date-time."""

    def q(self, value: str) -> Q:
        try:
            day = parse_date(value)
            if day is None:
                moment = parse_datetime(value)
            else:
                moment = datetime.datetime.combine(day, datetime.time.min)
                if self.lookups[0].endswith("__lt"):
                    moment += datetime.timedelta(days=1)  # `until` a day: all of it
        except ValueError:
            moment = None
        if moment is None:
            raise ValidationError({self.name: [_("Enter a valid date.")]})
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return Q(**{self.lookups[0]: moment})


APPLICATION_EXAMPLE = OpenApiExample(
    "An application",
    value={
        "id": 3,
        "name": "Pennylane",
        "description": "Comptabilité en ligne",
        "icon": "calculator",
        "category": "bookkeeping",
        "launch_url": "https://app.pennylane.com/",
        "is_sensitive": False,
        "pricing": "per_company_month",
        "price_excl_vat": "25.00",
        "vat_rate": "20.00",
        "is_active": True,
        "created_at": "2026-01-05T09:30:00+01:00",
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List the catalogue",
        description="The firm's applications and recurring fees. Clients see active ones only.",
        responses={200: ApplicationSerializer(many=True), **_errors(400, 401)},
        examples=[APPLICATION_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One application",
        responses={200: ApplicationSerializer, **_errors(401, 404)},
        examples=[APPLICATION_EXAMPLE],
    ),
    create=extend_schema(
        summary="Add an application to the catalogue",
        description="API keys and firm administrators only.",
        request=ApplicationWriteSerializer,
        responses={201: ApplicationSerializer, **_errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "New application",
                value={
                    "name": "Pennylane",
                    "category": "bookkeeping",
                    "launch_url": "https://app.pennylane.com/",
                    "price_excl_vat": "25.00",
                },
                request_only=True,
            ),
            APPLICATION_EXAMPLE,
        ],
    ),
    partial_update=extend_schema(
        summary="Change an application",
        description="API keys and firm administrators only. `is_active: false` withdraws it "
        "from the catalogue.",
        request=ApplicationWriteSerializer(partial=True),
        responses={200: ApplicationSerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample("New price", value={"price_excl_vat": "30.00"}, request_only=True),
            APPLICATION_EXAMPLE,
        ],
    ),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_group = "entitlements"
    serializer_class = ApplicationSerializer
    queryset = Application.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "name", "created_at"]
    filters = (
        Filter("category", ("category",), description="bookkeeping, bank, payroll, ..."),
        Filter("is_active", ("is_active",), "boolean"),
        Filter("q", ("name",), "search", "Part of the name."),
    )

    def get_queryset(self) -> QuerySet[Application]:
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        if getattr(self.request.user, "is_firm_staff", False) or is_firm_wide(self.request.user):
            return Application.objects.all()
        return Application.objects.filter(is_active=True)

    def create(self, request, *args, **kwargs):
        serializer = ApplicationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_create(
            actor=request.user, **dict(serializer.validated_data)
        )
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        application = self.get_object()
        serializer = ApplicationWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        application = services.application_update(
            actor=request.user, application=application, **dict(serializer.validated_data)
        )
        return Response(ApplicationSerializer(application).data)


SUBSCRIPTION_EXAMPLE = OpenApiExample(
    "A subscription",
    value={
        "id": 8,
        "company": 12,
        "company_name": "Boulangerie Martin",
        "application": 3,
        "application_name": "Pennylane",
        "status": "active",
        "start_date": "2026-01-01",
        "end_date": None,
        "seat_limit": 5,
        "price_override": None,
        "created_at": "2026-01-05T09:30:00+01:00",
    },
    response_only=True,
)
DUPLICATE_EXAMPLE = OpenApiExample(
    "Already configured",
    value={
        "type": "about:blank",
        "title": "Données invalides",
        "status": 400,
        "detail": "Certains champs sont invalides.",
        "errors": [
            {
                "field": "application",
                "message": "Cette application est déjà configurée sur ce dossier.",
                "code": "duplicate",
            }
        ],
    },
    response_only=True,
    status_codes=["400"],
)


@extend_schema_view(
    list=extend_schema(
        summary="List subscriptions",
        description="The applications configured on companies: the firm's staff see the "
        "companies they manage, client administrators those they administer.",
        responses={200: SubscriptionSerializer(many=True), **_errors(400, 401)},
        examples=[SUBSCRIPTION_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One subscription",
        responses={200: SubscriptionSerializer, **_errors(401, 404)},
        examples=[SUBSCRIPTION_EXAMPLE],
    ),
    create=extend_schema(
        summary="Configure an application on a company",
        description="The firm's staff managing the company, and API keys. Recorded in the "
        "audit trail.",
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionSerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "New subscription",
                value={"company": 12, "application": 3, "start_date": "2026-01-01"},
                request_only=True,
            ),
            SUBSCRIPTION_EXAMPLE,
            DUPLICATE_EXAMPLE,
        ],
    ),
    partial_update=extend_schema(
        summary="Suspend, reactivate or change a subscription",
        description="`status` (active or suspended), `seat_limit`, `price_override`, "
        "`start_date`. Ending is DELETE.",
        request=SubscriptionUpdateSerializer,
        responses={200: SubscriptionSerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample("Suspend", value={"status": "suspended"}, request_only=True),
            SUBSCRIPTION_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="End a subscription",
        description="Ends it today and removes every access to it; nothing is deleted.",
        responses={204: None, **_errors(400, 401, 403, 404)},
    ),
)
class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "entitlements"
    serializer_class = SubscriptionSerializer
    queryset = Subscription.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "start_date", "created_at"]
    filters = (
        Filter("company", ("company_id",), "integer", "A company's id."),
        Filter("application", ("application_id",), "integer", "An application's id."),
        Filter("status", ("status",), description="active, suspended or ended"),
    )

    def get_queryset(self) -> QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return subscriptions_for(self.request.user).select_related("company", "application")

    def _answer(self, subscription: Subscription, code: int = status.HTTP_200_OK) -> Response:
        subscription = self.get_queryset().get(pk=subscription.pk)
        return Response(SubscriptionSerializer(subscription).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = SubscriptionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        company = companies_for(request.user).filter(pk=data.pop("company")).first()
        if company is None:
            raise NotFound()
        subscription = services.subscription_create(
            actor=request.user, company=company, ip=_ip(request), **data
        )
        return self._answer(subscription, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        serializer = SubscriptionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            actor=request.user,
            subscription=subscription,
            ip=_ip(self.request),
            **dict(serializer.validated_data),
        )
        return self._answer(subscription)

    def perform_destroy(self, instance: Subscription) -> None:
        services.subscription_end(
            actor=self.request.user,
            subscription=instance,
            end_date=timezone.localdate(),
            ip=_ip(self.request),
        )


GRANT_EXAMPLE = OpenApiExample(
    "An access",
    value={
        "id": 51,
        "user": 42,
        "user_email": "claire.martin@boulangerie-martin.fr",
        "subscription": 8,
        "company": 12,
        "application_name": "Pennylane",
    },
    response_only=True,
)
SEATS_EXAMPLE = OpenApiExample(
    "No seat left",
    value={
        "type": "about:blank",
        "title": "Données invalides",
        "status": 400,
        "detail": "Certains champs sont invalides.",
        "errors": [
            {
                "field": "subscription",
                "message": "Toutes les places de cette application sont attribuées (5).",
                "code": "seat_limit",
            }
        ],
    },
    response_only=True,
    status_codes=["400"],
)


@extend_schema_view(
    list=extend_schema(
        summary="List accesses",
        description="Who may use which subscription. The id of an access is the id of its "
        "direct object-permission row; a person also sees their own accesses.",
        responses={200: GrantSerializer(many=True), **_errors(400, 401)},
        examples=[GRANT_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One access",
        responses={200: GrantSerializer, **_errors(401, 404)},
        examples=[GRANT_EXAMPLE],
    ),
    create=extend_schema(
        summary="Give a person access to a subscription",
        description="The firm's staff managing the company, its client administrators and "
        "API keys. A full subscription (seat limit) or one not active is answered 400 on "
        "`subscription`. Granting an existing access answers it again, with 200.",
        request=GrantCreateSerializer,
        responses={
            201: GrantSerializer,
            200: GrantSerializer,
            **_errors(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample("New access", value={"user": 42, "subscription": 8}, request_only=True),
            GRANT_EXAMPLE,
            SEATS_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="Revoke an access",
        responses={204: None, **_errors(401, 403, 404)},
    ),
)
class GrantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "entitlements"
    serializer_class = GrantSerializer
    queryset = SubscriptionUserObjectPermission.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id"]
    filters = (
        Filter("user", ("user_id",), "integer", "A person's id."),
        Filter("company", ("content_object__company_id",), "integer", "A company's id."),
        Filter("subscription", ("content_object_id",), "integer", "A subscription's id."),
    )

    def get_queryset(self) -> QuerySet[SubscriptionUserObjectPermission]:
        if getattr(self, "swagger_fake_view", False):
            return SubscriptionUserObjectPermission.objects.none()
        return grants_for(self.request.user).select_related("user", "content_object__application")

    def create(self, request, *args, **kwargs):
        serializer = GrantCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = request.user
        subscription = (
            Subscription.objects.filter(company__in=companies_for(actor), pk=data["subscription"])
            .select_related("company", "application")
            .first()
        )
        if subscription is None:
            raise NotFound()
        # Anybody else than a member of the company is answered "not a member" on `user`, by
        # the service, after it checked that the actor may grant at all.
        person = User.objects.filter(
            pk=data["user"], memberships__company=subscription.company
        ).first() or User(is_active=False)
        try:
            created = services.grant_access(
                actor=actor, user=person, subscription=subscription, ip=_ip(request)
            )
        except DomainError as error:
            if error.field is None:
                error.field = "subscription"
            raise
        row = SubscriptionUserObjectPermission.objects.select_related(
            "user", "content_object__application"
        ).get(user=person, content_object=subscription)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(GrantSerializer(row).data, status=code)

    def perform_destroy(self, instance: SubscriptionUserObjectPermission) -> None:
        subscription = (
            Subscription.objects.select_related("company", "application")
            .filter(pk=instance.content_object_id)
            .get()
        )
        services.revoke_access(
            actor=self.request.user,
            user=instance.user,
            subscription=subscription,
            ip=_ip(self.request),
        )


AUDIT_EXAMPLE = OpenApiExample(
    "An audit event",
    value={
        "id": 120,
        "at": "2026-01-05T09:30:00+01:00",
        "action": "grant_created",
        "actor": 3,
        "actor_label": "comptable@cabinet.fr",
        "ip": "203.0.113.7",
        "company": 12,
        "subscription": 8,
        "target_user": 42,
        "details": {"application": "Pennylane"},
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List audit events",
        description="Who changed a subscription or an access, when, from where; newest first. "
        "API keys see the whole firm, staff the companies they manage, client administrators "
        "those they administer.",
        responses={200: AuditEventSerializer(many=True), **_errors(400, 401)},
        examples=[AUDIT_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One audit event",
        responses={200: AuditEventSerializer, **_errors(401, 404)},
        examples=[AUDIT_EXAMPLE],
    ),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_group = "entitlements"
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "at"]
    filters = (
        Filter("company", ("company_id",), "integer", "A company's id."),
        Filter("action", ("action",), description="subscription_created, grant_created, ..."),
        Filter("user", ("target_user_id",), "integer", "The id of the person concerned."),
        MomentFilter("since", ("at__gte",), description="ISO 8601 date or date-time."),
        MomentFilter("until", ("at__lt",), description="ISO 8601 date (included) or date-time."),
    )

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return audit_events_for(self.request.user)
