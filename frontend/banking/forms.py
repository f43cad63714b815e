"""Forms of Cabinet > Rapprochement: they shape input; banking.services checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from banking.models import StatementFormat
from banking.parsers import DATE_FORMATS

ROLES = (
    ("date", _("Date column")),
    ("value_date", _("Value date column")),
    ("amount", _("Amount column (signed)")),
    ("debit", _("Debit column")),
    ("credit", _("Credit column")),
    ("label", _("Label column")),
    ("reference", _("Reference column")),
    ("payer", _("Payer name column")),
    ("payer_iban", _("Payer IBAN column")),
)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Statement file"))
    format = forms.ChoiceField(
        label=_("Format"), choices=StatementFormat.choices, initial=StatementFormat.CAMT053
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"),
        required=False,
        choices=[(";", ";"), (",", ","), ("\\t", _("tab")), ("|", "|")],
    )
    decimal_comma = forms.BooleanField(label=_("Decimal comma (1 234,56)"), required=False)
    date_format = forms.ChoiceField(
        label=_("Date format"), required=False, choices=[(key, key) for key in DATE_FORMATS]
    )
    header = forms.BooleanField(label=_("The first line names the columns"), required=False)
    skip_lines = forms.IntegerField(
        label=_("Lines before the header"), required=False, min_value=0, max_value=50
    )

    def __init__(self, *args, remembered: dict[str, Any] | None = None, **kwargs):
        remembered = remembered or {}
        columns = remembered.get("columns") or {}
        initial = {
            "delimiter": remembered.get("delimiter", ";").replace("\t", "\\t"),
            "decimal_comma": remembered.get("decimal_comma", True),
            "date_format": remembered.get("date_format", "dd/mm/yyyy"),
            "header": remembered.get("header", True),
            "skip_lines": remembered.get("skip_lines", 0),
            **{f"col_{role}": columns.get(role, "") for role, _label in ROLES},
        }
        super().__init__(*args, initial=initial, **kwargs)
        for role, label in ROLES:
            self.fields[f"col_{role}"] = forms.CharField(
                label=label, required=False, max_length=100
            )

    def mapping(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "columns": {role: data.get(f"col_{role}", "") for role, _label in ROLES},
            "delimiter": data.get("delimiter") or ";",
            "decimal_comma": data.get("decimal_comma", False),
            "date_format": data.get("date_format") or "dd/mm/yyyy",
            "header": data.get("header", False),
            "skip_lines": data.get("skip_lines") or 0,
        }

    def column_fields(self):
        return [self[f"col_{role}"] for role, _label in ROLES]


class EntryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        from banking.models import BankEntry

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *BankEntry.Status.choices]


class MatchForm(forms.Form):
    invoice = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.CharField(label=_("Amount"), required=False, max_length=20)


class IgnoreForm(forms.Form):
    reason = forms.CharField(
        label=_("Why set it aside"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("Supplier refund, internal transfer...")}),
    )
