"""The people of the payment pages and their invoices: alpha's Boulangerie (its accountant, its
client administrator, a collaborator who may see the invoices and one who may not), alpha's
Garage (its administrator), and beta's firm administrator. Import `cast_fixture`: tests
ask for `cast`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from clients.models import Company, Membership, User
from entitlements.services import company_right_grant
from invoicing.models import Invoice
from invoicing.selectors import VIEW
from payments.models import PaymentEvent, Source
from payments.services import payment_record
from tests.api.conftest import person
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory
from tests.invoicing.factories import firm_profile_complete
from tests.payments.factories import invoice_due

EMAILS = {
    "accountant": "comptable@alpha.example",
    "other_accountant": "autre-comptable@alpha.example",
    "client_admin": "gerante@boulangerie.example",
    "viewer": "caissier@boulangerie.example",
    "collaborator": "vendeur@boulangerie.example",
    "other_admin": "gerant@garage.example",
}


@dataclass(frozen=True)
class Cast:
    alpha: object
    beta: object
    company: Company
    other: Company
    invoice: Invoice  # Boulangerie, 120.00 incl. VAT, 40 days overdue, 20.00 paid
    payment: PaymentEvent
    garage_invoice: Invoice
    people: dict[str, User]

    def client(self, name: str, **headers) -> Client:
        if name == "anonymous":
            return self.alpha.client(**headers)
        firm = self.beta if name == "beta_admin" else self.alpha
        client = firm.client(**headers)
        email = {"firm_admin": self.alpha.admin_email, "beta_admin": self.beta.admin_email}.get(
            name, EMAILS.get(name)
        )
        response = client.post("/connexion/", {"username": email, "password": PASSWORD})
        assert response.status_code == 302, name
        if name == "beta_admin":
            client.defaults["HTTP_HOST"] = self.alpha.host  # beta's session, on alpha's host
        return client

    def events(self) -> list[tuple]:
        with self.alpha.context():
            return list(PaymentEvent.objects.order_by("id").values_list("id", "kind", "amount"))


@pytest.fixture(name="cast")
def cast_fixture(alpha, beta) -> Cast:
    today = timezone.localdate()
    with alpha.context():
        firm_profile_complete()
        people = {
            "firm_admin": User.objects.get(email=alpha.admin_email),
            "accountant": person(EMAILS["accountant"], firm_role=User.FirmRole.ACCOUNTANT),
            "other_accountant": person(
                EMAILS["other_accountant"], firm_role=User.FirmRole.ACCOUNTANT
            ),
            "client_admin": person(EMAILS["client_admin"]),
            "viewer": person(EMAILS["viewer"]),
            "collaborator": person(EMAILS["collaborator"]),
            "other_admin": person(EMAILS["other_admin"]),
        }
        company = CompanyFactory(
            legal_name="Boulangerie Martin",
            accountant=people["accountant"],
            address_line="3 place Bellecour",
            postal_code="69002",
            city="Lyon",
        )
        other = CompanyFactory(legal_name="Garage Dupont")
        admin = Membership.Role.ADMIN
        MembershipFactory(user=people["client_admin"], company=company, role=admin)
        MembershipFactory(user=people["viewer"], company=company)
        MembershipFactory(user=people["collaborator"], company=company)
        MembershipFactory(user=people["other_admin"], company=other, role=admin)
        company_right_grant(
            actor=people["client_admin"], user=people["viewer"], company=company, codename=VIEW
        )
        invoice = invoice_due(
            company,
            total_excl_vat="100.00",
            issue_date=today - datetime.timedelta(days=70),
            due_date=today - datetime.timedelta(days=40),
        )
        payment = payment_record(
            actor=None,
            invoice=invoice,
            amount="20.00",
            date=today - datetime.timedelta(days=10),
            means="transfer",
            source=Source.BANK,
            reference="VIR MARTIN",
        )
        garage_invoice = invoice_due(other, total_excl_vat="50.00")
    return Cast(alpha, beta, company, other, invoice, payment, garage_invoice, people)
