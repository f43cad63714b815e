"""Invitations: sent by a client administrator, accepted once within 7 days by the invitee."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Invitation, Membership, User
from clients.services.invitations import (
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)
from tenants.errors import DomainError, NotFound
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from tests.frontend.test_people import World, make_world, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alpha) -> World:
    return make_world(alpha)


NEW_PASSWORD = "Un-Mot-De-Passe-Solide-7"


def _send(alpha, world: World, email: str = "new@example.com", **kwargs) -> Invitation:
    with alpha.context():
        return invitation_send(
            actor=world.admin,
            email=email,
            companies=[world.company],
            role=kwargs.pop("role", Membership.Role.COLLABORATOR),
            **kwargs,
        )


def _token(invitation: Invitation) -> str:
    return invitation.link.rstrip("/").rsplit("/", 1)[1]


# The service.


def test_send_stores_only_the_hash_and_mails_the_link_in_french(
    alpha, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _send(alpha, world, first_name="Eva")

    token = _token(invitation)
    assert invitation.link.startswith("http://alpha.localhost")
    assert f"/utilisateurs/invitation/{token}/" in invitation.link
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["new@example.com"]
    assert "Cabinet Alpha" in mail.subject
    assert invitation.link in mail.body
    assert "Boulangerie Martin" in mail.body
    assert "Bonjour" in mail.body


def test_no_mail_when_the_transaction_rolls_back(alpha, world, mailoutbox):
    _send(alpha, world)
    assert mailoutbox == []


def test_admin_of_another_company_cannot_invite_to_it(alpha, world):
    with alpha.context(), pytest.raises(NotFound):
        invitation_send(
            actor=world.other_admin,
            email="x@example.com",
            companies=[world.company],
            role=Membership.Role.COLLABORATOR,
        )
    with alpha.context():
        assert not Invitation.objects.filter(email="x@example.com").exists()


def test_firm_admin_may_invite(alpha, world):
    with alpha.context():
        firm_admin = User.objects.get(email=alpha.admin_email)
        invitation = invitation_send(
            actor=firm_admin, email="y@example.com", companies=[world.company], role="admin"
        )
    assert invitation.pk


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        ("not-an-email", "collaborator", "email"),
        ("collab.a@example.com", "collaborator", "email"),
        ("ok@example.com", "boss", "role"),
    ],
)
def test_send_refuses_bad_input(alpha, world, email, role, field):
    with alpha.context(), pytest.raises(DomainError) as raised:
        invitation_send(actor=world.admin, email=email, companies=[world.company], role=role)
    assert raised.value.field == field


def test_accept_creates_the_person_with_the_role(alpha, world):
    invitation = _send(alpha, world, first_name="Eva", last_name="Blanc")

    with alpha.context():
        user = invitation_accept(token=_token(invitation), password=NEW_PASSWORD)
        membership = Membership.objects.get(user=user, company=world.company)
        invitation.refresh_from_db()

    assert (user.email, user.first_name, user.last_name) == ("new@example.com", "Eva", "Blanc")
    assert user.check_password(NEW_PASSWORD)
    assert membership.role == Membership.Role.COLLABORATOR
    assert invitation.accepted_at is not None


def test_accept_adds_memberships_to_an_existing_person_without_changing_the_password(alpha, world):
    invitation = _send(alpha, world, email="collab.b@example.com")

    with alpha.context():
        with pytest.raises(DomainError) as wrong:
            invitation_accept(token=_token(invitation), password=NEW_PASSWORD)
        user = invitation_accept(token=_token(invitation), password=PASSWORD)

    assert wrong.value.field == "password"
    assert user.pk == world.other_person.pk
    assert user.check_password(PASSWORD)
    with alpha.context():
        assert set(user.memberships.values_list("company_id", flat=True)) == {
            world.company.pk,
            world.other_company.pk,
        }


def test_weak_password_is_refused_and_nothing_is_created(alpha, world):
    invitation = _send(alpha, world)

    with alpha.context(), pytest.raises(DomainError) as raised:
        invitation_accept(token=_token(invitation), password="123")

    assert raised.value.field == "password"
    with alpha.context():
        assert not User.objects.filter(email="new@example.com").exists()


def test_resend_kills_the_old_link(alpha, world):
    invitation = _send(alpha, world)
    old = _token(invitation)

    with alpha.context():
        renewed = invitation_resend(actor=world.admin, invitation=invitation)
        with pytest.raises(DomainError) as raised:
            invitation_accept(token=old, password=NEW_PASSWORD)
        user = invitation_accept(token=_token(renewed), password=NEW_PASSWORD)

    assert raised.value.field == "token"
    assert user.email == "new@example.com"


def test_other_admin_cannot_resend_or_revoke(alpha, world):
    invitation = _send(alpha, world)

    with alpha.context():
        with pytest.raises(NotFound):
            invitation_resend(actor=world.other_admin, invitation=invitation)
        with pytest.raises(NotFound):
            invitation_revoke(actor=world.other_admin, invitation=invitation)
        invitation.refresh_from_db()
    assert invitation.revoked_at is None


# The pages.


def test_invite_page_sends_an_invitation(
    alpha, world, mailoutbox, django_capture_on_commit_callbacks
):
    client = signed_in(alpha, world.admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/utilisateurs/inviter/",
            {"email": "Nina@Example.com", "role": "collaborator", "companies": [world.company.pk]},
        )

    assert response.status_code == 302
    with alpha.context():
        invitation = Invitation.objects.get(email="nina@example.com")
        assert list(invitation.companies.all()) == [world.company]
    assert len(mailoutbox) == 1
    listing = client.get("/utilisateurs/inviter/").content.decode()
    assert "nina@example.com" in listing


def test_invite_page_invalid_email_is_400_in_french(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        "/utilisateurs/inviter/",
        {"email": "pas-un-email", "role": "collaborator", "companies": [world.company.pk]},
    )

    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    with alpha.context():
        assert not Invitation.objects.exists()


def test_invite_page_invalid_email_is_400_in_english(alpha, world):
    with alpha.context():
        User.objects.filter(pk=world.admin.pk).update(language="en")
    client = signed_in(alpha, world.admin, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        "/utilisateurs/inviter/",
        {"email": "not-an-email", "role": "collaborator", "companies": [world.company.pk]},
    )

    assert response.status_code == 400
    assert "Enter a valid e-mail address." in response.content.decode()


def test_invite_page_wrong_role_is_400(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        "/utilisateurs/inviter/",
        {"email": "ok@example.com", "role": "boss", "companies": [world.company.pk]},
    )

    assert response.status_code == 400
    assert "Choisissez un rôle valide." in response.content.decode()


def test_invite_to_another_admins_company_is_404(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(
        "/utilisateurs/inviter/",
        {"email": "ok@example.com", "role": "collaborator", "companies": [world.other_company.pk]},
    )

    assert response.status_code == 404
    with alpha.context():
        assert not Invitation.objects.exists()


def test_pending_invitations_of_others_are_not_listed_nor_actionable(alpha, world):
    invitation = _send(alpha, world, email="secret@example.com")
    client = signed_in(alpha, world.other_admin)

    listing = client.get("/utilisateurs/inviter/")
    resend = client.post(f"/utilisateurs/invitations/{invitation.pk}/renvoyer/")
    revoke = client.post(f"/utilisateurs/invitations/{invitation.pk}/annuler/")

    assert "secret@example.com" not in listing.content.decode()
    assert (resend.status_code, revoke.status_code) == (404, 404)
    with alpha.context():
        invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.parametrize("who", ["anonymous", "collaborator"])
def test_invite_pages_refused(alpha, world, who):
    invitation = _send(alpha, world)
    client = alpha.client() if who == "anonymous" else signed_in(alpha, world.collaborator)
    expected = 302 if who == "anonymous" else 404

    responses = [
        client.get("/utilisateurs/inviter/"),
        client.post("/utilisateurs/inviter/", {"email": "z@example.com", "role": "admin"}),
        client.post(f"/utilisateurs/invitations/{invitation.pk}/annuler/"),
    ]

    assert [r.status_code for r in responses] == [expected] * 3
    with alpha.context():
        assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_admin_resends_and_revokes_from_the_page(alpha, world):
    invitation = _send(alpha, world)
    client = signed_in(alpha, world.admin)

    resend = client.post(f"/utilisateurs/invitations/{invitation.pk}/renvoyer/")
    with alpha.context():
        resent_hash = Invitation.objects.get(pk=invitation.pk).token_hash
    revoke = client.post(f"/utilisateurs/invitations/{invitation.pk}/annuler/")

    assert (resend.status_code, revoke.status_code) == (302, 302)
    assert resent_hash != invitation.token_hash
    with alpha.context():
        assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None


def test_accept_page_shows_firm_and_companies_then_signs_in(alpha, world):
    invitation = _send(alpha, world)
    client = alpha.client()
    url = f"/utilisateurs/invitation/{_token(invitation)}/"

    page = client.get(url)
    response = client.post(
        url, {"first_name": "Eva", "last_name": "Blanc", "password": NEW_PASSWORD}
    )

    assert page.status_code == 200
    assert "Cabinet Alpha" in page.content.decode()
    assert "Boulangerie Martin" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    with alpha.context():
        assert User.objects.get(email="new@example.com").first_name == "Eva"


def test_accept_page_weak_password_is_400(alpha, world):
    invitation = _send(alpha, world)

    response = alpha.client().post(
        f"/utilisateurs/invitation/{_token(invitation)}/", {"password": "123"}
    )

    assert response.status_code == 400
    assert "mot de passe" in response.content.decode().lower()
    with alpha.context():
        assert not User.objects.filter(email="new@example.com").exists()


def _expire(alpha, invitation):
    with alpha.context():
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )


def _use(alpha, invitation):
    with alpha.context():
        invitation_accept(token=_token(invitation), password=NEW_PASSWORD)


def _revoke(alpha, invitation):
    with alpha.context():
        Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_expire, "Cette invitation a expiré."),
        (_use, "Cette invitation a déjà été utilisée."),
        (_revoke, "Cette invitation a été annulée."),
    ],
)
def test_spoilt_invitations_are_refused_with_a_clear_message(alpha, world, spoil, message):
    invitation = _send(alpha, world, email="late@example.com")
    spoil(alpha, invitation)
    url = f"/utilisateurs/invitation/{_token(invitation)}/"
    with alpha.context():
        people_before = User.objects.count()

    page = alpha.client().get(url)
    post = alpha.client().post(url, {"password": "Another-Strong-Pass-42"})

    assert (page.status_code, post.status_code) == (400, 400)
    assert message in page.content.decode()
    with alpha.context():
        assert User.objects.count() == people_before


def test_unknown_token_is_400(alpha, world):
    response = alpha.client().get("/utilisateurs/invitation/nope/")
    assert response.status_code == 400
    assert "pas valide. Demandez-en un nouveau" in response.content.decode()


def test_alpha_invitation_link_is_dead_on_beta(alpha, beta, world):
    invitation = _send(alpha, world)

    response = beta.client().post(
        f"/utilisateurs/invitation/{_token(invitation)}/", {"password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    with beta.context():
        assert not User.objects.filter(email="new@example.com").exists()


def test_expired_invitation_in_the_service(alpha, world):
    invitation = _send(alpha, world)
    _expire(alpha, invitation)

    with alpha.context(), pytest.raises(DomainError) as raised:
        invitation_accept(token=_token(invitation), password=NEW_PASSWORD)

    assert (raised.value.field, raised.value.code) == ("token", "expired")


def test_invitation_to_several_companies(alpha, world):
    with alpha.context():
        second = CompanyFactory()
        MembershipFactory(user=world.admin, company=second, role=Membership.Role.ADMIN)
        invitation = invitation_send(
            actor=world.admin,
            email="multi@example.com",
            companies=[world.company, second],
            role=Membership.Role.ADMIN,
        )
        user = invitation_accept(token=_token(invitation), password=NEW_PASSWORD)
        roles = set(user.memberships.values_list("company_id", "role"))
    assert roles == {(world.company.pk, "admin"), (second.pk, "admin")}


def test_inviting_an_existing_person_of_a_new_company_is_allowed(alpha, world):
    with alpha.context():
        person = UserFactory(email="free@example.com")
        invitation = invitation_send(
            actor=world.admin,
            email=person.email,
            companies=[world.company],
            role=Membership.Role.COLLABORATOR,
        )
    assert invitation.email == "free@example.com"
