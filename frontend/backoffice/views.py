"""Cabinet: the firm's back-office. Each view translates HTTP to a selector or a service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import Company
from clients.services import user_set_active
from clients.services.backoffice import company_archive, company_edit, company_open
from firms.models import FirmProfile
from firms.services import (
    LOGO_MAX_BYTES,
    firm_logo_set,
    firm_profile_update,
    staff_invite,
    staff_set_active,
    staff_set_role,
)
from frontend.access import firm_admin_required, firm_staff_required
from frontend.backoffice import selectors
from frontend.backoffice.forms import (
    ArchiveForm,
    CompanyForm,
    FirmProfileForm,
    InviteForm,
    LogoForm,
    StaffForm,
    StaffRoleForm,
)
from tenants import storage
from tenants.errors import DomainError

PAGE_SIZE = 50


def _form_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _changed(form, initial: dict) -> dict:
    return {name: value for name, value in form.cleaned_data.items() if initial.get(name) != value}


@firm_staff_required
def index(request):
    context = selectors.dashboard(request.user)
    return render(request, "frontend/backoffice/index.html", context)


@firm_staff_required
def company_list(request):
    text = request.GET.get("q", "")
    status = request.GET.get("status", "")
    accountant = request.GET.get("accountant", "")
    companies = selectors.companies_search(
        request.user, text=text, status=status, accountant=accountant
    )
    page = Paginator(companies, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "query": query.urlencode(),
        "text": text,
        "status": status,
        "accountant": accountant,
        "statuses": Company.Status.choices,
        "accountants": selectors.accountants() if request.user.is_firm_admin else None,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "frontend/backoffice/company_results.html", context)
    return render(request, "frontend/backoffice/company_list.html", context)


@firm_staff_required
def company_create(request):
    form = CompanyForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            company = company_open(
                actor=request.user,
                **{key: value for key, value in form.cleaned_data.items() if value is not None},
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The company %(name)s was created.") % {"name": company})
            return redirect("backoffice:company_detail", company_id=company.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "frontend/backoffice/company_form.html", {"form": form}, status=status)


@firm_staff_required
def company_detail(request, company_id):
    company = selectors.access_company_as_staff(request.user, company_id)
    return _company_page(request, company, InviteForm())


def _company_page(request, company, invite_form, status=200):
    context = {
        "company": company,
        "memberships": selectors.company_people(company),
        "invitations": selectors.company_invitations(company),
        "invite_form": invite_form,
        "now": timezone.now(),
    }
    return render(request, "frontend/backoffice/company_detail.html", context, status=status)


@firm_staff_required
def company_edit_view(request, company_id):
    company = selectors.access_company_as_staff(request.user, company_id)
    form = CompanyForm(request.POST or None, instance=company, actor=request.user)
    if request.method == "POST" and form.is_valid():
        initial = {name: getattr(company, name) for name in form.fields}
        try:
            company_edit(actor=request.user, company=company, **_changed(form, initial))
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The company was saved."))
            return redirect("backoffice:company_detail", company_id=company.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "frontend/backoffice/company_form.html",
        {"form": form, "company": company},
        status=status,
    )


@firm_staff_required
def company_archive_view(request, company_id):
    company = selectors.access_company_as_staff(request.user, company_id)
    form = ArchiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company_archive(actor=request.user, company=company)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The company was archived."))
            return redirect("backoffice:company_detail", company_id=company.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "frontend/backoffice/company_archive.html",
        {"form": form, "company": company},
        status=status,
    )


@require_POST
@firm_staff_required
def company_invite(request, company_id):
    from clients.services.invitations import invitation_send

    company = selectors.access_company_as_staff(request.user, company_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation_send(actor=request.user, companies=[company], **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            sent = _("An invitation was sent to %(email)s.")
            messages.success(request, sent % {"email": form.cleaned_data["email"]})
            return redirect("backoffice:company_detail", company_id=company.pk)
    return _company_page(request, company, form, status=400)


@require_POST
@firm_staff_required
def invitation_act(request, company_id, invitation_id, resend: bool):
    """Send a pending invitation again (a new link), or cancel it."""
    from clients.services.invitations import invitation_resend, invitation_revoke

    company = selectors.access_company_as_staff(request.user, company_id)
    invitation = selectors.access_invitation(company, invitation_id)
    if resend:
        service, done = invitation_resend, _("The invitation was sent again to %(email)s.")
    else:
        service, done = invitation_revoke, _("The invitation to %(email)s was cancelled.")
    return _act(
        request,
        company,
        lambda: service(actor=request.user, invitation=invitation),
        done % {"email": invitation.email},
    )


@require_POST
@firm_staff_required
def person_set_active(request, company_id, user_id):
    company = selectors.access_company_as_staff(request.user, company_id)
    person = selectors.access_membership(company, user_id).user
    active = request.POST.get("active") == "1"
    done = (
        _("%(name)s can sign in again.") if active else _("%(name)s can no longer sign in.")
    ) % {"name": person}
    return _act(
        request,
        company,
        lambda: user_set_active(actor=request.user, user=person, active=active),
        done,
    )


def _act(request, company, action, done: str):
    """A one-button action on a company's page: done, or the reason why not (400)."""
    try:
        action()
    except DomainError as error:
        if error.code in ("not_found", "permission_denied"):
            raise
        messages.error(request, str(error.message))
        return _company_page(request, company, InviteForm(), status=400)
    messages.success(request, done)
    return redirect("backoffice:company_detail", company_id=company.pk)


