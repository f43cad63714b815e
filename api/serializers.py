"""API serializers: they shape JSON and check types; every rule stays in the services."""

from __future__ import annotations

from rest_framework import serializers

from api.models import FirmAPIKey
from api.scopes import ALL_SCOPES
from clients.models import Company, Membership, User


class CompanySerializer(serializers.ModelSerializer):
    # An e-mail address or empty: the schema must allow "" (ModelSerializer says format email).
    billing_email = serializers.CharField(read_only=True, help_text="An e-mail address, or empty.")

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
            "accountant",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CompanyWriteSerializer(serializers.Serializer):
    """What a company write accepts. Plain fields on purpose: SIREN, VAT, e-mail, phone and
    who may change which field are checked by `clients.services`, with one message each."""

    legal_name = serializers.CharField(max_length=200, allow_blank=True)
    siren = serializers.CharField(max_length=20, allow_blank=True)
    siret = serializers.CharField(max_length=20, allow_blank=True, required=False)
    vat_number = serializers.CharField(max_length=20, allow_blank=True, required=False)
    legal_form = serializers.CharField(max_length=50, allow_blank=True, required=False)
    share_capital = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, required=False
    )
    address_line = serializers.CharField(max_length=200, allow_blank=True, required=False)
    postal_code = serializers.CharField(max_length=10, allow_blank=True, required=False)
    city = serializers.CharField(max_length=100, allow_blank=True, required=False)
    country = serializers.CharField(max_length=2, required=False)
    billing_email = serializers.CharField(max_length=254, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False)
    status = serializers.CharField(max_length=10, required=False)
    billing = serializers.ChoiceField(choices=Company.Billing.choices, required=False)
    accountant = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(
            firm_role__in=[User.FirmRole.ADMIN, User.FirmRole.ACCOUNTANT], is_active=True
        ),
        allow_null=True,
        required=False,
        help_text="The firm's accountant in charge of the company (a firm staff member's id).",
    )


class MembershipBriefSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "company", "company_name", "role"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """A person as clients see them: no firm role, no pending e-mail, no staff fields."""

    memberships = MembershipBriefSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "is_active",
            "memberships",
        ]
        read_only_fields = fields


class StaffPersonSerializer(PersonSerializer):
    """A person as the firm sees them."""

    class Meta(PersonSerializer.Meta):
        fields = [
            *PersonSerializer.Meta.fields,
            "language",
            "firm_role",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class PersonCreateSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)
    companies = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(),
        many=True,
        required=False,
        help_text="Companies the person joins, with `role`. No invitation is sent.",
    )
    role = serializers.CharField(
        max_length=20,
        required=False,
        default=Membership.Role.COLLABORATOR,
        help_text="`admin` (client administrator) or `collaborator`.",
    )


class PersonUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False)


class MembershipSerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.legal_name", read_only=True)
    user_email = serializers.CharField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "user_email", "company", "company_name", "role", "created_at"]
        read_only_fields = fields


class MembershipCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The person's id.")
    company = serializers.IntegerField(help_text="The company's id.")
    role = serializers.CharField(
        max_length=20, help_text="`admin` (client administrator) or `collaborator`."
    )


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.CharField(
        max_length=20, help_text="`admin` (client administrator) or `collaborator`."
    )


class ApiKeySerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=50)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ALL_SCOPES),
        required=False,
        help_text="`group:read` or `group:write` for the groups companies, people, "
        "entitlements, invoicing and webhooks; a write scope includes the group's read. "
        "Omitted: read-write on every group.",
    )

    class Meta:
        model = FirmAPIKey
        fields = [
            "prefix",
            "name",
            "scopes",
            "created",
            "expiry_date",
            "revoked",
            "last_used_at",
            "last_used_ip",
        ]
        read_only_fields = ["prefix", "created", "revoked", "last_used_at", "last_used_ip"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The secret: shown once, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of the API is answered (api.errors)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False)
