"""Forms of Entreprises: the contact fields a client administrator may change."""

from django import forms
from django.utils.translation import gettext_lazy as _

CONTACT_FIELDS = ("address_line", "postal_code", "city", "billing_email", "phone")


class ContactForm(forms.Form):
    address_line = forms.CharField(label=_("Address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    billing_email = forms.CharField(
        label=_("Billing e-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
