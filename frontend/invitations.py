"""The public page where an invited person accepts: no sign-in needed, the link is the key."""

from django import forms
from django.contrib.auth import login, password_validation
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from clients.models import User
from clients.services.invitations import invitation_accept, invitation_by_token
from tenants.errors import DomainError


class AcceptForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def accept(request, token):
    try:
        invitation = invitation_by_token(token)
    except DomainError as error:
        return render(
            request, "frontend/invitations/accept.html", {"error": error.message}, status=400
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    has_account = bool(existing and existing.has_usable_password())
    status = 200
    if request.method == "POST":
        form = AcceptForm(request.POST)
        if form.is_valid():
            try:
                user = invitation_accept(token=token, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("frontend:home")
        status = 400
    else:
        form = AcceptForm(
            initial={"first_name": invitation.first_name, "last_name": invitation.last_name}
        )
    if has_account:
        del form.fields["first_name"], form.fields["last_name"]
        form.fields["password"].label = _("Password of your account")
        form.fields["password"].widget.attrs["autocomplete"] = "current-password"
    else:
        form.fields["password"].help_text = password_validation.password_validators_help_text_html()
    context = {
        "form": form,
        "invitation": invitation,
        "companies": invitation.companies.order_by("legal_name"),
        "has_account": has_account,
    }
    return render(request, "frontend/invitations/accept.html", context, status=status)
