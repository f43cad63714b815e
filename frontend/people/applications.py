"""Utilisateurs > person > Applications: for each of my companies the person belongs to,
switch each configured application and the company rights on the invoices."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clients.models import Membership
from clients.selectors import access_person_as_admin, companies_administered_by
from entitlements.models import (
    USE_SUBSCRIPTION,
    CompanyUserObjectPermission,
    Subscription,
    SubscriptionUserObjectPermission,
)
from entitlements.services import (
    company_right_grant,
    company_right_revoke,
    grant_access,
    revoke_access,
)
from frontend.access import client_admin_required
from tenants.errors import DomainError, NotFound

RIGHTS = {
    "view_invoices": gettext_lazy("View invoices"),
    "download_invoices": gettext_lazy("Download invoices"),
}


def person_entitlements(admin, person) -> list[dict]:
    """A selector for this page: the memberships of `person` in the companies `admin`
    administers, with their configured applications, what `person` may use and the company
    rights granted to them. Four queries whatever the size."""
    memberships = list(
        Membership.objects.filter(user=person, company__in=companies_administered_by(admin))
        .select_related("company")
        .order_by("company__legal_name", "company_id")
    )
    company_ids = [m.company_id for m in memberships]
    subscriptions = (
        Subscription.objects.filter(company_id__in=company_ids)
        .exclude(status=Subscription.Status.ENDED)
        .select_related("application")
        .order_by("application__name", "id")
    )
    granted = set(
        SubscriptionUserObjectPermission.objects.filter(
            user=person,
            content_object__company_id__in=company_ids,
            permission__codename=USE_SUBSCRIPTION,
            permission__content_type__app_label="entitlements",
        ).values_list("content_object_id", flat=True)
    )
    rights = set(
        CompanyUserObjectPermission.objects.filter(
            user=person,
            content_object_id__in=company_ids,
            permission__codename__in=list(RIGHTS),
            permission__content_type__app_label="clients",
        ).values_list("content_object_id", "permission__codename")
    )
    by_company = {m.company_id: [] for m in memberships}
    for subscription in subscriptions:
        by_company[subscription.company_id].append(subscription)
    sections = []
    for membership in memberships:
        company = membership.company
        is_admin = membership.role == Membership.Role.ADMIN
        sections.append(
            {
                "company": company,
                "is_admin": is_admin,
                "applications": [
                    _cell(person, company, subscription=s, granted=s.pk in granted)
                    for s in by_company[company.pk]
                ],
                "rights": [
                    _cell(person, company, right=code, granted=(company.pk, code) in rights)
                    for code in RIGHTS
                ],
            }
        )
    return sections


def _cell(person, company, *, subscription=None, right=None, granted=False, error=None) -> dict:
    return {
        "url": reverse("people:applications_toggle", args=[person.pk, company.pk]),
        "field": "subscription" if subscription else "right",
        "value": subscription.pk if subscription else right,
        "label": subscription.application.name if subscription else RIGHTS[right],
        "granted": granted,
        "error": error,
    }


def _page(request, person, *, failed=None, status=200):
    sections = person_entitlements(request.user, person)
    if failed:
        for section in sections:
            for cell in section["applications"] + section["rights"]:
                if cell["url"] == failed[0] and str(cell["value"]) == str(failed[1]):
                    cell["error"] = failed[2]
    context = {"person": person, "sections": sections}
    return render(request, "frontend/people/applications.html", context, status=status)


@client_admin_required
def applications(request, person_id):
    return _page(request, access_person_as_admin(request.user, person_id))


@require_POST
@client_admin_required
def toggle(request, person_id, company_id):
    person = access_person_as_admin(request.user, person_id)
    company = (
        companies_administered_by(request.user)
        .filter(pk=company_id, memberships__user=person)
        .first()
    )
    if company is None:
        raise Http404()
    wanted = request.POST.get("grant") == "1"
    subscription = right = None
    if "subscription" in request.POST:
        wanted_id = request.POST["subscription"]
        subscription = (
            Subscription.objects.select_related("company", "application")
            .filter(pk=int(wanted_id) if wanted_id.isdigit() else 0, company=company)
            .exclude(status=Subscription.Status.ENDED)
            .first()
        )
        if subscription is None:
            raise Http404()
    else:
        right = request.POST.get("right", "")
        if right not in RIGHTS:
            raise Http404()
    error = None
    try:
        if subscription is not None:
            change = grant_access if wanted else revoke_access
            change(actor=request.user, user=person, subscription=subscription)
        else:
            change = company_right_grant if wanted else company_right_revoke
            change(actor=request.user, user=person, company=company, codename=right)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        error = exc
    cell = _cell(
        person,
        company,
        subscription=subscription,
        right=right,
        granted=wanted if error is None else not wanted,
        error=error,
    )
    if request.htmx:
        return render(
            request, "frontend/people/_toggle.html", {"cell": cell}, status=400 if error else 200
        )
    if error is not None:
        return _page(request, person, failed=(cell["url"], cell["value"], error), status=400)
    messages.success(request, _("The changes are saved."))
    return redirect("people:applications", person_id=person.pk)
