"""Mon compte: Informations, Mot de passe, Double authentification, Sessions."""

import segno
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clients.models import Company, Membership
from clients.selectors import companies_visible_to
from clients.services import account as services
from entitlements.selectors import applications_usable_by
from frontend.account.forms import (
    CodeForm,
    EmailChangeForm,
    InformationForm,
    PasswordChangeForm,
    PasswordConfirmForm,
)
from tenants.errors import DomainError


def _invalid(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@login_required
def index(request):
    """The landing of Mon compte (also the portal's home page)."""
    user = request.user
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("company")
        .order_by("company__legal_name")
    )
    context = {
        "memberships": memberships,
        "two_factor": services.has_two_factor(user),
        "session_count": services.sessions_of(user).aggregate(n=Count("pk"))["n"],
    }
    context["closed"] = [m for m in memberships if m.company.status == Company.Status.CANCELLED]
    if user.is_firm_staff:
        context["company_count"] = companies_visible_to(user).count()
    return render(request, "frontend/account/index.html", context)


@login_required
def information(request):
    user = request.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "language": user.language,
        "notify_invoices": user.notify_invoices,
        "notify_access": user.notify_access,
    }
    form = InformationForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.account_update(actor=user, **form.cleaned_data)
            except DomainError as error:
                _invalid(form, error)
            else:
                messages.success(request, _("Your information is saved."))
                return redirect("account:information")
    return render(
        request,
        "frontend/account/information.html",
        {"form": form, "email_form": EmailChangeForm()},
        status=status,
    )


@login_required
def email_change(request):
    form = EmailChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.email_change_request(
                    actor=request.user,
                    new_email=form.cleaned_data["new_email"],
                    password=form.cleaned_data["current_password"],
                    site_url=request.build_absolute_uri("/"),
                )
            except DomainError as error:
                _invalid(form, error)
            else:
                messages.success(
                    request,
                    _("We sent a link to %(email)s: open it to confirm your new address.")
                    % {"email": user.pending_email},
                )
                return redirect("account:information")
    return render(request, "frontend/account/email_change.html", {"form": form}, status=status)


@require_POST
@login_required
def email_change_cancel(request):
    services.email_change_cancel(actor=request.user)
    messages.success(request, _("The change of e-mail address is cancelled."))
    return redirect("account:information")


def email_confirm(request, token: str):
    """The link mailed to the new address; it works signed in or not."""
    try:
        person = services.email_change_user(token)
    except DomainError:
        return render(request, "frontend/account/email_confirm.html", {"valid": False}, status=404)
    if request.method == "POST":
        try:
            person = services.email_change_confirm(token=token)
        except DomainError as error:
            return render(
                request,
                "frontend/account/email_confirm.html",
                {"valid": False, "error": error.message},
                status=404 if error.code == "not_found" else 400,
            )
        messages.success(
            request, _("Your e-mail address is now %(email)s.") % {"email": person.email}
        )
        return redirect(
            "account:information" if request.user.is_authenticated else "frontend:login"
        )
    return render(
        request,
        "frontend/account/email_confirm.html",
        {"valid": True, "new_email": person.pending_email},
    )


@login_required
def password(request):
    form = PasswordChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = services.password_change(
                    actor=request.user,
                    current_password=form.cleaned_data["current_password"],
                    new_password=form.cleaned_data["new_password1"],
                )
            except DomainError as error:
                _invalid(form, error)
            else:
                update_session_auth_hash(request, user)
                services.sessions_end_others(
                    actor=user, keep_session_key=request.session.session_key
                )
                messages.success(
                    request,
                    _("Your password is changed. Your other sessions are signed out."),
                )
                return redirect("account:password")
    return render(request, "frontend/account/password.html", {"form": form}, status=status)


@login_required
def two_factor(request):
    user = request.user
    return render(
        request,
        "frontend/account/two_factor.html",
        {
            "two_factor": services.has_two_factor(user),
            "codes_left": services.recovery_codes_left(user),
        },
    )


@never_cache
@login_required
def two_factor_enrol(request):
    """GET (or POST without a code) shows a new key; POST with a code confirms it."""
    user = request.user
    if services.has_two_factor(user):
        return redirect("account:two_factor")
    form = CodeForm(request.POST if "code" in request.POST else None)
    device = services.totp_device(user, confirmed=False)
    status = 200
    if request.method == "POST" and form.is_bound and device is not None:
        status = 400
        if form.is_valid():
            try:
                codes = services.totp_enrol_confirm(actor=user, code=form.cleaned_data["code"])
            except DomainError as error:
                _invalid(form, error)
            else:
                return render(
                    request,
                    "frontend/account/recovery_codes.html",
                    {"codes": codes, "just_enrolled": True},
                )
    if device is None or not form.is_bound:
        device = services.totp_enrol_start(actor=user)
    return render(
        request,
        "frontend/account/two_factor_enrol.html",
        {
            "form": form,
            "qr": segno.make(device.config_url).svg_inline(scale=4, light="white"),
            "secret": services.totp_secret(device),
        },
        status=status,
    )


@never_cache
@require_POST
@login_required
def recovery_codes(request):
    try:
        codes = services.recovery_codes_regenerate(actor=request.user)
    except DomainError:
        return redirect("account:two_factor")
    return render(request, "frontend/account/recovery_codes.html", {"codes": codes})


@login_required
def two_factor_disable(request):
    form = PasswordConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.two_factor_disable(
                    actor=request.user, password=form.cleaned_data["password"]
                )
            except DomainError as error:
                _invalid(form, error)
            else:
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("account:two_factor")
    return render(
        request, "frontend/account/two_factor_disable.html", {"form": form}, status=status
    )


@login_required
def sessions(request):
    rows = services.session_rows(request.user, current_key=request.session.session_key)
    return render(request, "frontend/account/sessions.html", {"sessions": rows})


@require_POST
@login_required
def session_end(request, session_id: str):
    key = services.session_end(actor=request.user, session_id=session_id)
    if key == request.session.session_key:
        logout(request)
        return redirect("frontend:login")
    messages.success(request, _("That device is signed out."))
    return redirect("account:sessions")


@require_POST
@login_required
def sessions_end_all(request):
    services.sessions_end_all(actor=request.user)
    logout(request)
    return redirect("frontend:login")


@login_required
def service_access(request):
    """Accès aux services: the applications I may use, by company."""
    groups: list[dict] = []
    for company, subscription, application in applications_usable_by(request.user):
        if not groups or groups[-1]["company"].pk != company.pk:
            groups.append({"company": company, "items": []})
        groups[-1]["items"].append({"subscription": subscription, "application": application})
    return render(request, "frontend/account/services.html", {"groups": groups})
