"""Billable companies and a complete firm identity: call inside the firm's schema."""

from __future__ import annotations

import datetime
from decimal import Decimal

from clients.models import Company
from entitlements.models import Application, Subscription
from firms.models import FirmProfile
from tests.factories import CompanyFactory

PERIOD = datetime.date(2026, 10, 1)


def firm_profile_complete(**changes) -> FirmProfile:
    values = {
        "legal_name": "Cabinet Alpha Expertise",
        "legal_form": "SAS",
        "share_capital": Decimal("50000.00"),
        "siren": "732829320",
        "rcs_city": "Lyon",
        "vat_number": "FR44732829320",
        "address_line": "12 rue de la République",
        "postal_code": "69002",
        "city": "Lyon",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
        "email": "facturation@alpha.example",
        **changes,
    }
    FirmProfile.objects.filter(pk=1).update(**values)
    return FirmProfile.objects.get(pk=1)


def application(name: str = "Comptabilité en ligne", **fields) -> Application:
    values = {
        "category": Application.Category.BOOKKEEPING,
        "launch_url": "https://compta.example/launch",
        "price_excl_vat": Decimal("49.00"),
        "vat_rate": Decimal("20.00"),
        **fields,
    }
    return Application.objects.create(name=name, **values)


def billable_company(
    *,
    applications: tuple[Application, ...] = (),
    start: datetime.date = datetime.date(2026, 1, 1),
    **fields,
) -> Company:
    """A company with complete billing data, subscribed to `applications` (or to one new
    application at 49 EUR a month) since `start`."""
    values = {
        "address_line": "3 place Bellecour",
        "postal_code": "69002",
        "city": "Lyon",
        "billing_email": "compta@client.example",
        **fields,
    }
    company = CompanyFactory(**values)
    for app in applications or (application(),):
        Subscription.objects.create(company=company, application=app, start_date=start)
    return company
