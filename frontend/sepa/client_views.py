"""Entreprises › Prélèvement: a client administrator signs the company's mandate, sees it, its
PDF and the debits to come, and may revoke it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend.access import client_admin_required
from frontend.companies.views import _company, _context
from frontend.sepa.forms import MandateForm
from sepa import selectors, services
from sepa.document import mandate_pdf
from sepa.models import Mandate
from sepa.text import mandate_text, text_digest
from tenants.errors import DomainError, NotFound


def _language(request) -> str:
    return (get_language() or request.user.language or "fr")[:2]


def _page(request, company, form=None, status=200):
    parties = selectors.mandate_parties(company)
    text = mandate_text(parties, _language(request)) if parties else ""
    if form is None:
        form = MandateForm(initial={"digest": text_digest(text) if text else ""})
    context = _context(
        request,
        company,
        "sepa",
        form=form,
        offered=parties is not None,
        text=text,
        mandate=selectors.active_mandate(company),
        former=Mandate.objects.filter(company=company)
        .exclude(status=Mandate.Status.ACTIVE)
        .order_by("-signed_at")[:10],
        debits=selectors.upcoming_debits(company),
        prenotice_days=selectors.creditor_settings().prenotice_days,
    )
    return render(request, "frontend/sepa/company.html", context, status=status)


@client_admin_required
def company_page(request, company_id):
    company = _company(request, company_id)
    if request.method != "POST":
        return _page(request, company)
    form = MandateForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        services.mandate_sign(
            actor=request.user,
            company=company,
            holder_name=data.get("holder_name", ""),
            iban=data.get("iban", ""),
            bic=data.get("bic", ""),
            consent=bool(data.get("consent")),
            language=_language(request),
            shown_digest=data.get("digest", ""),
            ip=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except DomainError as error:
        if error.code in ("not_found", "permission_denied"):
            raise
        form.add_error(error.field if error.field in form.fields else None, str(error.message))
        return _page(request, company, form, status=400)
    messages.success(request, _("The mandate is signed: your invoices will be debited."))
    return redirect("companies:sepa:company", company_id=company.pk)


def _mandate(company, mandate_id) -> Mandate:
    mandate = Mandate.objects.filter(company=company, pk=mandate_id).first()
    if mandate is None:
        raise NotFound()
    return mandate


@client_admin_required
@require_POST
def revoke(request, company_id, mandate_id):
    company = _company(request, company_id)
    services.mandate_revoke(actor=request.user, mandate=_mandate(company, mandate_id))
    messages.success(request, _("The mandate is revoked: nothing more will be debited under it."))
    return redirect("companies:sepa:company", company_id=company.pk)


@client_admin_required
def pdf(request, company_id, mandate_id):
    mandate = _mandate(_company(request, company_id), mandate_id)
    return pdf_response(mandate)


def pdf_response(mandate: Mandate) -> HttpResponse:
    response = HttpResponse(mandate_pdf(mandate), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{mandate.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
