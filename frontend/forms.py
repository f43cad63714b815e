from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from clients.models import User
from clients.validators import siren_clean
from tenants.errors import DomainError
from tenants.provisioning import slug_check


class FirmSignupForm(forms.Form):
    name = forms.CharField(label=_("Firm name"), max_length=200)
    siren = forms.CharField(
        label=_("SIREN"), max_length=11, help_text=_("9 digits, as on your Kbis extract.")
    )
    slug = forms.CharField(
        label=_("Portal address"),
        max_length=40,
        help_text=_(
            "Lowercase letters without accents, digits and hyphens: "
            "your portal will be at your-firm.%(domain)s"
        ),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def __init__(self, *args, domain: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = self.fields["slug"].help_text % {"domain": domain}

    # The service checks all of this again; checking here shows every mistake at once.
    def clean_siren(self) -> str:
        return siren_clean(self.cleaned_data["siren"])

    def clean_slug(self) -> str:
        try:
            return slug_check(self.cleaned_data["slug"])
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True})
    )
