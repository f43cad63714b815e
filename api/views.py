"""API views: translate HTTP to selectors and services and back, nothing more.

Authentication, the firm guard and the error format come from REST_FRAMEWORK's defaults,
so a view that declares none of them still has all of them (tests walk every route).
Objects are looked up through what the caller may see: missing and not yours are both 404.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api import services
from api.filters import DeclaredFilters, Filter
from api.models import FirmAPIKey
from api.permissions import FirmAdmin
from api.scopes import SESSION_ONLY
from api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    CompanySerializer,
    CompanyWriteSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    PersonCreateSerializer,
    PersonSerializer,
    PersonUpdateSerializer,
    ProblemSerializer,
    StaffPersonSerializer,
)
from clients import services as clients
from clients.models import Company, Membership, User
from clients.rights import administers_company, is_firm_wide, manages_company
from clients.selectors import companies_administered_by, companies_visible_to
from tenants.errors import NotFound, PermissionDenied

# What each caller may see. An API key and a firm administrator see the whole firm.


def _is_accountant(actor: Any) -> bool:
    return getattr(actor, "firm_role", "") == User.FirmRole.ACCOUNTANT


def companies_for(actor: Any) -> QuerySet[Company]:
    if is_firm_wide(actor):
        return Company.objects.all()
    companies = companies_visible_to(actor)
    if _is_accountant(actor):  # also true of the shared selector since it learnt accountants
        companies = companies.filter(accountant=actor)
    return companies


def people_for(actor: Any) -> QuerySet[User]:
    """The firm: everyone; an accountant: the people of their companies; a client
    administrator: the people of the companies they administer; everyone: themselves."""
    if is_firm_wide(actor):
        return User.objects.all()
    if _is_accountant(actor):
        others = Membership.objects.filter(company__in=companies_for(actor)).values("user")
    else:
        others = Membership.objects.filter(company__in=companies_administered_by(actor)).values(
            "user"
        )
    return User.objects.filter(Q(pk__in=others) | Q(pk=actor.pk))


def joinable_people(actor: Any) -> QuerySet[User]:
    """Whom `actor` may add to a company: the firm, any client of the firm; a client
    administrator, only people they already see (newcomers come through invitations)."""
    if is_firm_wide(actor):
        return User.objects.all()
    if _is_accountant(actor):
        return User.objects.filter(firm_role=User.FirmRole.NONE)
    return people_for(actor)


def memberships_for(actor: Any) -> QuerySet[Membership]:
    if is_firm_wide(actor):
        return Membership.objects.all()
    if _is_accountant(actor):
        return Membership.objects.filter(company__in=companies_for(actor))
    return Membership.objects.filter(
        Q(company__in=companies_administered_by(actor)) | Q(user=actor)
    )


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "Invalid input: the fields at fault are in `errors`.",
        401: "No or invalid credentials.",
        403: "Signed in, but not allowed to do this.",
        404: "No such object, or not one you may see.",
    }
    return {
        code: OpenApiResponse(ProblemSerializer, description=descriptions[code]) for code in codes
    }


PROBLEM_EXAMPLE = OpenApiExample(
    "Invalid SIREN",
    value={
        "type": "about:blank",
        "title": "Données invalides",
        "status": 400,
        "detail": "Certains champs sont invalides.",
        "errors": [
            {
                "field": "siren",
                "message": "Saisissez un SIREN valide : 9 chiffres avec une clé de contrôle "
                "correcte.",
                "code": "siren",
            }
        ],
    },
    response_only=True,
    status_codes=["400"],
)

COMPANY_EXAMPLE = OpenApiExample(
    "A company",
    value={
        "id": 12,
        "legal_name": "Boulangerie Martin",
        "siren": "732829320",
        "siret": "73282932000074",
        "vat_number": "FR44732829320",
        "legal_form": "SARL",
        "share_capital": "10000.00",
        "address_line": "12 rue de la République",
        "postal_code": "69002",
        "city": "Lyon",
        "country": "FR",
        "billing_email": "compta@boulangerie-martin.fr",
        "phone": "+33478000000",
        "status": "active",
        "billing": "direct",
        "accountant": 3,
        "created_at": "2026-01-05T09:30:00+01:00",
        "updated_at": "2026-01-05T09:30:00+01:00",
    },
    response_only=True,
)

company_list = extend_schema(
    summary="List companies",
    description="Companies the caller may see: the whole firm for an API key or a firm "
    "administrator, the assigned ones for an accountant, their own for a client.",
    responses={200: CompanySerializer(many=True), **_errors(400, 401)},
    examples=[COMPANY_EXAMPLE],
)


# What `company_create` takes; the rest (status, phone, accountant...) goes through
# `company_update`, which checks it, in the same transaction.
CREATED = frozenset(
    {"legal_name", "siren", "vat_number", "siret", "legal_form", "share_capital"}
    | {"address_line", "postal_code", "city", "billing_email"}
)


@extend_schema_view(
    list=company_list,
    retrieve=extend_schema(
        summary="One company",
        responses={200: CompanySerializer, **_errors(401, 404)},
        examples=[COMPANY_EXAMPLE],
    ),
    create=extend_schema(
        summary="Create a company",
        description="API keys and firm administrators only.",
        request=CompanyWriteSerializer,
        responses={201: CompanySerializer, **_errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "New company",
                value={
                    "legal_name": "Boulangerie Martin",
                    "siren": "732829320",
                    "vat_number": "FR44732829320",
                    "city": "Lyon",
                    "accountant": 3,
                },
                request_only=True,
            ),
            COMPANY_EXAMPLE,
            PROBLEM_EXAMPLE,
        ],
    ),
    update=extend_schema(
        summary="Replace a company's fields",
        description="Firm staff managing the company. Client administrators use PATCH with "
        "contact fields.",
        request=CompanyWriteSerializer,
        responses={200: CompanySerializer, **_errors(400, 401, 403, 404)},
        examples=[COMPANY_EXAMPLE, PROBLEM_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change some of a company's fields",
        description="Firm staff managing the company change any field; a client administrator "
        "changes contact fields only (address, postal code, city, country, billing e-mail, "
        "phone): any other field is answered 400 with the code `read_only`.",
        request=CompanyWriteSerializer(partial=True),
        responses={200: CompanySerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "New billing address",
                value={"address_line": "3 place Bellecour", "postal_code": "69002"},
                request_only=True,
            ),
            COMPANY_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="Deactivate a company",
        description="Archives the company (status `archived`); nothing is deleted. Firm staff "
        "managing the company only.",
        responses={204: None, **_errors(401, 403, 404)},
    ),
)
class CompanyViewSet(viewsets.ModelViewSet):
    scope_group = "companies"
    serializer_class = CompanySerializer
    queryset = Company.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    filters = (
        Filter("status", ("status",), description="trial, active, cancelled or archived"),
        Filter("accountant", ("accountant_id",), "integer", "The assigned accountant's id."),
        Filter("siren", ("siren",)),
        Filter("q", ("legal_name",), "search", "Part of the legal name."),
    )
    ordering_fields = ["id", "legal_name", "siren", "created_at"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Company]:
        if getattr(self, "swagger_fake_view", False):
            return Company.objects.none()
        return companies_for(self.request.user).select_related("accountant")

    def create(self, request, *args, **kwargs):
        if not is_firm_wide(request.user):
            raise PermissionDenied(_("Only the firm can create companies."))
        serializer = CompanyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with transaction.atomic():
            company = clients.company_create(**{k: v for k, v in data.items() if k in CREATED})
            extras = {k: v for k, v in data.items() if k not in CREATED}
            if extras:
                company = clients.company_update(actor=request.user, company=company, **extras)
        return Response(CompanySerializer(company).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        company = self.get_object()
        serializer = CompanyWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        company = clients.company_update(
            actor=request.user, company=company, **dict(serializer.validated_data)
        )
        return Response(CompanySerializer(company).data)

    def destroy(self, request, *args, **kwargs):
        company = self.get_object()
        if not manages_company(request.user, company):
            raise PermissionDenied(_("Only the firm can deactivate a company."))
        clients.company_update(actor=request.user, company=company, status=Company.Status.ARCHIVED)
        return Response(status=status.HTTP_204_NO_CONTENT)


PERSON_EXAMPLE = OpenApiExample(
    "A person",
    value={
        "id": 42,
        "email": "claire.martin@boulangerie-martin.fr",
        "first_name": "Claire",
        "last_name": "Martin",
        "phone": "+33612345678",
        "is_active": True,
        "memberships": [
            {"id": 7, "company": 12, "company_name": "Boulangerie Martin", "role": "admin"}
        ],
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List people",
        description="The whole firm for an API key or a firm administrator; the people of the "
        "companies a client administrator administers (and themselves); a collaborator sees "
        "themselves. Firm staff also get `language`, `firm_role`, `date_joined`, `last_login`.",
        responses={200: StaffPersonSerializer(many=True), **_errors(400, 401)},
        examples=[PERSON_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One person",
        responses={200: StaffPersonSerializer, **_errors(401, 404)},
        examples=[PERSON_EXAMPLE],
    ),
    create=extend_schema(
        summary="Create a person",
        description="API keys and firm administrators only. The person has no password and "
        "receives no invitation; `companies` with `role` make them a member at once.",
        request=PersonCreateSerializer,
        responses={201: StaffPersonSerializer, **_errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "New collaborator",
                value={
                    "email": "claire.martin@boulangerie-martin.fr",
                    "first_name": "Claire",
                    "last_name": "Martin",
                    "companies": [12],
                    "role": "collaborator",
                },
                request_only=True,
            ),
            PERSON_EXAMPLE,
        ],
    ),
    partial_update=extend_schema(
        summary="Change a person's name or phone",
        request=PersonUpdateSerializer,
        responses={200: StaffPersonSerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample("New phone", value={"phone": "06 12 34 56 78"}, request_only=True),
            PERSON_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="Deactivate a person",
        description="The person can no longer sign in; their sessions end. Nothing is deleted.",
        responses={204: None, **_errors(400, 401, 403, 404)},
    ),
    reactivate=extend_schema(
        summary="Reactivate a person",
        request=None,
        responses={200: StaffPersonSerializer, **_errors(400, 401, 403, 404)},
        examples=[PERSON_EXAMPLE],
    ),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "people"
    queryset = User.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "email", "last_name", "date_joined"]
    filters = (
        Filter("company", ("memberships__company_id",), "integer", "A company's id."),
        Filter("is_active", ("is_active",), "boolean"),
        Filter("q", ("email", "first_name", "last_name"), "search", "Part of e-mail or name."),
    )

    def get_serializer_class(self):
        user = getattr(self.request, "user", None)
        if user is None or getattr(user, "is_firm_staff", False):
            return StaffPersonSerializer
        return PersonSerializer

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        actor = self.request.user
        seen = memberships_for(actor).select_related("company").order_by("company__legal_name")
        return people_for(actor).prefetch_related(Prefetch("memberships", queryset=seen))

    def _answer(self, person: User, code: int = status.HTTP_200_OK) -> Response:
        person = self.get_queryset().get(pk=person.pk)
        return Response(self.get_serializer(person).data, status=code)

    def create(self, request, *args, **kwargs):
        if not is_firm_wide(request.user):
            raise PermissionDenied(_("Only the firm can create people."))
        serializer = PersonCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            person = clients.user_create(
                email=data["email"],
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                language=data.get("language", User.Language.FR),
            )
            for company in data.get("companies", []):
                clients.membership_set(
                    actor=request.user, user=person, company=company, role=data["role"]
                )
        return self._answer(person, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        person = self.get_object()
        serializer = PersonUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        clients.user_update(actor=request.user, user=person, **dict(serializer.validated_data))
        return self._answer(person)

    def perform_destroy(self, instance: User) -> None:
        clients.user_set_active(actor=self.request.user, user=instance, active=False)

    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        person = clients.user_set_active(actor=request.user, user=self.get_object(), active=True)
        return self._answer(person)


MEMBERSHIP_EXAMPLE = OpenApiExample(
    "A membership",
    value={
        "id": 7,
        "user": 42,
        "user_email": "claire.martin@boulangerie-martin.fr",
        "company": 12,
        "company_name": "Boulangerie Martin",
        "role": "admin",
        "created_at": "2026-01-05T09:30:00+01:00",
    },
    response_only=True,
)
LAST_ADMIN_EXAMPLE = OpenApiExample(
    "Last client administrator",
    value={
        "type": "about:blank",
        "title": "Données invalides",
        "status": 400,
        "detail": "Certains champs sont invalides.",
        "errors": [
            {
                "field": "role",
                "message": "Une entreprise garde au moins un administrateur client.",
                "code": "last_admin",
            }
        ],
    },
    response_only=True,
    status_codes=["400"],
)


@extend_schema_view(
    list=extend_schema(
        summary="List memberships",
        description="Who belongs to which company with which role. Client administrators see "
        "those of the companies they administer, collaborators their own.",
        responses={200: MembershipSerializer(many=True), **_errors(400, 401)},
        examples=[MEMBERSHIP_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One membership",
        responses={200: MembershipSerializer, **_errors(401, 404)},
        examples=[MEMBERSHIP_EXAMPLE],
    ),
    create=extend_schema(
        summary="Add a person to a company",
        description="Or change their role there. The firm, or a client administrator of the "
        "company (for people of the companies they administer).",
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample(
                "New member",
                value={"user": 42, "company": 12, "role": "collaborator"},
                request_only=True,
            ),
            MEMBERSHIP_EXAMPLE,
        ],
    ),
    partial_update=extend_schema(
        summary="Change a member's role",
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer, **_errors(400, 401, 403, 404)},
        examples=[
            OpenApiExample("Make administrator", value={"role": "admin"}, request_only=True),
            MEMBERSHIP_EXAMPLE,
            LAST_ADMIN_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="Remove a person from a company",
        description="A company keeps at least one active client administrator.",
        responses={204: None, **_errors(400, 401, 403, 404)},
        examples=[LAST_ADMIN_EXAMPLE],
    ),
)
class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "people"
    serializer_class = MembershipSerializer
    queryset = Membership.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "created_at"]
    filters = (
        Filter("company", ("company_id",), "integer", "A company's id."),
        Filter("user", ("user_id",), "integer", "A person's id."),
        Filter("role", ("role",), description="admin or collaborator"),
    )

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return memberships_for(self.request.user).select_related("user", "company")

    def _administered(self, company: Company) -> Company:
        if not administers_company(self.request.user, company):
            raise PermissionDenied(_("Only an administrator of this company can do this."))
        return company

    def create(self, request, *args, **kwargs):
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = request.user
        company = companies_for(actor).filter(pk=data["company"]).first()
        if company is None:
            raise NotFound()
        self._administered(company)
        person = joinable_people(actor).filter(pk=data["user"]).first()
        if person is None:
            raise NotFound()
        membership = clients.membership_set(
            actor=actor, user=person, company=company, role=data["role"]
        )
        answer = self.get_queryset().get(pk=membership.pk)
        return Response(MembershipSerializer(answer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        serializer = MembershipUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = clients.membership_set(
            actor=request.user,
            user=membership.user,
            company=self._administered(membership.company),
            role=serializer.validated_data["role"],
        )
        answer = self.get_queryset().get(pk=membership.pk)
        return Response(MembershipSerializer(answer).data)

    def perform_destroy(self, instance: Membership) -> None:
        self._administered(instance.company)
        clients.membership_remove(actor=self.request.user, membership=instance)


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """API keys of the firm: firm administrators only, signed in (a key cannot mint keys)."""

    scope_group = SESSION_ONLY
    serializer_class = ApiKeySerializer
    permission_classes = [FirmAdmin]
    queryset = FirmAPIKey.objects.all()
    lookup_field = "prefix"  # the primary key holds the hash: it never leaves the database
    pagination_class = None

    @extend_schema(
        responses={201: ApiKeyCreatedSerializer},
        examples=[
            OpenApiExample(
                "Created",
                value={
                    "prefix": "Xk3vQ9aB",
                    "name": "ERP",
                    "scopes": ["companies:read", "people:write"],
                    "key": "Xk3vQ9aB.4nT8pL2wR6yZ0cV5bM7qJ1hG3fD9sA2e",
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, secret = services.api_key_create(
            actor=request.user,
            name=serializer.validated_data["name"],
            scopes=serializer.validated_data.get("scopes"),
            expires_at=serializer.validated_data.get("expiry_date"),
        )
        data = ApiKeySerializer(key).data | {"key": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: FirmAPIKey) -> None:
        services.api_key_revoke(actor=self.request.user, key=instance)
