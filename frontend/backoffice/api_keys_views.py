"""Cabinet › API: the firm's API keys (scopes, expiry, last use; the key shown once) and its
rate limit. Firm administrators only; each view translates HTTP to `api.services`."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import services
from api.models import FirmAPIKey
from api.scopes import scope_choices
from api.throttling import firm_rate_per_minute
from frontend.access import firm_admin_required
from tenants.errors import DomainError


class KeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What the key may do"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Empty: the key does not expire."),
    )


class RateForm(forms.Form):
    rate_limit_per_minute = forms.IntegerField(
        label=gettext_lazy("Requests a minute, per key"), min_value=1, max_value=100_000
    )


def _page(request, key_form: KeyForm, rate_form: RateForm, status: int = 200):
    keys = FirmAPIKey.objects.select_related("created_by").order_by("-created")
    return render(
        request,
        "frontend/backoffice/api_keys.html",
        {"keys": keys, "key_form": key_form, "rate_form": rate_form, "now": timezone.now()},
        status=status,
    )


def _form_error(form: forms.Form, error: DomainError) -> None:
    field = {"expiry_date": "expires_on"}.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


@firm_admin_required
def api_keys(request):
    key_form = KeyForm(request.POST if "create" in request.POST else None)
    rate_form = RateForm(
        request.POST if "rate" in request.POST else None,
        initial={"rate_limit_per_minute": firm_rate_per_minute()},
    )
    if request.method != "POST":
        return _page(request, key_form, rate_form)
    if "create" in request.POST and key_form.is_valid():
        expires_on = key_form.cleaned_data["expires_on"]
        expires_at = (
            timezone.make_aware(datetime.datetime.combine(expires_on, datetime.time.max))
            if expires_on
            else None
        )
        try:
            key, secret = services.api_key_create(
                actor=request.user,
                name=key_form.cleaned_data["name"],
                scopes=key_form.cleaned_data["scopes"],
                expires_at=expires_at,
            )
        except DomainError as error:
            _form_error(key_form, error)
        else:
            return render(
                request, "frontend/backoffice/api_key_secret.html", {"key": key, "secret": secret}
            )
    if "rate" in request.POST and rate_form.is_valid():
        try:
            services.api_settings_update(
                actor=request.user,
                rate_limit_per_minute=rate_form.cleaned_data["rate_limit_per_minute"],
            )
        except DomainError as error:
            _form_error(rate_form, error)
        else:
            messages.success(request, _("The rate limit is saved."))
            return redirect("backoffice:api_keys")
    return _page(request, key_form, rate_form, status=400)


@firm_admin_required
@require_POST
def api_key_revoke(request, key_id: str):
    key = get_object_or_404(FirmAPIKey, pk=key_id)
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key %(name)s is revoked.") % {"name": key.name})
    return redirect("backoffice:api_keys")
