"""Forms of Cabinet > Facturation: they shape input; the invoicing services check the rules."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from invoicing.models import BillingRunItem, InvoiceLine, Kind
from payments.models import status_filter_choices

MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
MANUAL_LINES = 5
MANUAL_LINES_MAX = 30
VAT_RATES = [
    ("20", _("20 %")),
    ("10", _("10 %")),
    ("5.5", _("5.5 %")),
    ("2.1", _("2.1 %")),
    ("0", _("0 %")),
]


def month_text(day: datetime.date) -> str:
    return f"{day:%Y-%m}"


class MonthForm(forms.Form):
    """Which month to bill, for every billable company or for one."""

    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        help_text=_("As YYYY-MM; by default the month just ended."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-10"}),
    )
    scope = forms.ChoiceField(
        label=_("Companies"),
        choices=[("all", _("Every billable company")), ("one", _("One company"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    company = forms.TypedChoiceField(
        label=_("Company"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, companies: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [("", _("Choose a company")), *companies]

    def clean_month(self) -> datetime.date:
        match = MONTH.match(self.cleaned_data["month"])
        try:
            if not match:
                raise ValueError
            return datetime.date(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a month as YYYY-MM, for example 2026-10."), code="invalid"
            ) from None

    def clean(self):
        data = super().clean()
        if data.get("scope") == "one" and not data.get("company"):
            self.add_error("company", _("Choose the company to bill."))
        if data.get("scope") == "all":
            data["company"] = None
        return data


class RunFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Every outcome")), *BillingRunItem.Outcome.choices],
    )


class InvoiceFilterForm(forms.Form):
    """GET filters of the firm's invoice list."""

    q = forms.CharField(
        label=_("Company or number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Legal name, SIREN or number")}
        ),
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Invoices and credit notes")), *Kind.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every status")), *status_filter_choices()],
    )
    company = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Every year")), *[(y, y) for y in years]]


class CreditNoteForm(forms.Form):
    """The reason, and per line of the invoice the amount excl. VAT to credit (prefilled with
    what remains). Amounts are text: the service reads them, with a comma or a dot."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Printed on the credit note, e.g. “Application billed twice”."),
    )

    def __init__(self, *args, lines: list[InvoiceLine], remaining: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for line in lines:
            left = remaining.get(line.pk, Decimal(0))
            name = f"amount_{line.pk}"
            self.fields[name] = forms.CharField(
                label=line.label,
                required=False,
                max_length=20,
                initial=number_format(left, 2),
                disabled=left <= 0,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
            )
            self.rows.append((line, left, self[name]))

    def amounts(self) -> dict[int, str]:
        """Line id -> amount typed; an empty box credits nothing on its line."""
        typed = {}
        for line, left, field in self.rows:
            if left <= 0:
                continue
            value = (self.cleaned_data.get(field.name) or "").strip()
            typed[line.pk] = value or "0"
        return typed

    @staticmethod
    def field_for(error_field: str | None) -> str | None:
        """The form field of a service error: "amounts.<line id>" is that line's box."""
        if error_field and error_field.startswith("amounts."):
            return "amount_" + error_field.split(".", 1)[1]
        if error_field == "reason":
            return "reason"
        return None


class ManualLineForm(forms.Form):
    label = forms.CharField(label=_("Description"), required=False, max_length=200)
    detail = forms.CharField(label=_("Detail"), required=False, max_length=300)
    quantity = forms.CharField(
        label=_("Quantity"),
        required=False,
        max_length=20,
        initial="1",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit_price = forms.CharField(
        label=_("Unit price excl. VAT (€)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    vat_rate = forms.ChoiceField(label=_("VAT rate"), choices=VAT_RATES, initial="20")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The column headers label the boxes for the eye; screen readers get the line too.
        index = (self.prefix or "").rsplit("-", 1)[-1]
        number = int(index) + 1 if index.isdigit() else 1
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = _("%(field)s, line %(number)s") % {
                "field": field.label,
                "number": number,
            }

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any((data.get(name) or "").strip() for name in ("label", "detail", "unit_price"))


ManualLineFormSet = forms.formset_factory(
    ManualLineForm, extra=0, max_num=MANUAL_LINES_MAX, absolute_max=MANUAL_LINES_MAX
)


class ManualInvoiceForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        help_text=_("Printed on the invoice."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    period_start = forms.DateField(
        label=_("period start"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("period end"),
        required=False,
        help_text=_("Optional: the period the invoice covers."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
