"""Forms of the invoice pages: the list's filters and the choice of a year to download."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import status_filter_choices

KINDS = [("invoice", _("Invoice")), ("credit_note", _("Credit note"))]


class InvoiceFilterForm(forms.Form):
    """GET filters; a value that is not one of the choices gets a message on its field."""

    company = forms.TypedChoiceField(
        label=_("Company"), required=False, coerce=int, empty_value=None
    )
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *status_filter_choices()],
    )
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Invoices and credit notes")), *KINDS]
    )

    def __init__(self, *args, companies: list[tuple[int, str]] | None, years: list[int], **kw):
        super().__init__(*args, **kw)
        if companies is None:
            del self.fields["company"]
        else:
            self.fields["company"].choices = [("", _("All my companies")), *companies]
        self.fields["year"].choices = [("", _("All years")), *((y, str(y)) for y in years)]

    def filters(self) -> dict:
        """The valid filters (an invalid one is left out, and shown as an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in ("company", "year", "status", "kind")}


class ArchiveForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, years: list[int], **kw):
        super().__init__(*args, **kw)
        self.fields["year"].choices = [(y, str(y)) for y in years]
