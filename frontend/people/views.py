"""Utilisateurs: the people of the companies I administer, one person's page, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Membership
from clients.selectors import (
    access_company_as_admin,
    access_person_as_admin,
    companies_administered_by,
    people_administered_by,
)
from clients.services import membership_remove, membership_set, user_set_active, user_update
from clients.services.invitations import (
    access_invitation_as_admin,
    invitation_resend,
    invitation_revoke,
    invitation_send,
    invitations_pending_for,
)
from frontend.access import client_admin_required
from frontend.people.forms import InvitationForm, PersonForm, RoleForm
from tenants.errors import DomainError


def _people(user, query: str):
    mine = companies_administered_by(user)
    people = people_administered_by(user).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(company__in=mine)
            .select_related("company")
            .order_by("company__legal_name"),
            to_attr="my_memberships",
        )
    )
    for term in query.split():
        people = people.filter(
            Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(email__icontains=term)
        )
    return people.order_by("last_name", "first_name", "email")


@client_admin_required
def index(request):
    query = request.GET.get("q", "").strip()[:100]
    context = {"people": _people(request.user, query), "q": query}
    if request.htmx:
        return render(request, "frontend/people/_table.html", context)
    return render(request, "frontend/people/index.html", context)


def _detail_context(request, person, **forms):
    mine = companies_administered_by(request.user)
    memberships = (
        Membership.objects.filter(user=person, company__in=mine)
        .select_related("company")
        .order_by("company__legal_name")
    )
    elsewhere = Membership.objects.filter(user=person).exclude(company__in=mine).exists()
    return {
        "person": person,
        "memberships": memberships,
        "roles": Membership.Role.choices,
        "form": forms.get("form") or PersonForm(initial=_person_initial(person)),
        "role_error": forms.get("role_error"),
        "role_error_company": forms.get("role_error_company"),
        "elsewhere": elsewhere,
        "is_self": person.pk == request.user.pk,
    }


def _person_initial(person) -> dict:
    return {"first_name": person.first_name, "last_name": person.last_name, "phone": person.phone}


def _error_message(error: DomainError) -> str:
    return str(error.message) or _("This change is not possible.")


@client_admin_required
def detail(request, person_id):
    person = access_person_as_admin(request.user, person_id)
    if request.method != "POST":
        return render(request, "frontend/people/detail.html", _detail_context(request, person))
    form = PersonForm(request.POST)
    if form.is_valid():
        try:
            user_update(actor=request.user, user=person, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("people:detail", person_id=person.pk)
    person.refresh_from_db()
    context = _detail_context(request, person, form=form)
    return render(request, "frontend/people/detail.html", context, status=400)


@client_admin_required
@require_POST
def role(request, person_id):
    person = access_person_as_admin(request.user, person_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        raise Http404()
    company = access_company_as_admin(request.user, form.cleaned_data["company"])
    try:
        membership_set(
            actor=request.user, user=person, company=company, role=form.cleaned_data["role"]
        )
    except DomainError as error:
        context = _detail_context(
            request, person, role_error=_error_message(error), role_error_company=company.pk
        )
        return render(request, "frontend/people/detail.html", context, status=400)
    messages.success(request, _("The role is changed."))
    return redirect("people:detail", person_id=person.pk)


@client_admin_required
@require_POST
def remove(request, person_id):
    person = access_person_as_admin(request.user, person_id)
    company = access_company_as_admin(request.user, request.POST.get("company"))
    membership = Membership.objects.filter(user=person, company=company).first()
    if membership is None:
        raise Http404()
    try:
        membership_remove(actor=request.user, membership=membership)
    except DomainError as error:
        context = _detail_context(
            request, person, role_error=_error_message(error), role_error_company=company.pk
        )
        return render(request, "frontend/people/detail.html", context, status=400)
    messages.success(
        request,
        _("%(person)s no longer has access to %(company)s.")
        % {"person": person, "company": company.legal_name},
    )
    if people_administered_by(request.user).filter(pk=person.pk).exists():
        return redirect("people:detail", person_id=person.pk)
    return redirect("people:index")


@client_admin_required
def deactivate(request, person_id):
    person = access_person_as_admin(request.user, person_id)
    if request.method != "POST":
        return render(request, "frontend/people/deactivate.html", {"person": person})
    try:
        user_set_active(actor=request.user, user=person, active=False)
    except DomainError as error:
        context = {"person": person, "error": _error_message(error)}
        status = 403 if error.code == "permission_denied" else 400
        return render(request, "frontend/people/deactivate.html", context, status=status)
    messages.success(request, _("%(person)s is deactivated.") % {"person": person})
    return redirect("people:detail", person_id=person.pk)


@client_admin_required
@require_POST
def reactivate(request, person_id):
    person = access_person_as_admin(request.user, person_id)
    try:
        user_set_active(actor=request.user, user=person, active=True)
    except DomainError as error:
        context = _detail_context(request, person, role_error=_error_message(error))
        status = 403 if error.code == "permission_denied" else 400
        return render(request, "frontend/people/detail.html", context, status=status)
    messages.success(request, _("%(person)s is active again.") % {"person": person})
    return redirect("people:detail", person_id=person.pk)


@client_admin_required
def invite(request):
    companies = list(companies_administered_by(request.user).order_by("legal_name"))
    status = 200
    if request.method == "POST":
        chosen = [
            access_company_as_admin(request.user, pk) for pk in request.POST.getlist("companies")
        ]
        form = InvitationForm(request.POST, companies=companies)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation = invitation_send(
                    actor=request.user,
                    email=data["email"],
                    companies=chosen,
                    role=data["role"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request, _("An invitation was sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect("people:invite")
        status = 400
    else:
        form = InvitationForm(companies=companies)
    context = {"form": form, "invitations": invitations_pending_for(request.user)}
    return render(request, "frontend/people/invite.html", context, status=status)


@client_admin_required
@require_POST
def invitation_action(request, invitation_id, action):
    invitation = access_invitation_as_admin(request.user, invitation_id)
    if action == "resend":
        invitation_resend(actor=request.user, invitation=invitation)
        messages.success(
            request, _("A new invitation was sent to %(email)s.") % {"email": invitation.email}
        )
    else:
        invitation_revoke(actor=request.user, invitation=invitation)
        messages.success(
            request, _("The invitation to %(email)s is cancelled.") % {"email": invitation.email}
        )
    return redirect("people:invite")