# Équipe du cabinet


@firm_admin_required
def staff_list(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = staff_invite(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("%(email)s was added; a link to choose a password was sent.")
                % {"email": member.email},
            )
            return redirect("backoffice:staff")
    return _staff_page(request, form, status=400 if request.method == "POST" else 200)


def _staff_page(request, form, status=200, error_for=None, error=""):
    context = {
        "members": selectors.staff_members(),
        "form": form,
        "role_choices": StaffRoleForm.base_fields["firm_role"].choices,
        "error_for": error_for,
        "error": error,
    }
    return render(request, "frontend/backoffice/staff.html", context, status=status)


@require_POST
@firm_admin_required
def staff_role(request, staff_id):
    member = selectors.access_staff_member(staff_id)
    form = StaffRoleForm(request.POST)
    if form.is_valid():
        try:
            staff_set_role(actor=request.user, user=member, **form.cleaned_data)
        except DomainError as error:
            return _staff_page(
                request, StaffForm(), status=400, error_for=member.pk, error=error.message
            )
        messages.success(request, _("The role of %(name)s was changed.") % {"name": member})
        return redirect("backoffice:staff")
    return _staff_page(
        request, StaffForm(), status=400, error_for=member.pk, error=form.errors["firm_role"][0]
    )


@require_POST
@firm_admin_required
def staff_active(request, staff_id):
    member = selectors.access_staff_member(staff_id)
    active = request.POST.get("active") == "1"
    try:
        staff_set_active(actor=request.user, user=member, active=active)
    except DomainError as error:
        return _staff_page(
            request, StaffForm(), status=400, error_for=member.pk, error=error.message
        )
    done = _("%(name)s can sign in again.") if active else _("%(name)s can no longer sign in.")
    messages.success(request, done % {"name": member})
    return redirect("backoffice:staff")


# Identité du cabinet


@firm_admin_required
def identity(request):
    profile = FirmProfile.objects.get(pk=1)
    form = FirmProfileForm(request.POST or None, instance=profile, prefix="profile")
    logo_form = LogoForm()
    if request.method == "POST" and form.is_valid():
        initial = {name: getattr(profile, name) for name in form.fields}
        try:
            firm_profile_update(actor=request.user, **_changed(form, initial))
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The firm's identity was saved."))
            return redirect("backoffice:identity")
    return _identity_page(
        request, form, logo_form, profile, status=400 if request.method == "POST" else 200
    )


def _identity_page(request, form, logo_form, profile, status=200):
    context = {"form": form, "logo_form": logo_form, "profile": profile}
    return render(request, "frontend/backoffice/identity.html", context, status=status)


@require_POST
@firm_admin_required
def identity_logo(request):
    profile = FirmProfile.objects.get(pk=1)
    logo_form = LogoForm(request.POST, request.FILES)
    if logo_form.is_valid():
        # One byte past the limit is enough for the service to refuse it.
        content = logo_form.cleaned_data["logo"].read(LOGO_MAX_BYTES + 1)
        try:
            firm_logo_set(actor=request.user, content=content)
        except DomainError as error:
            _form_error(logo_form, error)
        else:
            messages.success(request, _("The logo was saved."))
            return redirect("backoffice:identity")
    form = FirmProfileForm(instance=profile, prefix="profile")
    return _identity_page(request, form, logo_form, profile, status=400)


@require_GET
def logo(request):
    """The firm's logo, for every page of its portal (signed in or not)."""
    path = FirmProfile.objects.filter(pk=1).values_list("logo_path", flat=True).first()
    if not path or connection.schema_name == "public":
        raise Http404()
    response = HttpResponseRedirect(storage.download_url(path, seconds=120))
    patch_cache_control(response, private=True, max_age=60)
    return response


# Demandes de réactivation


@firm_staff_required
def reactivations(request):
    context = {"requests": selectors.reactivation_requests_for(request.user)}
    return render(request, "frontend/backoffice/reactivations.html", context)


@require_POST
@firm_staff_required
def reactivation_decide_view(request, request_id):
    from clients.services.lifecycle import reactivation_decide

    pending = selectors.access_reactivation_request(request.user, request_id)
    approve = request.POST.get("approve") == "1"
    try:
        reactivation_decide(actor=request.user, request=pending, approve=approve)
    except DomainError as error:
        if error.code in ("not_found", "permission_denied"):
            raise
        messages.error(request, str(error.message))
        context = {"requests": selectors.reactivation_requests_for(request.user)}
        return render(request, "frontend/backoffice/reactivations.html", context, status=400)
    done = (
        _("The account of %(name)s is reopened.")
        if approve
        else _("The request of %(name)s was refused.")
    )
    messages.success(request, done % {"name": pending.company})
    return HttpResponseRedirect(reverse("backoffice:reactivations"))
