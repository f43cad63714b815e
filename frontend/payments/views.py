"""Payments pages. Cabinet: the receivables dashboard, the list of payments (and its CSV), the
payment forms of the invoice page, a company's statement of account. Entreprises: the statement
of account of a company, for its client administrators and the collaborators who may see its
invoices. Each view translates HTTP to a payments selector or service."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import Company
from clients.selectors import companies_administered_by
from frontend.access import firm_staff_required
from frontend.payments.forms import PaymentFilterForm, PaymentForm, ReverseForm, StatementForm
from invoicing.selectors import VIEW, access_invoice, invoice_companies_for
from invoicing.services import firm_profile
from payments import selectors
from payments.models import Source
from payments.services import payment_record, payment_reverse
from payments.statement_export import (
    BOM,
    aging_labels,
    kind_label,
    statement_csv,
    statement_pdf,
)
from tenants.errors import DomainError, NotFound

PAGE_SIZE = 50
EXPORT_HEADER = [
    "date",
    "type",
    "amount",
    "means",
    "source",
    "invoice",
    "company",
    "siren",
    "reference",
    "payer",
    "reason",
    "recorded_by",
    "recorded_at",
]


def _reraise_access(error: DomainError) -> None:
    if error.code in ("not_found", "permission_denied"):
        raise error


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Cabinet › Tableau de bord --------------------------------------------------------------


CHART_HEIGHT = 160  # the bars' drawing area in the SVG, in its own units
CHART_BASE = 180
BAR_STEP = 50
AGING_WIDTH = 330


@firm_staff_required
@require_GET
def dashboard(request):
    board = selectors.dashboard(request.user)
    labels = aging_labels()
    months_max = board.months_max or 1
    aging_max = board.aging_max or 1
    months = []
    for index, (month, amount) in enumerate(board.months):
        height = round(float(max(amount, 0) / months_max) * CHART_HEIGHT)
        months.append(
            {
                "month": month,
                "amount": amount,
                "x": index * BAR_STEP + 7,
                "label_x": index * BAR_STEP + BAR_STEP // 2,
                "y": CHART_BASE - height,
                "height": height,
            }
        )
    aging = [
        {
            "key": key,
            "label": labels[key],
            "amount": amount,
            "y": index * 34,
            "width": round(float(max(amount, 0) / aging_max) * AGING_WIDTH),
        }
        for index, (key, amount) in enumerate(board.aging.items())
    ]
    context = {"board": board, "months": months, "aging": aging}
    return render(request, "frontend/payments/dashboard.html", context)


# --- Cabinet › Règlements -------------------------------------------------------------------


def _payments(request) -> tuple[Any, PaymentFilterForm]:
    form = PaymentFilterForm(request.GET or None)
    visible = selectors.payments_visible_to(request.user)
    return selectors.payments_filtered(visible, **form.filters()), form


@firm_staff_required
@require_GET
def payment_list(request):
    payments, form = _payments(request)
    page = Paginator(payments.order_by("-date", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    filters = form.filters()
    company = None
    if filters.get("company"):
        company = invoice_companies_for(request.user).filter(pk=filters["company"]).first()
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "company": company,
        "filtered": any(filters.values()),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "frontend/payments/payment_list.html", context, status=status)


@firm_staff_required
@require_GET
def payment_export(request):
    payments, _form = _payments(request)
    payments = payments.select_related("invoice__company", "recorded_by").order_by("-date", "-id")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="reglements-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    response.write(BOM)
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for event in payments.iterator(chunk_size=2000):
        writer.writerow(
            [
                event.date.isoformat(),
                event.kind,
                f"{event.amount:.2f}",
                event.means,
                event.source,
                event.invoice.number,
                event.invoice.company.legal_name,
                event.invoice.company.siren,
                event.reference,
                event.payer,
                event.reason,
                event.recorded_by.email if event.recorded_by else "",
                timezone.localtime(event.created_at).isoformat(timespec="seconds"),
            ]
        )
    return response


# --- Cabinet › Factures › <invoice>: record, reverse ----------------------------------------


def _invoice_page(request, invoice, *, status: int, **payments):
    from frontend.backoffice.billing_views import _invoice_page as billing_invoice_page

    return billing_invoice_page(request, invoice, status=status, payments=payments)


@firm_staff_required
@require_POST
def invoice_payment_record(request, invoice_id):
    invoice = access_invoice(request.user, invoice_id)
    if invoice.is_credit_note:
        raise NotFound()
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment_record(
                actor=request.user,
                invoice=invoice,
                amount=data["amount"],
                date=data["date"],
                means=data["means"],
                source=Source.MANUAL,
                reference=data["reference"],
            )
        except DomainError as error:
            _reraise_access(error)
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
        else:
            messages.success(
                request,
                _("The payment of %(amount)s € on invoice %(number)s is recorded.")
                % {"amount": _amount(data["amount"]), "number": invoice.number},
            )
            return redirect("backoffice:invoice_detail", invoice_id=invoice.pk)
    return _invoice_page(request, invoice, status=400, form=form)


def _amount(text: str) -> str:
    return str(text).strip()


@firm_staff_required
@require_POST
def payment_reverse_view(request, payment_id):
    payment = selectors.access_payment(request.user, payment_id)
    invoice = payment.invoice
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            payment_reverse(
                actor=request.user,
                payment=payment,
                date=form.cleaned_data["date"],
                reason=form.cleaned_data["reason"],
                source=Source.MANUAL,
            )
        except DomainError as error:
            _reraise_access(error)
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
        else:
            messages.success(request, _("The payment is cancelled; the invoice is due again."))
            return redirect("backoffice:invoice_detail", invoice_id=invoice.pk)
    return _invoice_page(request, invoice, status=400, reverse_form=form, reverse_id=payment.pk)


# --- statements of account ------------------------------------------------------------------


def _statement_company(user, company_id) -> Company:
    try:
        return invoice_companies_for(user, VIEW).get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _statement_answer(request, company: Company, fmt: str, template: str, **extra):
    form = StatementForm(request.GET or None)
    until = form.cleaned_data.get("until") if form.is_valid() else None
    statement = selectors.statement_of_account(company, until=until)
    filename = f"releve-{company.siren or company.pk}-{statement.until:%Y-%m-%d}"
    if fmt == "csv":
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "pdf":
        response = HttpResponse(
            statement_pdf(statement, firm_profile()), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    labels = aging_labels()
    context = {
        "company": company,
        "statement": statement,
        "statement_form": form,
        "lines": [{"line": line, "label": kind_label(line.kind)} for line in statement.lines],
        "aging": [(labels[key], amount) for key, amount in statement.aging.items()],
        "until_query": f"?until={statement.until:%Y-%m-%d}" if until else "",
        **extra,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, context, status=status)


@firm_staff_required
@require_GET
def staff_statement(request, company_id, fmt: str = "html"):
    company = _statement_company(request.user, company_id)
    return _statement_answer(request, company, fmt, "frontend/payments/statement_backoffice.html")


@login_required
@require_GET
def client_statement(request, company_id, fmt: str = "html"):
    """For client administrators inside Entreprises (its tabs); for a collaborator who may see
    the invoices, the same statement on a page of its own."""
    company = _statement_company(request.user, company_id)
    if fmt != "html":
        return _statement_answer(request, company, fmt, "")
    if companies_administered_by(request.user).filter(pk=company.pk).exists():
        from frontend.companies.views import _company, _context

        company = _company(request, company.pk)
        extra = _context(request, company, "statement")
        extra.pop("company")
        return _statement_answer(
            request, company, fmt, "frontend/payments/statement_company.html", **extra
        )
    return _statement_answer(request, company, fmt, "frontend/payments/statement_page.html")
