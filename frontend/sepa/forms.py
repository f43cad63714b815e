"""Forms of direct debit: the mandate a client administrator signs, the firm's settings, the
export of a collection. Fields are checked by the services, which say what is wrong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MandateForm(forms.Form):
    holder_name = forms.CharField(
        label=_("Account holder"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the mandate above and I authorise these debits from the account of "
            "the company."
        ),
        required=False,
    )
    digest = forms.CharField(widget=forms.HiddenInput, required=False)


class SettingsForm(forms.Form):
    creditor_id = forms.CharField(
        label=_("SEPA creditor identifier (ICS)"),
        max_length=50,
        required=False,
        help_text=_("Given by your bank, such as FR72ZZZ123456."),
    )
    prenotice_days = forms.CharField(
        label=_("Pre-notification delay (days)"),
        max_length=4,
        required=False,
        widget=forms.NumberInput(attrs={"min": 2, "max": 30}),
        help_text=_("Companies are told of each debit at least this many days before it."),
    )


class ExportForm(forms.Form):
    due_by = forms.CharField(
        label=_("Invoices due by"),
        max_length=10,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
