"""The cast of the API authorization matrices: two companies of alpha, their people, the
firm's accountants, and a company of beta whose ids must mean nothing on alpha's host."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import factory
import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client

from api.services import api_key_create
from clients.models import Company, Membership, User
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

# Who knocks, and how each of them is expected to be answered is up to each test.
ACTORS = (
    "anonymous",
    "key",
    "beta_key",
    "firm_admin",
    "accountant",
    "other_accountant",
    "client_admin",
    "other_admin",
    "collaborator",
)
EMAILS = {
    "accountant": "comptable@alpha.example",
    "other_accountant": "autre-comptable@alpha.example",
    "client_admin": "gerante@boulangerie.example",
    "other_admin": "gerant@garage.example",
    "collaborator": "vendeur@boulangerie.example",
}
# Rows of beta get ids alpha's sequences never reach, so "beta's id on alpha's host" can
# only be found by a leak, never by coincidence.
BETA_IDS = 10_000_000


@dataclass(frozen=True)
class World:
    company: Company  # Boulangerie Martin: client_admin, collaborator, former; accountant
    other: Company  # Garage Dupont: other_admin; no accountant
    people: dict[str, User]
    beta_company: Company
    beta_person: User
    beta_membership: Membership

    def membership(self, name: str, company: Company | None = None) -> Membership:
        return Membership.objects.get(user=self.people[name], company=company or self.company)


@cache
def _hashed() -> str:
    return make_password(PASSWORD)  # once: Argon2 on every person would slow each test


def person(email: str, **fields) -> User:
    return UserFactory(email=email, password=factory.Transformer.Force(_hashed()), **fields)


@pytest.fixture
def world(alpha, beta) -> World:
    with alpha.context():
        people = {
            "firm_admin": User.objects.get(email=alpha.admin_email),
            "accountant": person(EMAILS["accountant"], firm_role=User.FirmRole.ACCOUNTANT),
            "other_accountant": person(
                EMAILS["other_accountant"], firm_role=User.FirmRole.ACCOUNTANT
            ),
            "client_admin": person(EMAILS["client_admin"]),
            "other_admin": person(EMAILS["other_admin"]),
            "collaborator": person(EMAILS["collaborator"]),
            "former": person("ancien@boulangerie.example", is_active=False),
            "newcomer": person("nouvelle@exemple.fr"),
        }
        company = CompanyFactory(legal_name="Boulangerie Martin", accountant=people["accountant"])
        other = CompanyFactory(legal_name="Garage Dupont")
        admin = Membership.Role.ADMIN
        MembershipFactory(user=people["client_admin"], company=company, role=admin)
        MembershipFactory(user=people["collaborator"], company=company)
        MembershipFactory(user=people["former"], company=company)
        MembershipFactory(user=people["other_admin"], company=other, role=admin)
    with beta.context():
        beta_company = CompanyFactory(pk=BETA_IDS, legal_name="Entreprise de Bêta")
        beta_person = person("salarie@beta.example", pk=BETA_IDS)
        beta_membership = MembershipFactory(
            pk=BETA_IDS, user=beta_person, company=beta_company, role=admin
        )
    return World(company, other, people, beta_company, beta_person, beta_membership)


def _key(firm) -> str:
    with firm.context():
        admin = User.objects.get(email=firm.admin_email)
        _row, secret = api_key_create(actor=admin, name="intégration")
    return secret


@pytest.fixture
def as_actor(alpha, beta, world):
    """`as_actor(name)`: a client on alpha's host, signed in (or not) as `name`."""

    def make(name: str, **headers) -> Client:
        if name == "anonymous":
            return alpha.client(**headers)
        if name in ("key", "beta_key"):
            secret = _key(alpha if name == "key" else beta)
            return alpha.client(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)
        client = alpha.client(**headers)
        email = alpha.admin_email if name == "firm_admin" else EMAILS[name]
        response = client.post("/connexion/", {"username": email, "password": PASSWORD})
        assert response.status_code == 302, name
        return client

    return make


def errors(response) -> dict[str, str]:
    """The problem-details field errors of a response, as {field: message}."""
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    return {error["field"]: error["message"] for error in body.get("errors", [])}
