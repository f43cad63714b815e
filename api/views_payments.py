"""Payments and statements of account: the API views.

Reads go through `payments.selectors` (a payment is seen as its invoice is); writes through
`payments.services` with `source="api"`, for the firm's staff in charge of the company and API
keys. A statement of account is JSON at `companies/{id}/statement/`, a CSV at
`.../statement/csv/` and a PDF at `.../statement/pdf/`; `?until=YYYY-MM-DD` dates it.
"""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from api.filters import DeclaredFilters, Filter
from api.serializers_payments import (
    PaymentCreateSerializer,
    PaymentReverseSerializer,
    PaymentSerializer,
    StatementSerializer,
)
from api.views import _errors
from api.views_invoicing import ChoiceFilter, DayFilter
from clients.models import Company
from invoicing.selectors import VIEW, invoice_companies_for, invoices_visible_to
from invoicing.services import firm_profile
from payments import selectors
from payments.models import Means, PaymentEvent, Source
from payments.services import payment_record, payment_reverse
from payments.statement_export import statement_csv, statement_pdf
from tenants.errors import DomainError, NotFound

# --- documentation -------------------------------------------------------------------------

PAYMENT_EXAMPLE = OpenApiExample(
    "A payment",
    value={
        "id": 5120,
        "invoice": 311,
        "invoice_number": "F-2026-000311",
        "company": 12,
        "company_name": "Boulangerie Martin",
        "kind": "payment",
        "amount": "58.80",
        "date": "2026-11-28",
        "means": "transfer",
        "source": "api",
        "reference": "VIR F-2026-000311",
        "payer": "BOULANGERIE MARTIN",
        "external_id": "ERP-88231",
        "reverses": None,
        "reversed_by": None,
        "reason": "",
        "created_at": "2026-11-28T10:02:11+01:00",
    },
    response_only=True,
)
REVERSAL_EXAMPLE = OpenApiExample(
    "A reversal",
    value={
        **PAYMENT_EXAMPLE.value,
        "id": 5121,
        "kind": "reversal",
        "amount": "-58.80",
        "date": "2026-11-30",
        "external_id": "",
        "reverses": 5120,
        "reason": "Chèque sans provision",
    },
    response_only=True,
)
BALANCE_ERROR_EXAMPLE = OpenApiExample(
    "More than the balance",
    value={
        "type": "about:blank",
        "title": "Données invalides",
        "status": 400,
        "detail": "Certains champs sont invalides.",
        "errors": [
            {
                "field": "amount",
                "message": "Il ne reste que 20,00 € à payer sur la facture F-2026-000311.",
                "code": "invalid",
            }
        ],
    },
    response_only=True,
    status_codes=["400"],
)
STATEMENT_EXAMPLE = OpenApiExample(
    "A statement",
    value={
        "company": 12,
        "company_name": "Boulangerie Martin",
        "until": "2026-11-30",
        "lines": [
            {
                "date": "2026-10-01",
                "kind": "invoice",
                "number": "F-2026-000311",
                "invoice": 311,
                "reference": "",
                "due_date": "2026-10-31",
                "debit": "58.80",
                "credit": "0.00",
                "balance": "58.80",
            },
            {
                "date": "2026-11-05",
                "kind": "payment",
                "number": "F-2026-000311",
                "invoice": 311,
                "reference": "VIR MARTIN",
                "due_date": None,
                "debit": "0.00",
                "credit": "38.80",
                "balance": "20.00",
            },
        ],
        "total_debit": "58.80",
        "total_credit": "38.80",
        "balance": "20.00",
        "open_invoices": 1,
        "aging": {
            "not_due": "0.00",
            "days_0_30": "20.00",
            "days_31_60": "0.00",
            "days_61_90": "0.00",
            "days_90_plus": "0.00",
        },
    },
    response_only=True,
)
UNTIL = OpenApiParameter(
    "until",
    OpenApiTypes.DATE,
    OpenApiParameter.QUERY,
    description="The statement as it stood at the end of this day (default: today).",
)
COMPANY_ID = OpenApiParameter("company_id", OpenApiTypes.INT, OpenApiParameter.PATH)


