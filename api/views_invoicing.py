"""Invoicing API: invoices and credit notes (read, issue, download) and the monthly billing runs.

Reads go through `invoicing.selectors`: the firm and API keys see every invoice, an
accountant those of the companies assigned to them, a client the companies where they hold the
invoice rights (read only). Writes go through `invoicing.services`, for the firm's staff only.
Billing runs are the firm's business: API keys and firm administrators only. A download is a
302 to a presigned URL valid five minutes at most, answered after the rights check and the
check of the stored file against the checksum recorded at issue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
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
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api.filters import DeclaredFilters, Filter
from api.pagination import Cursor
from api.permissions import FirmAccess
from api.serializers import ProblemSerializer
from api.serializers_invoicing import (
    BillingRunCreateSerializer,
    BillingRunItemSerializer,
    BillingRunSerializer,
    CreditNoteCreateSerializer,
    CreditNoteDetailSerializer,
    CreditNoteSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    ManualInvoiceCreateSerializer,
    RetriedSerializer,
    month_parse,
)
from api.views import _errors, companies_for
from clients.models import Company
from clients.rights import is_firm_wide
from invoicing import services
from invoicing.models import BillingRun, BillingRunItem, Invoice, InvoiceLine, Kind
from invoicing.selectors import (
    DOWNLOAD,
    access_invoice,
    access_run,
    invoices_visible_to,
    invoices_with_status,
    payment_status_q,
    runs_counted,
    runs_visible_to,
)
from payments.models import OPEN, PaymentStatus
from tenants import storage
from tenants.errors import DomainError, NotFound, PermissionDenied

STATUSES = (OPEN, *PaymentStatus.values)
DOWNLOAD_SECONDS = 300
RETRY_AFTER_SECONDS = 30


class FirmWide(FirmAccess):
    """API keys and firm administrators."""

    message = _("Only the firm's administrators and API keys may do this.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_firm_wide(request.user)


class DocumentConflict(APIException):
    """The document cannot be served now: still being prepared, or failing its checksum."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail: Any, *, wait: int | None = None):
        super().__init__(detail)
        self.wait = wait  # DRF's handler turns it into Retry-After


@dataclass(frozen=True)
class ChoiceFilter(Filter):
    choices: tuple[str, ...] = ()

    def parse(self, value: str) -> str:
        if value not in self.choices:
            message = _("Choose one of: %(choices)s.") % {"choices": ", ".join(self.choices)}
            raise ValidationError({self.name: [message]})
        return value


@dataclass(frozen=True)
class StatusFilter(ChoiceFilter):
    """The payment status of an invoice (`invoicing.selectors.invoices_with_status`), or
    `open` for every invoice with something left to pay."""

    def q(self, value: str) -> Q:
        return payment_status_q(self.parse(value))


@dataclass(frozen=True)
class YearFilter(Filter):
    def parse(self, value: str) -> int:
        year = super().parse(value)
        if not isinstance(year, int) or not datetime.MINYEAR <= year <= datetime.MAXYEAR:
            raise ValidationError({self.name: [_("Enter a valid year.")]})
        return year


@dataclass(frozen=True)
class DayFilter(Filter):
    """`YYYY-MM-DD`, the day included."""

    def parse(self, value: str) -> datetime.date:
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise ValidationError({self.name: [_("Enter a valid date.")]})
        return day


@dataclass(frozen=True)
class MonthFilter(Filter):
    """`YYYY-MM`: the first day of that month."""

    def parse(self, value: str) -> datetime.date:
        try:
            return month_parse(value)
        except ValidationError as error:
            raise ValidationError({self.name: error.detail}) from None


