"""Cabinet > Rapprochement: import a bank statement, see what each entry became, and settle
by hand what waits for review. Firm administrators only; each view translates HTTP to a
banking selector or service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from banking import selectors, services
from banking.models import BankEntry, StatementFormat
from banking.parsers import MAX_BYTES
from frontend.access import firm_admin_required
from frontend.banking.forms import EntryFilterForm, IgnoreForm, ImportForm, MatchForm
from tenants.errors import DomainError

PAGE_SIZE = 50
CSV_FIELDS = {"delimiter", "date_format", "skip_lines", "header", "decimal_comma"}


def _reraise_access(error: DomainError) -> None:
    if error.code in ("not_found", "permission_denied"):
        raise error


def _import_error(form: ImportForm, error: DomainError) -> None:
    _reraise_access(error)
    field = error.field or ""
    if field.startswith("mapping.columns."):
        field = f"col_{field.rsplit('.', 1)[-1]}"
    elif field.startswith("mapping."):
        field = field.split(".", 1)[1]
    form.add_error(field if field in form.fields else None, str(error.message))


@firm_admin_required
def home(request):
    form = ImportForm(
        request.POST or None, request.FILES or None, remembered=services.mapping_remembered()
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        csv = form.cleaned_data["format"] == StatementFormat.CSV
        try:
            if upload.size > MAX_BYTES:
                raise DomainError(_("The file is larger than 10 MB: split it."), field="file")
            result = services.statement_import(
                actor=request.user,
                content=upload.read(),
                file_name=upload.name,
                fmt=form.cleaned_data["format"],
                mapping=form.mapping() if csv else None,
            )
        except DomainError as error:
            _import_error(form, error)
        else:
            if result.created and result.statement.entries.filter(status="pending").exists():
                messages.success(
                    request, _("The statement was imported: its entries are being reconciled.")
                )
            elif result.created:
                messages.success(request, _("The statement was imported."))
            else:
                messages.info(
                    request, _("This statement was already imported: nothing was changed.")
                )
            return redirect("backoffice:banking_bo:statement", statement_id=result.statement.pk)
    statements = selectors.statements_counted(selectors.statements_visible_to(request.user))
    page = Paginator(statements, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "to_review": selectors.entries_to_review(request.user).count(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "frontend/banking/home.html", context, status=status)


@firm_admin_required
def statement(request, statement_id):
    found = selectors.access_statement(request.user, statement_id)
    form = EntryFilterForm(request.GET or None)
    entries = found.entries.select_related("invoice").order_by("booking_date", "id")
    status = 200
    if form.is_valid() and form.cleaned_data["status"]:
        entries = entries.filter(status=form.cleaned_data["status"])
    elif form.is_bound and not form.is_valid():
        status = 400
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "statement": found,
        "counts": selectors.counts_of(found),
        "progress": selectors.progress_of(found),
        "form": form,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "frontend/banking/statement.html", context, status=status)


@firm_admin_required
@require_GET
def statement_progress(request, statement_id):
    """The progress block, polled every 2 s while entries are being reconciled; once they are
    all settled, an htmx poll reloads the page so the table shows their outcomes."""
    found = selectors.access_statement(request.user, statement_id)
    progress = selectors.progress_of(found)
    response = render(
        request,
        "frontend/banking/_progress.html",
        {"statement": found, "progress": progress},
    )
    if progress["status"] == "done" and request.htmx:
        response["HX-Refresh"] = "true"
    add_never_cache_headers(response)
    return response


@firm_admin_required
def review(request):
    entries = selectors.entries_to_review(request.user)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "frontend/banking/review.html", {"page": page, "query": ""})


def _entry_page(request, entry: BankEntry, *, match_form=None, ignore_form=None, status=200):
    text = request.GET.get("q", "").strip()
    context = {
        "entry": entry,
        "text": text,
        "candidates": selectors.invoices_to_match(request.user, text=text, amount=entry.amount)
        if entry.status == BankEntry.Status.TO_REVIEW
        else [],
        "match_form": match_form or MatchForm(),
        "ignore_form": ignore_form or IgnoreForm(),
        "reason": services.return_reason(entry.return_code) if entry.return_code else "",
    }
    return render(request, "frontend/banking/entry.html", context, status=status)


@firm_admin_required
def entry(request, entry_id):
    return _entry_page(request, selectors.access_entry(request.user, entry_id))


@firm_admin_required
@require_POST
def entry_match(request, entry_id):
    found = selectors.access_entry(request.user, entry_id)
    form = MatchForm(request.POST)
    if form.is_valid():
        try:
            services.entry_match(
                actor=request.user,
                entry=found,
                invoice=form.cleaned_data["invoice"],
                amount=form.cleaned_data["amount"] or None,
            )
        except DomainError as error:
            _reraise_access(error)
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
        else:
            messages.success(request, _("The entry was matched."))
            return redirect("backoffice:banking_bo:entry", entry_id=found.pk)
    return _entry_page(request, found, match_form=form, status=400)


@firm_admin_required
@require_POST
def entry_ignore(request, entry_id):
    found = selectors.access_entry(request.user, entry_id)
    form = IgnoreForm(request.POST)
    if form.is_valid():
        try:
            services.entry_ignore(
                actor=request.user, entry=found, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _reraise_access(error)
            form.add_error("reason" if error.field == "reason" else None, str(error.message))
        else:
            messages.success(request, _("The entry was set aside."))
            return redirect("backoffice:banking_bo:review")
    return _entry_page(request, found, ignore_form=form, status=400)


@firm_admin_required
@require_POST
def entry_restore(request, entry_id):
    found = selectors.access_entry(request.user, entry_id)
    try:
        services.entry_restore(actor=request.user, entry=found)
    except DomainError as error:
        _reraise_access(error)
        messages.error(request, str(error.message))
        return _entry_page(request, found, status=400)
    messages.success(request, _("The entry waits for review again."))
    return redirect("backoffice:banking_bo:entry", entry_id=found.pk)
