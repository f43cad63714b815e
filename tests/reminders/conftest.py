"""Alpha's people around two client companies, and signing in as one of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from clients.models import Company, Membership, User
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from webhooks import events

PART = Path(settings.BASE_DIR) / "frontend" / "locale" / "fr" / "parts" / "remind.po"


@pytest.fixture(scope="session", autouse=True)
def _french_of_this_area(tmp_path_factory):
    """This area's French, compiled from its PO part as the release merges it into the
    catalogue (the catalogue, when it has them already, says the same)."""
    folder = tmp_path_factory.mktemp("locale") / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with PART.open("rb") as source, (folder / "django.mo").open("wb") as target:
        write_mo(target, read_po(source, locale="fr"))
    paths = [*settings.LOCALE_PATHS, folder.parent.parent]
    with override_settings(LOCALE_PATHS=paths):
        yield


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
