"""Entreprises: pick one of my companies; its information, who has access, cancel or reactivate
its account. Every URL names its company."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
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

SECTIONS = {"info": "companies:info", "access": "companies:access"}


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
