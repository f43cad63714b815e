"""Forms of Cabinet > Relances: they shape input; reminders.services checks the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send payment reminders"), required=False)
    courtesy_days = forms.IntegerField(
        label=_("Courtesy reminder"),
        help_text=_("Days after the due date, by e-mail."),
        widget=forms.NumberInput(attrs={"min": 1, "max": 180}),
    )
    reminder_days = forms.IntegerField(
        label=_("Firm reminder"),
        help_text=_("Days after the due date."),
        widget=forms.NumberInput(attrs={"min": 1, "max": 180}),
    )
    notice_days = forms.IntegerField(
        label=_("Formal notice"),
        help_text=_(
            "Days after the due date; states the late-payment penalties and the 40 EUR "
            "fixed indemnity for recovery costs."
        ),
        widget=forms.NumberInput(attrs={"min": 1, "max": 180}),
    )


class StopForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For instance: payment plan agreed, dispute in progress."),
    )


class CompanyStopForm(StopForm):
    company = forms.TypedChoiceField(label=_("Company"), coerce=int)

    def __init__(self, *args, companies: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [("", _("Choose a company")), *companies]
        self.order_fields(["company", "reason"])
