"""Forms of Utilisateurs: they collect input; the services check it."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from clients.models import Membership


class PersonForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class RoleForm(forms.Form):
    company = forms.CharField(widget=forms.HiddenInput)
    role = forms.CharField(label=_("Role"))


class InvitationForm(forms.Form):
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.CharField(
        label=_("Role"),
        initial=Membership.Role.COLLABORATOR,
        widget=forms.Select(
            choices=[(value, capfirst(label)) for value, label in Membership.Role.choices]
        ),
    )
    companies = forms.MultipleChoiceField(
        label=_("Companies"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].choices = [(str(c.pk), c.legal_name) for c in companies]
        if len(companies) == 1:
            self.fields["companies"].initial = [str(companies[0].pk)]
