"""Reads on companies and people that pages, the API and tasks share.

`access_*` helpers look an object up through the user's rights: missing and not yours both
raise NotFound, so a page or endpoint answers 404 either way.
"""

from __future__ import annotations

from django.db.models import QuerySet

from clients.models import Company, Membership, User
from tenants.errors import NotFound


def companies_visible_to(user: User) -> QuerySet[Company]:
    """A firm administrator sees every company of the firm, an accountant those assigned to
    them, a client the companies they belong to."""
    if not user.is_active:
        return Company.objects.none()
    if user.is_firm_admin:
        return Company.objects.all()
    if user.is_firm_staff:
        return Company.objects.filter(accountant=user)
    return Company.objects.filter(pk__in=Membership.objects.filter(user=user).values("company_id"))


def companies_administered_by(user: User) -> QuerySet[Company]:
    """The companies where `user` is a client administrator."""
    if not user.is_active:
        return Company.objects.none()
    # IN over the user's memberships rather than a join and DISTINCT: the query starts from the
    # few memberships, and the queryset stays free to annotate and count.
    administered = Membership.objects.filter(user=user, role=Membership.Role.ADMIN)
    return Company.objects.filter(pk__in=administered.values("company_id"))


def is_client_admin(user: User) -> bool:
    return (
        user.is_active and Membership.objects.filter(user=user, role=Membership.Role.ADMIN).exists()
    )


def access_company_as_admin(user: User, company_id: int | str) -> Company:
    try:
        return companies_administered_by(user).get(pk=int(company_id))
    except (Company.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def people_administered_by(user: User) -> QuerySet[User]:
    """The people who belong to at least one company `user` administers."""
    return User.objects.filter(memberships__company__in=companies_administered_by(user)).distinct()


def access_person_as_admin(user: User, person_id: int | str) -> User:
    try:
        return people_administered_by(user).get(pk=int(person_id))
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
