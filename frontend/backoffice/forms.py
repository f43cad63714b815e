"""Forms of the back-office: they shape input; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Membership, User
from firms.models import FirmProfile
from frontend.backoffice.selectors import accountants

COMPANY_FIELDS = [
    "legal_name",
    "siren",
    "siret",
    "vat_number",
    "legal_form",
    "share_capital",
    "address_line",
    "postal_code",
    "city",
    "country",
    "billing_email",
    "phone",
    "status",
    "billing",
    "payment_terms_days",
    "accountant",
]


class CompanyForm(forms.ModelForm):
    """The company's fields; the model's own checks are left to the services."""

    # Longer than stored: people type spaces; the services normalise.
    siren = forms.CharField(
        label=_("SIREN"),
        max_length=11,
        help_text=_("9 digits, as on the Kbis extract."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    siret = forms.CharField(label=_("SIRET"), max_length=20, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"),
        required=False,
        min_value=0,
        max_value=60,
        help_text=_("Empty: the firm's terms."),
        error_messages={"max_value": _("French law caps payment terms at 60 days.")},
    )

    class Meta:
        model = Company
        fields = COMPANY_FIELDS

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        if actor.is_firm_admin:
            self.fields["accountant"].queryset = accountants()
            self.fields["accountant"].empty_label = _("Nobody")
        else:
            del self.fields["accountant"]
        if self.instance.pk is None:
            del self.fields["status"]
            del self.fields["payment_terms_days"]

    def _post_clean(self):
        # The services validate and save; the model's unique checks would only repeat them.
        pass


class ArchiveForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, archive this company"), required=True)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.ADMIN
    )


STAFF_ROLES = [
    (User.FirmRole.ACCOUNTANT.value, User.FirmRole.ACCOUNTANT.label),
    (User.FirmRole.ADMIN.value, User.FirmRole.ADMIN.label),
]


class StaffForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    firm_role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLES)


class StaffRoleForm(forms.Form):
    firm_role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLES)


class FirmProfileForm(forms.ModelForm):
    siren = forms.CharField(label=_("SIREN"), max_length=11)
    vat_number = forms.CharField(label=_("VAT number"), max_length=20, required=False)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=15, required=False)
    # Empty means the usual value (the model's default), never a blank that cannot be saved.
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"),
        required=False,
        help_text=_("Printed on each invoice. Empty: 30 days; French law caps them at 60."),
    )
    late_penalty_rate = forms.DecimalField(
        label=_("Late-payment penalty rate (% a year)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        localize=True,
        help_text=_("At least three times the legal interest rate. Empty: 12 %."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    primary_colour = forms.CharField(
        label=_("Main colour"),
        max_length=20,
        help_text=_("As #rrggbb, used for buttons and links."),
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    class Meta:
        model = FirmProfile
        fields = [
            "legal_name",
            "siren",
            "vat_number",
            "legal_form",
            "share_capital",
            "address_line",
            "postal_code",
            "city",
            "rcs_city",
            "iban",
            "bic",
            "payment_terms_days",
            "late_penalty_rate",
            "email",
            "phone",
            "primary_colour",
            "require_2fa",
        ]
        labels = {"require_2fa": _("Require two-factor authentication")}
        help_texts = {"require_2fa": _("For the firm's staff and the client administrators.")}

    def _or_default(self, name: str):
        value = self.cleaned_data.get(name)
        return FirmProfile._meta.get_field(name).default if value is None else value

    def clean_payment_terms_days(self):
        return self._or_default("payment_terms_days")

    def clean_late_penalty_rate(self):
        return self._or_default("late_penalty_rate")

    def _post_clean(self):
        pass


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"),
        help_text=_("PNG, JPEG or SVG, 1 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml"}),
    )
