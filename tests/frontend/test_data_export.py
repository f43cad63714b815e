"""Mon compte > Informations > Télécharger mes données, and `portal person export`: a person's
own data, without secrets, and never anybody else's."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Invitation, Membership, User
from entitlements import services as entitlements
from entitlements.models import Application, Subscription
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/mon-compte/informations/mes-donnees/"


@pytest.fixture
def people(alpha):
    """Camille (collaborator with a grant, a right, an invitation, an unconfirmed TOTP
    device) and Dominique, her client administrator, in the same company of alpha."""
    with alpha.context():
        firm_admin = User.objects.get(email=alpha.admin_email)
        company = CompanyFactory(legal_name="Boulangerie Martin")
        camille = MembershipFactory(
            company=company, user__email="camille@client.example", user__phone="+33612345678"
        ).user
        dominique = MembershipFactory(
            company=company, role=Membership.Role.ADMIN, user__email="dominique@client.example"
        ).user
        application = Application.objects.create(name="Paie en ligne", price_excl_vat="10.00")
        subscription = Subscription.objects.create(
            company=company, application=application, start_date=datetime.date(2026, 1, 1)
        )
        entitlements.grant_access(actor=firm_admin, user=camille, subscription=subscription)
        entitlements.grant_access(actor=firm_admin, user=dominique, subscription=subscription)
        entitlements.company_right_grant(
            actor=firm_admin, user=camille, company=company, codename="view_invoices"
        )
        invitation = Invitation.objects.create(
            email="CAMILLE@client.example",
            role=Membership.Role.COLLABORATOR,
            token_hash="a" * 64,
            invited_by=dominique,
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        invitation.companies.add(company)
        Invitation.objects.create(
            email="someone-else@client.example",
            role=Membership.Role.COLLABORATOR,
            token_hash="b" * 64,
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        TOTPDevice.objects.create(user=camille, name="Téléphone", confirmed=False)
    return camille, dominique


def _signed_in(firm, email: str):
    client = firm.client()
    assert client.post("/connexion/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def test_a_person_downloads_their_own_data(alpha, people):
    client = _signed_in(alpha, "camille@client.example")

    response = client.get(URL)
    data = json.loads(response.content)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert data["profile"]["email"] == "camille@client.example"
    assert data["profile"]["phone"] == "+33612345678"
    assert data["notification_preferences"] == {"notify_invoices": True, "notify_access": True}
    assert data["memberships"] == [
        {
            "company": "Boulangerie Martin",
            "company_siren": data["memberships"][0]["company_siren"],
            "role": "collaborator",
            "since": data["memberships"][0]["since"],
        }
    ]
    assert [g["application"] for g in data["application_grants"]] == ["Paie en ligne"]
    assert data["company_rights"] == [{"company": "Boulangerie Martin", "right": "view_invoices"}]
    assert {e["action"] for e in data["audit_events"]} == {
        "grant_created",
        "company_right_granted",
    }
    assert all(e["about_me"] for e in data["audit_events"])
    assert len(data["invitations"]) == 1
    assert data["invitations"][0]["companies"] == ["Boulangerie Martin"]
    assert len(data["sessions"]) == 1
    assert data["two_factor"]["authenticator_apps"][0]["name"] == "Téléphone"


def test_no_secret_is_in_the_download(alpha, people):
    client = _signed_in(alpha, "camille@client.example")
    session_key = client.session.session_key
    with alpha.context():
        user = User.objects.get(email="camille@client.example")
        device = TOTPDevice.objects.get(user=user)

    body = client.get(URL).content.decode()

    assert user.password not in body
    assert "password" not in body
    assert device.key not in body
    assert session_key not in body
    assert "token_hash" not in body and "a" * 64 not in body


def test_another_persons_data_never_appears(alpha, people):
    client = _signed_in(alpha, "camille@client.example")

    body = client.get(URL).content.decode()

    assert "dominique@client.example" not in body
    assert "someone-else@client.example" not in body
    assert "admin@alpha.example" not in body
    assert body.count("grant_created") == 1  # Dominique's own grant is not listed


def test_the_administrators_data_holds_only_their_own_grant(alpha, people):
    client = _signed_in(alpha, "dominique@client.example")

    data = json.loads(client.get(URL).content)

    assert data["profile"]["email"] == "dominique@client.example"
    assert data["company_rights"] == []
    assert [e["action"] for e in data["audit_events"]] == ["grant_created"]
    # Camille's invitation was sent by Dominique, but it is Camille's data.
    assert data["invitations"] == []
    assert "camille" not in json.dumps(data)


def test_signed_out_people_are_sent_to_sign_in(alpha):
    response = alpha.client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_betas_user_gets_nothing_of_alpha(alpha, beta, people):
    with beta.context():
        UserFactory(email="camille@client.example")
    client = _signed_in(beta, "camille@client.example")

    data = json.loads(client.get(URL).content)

    assert data["memberships"] == []
    assert data["application_grants"] == []
    assert data["company_rights"] == []
    assert data["audit_events"] == []
    assert data["invitations"] == []
    assert data["two_factor"]["authenticator_apps"] == []
    assert "Boulangerie Martin" not in json.dumps(data)


def test_an_alpha_session_does_not_open_betas_download(alpha, beta, people):
    client = _signed_in(alpha, "camille@client.example")
    beta_client = beta.client()
    beta_client.cookies = client.cookies

    response = beta_client.get(URL)

    assert response.status_code == 302
    assert "Boulangerie Martin" not in response.content.decode()


def test_the_information_page_links_to_the_download(alpha, people):
    page = _signed_in(alpha, "camille@client.example").get("/mon-compte/informations/")

    assert URL in page.content.decode()


def test_the_command_line_exports_one_person(alpha, people):
    out = io.StringIO()

    call_command("person", "export", "alpha", "camille@client.example", stdout=out)
    data = json.loads(out.getvalue())

    assert data["profile"]["email"] == "camille@client.example"
    assert "dominique@client.example" not in out.getvalue()


@pytest.mark.parametrize(
    ("slug", "email"), [("alpha", "nobody@client.example"), ("nowhere", "camille@client.example")]
)
def test_the_command_line_refuses_unknown_people_and_firms(alpha, people, slug, email):
    with pytest.raises(CommandError):
        call_command("person", "export", slug, email, stdout=io.StringIO())
