"""Bulk upserts: `POST /api/v1/<companies|users|memberships>/bulk` with `{"records": [...]}`.

Each record gets its own outcome, in order; valid records are applied even when others fail,
and sending the same records again changes nothing. API keys and firm administrators only.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import ProblemSerializer
from api.serializers_bulk import (
    BulkResultSerializer,
    CompanyBulkSerializer,
    MembershipBulkSerializer,
    PersonBulkSerializer,
)
from clients import bulk
from tenants.errors import DomainError

ERRORS = {
    400: OpenApiResponse(ProblemSerializer, description="`records` is missing or too long."),
    401: OpenApiResponse(ProblemSerializer, description="No or invalid credentials."),
    403: OpenApiResponse(ProblemSerializer, description="Only the firm may do this."),
}
RESULT_EXAMPLE = OpenApiExample(
    "One created, one refused",
    value={
        "summary": {"created": 1, "updated": 0, "unchanged": 0, "error": 1},
        "results": [
            {"index": 0, "external_id": "CRM-1", "status": "created", "id": 12, "errors": {}},
            {
                "index": 1,
                "external_id": "CRM-2",
                "status": "error",
                "id": None,
                "errors": {
                    "siren": "Saisissez un SIREN valide : 9 chiffres avec une clé de contrôle "
                    "correcte."
                },
            },
        ],
    },
    response_only=True,
)


class _BulkView(APIView):
    parser_classes = [JSONParser]
    upsert = staticmethod(bulk.companies_upsert)

    def post(self, request, *args, **kwargs):
        records = request.data.get("records") if isinstance(request.data, dict) else None
        if not isinstance(records, list):
            raise DomainError(_("Send the records as a list."), field="records", code="invalid")
        outcomes = self.upsert(actor=request.user, records=records)
        return Response(
            {
                "summary": bulk.summary(outcomes),
                "results": [outcome.as_dict() for outcome in outcomes],
            }
        )


def _schema(summary: str, request, description: str):
    return extend_schema(
        summary=summary,
        description=description
        + f" At most {bulk.MAX_RECORDS} records per call. Each record is answered in `results`, "
        "in order, with `created`, `updated`, `unchanged` or `error` and its field messages.",
        request=request,
        responses={200: BulkResultSerializer, **ERRORS},
        examples=[RESULT_EXAMPLE],
    )


class CompanyBulkView(_BulkView):
    scope_group = "companies"
    upsert = staticmethod(bulk.companies_upsert)

    @_schema(
        "Create or update companies in bulk",
        CompanyBulkSerializer,
        "Companies are matched by `external_id`, or by SIREN when a record has none; a "
        "company of the firm with that SIREN and no external id takes the record's.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class PersonBulkView(_BulkView):
    scope_group = "people"
    upsert = staticmethod(bulk.users_upsert)

    @_schema(
        "Create or update people in bulk",
        PersonBulkSerializer,
        "People are matched by `external_id`, or by e-mail address when a record has none. "
        "New people get no password and no e-mail: invite them when they should sign in.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class MembershipBulkView(_BulkView):
    scope_group = "people"
    upsert = staticmethod(bulk.memberships_upsert)

    @_schema(
        "Give people roles in companies, in bulk",
        MembershipBulkSerializer,
        "The person by `user_external_id` or `user_email`, the company by "
        "`company_external_id` or `company_siren`. A company keeps at least one client "
        "administrator.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
