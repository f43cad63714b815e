"""Card payments: Cabinet › Paiement par carte (the firm's Stripe keys and the events received),
Entreprises › Carte bancaire (the saved card), the "pay by card" button's target, the pages
Stripe sends people back to, and the webhook Stripe signs."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cards import services
from cards.models import CheckoutSession
from cards.selectors import card_events_recent, card_of, card_settings
from frontend.access import client_admin_required, firm_admin_required
from frontend.companies.views import _company, _context
from tenants.errors import DomainError, NotFound

log = logging.getLogger(__name__)
# Stripe puts the session's id in place of the braces.
RETURN_QUERY = "?session_id={CHECKOUT_SESSION_ID}"


class KeysForm(forms.Form):
    publishable_key = forms.CharField(
        label=gettext_lazy("Publishable key"),
        max_length=255,
        help_text=gettext_lazy("Starts with pk_live_ (or pk_test_ to try)."),
    )
    secret_key = forms.CharField(
        label=gettext_lazy("Secret key"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Starts with sk_ or rk_ (a restricted key). Empty: unchanged."),
    )
    webhook_secret = forms.CharField(
        label=gettext_lazy("Webhook signing secret"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Starts with whsec_. Empty: unchanged."),
    )


def _settings_page(request, form: KeysForm, status: int = 200):
    context = {
        "form": form,
        "keys": card_settings(),
        "events": card_events_recent(),
        "webhook_url": request.build_absolute_uri(reverse("cards_webhook:webhook")),
    }
    return render(request, "frontend/cards/settings.html", context, status=status)


@firm_admin_required
def settings_page(request):
    """Cabinet › Paiement par carte."""
    if request.method != "POST":
        keys = card_settings()
        initial = {"publishable_key": keys.publishable_key} if keys else None
        return _settings_page(request, KeysForm(initial=initial))
    if "remove" in request.POST:
        services.card_settings_remove(actor=request.user)
        messages.success(request, _("Card payment is turned off."))
        return redirect("backoffice:cards_bo:settings")
    form = KeysForm(request.POST)
    if form.is_valid():
        try:
            services.card_settings_save(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, str(error.message))
        else:
            messages.success(request, _("The Stripe keys are saved: card payment is offered."))
            return redirect("backoffice:cards_bo:settings")
    return _settings_page(request, form, status=400)


@client_admin_required
@require_GET
def card(request, company_id):
    """Entreprises › Carte bancaire: the card saved for the company, as Stripe describes it."""
    company = _company(request, company_id)
    if card_settings() is None:
        raise NotFound()
    context = _context(request, company, "card", saved=card_of(company))
    return render(request, "frontend/cards/card.html", context)


def _back(request, name: str, company_id: int, query: str = "") -> str:
    return request.build_absolute_uri(reverse(name, kwargs={"company_id": company_id})) + query


@client_admin_required
@require_POST
def card_setup(request, company_id):
    company = _company(request, company_id)
    try:
        url = services.card_setup_start(
            actor=request.user,
            company_id=company.pk,
            success_url=_back(request, "companies:cards:card_saved", company.pk),
            cancel_url=_back(request, "companies:cards:card", company.pk),
            locale=get_language() or "fr",
        )
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("companies:cards:card", company_id=company.pk)
    return HttpResponseRedirect(url, status=303)


@client_admin_required
@require_POST
def pay(request, company_id, invoice_id):
    """The "pay by card" button: a Checkout session for what is left to pay, then Stripe's
    page. Its status comes later, from Stripe's signed events only."""
    invoices = reverse("companies:invoices", kwargs={"company_id": company_id})
    try:
        url = services.card_payment_start(
            actor=request.user,
            company_id=company_id,
            invoice_id=invoice_id,
            success_url=_back(request, "companies:cards:paid", company_id, RETURN_QUERY),
            cancel_url=request.build_absolute_uri(invoices),
            locale=get_language() or "fr",
        )
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(invoices)
    return HttpResponseRedirect(url, status=303)


@client_admin_required
@require_GET
def paid(request, company_id):
    """Where Stripe sends the payer back: the payment is confirmed by Stripe's event, not by
    this visit."""
    company = _company(request, company_id)
    session = (
        CheckoutSession.objects.filter(
            session_id=str(request.GET.get("session_id", ""))[:255],
            company=company,
            mode=CheckoutSession.Mode.PAYMENT,
        )
        .select_related("invoice")
        .first()
    )
    context = _context(request, company, "invoices", session=session)
    return render(request, "frontend/cards/paid.html", context)


@client_admin_required
@require_GET
def card_saved(request, company_id):
    company = _company(request, company_id)
    messages.info(request, _("Your card is being saved: it appears here once Stripe confirms it."))
    return redirect("companies:cards:card", company_id=company.pk)


@csrf_exempt
@require_POST
def webhook(request):
    """Stripe's signed events, for this firm's account. 400: not signed with the firm's secret
    (nothing written); 200: taken into account, now or before (a second delivery)."""
    try:
        event = services.card_event_verify(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except DomainError as error:
        return HttpResponse(str(error.message), status=400, content_type="text/plain")
    try:
        row, new = services.card_event_receive(event=event)
    except DomainError as error:
        # Nothing was kept: Stripe delivers the event again later.
        log.warning("stripe event %s not handled: %s", event.get("id"), error.message)
        return HttpResponse(str(error.message), status=503, content_type="text/plain")
    answer = f"{row.status}\n" if new else f"{row.status} (already received)\n"
    return HttpResponse(answer, content_type="text/plain")