# --- payments ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List payments",
        description="Payments received and their reversals (negative amounts), newest first: "
        "the whole firm for an API key or a firm administrator, the assigned companies for "
        "an accountant, for a client the companies where they may see invoices.",
        responses={200: PaymentSerializer(many=True), **_errors(400, 401)},
        examples=[PAYMENT_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One payment",
        responses={200: PaymentSerializer, **_errors(401, 404)},
        examples=[PAYMENT_EXAMPLE, REVERSAL_EXAMPLE],
    ),
    create=extend_schema(
        summary="Record a payment",
        description="A payment received on an invoice: at most what is left to pay on it, "
        "dated today or before. The firm's staff in charge of the company, and API keys. "
        "With `external_id`, sending the same payment again answers 200 with the first record "
        "and records nothing.",
        request=PaymentCreateSerializer,
        responses={
            201: PaymentSerializer,
            200: OpenApiResponse(PaymentSerializer, description="Already recorded."),
            **_errors(400, 401, 403),
        },
        examples=[
            OpenApiExample(
                "A transfer",
                value={
                    "invoice": 311,
                    "amount": "58.80",
                    "date": "2026-11-28",
                    "means": "transfer",
                    "reference": "VIR F-2026-000311",
                    "external_id": "ERP-88231",
                },
                request_only=True,
            ),
            PAYMENT_EXAMPLE,
            BALANCE_ERROR_EXAMPLE,
        ],
    ),
    reverse=extend_schema(
        summary="Reverse a payment",
        description="The payment came back (a cheque bounced, recorded by mistake): records its "
        "negative, and the invoice is due again. A payment is reversed once; asking again "
        "answers 200 with the first reversal.",
        request=PaymentReverseSerializer,
        responses={
            201: PaymentSerializer,
            200: OpenApiResponse(PaymentSerializer, description="Already reversed."),
            **_errors(400, 401, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Bounced",
                value={"reason": "Chèque sans provision", "date": "2026-11-30"},
                request_only=True,
            ),
            REVERSAL_EXAMPLE,
        ],
    ),
)
class PaymentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "payments"
    serializer_class = PaymentSerializer
    queryset = PaymentEvent.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "date", "amount"]
    filters = (
        Filter("invoice", ("invoice_id",), "integer", "An invoice's id."),
        Filter("company", ("invoice__company_id",), "integer", "A company's id."),
        ChoiceFilter(
            "kind",
            ("kind",),
            "choice",
            "payment or reversal",
            choices=tuple(PaymentEvent.Kind.values),
        ),
        ChoiceFilter(
            "means", ("means",), "choice", ", ".join(Means.values), choices=tuple(Means.values)
        ),
        ChoiceFilter(
            "source", ("source",), "choice", ", ".join(Source.values), choices=tuple(Source.values)
        ),
        DayFilter("date_from", ("date__gte",), description="On or after, YYYY-MM-DD."),
        DayFilter("date_to", ("date__lte",), description="On or before, YYYY-MM-DD."),
    )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PaymentEvent.objects.none()
        return selectors.payments_visible_to(self.request.user)

    def _answer(self, event: PaymentEvent, created: bool) -> Response:
        event = self.get_queryset().get(pk=event.pk)
        location = self.request.build_absolute_uri(
            reverse("api:payment-detail", kwargs={"pk": event.pk})
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(PaymentSerializer(event).data, status=code, headers={"Location": location})

    def create(self, request, *args, **kwargs):
        serializer = PaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        invoice = invoices_visible_to(request.user).filter(pk=data.pop("invoice")).first()
        if invoice is None:
            raise DomainError(_("Unknown invoice."), field="invoice", code="unknown")
        external_id = data["external_id"].strip()
        already = (
            bool(external_id)
            and PaymentEvent.objects.filter(source=Source.API, external_id=external_id).exists()
        )
        event = payment_record(actor=request.user, invoice=invoice, source=Source.API, **data)
        return self._answer(event, created=not already)

    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None) -> Response:
        payment = selectors.access_payment(request.user, pk)
        serializer = PaymentReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        already = PaymentEvent.objects.filter(reverses=payment).exists()
        reversal = payment_reverse(
            actor=request.user,
            payment=payment,
            date=data.get("date") or timezone.localdate(),
            reason=data["reason"],
            source=Source.API,
        )
        return self._answer(reversal, created=not already)


# --- statements of account -----------------------------------------------------------------


class AnyFormat(BaseContentNegotiation):
    """The file views answer one type whatever `Accept` says; errors stay JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class StatementView(APIView):
    scope_group = "payments"
    fmt = "json"

    def _statement(self, request, company_id) -> selectors.Statement:
        try:
            company = invoice_companies_for(request.user, VIEW).get(pk=int(company_id))
        except (Company.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        return selectors.statement_of_account(company, until=self._until(request))

    @staticmethod
    def _until(request) -> datetime.date | None:
        value = request.query_params.get("until", "").strip()
        if not value:
            return None
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise ValidationError({"until": [_("Enter a valid date.")]})
        if day > timezone.localdate():
            raise ValidationError({"until": [_("A statement cannot be dated in the future.")]})
        return day

    @extend_schema(
        summary="A company's statement of account",
        description="Its invoices (debits), credit notes and payments (credits) and reversals "
        "(debits), oldest first with the running balance, the totals, and what is left to "
        "pay by days past due. Seen by whoever may see the company's invoices. The same as a "
        "CSV (semicolon, UTF-8 with BOM) under `csv/`, as a PDF under `pdf/`.",
        parameters=[COMPANY_ID, UNTIL],
        responses={200: StatementSerializer, **_errors(400, 401, 404)},
        examples=[STATEMENT_EXAMPLE],
    )
    def get(self, request, company_id):
        return Response(StatementSerializer(self._statement(request, company_id)).data)


class StatementFileView(StatementView):
    content_negotiation_class = AnyFormat
    fmt = "csv"

    @extend_schema(
        summary="A company's statement of account, as a file",
        description="`csv/`: one row per line (date;type;number;reference;due date;debit;"
        "credit;balance), semicolon-separated, UTF-8 with BOM, labels and decimal separator "
        "in the caller's language. `pdf/`: A4, the firm's identity on top.",
        parameters=[COMPANY_ID, UNTIL],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **_errors(400, 401, 404),
        },
    )
    def get(self, request, company_id):
        statement = self._statement(request, company_id)
        company = statement.company
        filename = f"releve-{company.siren or company.pk}-{statement.until:%Y-%m-%d}.{self.fmt}"
        if self.fmt == "pdf":
            response = HttpResponse(
                statement_pdf(statement, firm_profile()), content_type="application/pdf"
            )
        else:
            response = HttpResponse(
                statement_csv(statement), content_type="text/csv; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def register(router: DefaultRouter) -> None:
    """Adds this module's routes to the API router."""
    router.register("payments", PaymentViewSet, basename="payment")


urlpatterns: list = [
    path(
        "companies/<int:company_id>/statement/",
        StatementView.as_view(),
        name="company-statement",
    ),
    path(
        "companies/<int:company_id>/statement/csv/",
        StatementFileView.as_view(fmt="csv"),
        name="company-statement-csv",
    ),
    path(
        "companies/<int:company_id>/statement/pdf/",
        StatementFileView.as_view(fmt="pdf"),
        name="company-statement-pdf",
    ),
]
