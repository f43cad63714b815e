"""Bank statements API: import a CAMT.053 or CSV statement, read statements and their entries.

The firm's own bank account: API keys (scope payments) and firm administrators only. An import
of up to INLINE_ENTRIES new entries is reconciled at once and answers 201 with the counts and
the entries left to review; a longer one answers 202, `status: pending`, and is reconciled in
the background (its URL, in `Location`, says `done` once over). The same file again answers 200
with the first import's result and `duplicate: true`, and changes nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from api.filters import DeclaredFilters
from api.pagination import Cursor
from api.serializers_banking import (
    BankEntrySerializer,
    BankStatementSerializer,
    ImportResultSerializer,
    StatementUploadSerializer,
)
from api.views import _errors
from api.views_invoicing import ChoiceFilter, DayFilter, FirmWide, _field_problem
from banking import selectors, services
from banking.models import BankEntry, BankStatement
from banking.parsers import MAX_BYTES
from tenants.errors import DomainError

STATEMENT_EXAMPLE = {
    "id": 42,
    "format": "camt053",
    "file_name": "releve_2026-11.xml",
    "sha256": "9f2c…",
    "account_iban": "FR7630006000011234567890189",
    "bank_id": "STMT-2026-11-A",
    "period_start": "2026-11-01",
    "period_end": "2026-11-27",
    "entries_total": 7,
    "entries_known": 0,
    "status": "done",
    "pending": 0,
    "counts": {"matched": 3, "reversed": 1, "to_review": 2, "ignored": 1},
    "created_at": "2026-11-28T08:15:02+01:00",
}
ENTRY_EXAMPLE = {
    "id": 311,
    "statement": 42,
    "line": 97,
    "booking_date": "2026-11-12",
    "value_date": "2026-11-12",
    "amount": "60.00",
    "currency": "EUR",
    "counterparty": "STE DURAND",
    "counterparty_iban": "FR7614508000401234567890188",
    "remittance": "PAIEMENT",
    "end_to_end_id": "",
    "bank_reference": "2026111200011",
    "bank_code": "PMNT/RCDT/ESCT",
    "return_code": "",
    "status": "to_review",
    "note": "Plusieurs factures ouvertes de ce montant pour ce payeur (F-2026-000106, …).",
    "invoice": None,
    "invoice_number": None,
    "payment": None,
}


class StatementCursor(Cursor):
    ordering = "-created_at"


class EntryCursor(Cursor):
    ordering = "id"  # the file's order


@extend_schema_view(
    list=extend_schema(
        summary="List bank statements",
        description="Imported statements, newest first, with their entries counted per status. "
        "API keys and firm administrators only.",
        responses={200: BankStatementSerializer(many=True), **_errors(400, 401, 403)},
        examples=[OpenApiExample("A statement", value=STATEMENT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One bank statement",
        description="Its period, account and counts; its entries are under `entries/`.",
        responses={200: BankStatementSerializer, **_errors(401, 403, 404)},
        examples=[OpenApiExample("A statement", value=STATEMENT_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Import a bank statement",
        description="Multipart: `file`, `format` (camt053: camt.053.001.02 to .08; csv) and, for "
        "CSV, `mapping` (JSON; left out, the last one used). Credits naming an invoice number "
        "pay it (partly if less), credits without one pay the single open invoice of that "
        "amount whose company is the payer (known by its name, by the account it paid from "
        "before or by its SEPA mandate), returned direct debits reverse their collection; "
        "the rest waits for review (`to_review`). An entry already brought by an overlapping "
        f"statement counts once (`entries_known`). Up to {services.INLINE_ENTRIES} new entries: "
        "reconciled at once, 201 with `status: done`. More: stored at once and reconciled in "
        "the background, 202 with `status: pending` and the statement's URL in `Location`: "
        "poll it until `status` is `done` (`pending` counts the entries left). The same file "
        "again: 200 with the first import and `duplicate: true`, nothing changed. A file that "
        "cannot be read: 400 naming the field (`file`, `format`, `mapping.columns.amount`...) "
        "and the line.",
        request={"multipart/form-data": StatementUploadSerializer},
        responses={
            201: ImportResultSerializer,
            202: ImportResultSerializer,
            200: ImportResultSerializer,
            **_errors(400, 401, 403),
        },
        examples=[
            OpenApiExample(
                "Imported",
                value={
                    **STATEMENT_EXAMPLE,
                    "duplicate": False,
                    "to_review": [ENTRY_EXAMPLE],
                },
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Being reconciled",
                value={
                    **STATEMENT_EXAMPLE,
                    "entries_total": 1840,
                    "status": "pending",
                    "pending": 1840,
                    "counts": {"matched": 0, "reversed": 0, "to_review": 0, "ignored": 0},
                    "duplicate": False,
                    "to_review": [],
                },
                response_only=True,
                status_codes=["202"],
            ),
            _field_problem(
                "Not a CAMT.053",
                "file",
                "Ce fichier n’est pas un relevé CAMT.053 (camt.053.001.02 à .08) : c’est "
                "pain.008.001.02.",
            ),
            _field_problem(
                "A column missing",
                "mapping.columns.amount",
                "La colonne « Montant » n’est pas dans l’en-tête ; trouvé : Date, Libellé, "
                "Débit, Crédit.",
            ),
        ],
    ),
)
class BankStatementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "payments"
    serializer_class = BankStatementSerializer
    permission_classes = [FirmWide]
    pagination_class = StatementCursor
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = BankStatement.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["created_at", "period_end", "id"]
    filters = (
        DayFilter("after", ("period_end__gte",), description="Ending on or after, YYYY-MM-DD."),
        DayFilter(
            "before", ("period_start__lte",), description="Starting on or before, YYYY-MM-DD."
        ),
    )

    def get_queryset(self) -> QuerySet[BankStatement]:
        if getattr(self, "swagger_fake_view", False):
            return BankStatement.objects.none()
        return selectors.statements_counted(selectors.statements_visible_to(self.request.user))

    def create(self, request, *args, **kwargs):
        upload = StatementUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        if data["file"].size > MAX_BYTES:  # refused before it is read into memory
            raise DomainError(_("The file is larger than 10 MB: split it."), field="file")
        result = services.statement_import(
            actor=request.user,
            content=data["file"].read(),
            file_name=data["file"].name,
            fmt=data["format"],
            mapping=data.get("mapping"),
        )
        statement = self.get_queryset().get(pk=result.statement.pk)
        statement.duplicate = not result.created
        statement.to_review = statement.entries.filter(
            status=BankEntry.Status.TO_REVIEW
        ).select_related("invoice")
        body = ImportResultSerializer(statement).data
        location = request.build_absolute_uri(
            reverse("api:bank-statement-detail", kwargs={"pk": statement.pk})
        )
        if not result.created:
            code = status.HTTP_200_OK
        elif selectors.pending_of(statement):
            code = status.HTTP_202_ACCEPTED
        else:
            code = status.HTTP_201_CREATED
        return Response(body, status=code, headers={"Location": location})


@extend_schema_view(
    list=extend_schema(
        summary="Entries of a bank statement",
        description="The entries this statement brought (an entry of an earlier, overlapping "
        "statement stays with it), in booking order, with what each became.",
        parameters=[OpenApiParameter("statement_id", int, OpenApiParameter.PATH)],
        responses={200: BankEntrySerializer(many=True), **_errors(400, 401, 403, 404)},
        examples=[OpenApiExample("To review", value=ENTRY_EXAMPLE, response_only=True)],
    ),
)
class BankEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_group = "payments"
    serializer_class = BankEntrySerializer
    permission_classes = [FirmWide]
    pagination_class = EntryCursor
    queryset = BankEntry.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "booking_date", "amount"]
    filters = (
        ChoiceFilter(
            "status",
            ("status",),
            "choice",
            "matched, reversed, to_review or ignored",
            choices=tuple(BankEntry.Status.values),
        ),
    )

    def get_queryset(self) -> QuerySet[BankEntry]:
        if getattr(self, "swagger_fake_view", False):
            return BankEntry.objects.none()
        statement = selectors.access_statement(self.request.user, self.kwargs["statement_id"])
        return BankEntry.objects.filter(statement=statement).select_related("invoice")


def register(router: DefaultRouter) -> None:
    """Adds this module's routes to the API router."""
    router.register("bank-statements", BankStatementViewSet, basename="bank-statement")
    router.register(
        r"bank-statements/(?P<statement_id>[^/.]+)/entries",
        BankEntryViewSet,
        basename="bank-statement-entry",
    )


urlpatterns: list = []
