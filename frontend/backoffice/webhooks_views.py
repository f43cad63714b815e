"""Cabinet: webhook endpoints, their secret (shown once) and their delivery log. Firm
administrators only; each view translates HTTP to `webhooks` selectors and services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from frontend.access import firm_admin_required
from tenants.errors import DomainError, NotFound
from webhooks import selectors, services
from webhooks.events import CATALOGUE
from webhooks.models import WebhookDelivery

LOG_PAGE_SIZE = 50


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=2000,
        widget=forms.URLInput,
        help_text=gettext_lazy("An https address reachable from the internet."),
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events sent"),
        choices=[(name, f"{name} — {text}") for name, (text, _emitted) in CATALOGUE.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


def _form_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _secret_page(request, endpoint, secret: str):
    return render(
        request,
        "frontend/backoffice/webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret},
    )


@firm_admin_required
@require_GET
def webhook_list(request):
    endpoints = selectors.endpoints_for(request.user).order_by("url", "id")
    return render(request, "frontend/backoffice/webhooks/list.html", {"endpoints": endpoints})


@firm_admin_required
def webhook_create(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            return _secret_page(request, endpoint, secret)
    return render(
        request,
        "frontend/backoffice/webhooks/form.html",
        {"form": form, "endpoint": None},
        status=400 if request.method == "POST" else 200,
    )


@firm_admin_required
def webhook_detail(request, endpoint_id):
    endpoint = selectors.access_endpoint(request.user, endpoint_id)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if initial.get(k) != v}
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **changes)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The webhook endpoint was saved."))
            return redirect("backoffice:webhook_detail", endpoint_id=endpoint.pk)
    log = selectors.deliveries_for(request.user).filter(endpoint=endpoint)
    status = request.GET.get("status", "")
    if status in WebhookDelivery.Status.values:
        log = log.filter(status=status)
    page = Paginator(log.order_by("-id"), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "frontend/backoffice/webhooks/form.html",
        {
            "form": form,
            "endpoint": endpoint,
            "page": page,
            "status": status,
            "statuses": WebhookDelivery.Status.choices,
        },
        status=400 if request.method == "POST" else 200,
    )


@firm_admin_required
@require_POST
def webhook_secret(request, endpoint_id):
    endpoint = selectors.access_endpoint(request.user, endpoint_id)
    secret = services.endpoint_secret_rotate(actor=request.user, endpoint=endpoint)
    return _secret_page(request, endpoint, secret)


@firm_admin_required
@require_POST
def webhook_delete(request, endpoint_id):
    endpoint = selectors.access_endpoint(request.user, endpoint_id)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, _("The webhook endpoint was deleted."))
    return redirect("backoffice:webhooks")


@firm_admin_required
@require_POST
def webhook_redeliver(request, endpoint_id, delivery_id):
    endpoint = selectors.access_endpoint(request.user, endpoint_id)
    delivery = selectors.access_delivery(request.user, delivery_id)
    if delivery.endpoint_id != endpoint.pk:
        raise NotFound()
    try:
        services.delivery_redeliver(actor=request.user, delivery=delivery)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The event will be sent again in a moment."))
    return redirect("backoffice:webhook_detail", endpoint_id=endpoint.pk)
