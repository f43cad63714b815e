"""Who may change what: the rules every write of people and companies goes through.

An actor is a signed-in person or an API key (which acts for the whole firm, like a firm
administrator). Legal fields of a company are the firm's; contact fields are also its client
administrators'.
"""

from __future__ import annotations

from typing import Any

from clients.models import Company, Membership, User

LEGAL_FIELDS = frozenset(
    {
        "legal_name",
        "siren",
        "siret",
        "vat_number",
        "legal_form",
        "share_capital",
        "status",
        "billing",
        "accountant",
        "external_id",
        "payment_terms_days",
    }
)
CONTACT_FIELDS = frozenset(
    {"address_line", "postal_code", "city", "country", "billing_email", "phone"}
)


def is_firm_wide(actor: Any) -> bool:
    """A firm administrator or an API key: every company of the firm."""
    return bool(getattr(actor, "key", None) is not None or getattr(actor, "is_firm_admin", False))


def manages_company(actor: Any, company: Company) -> bool:
    """Firm staff in charge of `company`: administrators, and its assigned accountant."""
    if is_firm_wide(actor):
        return True
    return (
        getattr(actor, "firm_role", "") == User.FirmRole.ACCOUNTANT
        and actor.is_active
        and company.accountant_id == actor.pk
    )


def administers_company(actor: Any, company: Company) -> bool:
    """The firm's staff in charge, or a client administrator of `company`."""
    if manages_company(actor, company):
        return True
    return bool(
        isinstance(actor, User)
        and actor.is_active
        and Membership.objects.filter(
            user=actor, company=company, role=Membership.Role.ADMIN
        ).exists()
    )


def editable_company_fields(actor: Any, company: Company) -> frozenset[str]:
    if manages_company(actor, company):
        return LEGAL_FIELDS | CONTACT_FIELDS
    if administers_company(actor, company):
        return CONTACT_FIELDS
    return frozenset()
