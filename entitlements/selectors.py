"""Reads of who may use what, each in a constant number of queries whatever the size."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef

from clients.models import Company, Membership, User
from entitlements.models import (
    USE_SUBSCRIPTION,
    Application,
    CompanyUserObjectPermission,
    Subscription,
    SubscriptionUserObjectPermission,
)


def _grants(user_id: Any, subscription_ref: Any):
    return SubscriptionUserObjectPermission.objects.filter(
        user_id=user_id,
        content_object_id=subscription_ref,
        permission__codename=USE_SUBSCRIPTION,
        permission__content_type__app_label="entitlements",
    )


def _usable(user: User):
    """Active subscriptions of active applications, in companies `user` still belongs to,
    that `user` was granted."""
    return Subscription.objects.filter(
        Exists(_grants(user.pk, OuterRef("pk"))),
        Exists(Membership.objects.filter(user_id=user.pk, company_id=OuterRef("company_id"))),
        status=Subscription.Status.ACTIVE,
        application__is_active=True,
    )


def applications_usable_by(user: Any) -> list[tuple[Company, Subscription, Application]]:
    """What `user` may launch, by company then application: one query."""
    if not isinstance(user, User) or not user.is_active:
        return []
    subscriptions = (
        _usable(user)
        .select_related("company", "application")
        .order_by("company__legal_name", "company_id", "application__name", "id")
    )
    return [(s.company, s, s.application) for s in subscriptions]


def can_use(user: Any, subscription: Subscription) -> bool:
    """One query."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return _usable(user).filter(pk=subscription.pk).exists()


def access_matrix(
    company: Company,
) -> tuple[list[User], list[Subscription], set[tuple[int, int]]]:
    """The people of `company`, its configured (not ended) applications and the
    (user id, subscription id) pairs granted: three queries."""
    people = list(
        User.objects.filter(memberships__company=company).order_by(
            "last_name", "first_name", "email", "id"
        )
    )
    subscriptions = list(
        Subscription.objects.filter(company=company)
        .exclude(status=Subscription.Status.ENDED)
        .select_related("application")
        .order_by("application__name", "id")
    )
    granted = set(
        SubscriptionUserObjectPermission.objects.filter(
            content_object__company=company,
            permission__codename=USE_SUBSCRIPTION,
            permission__content_type__app_label="entitlements",
        )
        .exclude(content_object__status=Subscription.Status.ENDED)
        .values_list("user_id", "content_object_id")
    )
    return people, subscriptions, granted


def has_company_right(user: Any, company: Company, codename: str) -> bool:
    """Client administrators of `company` hold every company-level right (manage_accesses,
    view_invoices, download_invoices) by role; anybody else only what was granted. One
    query."""
    if not isinstance(user, User) or not user.is_active:
        return False
    admin = Membership.objects.filter(
        user_id=user.pk, company_id=company.pk, role=Membership.Role.ADMIN
    )
    granted = CompanyUserObjectPermission.objects.filter(
        user_id=user.pk,
        content_object_id=company.pk,
        permission__codename=codename,
        permission__content_type__app_label="clients",
        # A right outlives no membership: `grants_remove_for` also removes it.
    ).filter(Exists(Membership.objects.filter(user_id=user.pk, company_id=company.pk)))
    return Company.objects.filter(pk=company.pk).filter(Exists(admin) | Exists(granted)).exists()


def seats_used(subscriptions: list[Subscription]) -> dict[int, int]:
    """Grants per subscription: one query."""
    from django.db.models import Count

    rows = (
        SubscriptionUserObjectPermission.objects.filter(
            content_object__in=[s.pk for s in subscriptions]
        )
        .values("content_object_id")
        .annotate(n=Count("id"))
    )
    return {row["content_object_id"]: row["n"] for row in rows}
