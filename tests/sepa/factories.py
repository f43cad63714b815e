"""A firm ready to collect by direct debit and its client companies' mandates (call inside the
firm's schema)."""

from __future__ import annotations

from clients.models import Company, Membership, User
from sepa.models import CreditorSettings, Mandate
from sepa.services import mandate_sign
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.invoicing.factories import firm_profile_complete

ICS = "FR72ZZZ123456"
IBAN = "FR7630006000011234567890189"
OTHER_IBAN = "DE89370400440532013000"


def creditor_ready(*, days: int = 14, **profile) -> CreditorSettings:
    firm_profile_complete(**profile)
    row, _created = CreditorSettings.objects.update_or_create(
        pk=1, defaults={"creditor_id": ICS, "prenotice_days": days}
    )
    return row


def client_admin(company: Company, **fields) -> User:
    person = UserFactory(**fields)
    MembershipFactory(user=person, company=company, role=Membership.Role.ADMIN)
    return person


def company_with_admin(**fields) -> tuple[Company, User]:
    values = {
        "address_line": "3 place Bellecour",
        "postal_code": "69002",
        "city": "Lyon",
        "billing_email": "compta@client.example",
        **fields,
    }
    company = CompanyFactory(**values)
    return company, client_admin(company)


def mandate(company: Company, signer: User, *, iban: str = IBAN, language: str = "fr") -> Mandate:
    return mandate_sign(
        actor=signer,
        company=company,
        holder_name=company.legal_name,
        iban=iban,
        bic="AGRIFRPP",
        consent=True,
        language=language,
        ip="203.0.113.7",
        user_agent="pytest",
    )
