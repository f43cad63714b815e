"""Entreprises: pick one of my companies; its information, who has access, cancel or reactivate
its account. Every URL names its company."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Company, Membership, ReactivationRequest
from clients.selectors import access_company_as_admin, companies_administered_by
from clients.services import company_update
from clients.services.lifecycle import company_cancel, company_reactivate, reactivation_pending
from frontend.access import client_admin_required
from frontend.companies.forms import CONTACT_FIELDS, ContactForm
from tenants.errors import DomainError, NotFound

SECTIONS = {
    "info": "companies:info",
    "access": "companies:access",
    "applications": "companies:applications",
    "journal": "companies:journal",
    "invoices": "companies:invoices",
}


@client_admin_required
def index(request):
    """/entreprises/: the company chosen in the switcher, else the last one, else the first."""
    wanted = request.GET.get("company")
    if wanted:
        company = access_company_as_admin(request.user, wanted)
    else:
        mine = companies_administered_by(request.user)
        company = mine.filter(pk=request.session.get("company_id") or 0).first() or mine.first()
        if company is None:
            raise Http404()
    section = SECTIONS.get(request.GET.get("section", ""), "companies:info")
    return redirect(section, company_id=company.pk)


def _company(request, company_id) -> Company:
    company = access_company_as_admin(request.user, company_id)
    request.session["company_id"] = company.pk
    return company


def _context(request, company: Company, section: str, **extra) -> dict:
    mine = list(companies_administered_by(request.user).order_by("legal_name"))
    all_cancelled = all(c.status == Company.Status.CANCELLED for c in mine)
    return {
        "company": company,
        "companies": mine,
        "section": section,
        "all_cancelled": all_cancelled,
        "cancelled": company.status == Company.Status.CANCELLED,
        "pending_reactivation": reactivation_pending(company)
        if company.status == Company.Status.CANCELLED
        else None,
        **extra,
    }


@client_admin_required
def info(request, company_id):
    company = _company(request, company_id)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                company_update(
                    actor=request.user,
                    company=company,
                    **{field: form.cleaned_data[field] for field in CONTACT_FIELDS},
                )
            except DomainError as error:
                if isinstance(error, NotFound):
                    raise
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("The changes are saved."))
                return redirect("companies:info", company_id=company.pk)
        status = 400
    else:
        form = _contact_form(company)
    context = _context(request, company, "info", form=form)
    return render(request, "frontend/companies/info.html", context, status=status)


@client_admin_required
def access(request, company_id):
    company = _company(request, company_id)
    memberships = (
        Membership.objects.filter(company=company)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    context = _context(request, company, "access", memberships=memberships)
    return render(request, "frontend/companies/access.html", context)


@client_admin_required
def cancel(request, company_id):
    company = _company(request, company_id)
    if request.method == "POST":
        company_cancel(actor=request.user, company=company)
        messages.success(
            request,
            _("The account of %(company)s is cancelled. Nothing was deleted.")
            % {"company": company.legal_name},
        )
        return redirect("companies:info", company_id=company.pk)
    return render(request, "frontend/companies/cancel.html", _context(request, company, "cancel"))


@client_admin_required
@require_POST
def reactivate(request, company_id):
    company = _company(request, company_id)
    try:
        outcome = company_reactivate(actor=request.user, company=company)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        context = _context(request, company, "info", form=_contact_form(company), error=error)
        return render(request, "frontend/companies/info.html", context, status=400)
    if isinstance(outcome, ReactivationRequest):
        messages.success(
            request,
            _("Your request to reactivate %(company)s was sent to the firm, which will confirm it.")
            % {"company": company.legal_name},
        )
    else:
        messages.success(
            request, _("The account of %(company)s is active again.") % {"company": company}
        )
    return redirect("companies:info", company_id=company.pk)


def _contact_form(company: Company) -> ContactForm:
    return ContactForm(initial={field: getattr(company, field) for field in CONTACT_FIELDS})


# --- Applications and Accès utilisateur > applications --------------------------------------


@client_admin_required
def applications(request, company_id):
    """The applications configured on the company, with the seats used."""
    from entitlements.selectors import access_matrix, seats_used

    company = _company(request, company_id)
    _people, subscriptions, _granted = access_matrix(company)
    used = seats_used(subscriptions)
    rows = [{"subscription": s, "used": used.get(s.pk, 0)} for s in subscriptions]
    context = _context(request, company, "applications", rows=rows)
    return render(request, "frontend/companies/applications.html", context)


def _cell(company, person, subscription, granted: bool, error=None) -> dict:
    return {
        "company": company,
        "person": person,
        "subscription": subscription,
        "granted": granted,
        "error": error,
    }


def _matrix(request, company, *, failed=None, status=200):
    from entitlements.selectors import access_matrix

    people, subscriptions, granted = access_matrix(company)
    rows = []
    for person in people:
        cells = []
        for s in subscriptions:
            cell = _cell(company, person, s, (person.pk, s.pk) in granted)
            if failed and failed[0] == person.pk and failed[1] == s.pk:
                cell["error"] = failed[2]
            cells.append(cell)
        rows.append({"person": person, "cells": cells})
    context = _context(
        request, company, "access_applications", rows=rows, subscriptions=subscriptions
    )
    return render(request, "frontend/companies/access_applications.html", context, status=status)


@client_admin_required
def access_applications(request, company_id):
    """People × applications: who may use what."""
    return _matrix(request, _company(request, company_id))


@require_POST
@client_admin_required
def access_toggle(request, company_id, subscription_id, user_id):
    """Switch one person's access to one application (htmx swaps the cell; without htmx,
    back to the matrix)."""
    from clients.models import User
    from entitlements.models import Subscription
    from entitlements.services import grant_access, revoke_access

    company = _company(request, company_id)
    subscription = (
        Subscription.objects.select_related("company", "application")
        .filter(pk=subscription_id, company=company)
        .exclude(status=Subscription.Status.ENDED)
        .first()
    )
    person = User.objects.filter(pk=user_id, memberships__company=company).first()
    if subscription is None or person is None:
        raise Http404()
    wanted = request.POST.get("grant") == "1"
    error = None
    try:
        if wanted:
            grant_access(actor=request.user, user=person, subscription=subscription)
        else:
            revoke_access(actor=request.user, user=person, subscription=subscription)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        error = exc
    if not request.htmx:
        if error is not None:
            return _matrix(request, company, failed=(person.pk, subscription.pk, error), status=400)
        messages.success(request, _("The changes are saved."))
        return redirect("companies:access_applications", company_id=company.pk)
    granted = wanted if error is None else not wanted
    return render(
        request,
        "frontend/companies/_access_cell.html",
        {"cell": _cell(company, person, subscription, granted, error)},
        status=400 if error else 200,
    )


@client_admin_required
def journal(request, company_id):
    """The audit trail of the company's applications and accesses, filterable."""
    from frontend.backoffice.entitlements_forms import JournalFilterForm
    from frontend.backoffice.entitlements_views import JOURNAL_PAGE_SIZE, journal_events

    company = _company(request, company_id)
    form = JournalFilterForm(request.GET or None)
    events = journal_events([company], form).select_related(
        "subscription__application", "target_user"
    )
    page = Paginator(events, JOURNAL_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(request, company, "journal", form=form, page=page, query=query.urlencode())
    return render(request, "frontend/companies/journal.html", context)


@client_admin_required
def journal_export(request, company_id):
    from entitlements.audit_export import audit_csv_write
    from frontend.backoffice.entitlements_forms import JournalFilterForm
    from frontend.backoffice.entitlements_views import journal_events

    company = _company(request, company_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="journal-{company.siren}.csv"'
    audit_csv_write(journal_events([company], JournalFilterForm(request.GET or None)), response)
    return response
