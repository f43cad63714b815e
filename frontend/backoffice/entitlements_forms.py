"""Forms of the back-office's applications pages: they shape input; the services check it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from entitlements.models import Application, AuditEvent

APPLICATION_FIELDS = [
    "name",
    "description",
    "icon",
    "category",
    "launch_url",
    "is_sensitive",
    "pricing",
    "price_excl_vat",
    "vat_rate",
    "is_active",
]


class ApplicationForm(forms.Form):
    """Amounts and addresses are checked by `application_create/update` (one set of rules)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    icon = forms.CharField(label=_("Icon"), max_length=50, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Application.Category.choices)
    launch_url = forms.CharField(
        label=_("Launch URL"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for a fee without an application."),
        widget=forms.URLInput,
    )
    is_sensitive = forms.BooleanField(
        label=_("Sensitive (never granted to a collaborator by default)"), required=False
    )
    pricing = forms.ChoiceField(label=_("Pricing"), choices=Application.Pricing.choices)
    price_excl_vat = forms.DecimalField(
        label=_("Monthly price excl. VAT (€)"), max_digits=12, decimal_places=2
    )
    vat_rate = forms.DecimalField(label=_("VAT rate (%)"), max_digits=5, decimal_places=2)
    is_active = forms.BooleanField(label=_("Offered"), required=False, initial=True)


class SubscriptionForm(forms.Form):
    application = forms.ModelChoiceField(
        label=_("Application"), queryset=Application.objects.none()
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    seat_limit = forms.IntegerField(
        label=_("Seat limit"), required=False, help_text=_("Empty: no limit.")
    )
    price_override = forms.DecimalField(
        label=_("Price override excl. VAT (€)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the catalogue price."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = Application.objects.filter(is_active=True)


class SubscriptionChangeForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("active", _("active")), ("suspended", _("suspended"))],
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    seat_limit = forms.IntegerField(
        label=_("Seat limit"), required=False, help_text=_("Empty: no limit.")
    )
    price_override = forms.DecimalField(
        label=_("Price override excl. VAT (€)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the catalogue price."),
    )


class SubscriptionEndForm(forms.Form):
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))


class JournalFilterForm(forms.Form):
    """GET filters of the audit trail; invalid values are ignored, not refused."""

    company = forms.IntegerField(required=False, widget=forms.HiddenInput)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *AuditEvent.Action.choices],
    )
    person = forms.CharField(label=_("Person (e-mail)"), required=False, max_length=254)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, companies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if companies is not None:
            self.fields["company"] = forms.TypedChoiceField(
                label=_("Company"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("All companies"))] + [(c.pk, c.legal_name) for c in companies],
            )
