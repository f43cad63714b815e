"""Reads on companies and people that pages, the API and tasks share."""

from __future__ import annotations

from django.db.models import QuerySet

from clients.models import Company, User


def companies_visible_to(user: User) -> QuerySet[Company]:
    """Firm staff see every company of the firm; a client sees the companies they belong to."""
    if not user.is_active:
        return Company.objects.none()
    if user.is_firm_staff:
        return Company.objects.all()
    return Company.objects.filter(memberships__user=user).distinct()
