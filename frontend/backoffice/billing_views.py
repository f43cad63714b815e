"""Cabinet > Facturation: the monthly runs (administrators), the firm's invoices and credit
notes, credit notes and one-off invoices (administrators, and accountants for the companies
assigned to them). Each view translates HTTP to an invoicing selector or service."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import Company
from frontend.access import firm_admin_required, firm_staff_required
from frontend.backoffice.billing_forms import (
    MANUAL_LINES,
    CreditNoteForm,
    InvoiceFilterForm,
    ManualInvoiceForm,
    ManualLineFormSet,
    MonthForm,
    RunFilterForm,
    month_text,
)
from frontend.backoffice.selectors import access_company_as_staff
from frontend.payments.sections import invoice_payments_section
from invoicing import selectors, services
from invoicing.models import BillingRun, BillingRunItem, Invoice, InvoiceDocument
from tenants import storage
from tenants.errors import DomainError

PAGE_SIZE = 50
RUNS_PAGE_SIZE = 20
# A document still pending this long after its invoice has lost its task: say why.
DOCUMENT_LATE = datetime.timedelta(minutes=5)
# A run with companies still pending this long after it started has lost a chunk.
RUN_STUCK = datetime.timedelta(minutes=15)
DOWNLOAD_SECONDS = 120
OUTCOMES = BillingRunItem.Outcome
ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def _reraise_access(error: DomainError) -> None:
    if error.code in ("not_found", "permission_denied"):
        raise error


def _form_error(form, error: DomainError, field: str | None) -> None:
    _reraise_access(error)
    form.add_error(field if field in form.fields else None, str(error.message))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- reads -----------------------------------------------------------------------------------


def runs_with_counts() -> QuerySet[BillingRun]:
    """Every run with its counts per outcome and totals, in the one query of the list."""

    def count(*outcomes: str) -> Count:
        return Count("items", filter=Q(items__outcome__in=outcomes))

    def total(field: str) -> Coalesce:
        billed = Q(items__outcome__in=[OUTCOMES.ISSUED, OUTCOMES.PREVIEWED])
        return Coalesce(Sum(f"items__{field}", filter=billed), ZERO)

    return (
        BillingRun.objects.select_related("started_by", "company")
        .annotate(
            billed=count(OUTCOMES.ISSUED, OUTCOMES.PREVIEWED),
            already=count(OUTCOMES.ALREADY_ISSUED),
            skipped=count(OUTCOMES.SKIPPED),
            failed=count(OUTCOMES.FAILED),
            pending=count(OUTCOMES.PENDING),
            total_excl=total("total_excl_vat"),
            total_incl=total("total_incl_vat"),
        )
        .annotate(done=F("companies_total") - F("pending"))
        .order_by("-created_at")
    )


def billable_company_choices() -> list[tuple[int, str]]:
    return list(
        services.billable_companies().order_by("legal_name").values_list("pk", "legal_name")
    )


# --- Facturation: the monthly runs -----------------------------------------------------------


@firm_admin_required
def billing_home(request):
    initial = {"month": month_text(services.billing_period_default()), "scope": "all"}
    form = MonthForm(request.POST or None, initial=initial, companies=billable_company_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        mode = request.POST.get("mode", BillingRun.Mode.PREVIEW)
        if mode == BillingRun.Mode.ISSUE and request.POST.get("confirm") != "1":
            return _confirm_page(request, form)
        try:
            run = services.billing_run_start(
                actor=request.user,
                period_start=data["month"],
                mode=mode,
                company=_company(data["company"]),
            )
        except DomainError as error:
            _form_error(form, error, {"period": "month"}.get(error.field or "", error.field))
        else:
            return redirect("backoffice:billing_run", run_id=run.pk)
    return _billing_page(request, form, status=400 if request.method == "POST" else 200)


def _company(company_id: int | None) -> Company | None:
    if company_id is None:
        return None
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        raise DomainError(_("Choose the company to bill."), field="company")
    return company


def _billing_page(request, form, status=200):
    page = Paginator(runs_with_counts(), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "seller_problems": services.seller_problems(services.firm_profile()),
    }
    return render(request, "frontend/backoffice/billing/home.html", context, status=status)


def _confirm_page(request, form):
    data = form.cleaned_data
    try:
        company = _company(data["company"])
    except DomainError as error:
        _form_error(form, error, error.field)
        return _billing_page(request, form, status=400)
    context = {
        "form": form,
        "period_start": data["month"],
        "company": company,
        "companies_total": services.billable_companies(company).count(),
        "month": month_text(data["month"]),
    }
    return render(request, "frontend/backoffice/billing/confirm.html", context)


@firm_admin_required
@require_GET
def run_detail(request, run_id):
    run = selectors.access_run(request.user, run_id)
    return _run_page(request, run)


def _run_page(request, run, status=200):
    summary = selectors.run_summary(run)
    form = RunFilterForm(request.GET or None)
    items = run.items.select_related("company", "invoice").order_by(
        "company__legal_name", "company_id"
    )
    if form.is_valid() and form.cleaned_data["outcome"]:
        items = items.filter(outcome=form.cleaned_data["outcome"])
    elif form.is_bound and not form.is_valid():
        status = 400
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    stuck = not summary["finished"] and run.created_at < timezone.now() - RUN_STUCK
    context = {
        "run": run,
        "summary": summary,
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "may_retry": summary["counts"][OUTCOMES.FAILED] > 0 or stuck,
        "stuck": stuck,
    }
    return render(request, "frontend/backoffice/billing/run_detail.html", context, status=status)


@firm_admin_required
@require_GET
def run_progress(request, run_id):
    """The summary block, polled every 2 s while companies remain; once they are all done,
    an htmx poll reloads the page so the table shows the outcomes."""
    run = selectors.access_run(request.user, run_id)
    summary = selectors.run_summary(run)
    response = render(
        request,
        "frontend/backoffice/billing/_run_summary.html",
        {"run": run, "summary": summary},
    )
    if summary["finished"] and request.htmx:
        response["HX-Refresh"] = "true"
    add_never_cache_headers(response)
    return response


@firm_admin_required
@require_POST
def run_retry(request, run_id):
    run = selectors.access_run(request.user, run_id)
    try:
        sent = services.billing_run_retry(actor=request.user, run=run)
    except DomainError as error:
        _reraise_access(error)
        messages.error(request, str(error.message))
        return _run_page(request, run, status=400)
    if sent:
        messages.success(
            request, _("%(count)s companies were sent to billing again.") % {"count": sent}
        )
    else:
        messages.info(request, _("Nothing to send again: no company failed."))
    return redirect("backoffice:billing_run", run_id=run.pk)


@firm_admin_required
@require_POST
def run_issue(request, run_id):
    """Issue the month a preview showed, for the same companies."""
    preview = selectors.access_run(request.user, run_id)
    if preview.mode != BillingRun.Mode.PREVIEW:
        return redirect("backoffice:billing_run", run_id=preview.pk)
    try:
        run = services.billing_run_start(
            actor=request.user,
            period_start=preview.period_start,
            mode=BillingRun.Mode.ISSUE,
            company=preview.company,
        )
    except DomainError as error:
        _reraise_access(error)
        messages.error(request, str(error.message))
        return _run_page(request, preview, status=400)
    messages.success(request, _("The invoices of this month are being issued."))
    return redirect("backoffice:billing_run", run_id=run.pk)


# --- the firm's invoices ---------------------------------------------------------------------


@firm_staff_required
@require_GET
def invoice_list(request):
    visible = selectors.invoices_visible_to(request.user)
    form = InvoiceFilterForm(request.GET or None, years=selectors.invoice_years(visible))
    valid = form.is_valid()
    data = form.cleaned_data if form.is_bound else {}  # the valid filters apply
    invoices = selectors.invoices_filtered(
        visible,
        company=data.get("company"),
        year=data.get("year"),
        kind=data.get("kind") or None,
        status=data.get("status") or None,
    )
    text = (data.get("q") or "").strip()
    if text:
        match = Q(company__legal_name__icontains=text) | Q(number__icontains=text)
        digits = text.replace(" ", "")
        if digits.isdigit():
            match |= Q(company__siren__startswith=digits)
        invoices = invoices.filter(match)
    # Numbers run per series: the latest document first, whatever its series.
    invoices = invoices.order_by("-issue_date", "-id")
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.invoices_with_status_paged(invoices, page.object_list)
    company = None
    if data.get("company"):
        company = selectors.invoice_companies_for(request.user).filter(pk=data["company"]).first()
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "company": company,
        "filtered": any(data.get(name) for name in ("q", "year", "kind", "status", "company")),
    }
    status = 200 if valid or not form.is_bound else 400
    template = "frontend/backoffice/billing/invoice_list.html"
    if request.htmx and not request.htmx.boosted:
        template = "frontend/backoffice/billing/_invoice_results.html"
    return render(request, template, context, status=status)


@firm_staff_required
@require_GET
def invoice_detail(request, invoice_id):
    invoice = selectors.access_invoice(request.user, invoice_id)
    return _invoice_page(request, invoice)


def _with_status(invoice: Invoice) -> Invoice:
    return selectors.invoices_with_status(
        Invoice.objects.filter(pk=invoice.pk).select_related(
            "company", "document", "credited_invoice"
        )
    ).get()


def _remaining(invoice: Invoice, lines) -> dict[int, Decimal]:
    credited = services.credited_amounts(invoice)
    return {line.pk: line.total_excl_vat - credited.get(line.pk, Decimal(0)) for line in lines}


def _invoice_page(
    request, invoice: Invoice, form: CreditNoteForm | None = None, status=200, payments=None
):
    invoice = _with_status(invoice)
    lines = list(invoice.lines.all())
    remaining = _remaining(invoice, lines) if not invoice.is_credit_note else {}
    if form is None and not invoice.is_credit_note:
        form = CreditNoteForm(lines=lines, remaining=remaining)
    document = invoice.document
    credit_notes = list(invoice.credit_notes.order_by("issue_date", "sequence"))
    context = {
        "invoice": invoice,
        "lines": lines,
        "breakdown": [
            {key: Decimal(value) for key, value in entry.items()} for entry in invoice.vat_breakdown
        ],
        "document": document,
        "document_late": document.status == InvoiceDocument.Status.PENDING
        and invoice.created_at < timezone.now() - DOCUMENT_LATE,
        "credit_notes": credit_notes,
        "status": invoice.payment_status,
        "form": form,
        "creditable": any(value > 0 for value in remaining.values()),
        # The payments block (frontend.payments); `payments` holds its forms that failed.
        "payments": None
        if invoice.is_credit_note
        else invoice_payments_section(request.user, invoice, **(payments or {})),
    }
    return render(
        request, "frontend/backoffice/billing/invoice_detail.html", context, status=status
    )


@firm_staff_required
@require_POST
def credit_note_create(request, invoice_id):
    invoice = selectors.access_invoice(request.user, invoice_id)
    if invoice.is_credit_note:
        return redirect("backoffice:invoice_detail", invoice_id=invoice.pk)
    lines = list(invoice.lines.all())
    form = CreditNoteForm(request.POST, lines=lines, remaining=_remaining(invoice, lines))
    if form.is_valid():
        whole = request.POST.get("whole") == "1"
        try:
            credit_note = services.credit_note_issue(
                actor=request.user,
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                amounts=None if whole else form.amounts(),
            )
        except DomainError as error:
            _form_error(form, error, CreditNoteForm.field_for(error.field))
        else:
            messages.success(
                request,
                _("Credit note %(number)s was issued on invoice %(invoice)s.")
                % {"number": credit_note.number, "invoice": invoice.number},
            )
            return redirect("backoffice:invoice_detail", invoice_id=credit_note.pk)
    return _invoice_page(request, invoice, form, status=400)


@firm_staff_required
@require_GET
def invoice_download(request, invoice_id, fmt):
    invoice = selectors.access_invoice(request.user, invoice_id, selectors.DOWNLOAD)
    try:
        path = services.document_verified_path(invoice, fmt)
    except services.DocumentAltered as error:
        messages.error(request, str(error.message))
        return _invoice_page(request, invoice, status=409)
    except DomainError as error:
        _reraise_access(error)
        messages.info(request, str(error.message))
        return redirect("backoffice:invoice_detail", invoice_id=invoice.pk)
    url = storage.download_url(path, filename=f"{invoice.number}.{fmt}", seconds=DOWNLOAD_SECONDS)
    response = HttpResponseRedirect(url)
    add_never_cache_headers(response)
    return response


# --- a one-off invoice -----------------------------------------------------------------------


def _line_rows(data=None, *, more: bool = False):
    """The line rows of the form: five to start with, one more on "Add a line"."""
    if data is None:
        return ManualLineFormSet(prefix="lines", initial=[{}] * MANUAL_LINES)
    if more:
        data = data.copy()
        count = int(data.get("lines-TOTAL_FORMS") or 0)
        data["lines-TOTAL_FORMS"] = str(count + 1)
        data.setdefault(f"lines-{count}-quantity", "1")
        data.setdefault(f"lines-{count}-vat_rate", "20")
    return ManualLineFormSet(data, prefix="lines")


@firm_staff_required
def invoice_create(request, company_id):
    company = access_company_as_staff(request.user, company_id)
    if request.method != "POST":
        return _invoice_form_page(request, company, ManualInvoiceForm(), _line_rows())
    more = "more" in request.POST
    form = ManualInvoiceForm(request.POST)
    rows = _line_rows(request.POST, more=more)
    if more:
        return _invoice_form_page(request, company, form, rows)
    if form.is_valid() and rows.is_valid():
        typed = [(index, row) for index, row in enumerate(rows.forms) if not row.is_blank()]
        try:
            invoice = services.invoice_issue_manual(
                actor=request.user,
                company=company,
                lines=[row.cleaned_data for _index, row in typed],
                note=form.cleaned_data["note"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except DomainError as error:
            _reraise_access(error)
            _manual_error(form, rows, typed, error)
        else:
            messages.success(
                request, _("Invoice %(number)s was issued.") % {"number": invoice.number}
            )
            return redirect("backoffice:invoice_detail", invoice_id=invoice.pk)
    return _invoice_form_page(request, company, form, rows, status=400)


def _manual_error(form, rows, typed: list[tuple[int, Any]], error: DomainError) -> None:
    """Put the service's error on its line and field: "lines.<i>.<name>" counts the lines
    sent, which skip the blank rows."""
    parts = (error.field or "").split(".")
    if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
        position = int(parts[1])
        if position < len(typed):
            row = typed[position][1]
            row.add_error(parts[2] if parts[2] in row.fields else None, str(error.message))
            return
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _invoice_form_page(request, company, form, rows, status=200):
    context = {
        "company": company,
        "form": form,
        "rows": rows,
        "billing_problems": services.seller_problems(services.firm_profile())
        + services.buyer_missing(company),
        "may_add_line": rows.total_form_count() < rows.max_num,
    }
    return render(request, "frontend/backoffice/billing/invoice_form.html", context, status=status)