def lines_with_credits() -> Prefetch:
    """An invoice's lines with the amount its credit notes already took off each."""
    credited = Coalesce(
        Sum("credits__total_excl_vat"),
        Value(Decimal("0.00")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    return Prefetch("lines", queryset=InvoiceLine.objects.annotate(credited_excl_vat=credited))


def _issuer_check(actor: Any) -> None:
    if not getattr(actor, "is_firm_staff", False):
        raise PermissionDenied(_("Only the firm's staff may issue invoices and credit notes."))


def _created(request, route: str, pk: Any, body: Any, code: int = status.HTTP_201_CREATED):
    location = request.build_absolute_uri(reverse(route, kwargs={"pk": pk}))
    return Response(body, status=code, headers={"Location": location})


# --- documentation -------------------------------------------------------------------------

INVOICE_EXAMPLE = OpenApiExample(
    "An invoice",
    value={
        "id": 311,
        "number": "F-2026-000311",
        "company": 12,
        "origin": "monthly",
        "company_name": "Boulangerie Martin",
        "company_external_id": "CRM-0042",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "currency": "EUR",
        "language": "fr",
        "total_excl_vat": "49.00",
        "total_vat": "9.80",
        "total_incl_vat": "58.80",
        "document_status": "ready",
        "retained_until": "2036-12-31",
        "created_at": "2026-11-01T02:00:04+01:00",
        "status": "open",
        "credit_notes": [],
        "note": "",
        "vat_breakdown": [{"rate": "20.00", "basis": "49.00", "amount": "9.80"}],
        "seller": {
            "legal_name": "Cabinet Alpha Expertise",
            "siren": "732829320",
            "vat_number": "FR44732829320",
            "address_line": "12 rue de la République",
            "postal_code": "69002",
            "city": "Lyon",
            "country": "FR",
            "iban": "FR7630006000011234567890189",
        },
        "buyer": {
            "legal_name": "Boulangerie Martin",
            "siren": "552100554",
            "address_line": "3 place Bellecour",
            "postal_code": "69002",
            "city": "Lyon",
            "country": "FR",
        },
        "payment_terms_days": 30,
        "late_penalty_rate": "12.00",
        "lines": [
            {
                "id": 901,
                "position": 1,
                "label": "Comptabilité en ligne",
                "detail": "Du 01/10/2026 au 31/10/2026",
                "quantity": "1.0000",
                "unit_price": "49.00",
                "vat_rate": "20.00",
                "total_excl_vat": "49.00",
                "vat_amount": "9.80",
                "credited_excl_vat": "0.00",
            }
        ],
    },
    response_only=True,
)
CREDIT_NOTE_EXAMPLE = OpenApiExample(
    "A credit note",
    value={
        "id": 315,
        "number": "AV-2026-000004",
        "credited_invoice": 311,
        "credited_invoice_number": "F-2026-000311",
        "reason": "Application résiliée au 15 octobre",
        "company": 12,
        "company_name": "Boulangerie Martin",
        "company_external_id": "CRM-0042",
        "issue_date": "2026-11-12",
        "due_date": "2026-12-12",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "currency": "EUR",
        "language": "fr",
        "total_excl_vat": "12.50",
        "total_vat": "2.50",
        "total_incl_vat": "15.00",
        "document_status": "pending",
        "retained_until": "2036-12-31",
        "created_at": "2026-11-12T10:14:00+01:00",
    },
    response_only=True,
)
PENDING_EXAMPLE = OpenApiExample(
    "Document being prepared",
    value={
        "type": "about:blank",
        "title": "Conflit",
        "status": 409,
        "detail": "Le document est en préparation ; réessayez dans une minute.",
    },
    response_only=True,
    status_codes=["409"],
)


def _field_problem(name: str, field: str, message: str) -> OpenApiExample:
    return OpenApiExample(
        name,
        value={
            "type": "about:blank",
            "title": "Données invalides",
            "status": 400,
            "detail": "Certains champs sont invalides.",
            "errors": [{"field": field, "message": message, "code": "invalid"}],
        },
        response_only=True,
        status_codes=["400"],
    )


LINE_ERROR_EXAMPLE = _field_problem(
    "A bad line",
    "lines.1.vat_rate",
    "Choisissez un taux de TVA français : 20, 10, 5,5, 2,1 ou 0 %.",
)
AMOUNT_ERROR_EXAMPLE = _field_problem(
    "Too much credited on a line",
    "amounts.901",
    "Au plus 49.00 peut encore être crédité sur cette ligne.",
)
PERIOD_ERROR_EXAMPLE = _field_problem(
    "A month not over yet", "period", "Un mois ne peut pas être facturé avant d'avoir commencé."
)

RUN_EXAMPLE = OpenApiExample(
    "A run",
    value={
        "id": "3f0c9a52-8d1e-4c8e-9a53-0f6f2d7c1b10",
        "period": "2026-10",
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "mode": "issue",
        "trigger": "api",
        "company": None,
        "company_name": None,
        "started_by": None,
        "companies_total": 120,
        "created_at": "2026-11-01T09:00:00+01:00",
        "summary": {
            "counts": {
                "pending": 20,
                "issued": 95,
                "already_issued": 0,
                "previewed": 0,
                "skipped": 4,
                "failed": 1,
            },
            "total_excl_vat": "5890.00",
            "total_incl_vat": "7068.00",
            "done": 100,
            "finished": False,
            "progress": 83,
        },
    },
    response_only=True,
)
ITEM_EXAMPLE = OpenApiExample(
    "A company's outcome",
    value={
        "id": 5012,
        "company": 12,
        "company_name": "Boulangerie Martin",
        "outcome": "skipped",
        "reason": "données de facturation incomplètes : adresse",
        "invoice": None,
        "invoice_number": None,
        "total_excl_vat": None,
        "total_incl_vat": None,
        "attempts": 0,
        "updated_at": "2026-11-01T09:00:03+01:00",
    },
    response_only=True,
)


def _download_schema(what: str, fmt: str) -> Any:
    label = "PDF (Factur-X, PDF/A-3 with its XML inside)" if fmt == "pdf" else "XML (EN 16931 CII)"
    return extend_schema(
        summary=f"Download the {what}'s {label.split(' ')[0]}",
        description=f"The {label}. Answers 302 to a presigned URL of the private store, valid "
        f"{DOWNLOAD_SECONDS} seconds at most, once the caller's right to download is checked "
        "(client administrators, collaborators granted `download_invoices`, the firm). 409 "
        f"with `Retry-After: {RETRY_AFTER_SECONDS}` while the document is being prepared; 409 "
        "when the stored file fails its integrity check.",
        responses={
            302: OpenApiResponse(description="To the presigned URL, in `Location`."),
            409: OpenApiResponse(ProblemSerializer, description="Not ready, or altered."),
            **_errors(401, 404),
        },
        parameters=[
            OpenApiParameter(
                "Location",
                OpenApiTypes.URI,
                OpenApiParameter.HEADER,
                response=[302],
                description="The presigned URL.",
            ),
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[409],
                description="Seconds to wait while the document is being prepared.",
            ),
        ],
        examples=[PENDING_EXAMPLE],
    )


# --- invoices and credit notes --------------------------------------------------------------


class _IssuedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What invoices and credit notes share: the reads, through the caller's rights, and the
    downloads."""

    scope_group = "invoicing"
    kind: str
    detail_route: str
    queryset = Invoice.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "issue_date", "number", "total_incl_vat"]

    def get_queryset(self) -> QuerySet[Invoice]:
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        invoices = invoices_visible_to(self.request.user).filter(kind=self.kind)
        if self.action != "list":
            invoices = invoices.prefetch_related(lines_with_credits())
        return invoices

    def _answer(self, invoice: Invoice) -> Response:
        invoice = self.get_queryset().get(pk=invoice.pk)
        body = self.get_serializer(invoice).data
        return _created(self.request, self.detail_route, invoice.pk, body)

    def _download(self, pk: Any, fmt: str) -> Response:
        invoice = access_invoice(self.request.user, pk, DOWNLOAD)
        if invoice.kind != self.kind:
            raise NotFound()
        try:
            path = services.document_verified_path(invoice, fmt)
        except services.DocumentAltered as error:
            raise DocumentConflict(error.message) from None
        except DomainError as error:
            if error.code != "pending":
                raise
            raise DocumentConflict(error.message, wait=RETRY_AFTER_SECONDS) from None
        url = storage.download_url(
            path, filename=f"{invoice.number}.{fmt}", seconds=DOWNLOAD_SECONDS
        )
        return Response(
            status=status.HTTP_302_FOUND,
            headers={"Location": url, "Cache-Control": "no-store"},
        )

    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None) -> Response:
        return self._download(pk, "pdf")

    @action(detail=True, methods=["get"])
    def xml(self, request, pk=None) -> Response:
        return self._download(pk, "xml")


INVOICE_FILTERS = (
    Filter("company", ("company_id",), "integer", "A company's id."),
    Filter("external_id", ("company__external_id",), description="The company's external id."),
    YearFilter("year", ("issue_date__year",), "integer", "Year of issue."),
    DayFilter("issued_after", ("issue_date__gte",), description="Issued on or after, YYYY-MM-DD."),
    DayFilter(
        "issued_before", ("issue_date__lte",), description="Issued on or before, YYYY-MM-DD."
    ),
)


@extend_schema_view(
    list=extend_schema(
        summary="List invoices",
        description="Invoices (credit notes are under /credit-notes/), newest first: the whole "
        "firm for an API key or a firm administrator, the assigned companies for an "
        "accountant, for a client the companies where they may see invoices. Detail fields "
        "(lines, VAT breakdown, seller, buyer) are on the single invoice.",
        responses={200: InvoiceSerializer(many=True), **_errors(400, 401)},
        examples=[INVOICE_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One invoice",
        description="With its lines (and what credit notes took off each), totals, VAT "
        "breakdown, the seller and buyer as they stood at issue, its document status and the "
        "ids of its credit notes.",
        responses={200: InvoiceDetailSerializer, **_errors(401, 404)},
        examples=[INVOICE_EXAMPLE],
    ),
    create=extend_schema(
        summary="Issue a one-off invoice",
        description="The firm's staff in charge of the company, and API keys. The invoice is "
        "final once issued (corrections are credit notes); its PDF and XML follow within a "
        "minute (`document_status`). A line error names its field `lines.<index>.<name>`.",
        request=ManualInvoiceCreateSerializer,
        responses={201: InvoiceDetailSerializer, **_errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Year-end closing",
                value={
                    "company": 12,
                    "lines": [
                        {
                            "label": "Bilan 2026",
                            "detail": "Liasse fiscale et annexes",
                            "quantity": "1",
                            "unit_price": "1200.00",
                            "vat_rate": "20",
                        }
                    ],
                    "note": "Mission exceptionnelle",
                },
                request_only=True,
            ),
            INVOICE_EXAMPLE,
            LINE_ERROR_EXAMPLE,
        ],
    ),
    pdf=_download_schema("invoice", "pdf"),
    xml=_download_schema("invoice", "xml"),
)
class InvoiceViewSet(_IssuedViewSet):
    kind = Kind.INVOICE
    detail_route = "api:invoice-detail"
    filters = (
        *INVOICE_FILTERS,
        StatusFilter(
            "status",
            (),
            "choice",
            "issued, partially_paid, paid, overdue, credited, reversed, or open (anything left "
            "to pay)",
            choices=STATUSES,
        ),
    )

    def get_queryset(self) -> QuerySet[Invoice]:
        invoices = super().get_queryset()
        credit_notes = Invoice.objects.only("pk", "credited_invoice_id")
        return invoices_with_status(invoices).prefetch_related(
            Prefetch("credit_notes", queryset=credit_notes)
        )

    def get_serializer_class(self):
        return InvoiceSerializer if self.action == "list" else InvoiceDetailSerializer

    def create(self, request, *args, **kwargs):
        _issuer_check(request.user)
        serializer = ManualInvoiceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        company = companies_for(request.user).filter(pk=data.pop("company")).first()
        if company is None:
            raise DomainError(_("Unknown company."), field="company", code="unknown")
        invoice = services.invoice_issue_manual(actor=request.user, company=company, **data)
        return self._answer(invoice)


@extend_schema_view(
    list=extend_schema(
        summary="List credit notes",
        description="Credit notes, newest first, seen as their invoices are.",
        responses={200: CreditNoteSerializer(many=True), **_errors(400, 401)},
        examples=[CREDIT_NOTE_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One credit note",
        description="With its lines, each naming the invoice line it credits.",
        responses={200: CreditNoteDetailSerializer, **_errors(401, 404)},
        examples=[CREDIT_NOTE_EXAMPLE],
    ),
    create=extend_schema(
        summary="Issue a credit note",
        description="Corrects an invoice: all that remains to credit on it, or `amounts` per "
        "line (excl. VAT, at most what remains on the line). The firm's staff in charge of the "
        "company, and API keys. An amount error names its field `amounts.<line id>`.",
        request=CreditNoteCreateSerializer,
        responses={201: CreditNoteDetailSerializer, **_errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Partial",
                value={
                    "invoice": 311,
                    "reason": "Application résiliée au 15 octobre",
                    "amounts": {"901": "12.50"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Whole invoice",
                value={"invoice": 311, "reason": "Facturée par erreur"},
                request_only=True,
            ),
            CREDIT_NOTE_EXAMPLE,
            AMOUNT_ERROR_EXAMPLE,
        ],
    ),
    pdf=_download_schema("credit note", "pdf"),
    xml=_download_schema("credit note", "xml"),
)
class CreditNoteViewSet(_IssuedViewSet):
    kind = Kind.CREDIT_NOTE
    detail_route = "api:credit-note-detail"
    filters = (
        *INVOICE_FILTERS,
        Filter("invoice", ("credited_invoice_id",), "integer", "The corrected invoice's id."),
    )

    def get_serializer_class(self):
        return CreditNoteSerializer if self.action == "list" else CreditNoteDetailSerializer

    def create(self, request, *args, **kwargs):
        _issuer_check(request.user)
        serializer = CreditNoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invoice = invoices_visible_to(request.user).filter(pk=data["invoice"]).first()
        if invoice is None:
            raise DomainError(_("Unknown invoice."), field="invoice", code="unknown")
        credit_note = services.credit_note_issue(
            actor=request.user, invoice=invoice, reason=data["reason"], amounts=data["amounts"]
        )
        return self._answer(credit_note)


# --- billing runs ---------------------------------------------------------------------------


class RunCursor(Cursor):
    ordering = "-created_at"


@extend_schema_view(
    list=extend_schema(
        summary="List billing runs",
        description="Monthly billing runs and previews, newest first, with their counts per "
        "outcome. API keys and firm administrators only.",
        responses={200: BillingRunSerializer(many=True), **_errors(400, 401, 403)},
        examples=[RUN_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="One billing run",
        description="Its summary; what it did for each company is under `items/`.",
        responses={200: BillingRunSerializer, **_errors(401, 403, 404)},
        examples=[RUN_EXAMPLE],
    ),
    create=extend_schema(
        summary="Start a billing run",
        description="Bills a month for every billable company, or one, on the workers: "
        "answers 202 at once with the run in `Location`; poll it until `summary.finished`. "
        "A month already invoiced is never invoiced twice (`already_issued`). `preview` "
        "issues nothing and tells the totals. A month cannot be billed before it starts.",
        request=BillingRunCreateSerializer,
        responses={202: BillingRunSerializer, **_errors(400, 401, 403)},
        examples=[
            OpenApiExample(
                "Preview October",
                value={"period": "2026-10", "mode": "preview"},
                request_only=True,
            ),
            RUN_EXAMPLE,
            PERIOD_ERROR_EXAMPLE,
        ],
    ),
    retry=extend_schema(
        summary="Retry a run's failures",
        description="Sends again the companies whose billing failed or never finished.",
        request=None,
        responses={202: RetriedSerializer, **_errors(401, 403, 404)},
        examples=[OpenApiExample("Retried", value={"retried": 3}, response_only=True)],
    ),
)
class BillingRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    scope_group = "invoicing"
    serializer_class = BillingRunSerializer
    permission_classes = [FirmWide]
    pagination_class = RunCursor
    queryset = BillingRun.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["created_at", "period_start"]
    filters = (
        MonthFilter("period", ("period_start",), description="The month billed, YYYY-MM."),
        ChoiceFilter(
            "mode", ("mode",), "choice", "preview or issue", choices=tuple(BillingRun.Mode.values)
        ),
        ChoiceFilter(
            "trigger",
            ("trigger",),
            "choice",
            "schedule, manual or api",
            choices=tuple(BillingRun.Trigger.values),
        ),
        Filter("company", ("company_id",), "integer", "Runs of one company."),
    )

    def get_queryset(self) -> QuerySet[BillingRun]:
        if getattr(self, "swagger_fake_view", False):
            return BillingRun.objects.none()
        return runs_counted(runs_visible_to(self.request.user)).select_related("company")

    def _location(self, run: BillingRun) -> str:
        return self.request.build_absolute_uri(reverse("api:billing-run-detail", args=[run.pk]))

    def create(self, request, *args, **kwargs):
        serializer = BillingRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        company = None
        if data["company"] is not None:
            company = Company.objects.filter(pk=data["company"]).first()
            if company is None:
                raise DomainError(_("Unknown company."), field="company", code="unknown")
        run = services.billing_run_start(
            actor=request.user,
            period_start=data.get("period"),
            mode=data["mode"],
            company=company,
            trigger=BillingRun.Trigger.API,
        )
        body = self.get_serializer(self.get_queryset().get(pk=run.pk)).data
        return _created(request, "api:billing-run-detail", run.pk, body, status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None) -> Response:
        run = access_run(request.user, pk)
        retried = services.billing_run_retry(actor=request.user, run=run)
        return _created(
            request,
            "api:billing-run-detail",
            run.pk,
            RetriedSerializer({"retried": retried}).data,
            status.HTTP_202_ACCEPTED,
        )


@extend_schema_view(
    list=extend_schema(
        summary="What a run did for each company",
        description="One row per company: issued (with its invoice), already invoiced, "
        "previewed (with the totals it would issue), skipped or failed (with the reason), or "
        "still pending.",
        parameters=[OpenApiParameter("run_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: BillingRunItemSerializer(many=True), **_errors(400, 401, 403, 404)},
        examples=[ITEM_EXAMPLE],
    ),
)
class BillingRunItemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_group = "invoicing"
    serializer_class = BillingRunItemSerializer
    permission_classes = [FirmWide]
    queryset = BillingRunItem.objects.none()
    filter_backends = [DeclaredFilters, OrderingFilter]
    ordering_fields = ["id", "updated_at"]
    filters = (
        ChoiceFilter(
            "outcome",
            ("outcome",),
            "choice",
            "pending, issued, already_issued, previewed, skipped or failed",
            choices=tuple(BillingRunItem.Outcome.values),
        ),
        Filter("company", ("company_id",), "integer", "A company's id."),
    )

    def get_queryset(self) -> QuerySet[BillingRunItem]:
        if getattr(self, "swagger_fake_view", False):
            return BillingRunItem.objects.none()
        run = access_run(self.request.user, self.kwargs["run_id"])
        return BillingRunItem.objects.filter(run=run).select_related("company", "invoice")
