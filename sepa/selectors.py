"""Reads of direct debit that pages, the API and tasks share: the creditor settings, mandates
through the reader's rights, the invoices a collection would take, a company's coming debits."""

from __future__ import annotations

import datetime
from typing import Any

from dateutil.easter import easter
from django.db.models import Exists, OuterRef, Q, QuerySet

from clients.models import Company
from clients.rights import is_firm_wide
from clients.selectors import companies_administered_by, companies_visible_to
from firms.models import FirmProfile
from invoicing.models import Invoice, Kind
from invoicing.selectors import invoices_with_status
from sepa.models import CreditorSettings, Instruction, Mandate
from sepa.text import Parties
from tenants.errors import NotFound


def creditor_settings() -> CreditorSettings:
    """The firm's settings; unsaved defaults until an administrator records them."""
    return CreditorSettings.objects.filter(pk=1).first() or CreditorSettings(pk=1)


def firm_profile() -> FirmProfile | None:
    return FirmProfile.objects.filter(pk=1).first()


def _address(party: Any) -> str:
    town = " ".join(filter(None, (party.postal_code, party.city)))
    return ", ".join(filter(None, (party.address_line, town)))


def mandate_parties(company: Company) -> Parties | None:
    """Who a mandate of `company` binds; None while the firm has no creditor identifier."""
    settings, profile = creditor_settings(), firm_profile()
    if not settings.creditor_id or profile is None:
        return None
    return Parties(
        creditor_name=profile.legal_name,
        creditor_id=settings.creditor_id,
        creditor_address=_address(profile),
        debtor_name=company.legal_name,
        debtor_address=_address(company),
    )


def mandates_visible_to(actor: Any) -> QuerySet[Mandate]:
    """API keys and firm administrators: every mandate; an accountant: those of the companies
    assigned to them; a client: those of the companies they administer."""
    if is_firm_wide(actor):
        companies = Company.objects.all()
    elif not getattr(actor, "is_active", False):
        return Mandate.objects.none()
    elif actor.is_firm_staff:
        companies = companies_visible_to(actor)
    else:
        companies = companies_administered_by(actor)
    return Mandate.objects.filter(company__in=companies).select_related("company")


def access_mandate(actor: Any, mandate_id: Any) -> Mandate:
    try:
        return mandates_visible_to(actor).get(pk=int(mandate_id))
    except (Mandate.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def active_mandate(company: Company) -> Mandate | None:
    return Mandate.objects.filter(company=company, status=Mandate.Status.ACTIVE).first()


def upcoming_debits(company: Company) -> QuerySet[Instruction]:
    """The debits still to come on `company`'s account, soonest first."""
    return (
        Instruction.objects.filter(invoice__company=company, status=Instruction.Status.PENDING)
        .select_related("invoice", "mandate")
        .order_by("collection_date", "id")
    )


def collectable_invoices(due_by: datetime.date) -> QuerySet[Invoice]:
    """Open invoices due by `due_by` whose company has an active mandate and that no pending
    debit already takes, with their balance."""
    pending = Instruction.objects.filter(invoice=OuterRef("pk"), status=Instruction.Status.PENDING)
    mandated = Mandate.objects.filter(company=OuterRef("company"), status=Mandate.Status.ACTIVE)
    invoices = Invoice.objects.filter(kind=Kind.INVOICE, due_date__lte=due_by).filter(
        Exists(mandated), ~Exists(pending)
    )
    return (
        invoices_with_status(invoices)
        .filter(balance_due__gt=0)
        .select_related("company")
        .order_by("due_date", "number")
    )


def _target_holidays(year: int) -> set[datetime.date]:
    """The days the euro payment system (TARGET2) is closed, besides weekends."""
    sunday = easter(year)
    return {
        datetime.date(year, 1, 1),
        sunday - datetime.timedelta(days=2),
        sunday + datetime.timedelta(days=1),
        datetime.date(year, 5, 1),
        datetime.date(year, 12, 25),
        datetime.date(year, 12, 26),
    }


def business_day_on_or_after(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5 or day in _target_holidays(day.year):
        day += datetime.timedelta(days=1)
    return day


def debit_date(due_date: datetime.date, earliest: datetime.date) -> datetime.date:
    """An invoice is debited on its due date, or on the first day the pre-notification delay
    allows, moved to a day banks settle on."""
    return business_day_on_or_after(max(due_date, earliest))


def instructions_of(companies: QuerySet[Company] | None = None) -> QuerySet[Instruction]:
    rows = Instruction.objects.select_related("invoice__company", "mandate", "collection")
    if companies is not None:
        rows = rows.filter(invoice__company__in=companies)
    return rows


def pending_without_notice() -> QuerySet[Instruction]:
    from sepa.models import PreNotification

    told = PreNotification.objects.filter(
        invoice=OuterRef("invoice"), debit_date=OuterRef("collection_date")
    )
    return Instruction.objects.filter(Q(status=Instruction.Status.PENDING), ~Exists(told))
