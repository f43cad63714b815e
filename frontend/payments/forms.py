"""Forms of the payment pages: they shape input; payments.services checks the rules (amounts,
dates, balances) and its errors land on these fields."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import Means, PaymentEvent, Source

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PaymentForm(forms.Form):
    """Enregistrer un règlement: the amount stays text so the service reads "1 234,50" and
    answers on the field itself."""

    amount = forms.CharField(
        label=_("Amount (€)"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    means = forms.ChoiceField(label=_("Means of payment"), choices=Means.choices)
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)

    @classmethod
    def for_balance(cls, balance) -> PaymentForm:
        return cls(
            initial={
                "amount": f"{balance:.2f}" if balance and balance > 0 else "",
                "date": timezone.localdate(),
                "means": Means.TRANSFER,
            }
        )


class ReverseForm(forms.Form):
    """Annuler ce règlement: why, and when the money came back."""

    reason = forms.CharField(label=_("Reason"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)

    @classmethod
    def blank(cls) -> ReverseForm:
        return cls(initial={"date": timezone.localdate()})


class PaymentFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Company, invoice number, reference")}
        ),
    )
    company = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    means = forms.ChoiceField(
        label=_("Means of payment"),
        required=False,
        choices=[("", _("Every means")), *Means.choices],
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Every source")), *Source.choices]
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Payments and reversals")), *PaymentEvent.Kind.choices],
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period comes before its start."))
        return data

    def filters(self) -> dict:
        """The valid filters (an invalid one filters nothing; the page says why)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            "company": data.get("company"),
            "means": data.get("means") or "",
            "source": data.get("source") or "",
            "kind": data.get("kind") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "text": data.get("q") or "",
        }


class StatementForm(forms.Form):
    until = forms.DateField(label=_("Until"), required=False, widget=DATE_WIDGET)

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until and until > timezone.localdate():
            raise forms.ValidationError(_("A statement cannot be dated in the future."))
        return until
