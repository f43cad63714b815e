"""The firm's own management of its client companies (dossiers clients), from its back-office."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clients.models import Company, User
from clients.rights import is_firm_wide, manages_company
from clients.services import company_create, company_update, phone_clean
from tenants.errors import DomainError, NotFound, PermissionDenied

# Fields company_create does not take: set right after, in the same transaction.
LATER_FIELDS = ("country", "billing")


def _staff_check(actor: Any) -> None:
    if not getattr(actor, "is_firm_staff", False) and not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's staff can do this."))


def accountant_check(accountant: User | None) -> User | None:
    """An assigned accountant is an active member of the firm's staff."""
    if accountant is not None and (not accountant.is_active or not accountant.is_firm_staff):
        raise DomainError(_("Choose a member of the firm's staff."), field="accountant")
    return accountant


@transaction.atomic
def company_open(*, actor: Any, accountant: User | None = None, **fields: Any) -> Company:
    """A new client company. An accountant who opens one is in charge of it; an administrator
    may put anyone of the staff in charge."""
    _staff_check(actor)
    if not is_firm_wide(actor):
        if accountant is not None and accountant.pk != actor.pk:
            raise DomainError(
                _("Only a firm administrator can assign a company to someone else."),
                field="accountant",
            )
        accountant = actor
    accountant_check(accountant)
    later = {name: fields.pop(name) for name in LATER_FIELDS if name in fields}
    fields["phone"] = phone_clean(fields.get("phone", ""))
    company = company_create(**fields)
    if accountant is not None and is_firm_wide(actor):
        company = company_update(actor=actor, company=company, accountant=accountant)
    elif accountant is not None:
        # Not the accountant's until assigned, so the rights cannot allow it yet.
        company.accountant = accountant
        company.save(update_fields=["accountant", "updated_at"])
    if later:
        company = company_update(actor=actor, company=company, **later)
    return company


@transaction.atomic
def company_edit(*, actor: Any, company: Company, **changes: Any) -> Company:
    """The back-office's change of a company: only administrators reassign it."""
    if not manages_company(actor, company):
        raise NotFound()
    if "accountant" in changes:
        if not is_firm_wide(actor):
            raise DomainError(
                _("Only a firm administrator can assign a company to someone else."),
                field="accountant",
            )
        accountant_check(changes["accountant"])
    return company_update(actor=actor, company=company, **changes)


@transaction.atomic
def company_archive(*, actor: Any, company: Company) -> Company:
    if not manages_company(actor, company):
        raise NotFound()
    return company_update(actor=actor, company=company, status=Company.Status.ARCHIVED)
