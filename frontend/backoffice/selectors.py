"""Reads of the back-office: the companies a staff member manages, looked up through their
rights (missing and not theirs are the same 404), the firm's staff, what awaits a decision."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Company, Invitation, Membership, ReactivationRequest, User
from clients.selectors import companies_visible_to
from tenants.errors import NotFound


def companies_managed_by(user: User) -> QuerySet[Company]:
    if not user.is_firm_staff:
        return Company.objects.none()
    return companies_visible_to(user)


def companies_search(
    user: User, *, text: str = "", status: str = "", accountant: str = ""
) -> QuerySet[Company]:
    companies = companies_managed_by(user)
    text = text.strip()
    if text:
        digits = text.replace(" ", "")
        match = Q(legal_name__icontains=text) | Q(city__icontains=text)
        if digits.isdigit():
            match |= Q(siren__startswith=digits)
        companies = companies.filter(match)
    if status in Company.Status.values:
        companies = companies.filter(status=status)
    if accountant == "none":
        companies = companies.filter(accountant__isnull=True)
    elif accountant.isdigit():
        companies = companies.filter(accountant_id=int(accountant))
    # A correlated count rather than a GROUP BY over every membership: the paginator's count
    # leaves it out, and the page only computes it for its own rows.
    members = (
        Membership.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        companies.select_related("accountant")
        .annotate(member_count=Coalesce(Subquery(members), 0))
        .order_by("legal_name", "id")
    )


def access_company_as_staff(user: User, company_id: int | str) -> Company:
    try:
        return companies_managed_by(user).select_related("accountant").get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def staff_members() -> QuerySet[User]:
    return User.objects.exclude(firm_role="").order_by("last_name", "first_name", "email")


def accountants() -> QuerySet[User]:
    """Who a company can be assigned to: the active staff."""
    return staff_members().filter(is_active=True)


def access_staff_member(staff_id: int | str) -> User:
    try:
        return staff_members().get(pk=int(staff_id))
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def pending_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


def company_people(company: Company) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(company=company)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def company_invitations(company: Company) -> QuerySet[Invitation]:
    return pending_invitations().filter(companies=company).order_by("-created_at")


def access_invitation(company: Company, invitation_id: int | str) -> Invitation:
    try:
        return company_invitations(company).get(pk=int(invitation_id))
    except (Invitation.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def access_membership(company: Company, user_id: int | str) -> Membership:
    try:
        return company_people(company).get(user_id=int(user_id))
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def reactivation_requests_for(user: User) -> QuerySet[ReactivationRequest]:
    return (
        ReactivationRequest.objects.filter(
            status=ReactivationRequest.Status.PENDING, company__in=companies_managed_by(user)
        )
        .select_related("company", "requested_by")
        .order_by("created_at")
    )


def access_reactivation_request(user: User, request_id: int | str) -> ReactivationRequest:
    try:
        return reactivation_requests_for(user).get(pk=int(request_id))
    except (ReactivationRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def dashboard(user: User) -> dict:
    companies = companies_managed_by(user)
    by_status = dict(companies.values_list("status").annotate(count=Count("id")).order_by())
    return {
        "statuses": [
            (value, label, by_status.get(value, 0)) for value, label in Company.Status.choices
        ],
        "company_total": sum(by_status.values()),
        "pending_invitations": pending_invitations()
        .filter(companies__in=companies, expires_at__gt=timezone.now())
        .distinct()
        .count(),
        "pending_reactivations": reactivation_requests_for(user).count(),
    }
