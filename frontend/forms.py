from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class FirmSignupForm(forms.Form):
    name = forms.CharField(label=_("Firm name"), max_length=200)
    siren = forms.CharField(
        label=_("SIREN"), max_length=11, help_text=_("9 digits, as on your Kbis extract.")
    )
    slug = forms.CharField(
        label=_("Portal address"),
        max_length=40,
        help_text=_("Lowercase letters, digits and hyphens: it becomes <address>.%(domain)s"),
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


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True})
    )
