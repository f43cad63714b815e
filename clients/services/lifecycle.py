"""A company's account lifecycle: cancel (nothing is deleted), reactivate (at once during the
trial month, otherwise on the firm's approval)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Company, ReactivationRequest, User
from clients.rights import administers_company, manages_company
from tenants.errors import DomainError, NotFound

TRIAL = timedelta(days=30)


def is_trial(company: Company) -> bool:
    return company.created_at > timezone.now() - TRIAL


@transaction.atomic
def company_cancel(*, actor: Any, company: Company) -> Company:
    if not administers_company(actor, company):
        raise NotFound()
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.status != Company.Status.CANCELLED:
        company.status = Company.Status.CANCELLED
        company.cancelled_at = timezone.now()
        company.save(update_fields=["status", "cancelled_at", "updated_at"])
    return company


@transaction.atomic
def company_reactivate(*, actor: Any, company: Company) -> Company | ReactivationRequest:
    """A company in its trial month comes back at once (as a trial); any other asks the firm:
    the answer is then the pending request."""
    if not administers_company(actor, company):
        raise NotFound()
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.status != Company.Status.CANCELLED:
        raise DomainError(_("This company is not cancelled."), code="not_cancelled")
    if is_trial(company):
        company.status = Company.Status.TRIAL
        company.cancelled_at = None
        company.save(update_fields=["status", "cancelled_at", "updated_at"])
        return company
    pending = ReactivationRequest.objects.filter(
        company=company, status=ReactivationRequest.Status.PENDING
    ).first()
    if pending:
        return pending
    try:
        with transaction.atomic():
            return ReactivationRequest.objects.create(
                company=company, requested_by=actor if isinstance(actor, User) else None
            )
    except IntegrityError:
        return ReactivationRequest.objects.get(
            company=company, status=ReactivationRequest.Status.PENDING
        )


def reactivation_pending(company: Company) -> ReactivationRequest | None:
    return company.reactivation_requests.filter(status=ReactivationRequest.Status.PENDING).first()


@transaction.atomic
def reactivation_decide(
    *, actor: Any, request: ReactivationRequest, approve: bool
) -> ReactivationRequest:
    request = (
        ReactivationRequest.objects.select_for_update().select_related("company").get(pk=request.pk)
    )
    if not manages_company(actor, request.company):
        raise NotFound()
    if request.status != ReactivationRequest.Status.PENDING:
        raise DomainError(_("This request was already decided."), code="decided")
    request.status = (
        ReactivationRequest.Status.APPROVED if approve else ReactivationRequest.Status.REFUSED
    )
    request.decided_by = actor if isinstance(actor, User) else None
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        company = Company.objects.select_for_update().get(pk=request.company_id)
        company.status = Company.Status.ACTIVE
        company.cancelled_at = None
        company.save(update_fields=["status", "cancelled_at", "updated_at"])
        request.company = company
    return request
