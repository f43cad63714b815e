"""Entreprises > Journal: a client administrator reads and exports their company's trail."""

import pytest

from clients.models import Membership
from entitlements.models import AuditEvent
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _event(company, action=AuditEvent.Action.GRANT_CREATED):
    return AuditEvent.objects.create(
        company=company, action=action, actor_label="test", details={"application": "Paie"}
    )


def _signed_in(firm, email):
    client = firm.client()
    assert client.post("/connexion/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def world(alpha):
    with alpha.context():
        mine, other = CompanyFactory(), CompanyFactory()
        admin = UserFactory(email="journal-admin@alpha.example")
        collaborator = UserFactory(email="journal-collab@alpha.example")
        MembershipFactory(user=admin, company=mine, role=Membership.Role.ADMIN)
        MembershipFactory(user=collaborator, company=mine)
        _event(mine)
        _event(other, AuditEvent.Action.SUBSCRIPTION_CREATED)
    return mine, other


def test_the_client_administrator_sees_and_exports_only_their_company(alpha, world):
    mine, _other = world
    client = _signed_in(alpha, "journal-admin@alpha.example")

    page = client.get(f"/entreprises/{mine.pk}/journal/")
    export = client.get(f"/entreprises/{mine.pk}/journal/export/")

    assert page.status_code == 200
    assert page.context["page"].paginator.count == 1
    rows = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2
    assert mine.legal_name in rows[1]


def test_filters_apply_to_the_journal(alpha, world):
    mine, _other = world
    client = _signed_in(alpha, "journal-admin@alpha.example")

    page = client.get(f"/entreprises/{mine.pk}/journal/", {"action": "grant_revoked"})

    assert page.context["page"].paginator.count == 0


@pytest.mark.parametrize("who", ["collaborator", "other company", "anonymous"])
def test_others_get_nothing(alpha, world, who):
    mine, other = world
    if who == "anonymous":
        client, target = alpha.client(), mine
    elif who == "collaborator":
        client, target = _signed_in(alpha, "journal-collab@alpha.example"), mine
    else:
        client, target = _signed_in(alpha, "journal-admin@alpha.example"), other

    page = client.get(f"/entreprises/{target.pk}/journal/")
    export = client.get(f"/entreprises/{target.pk}/journal/export/")

    expected = 302 if who == "anonymous" else 404
    assert (page.status_code, export.status_code) == (expected, expected)


def test_another_firm_host_reveals_nothing(alpha, beta, world):
    mine, _other = world
    with beta.context():
        UserFactory(email="journal-admin@alpha.example")
    client = _signed_in(beta, "journal-admin@alpha.example")

    assert client.get(f"/entreprises/{mine.pk}/journal/").status_code == 404


def test_a_firm_administrator_sees_and_renews_the_launch_secret(alpha):
    from entitlements.models import Application

    with alpha.context():
        application = Application.objects.create(name="Paie", launch_url="https://paie.example/")
        old = application.launch_secret
    client = _signed_in(alpha, alpha.admin_email)

    page = client.get(f"/cabinet/applications/{application.pk}/modifier/")
    renewed = client.post(f"/cabinet/applications/{application.pk}/secret/")

    assert old in page.content.decode()
    assert renewed.status_code == 302
    with alpha.context():
        application.refresh_from_db()
        assert application.launch_secret != old


def test_nobody_else_renews_the_launch_secret(alpha):
    from entitlements.models import Application

    with alpha.context():
        application = Application.objects.create(name="Banque", launch_url="https://b.example/")
        old = application.launch_secret
        UserFactory(email="secret-accountant@alpha.example", firm_role="accountant")
    client = _signed_in(alpha, "secret-accountant@alpha.example")

    response = client.post(f"/cabinet/applications/{application.pk}/secret/")

    assert response.status_code == 404
    with alpha.context():
        application.refresh_from_db()
        assert application.launch_secret == old
