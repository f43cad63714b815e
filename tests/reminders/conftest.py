"""Alpha's people around two client companies, and signing in as one of them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from clients.models import Company, Membership, User
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from webhooks import events


@dataclass
class World:
    firm_admin: User
    accountant: User
    mine: Company  # assigned to the accountant
    other: Company
    admin_mine: User
    admin_other: User
    collaborator: User


@pytest.fixture
def world(alpha):
    with alpha.context():
        accountant = UserFactory(email="compta-relances@alpha.example", firm_role="accountant")
        mine = CompanyFactory(
            legal_name="Boulangerie Martin",
            billing_email="factures@martin.example",
            accountant=accountant,
        )
        other = CompanyFactory(legal_name="Garage Petit", billing_email="")
        admin_mine = UserFactory(email="patron@martin.example", language="en")
        admin_other = UserFactory(email="patron@petit.example")
        collaborator = UserFactory(email="salarie@martin.example")
        MembershipFactory(user=admin_mine, company=mine, role=Membership.Role.ADMIN)
        MembershipFactory(user=admin_other, company=other, role=Membership.Role.ADMIN)
        MembershipFactory(user=collaborator, company=mine, role=Membership.Role.COLLABORATOR)
        yield World(
            firm_admin=User.objects.get(email=alpha.admin_email),
            accountant=accountant,
            mine=mine,
            other=other,
            admin_mine=admin_mine,
            admin_other=admin_other,
            collaborator=collaborator,
        )


@pytest.fixture(autouse=True)
def _subscribed_types_forgotten(request):
    """The cached list of webhook types outlives each test's rollback: forget it after."""
    yield
    for name in ("alpha", "beta"):
        if name in request.fixturenames:
            with request.getfixturevalue(name).context():
                cache.delete(events._types_key())


def signed_in(firm, email: str, *, language: str = "fr"):
    """Pages follow the language of the signed-in person's account."""
    with firm.context():
        User.objects.filter(email=email).update(language=language)
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client
