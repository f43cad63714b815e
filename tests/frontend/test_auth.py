"""Signing in: the second factor, the firm's 2FA requirement, password reset, lockout,
session ids and signing out."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Membership, User, UserSession
from firms.models import FirmProfile
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _person(firm, **fields) -> User:
    with firm.context():
        return UserFactory(**fields)


def _with_totp(firm, **fields) -> tuple[User, TOTPDevice]:
    with firm.context():
        user = UserFactory(**fields)
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        StaticToken.objects.create(device=recovery, token="recov123")
    return user, device


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def _password_step(client, email: str, password: str = PASSWORD):
    return client.post("/connexion/", {"username": email, "password": password})


# Second factor


def test_a_person_with_an_authenticator_is_asked_the_code_after_the_password(alpha):
    user, device = _with_totp(alpha)
    client = alpha.client()

    response = _password_step(client, user.email)

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/code/")
    assert client.get("/mon-compte/").status_code == 302  # not signed in yet

    response = client.post("/connexion/code/", {"code": _code(device)})

    assert response.status_code == 302
    assert client.get("/mon-compte/").status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_wrong_code_is_refused_in_french_and_counts_as_a_failure(alpha):
    user, _device = _with_totp(alpha)
    client = alpha.client()
    _password_step(client, user.email)

    response = client.post("/connexion/code/", {"code": "000000"})

    assert response.status_code == 400
    assert "Ce code est incorrect." in response.content.decode()
    assert client.get("/mon-compte/").status_code == 302
    with alpha.context():
        assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1


def test_a_wrong_code_is_refused_in_english(alpha):
    user, _device = _with_totp(alpha)
    client = alpha.client(HTTP_ACCEPT_LANGUAGE="en")
    _password_step(client, user.email)

    response = client.post("/connexion/code/", {"code": "000000"})

    assert response.status_code == 400
    assert "This code is not correct." in response.content.decode()


def test_five_wrong_codes_lock_the_account(alpha):
    user, device = _with_totp(alpha)
    client = alpha.client()
    _password_step(client, user.email)
    for _attempt in range(5):
        client.post("/connexion/code/", {"code": "000000"})

    response = client.post("/connexion/code/", {"code": _code(device)})

    assert response.status_code == 429
    assert client.get("/mon-compte/").status_code == 302


def test_a_recovery_code_signs_in_once(alpha):
    user, _device = _with_totp(alpha)
    first = alpha.client()
    _password_step(first, user.email)

    response = first.post("/connexion/code/", {"code": "RECOV123"})

    assert response.status_code == 302
    assert first.get("/mon-compte/").status_code == 200
    second = alpha.client()
    _password_step(second, user.email)
    assert second.post("/connexion/code/", {"code": "recov123"}).status_code == 400


def test_the_code_step_without_the_password_step_goes_back_to_sign_in(alpha):
    response = alpha.client().post("/connexion/code/", {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"


def test_a_pending_alpha_sign_in_is_nothing_on_beta(alpha, beta):
    user, device = _with_totp(alpha)
    client = alpha.client()
    _password_step(client, user.email)
    beta_client = beta.client()
    beta_client.cookies["sessionid"] = client.cookies["sessionid"].value

    response = beta_client.post("/connexion/code/", {"code": _code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/connexion/"
    assert beta_client.get("/mon-compte/").status_code == 302


# The firm's requirement


def _require_2fa(firm) -> None:
    with firm.context():
        FirmProfile.objects.filter(pk=1).update(require_2fa=True)


def test_firm_staff_without_an_authenticator_are_sent_to_enrol(alpha):
    _require_2fa(alpha)
    client = alpha.client()
    _password_step(client, alpha.admin_email)

    for path in ("/", "/mon-compte/informations/", "/cabinet/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/mon-compte/double-authentification/"
    assert client.get("/mon-compte/double-authentification/").status_code == 200
    assert client.get("/mon-compte/double-authentification/activer/").status_code == 200
    assert client.post("/deconnexion/").status_code == 302


def test_a_client_administrator_is_sent_to_enrol_but_not_a_collaborator(alpha):
    _require_2fa(alpha)
    with alpha.context():
        admin = MembershipFactory(role=Membership.Role.ADMIN).user
        collaborator = MembershipFactory().user
    admin_client, collaborator_client = alpha.client(), alpha.client()
    _password_step(admin_client, admin.email)
    _password_step(collaborator_client, collaborator.email)

    assert admin_client.get("/mon-compte/")["Location"] == "/mon-compte/double-authentification/"
    assert collaborator_client.get("/mon-compte/").status_code == 200


def test_once_enrolled_the_requirement_lets_the_person_through(alpha):
    _require_2fa(alpha)
    client = alpha.client()
    _password_step(client, alpha.admin_email)
    client.get("/mon-compte/double-authentification/activer/")
    with alpha.context():
        device = TOTPDevice.objects.get(user__email=alpha.admin_email)

    client.post("/mon-compte/double-authentification/activer/", {"code": _code(device)})

    assert client.get("/mon-compte/").status_code == 200
    refused = client.post("/mon-compte/double-authentification/desactiver/", {"password": PASSWORD})
    assert refused.status_code == 400
    with alpha.context():
        assert TOTPDevice.objects.filter(user__email=alpha.admin_email, confirmed=True).exists()


def test_the_requirement_of_beta_does_not_touch_alpha(alpha, beta):
    _require_2fa(beta)
    client = alpha.client()
    _password_step(client, alpha.admin_email)

    assert client.get("/mon-compte/").status_code == 200


# Password reset


def _reset_link(message) -> str:
    return re.search(r"http://[^/\s]+(/mot-de-passe/reinitialiser/\S+/)", message.body).group(1)


def test_a_reset_link_is_mailed_and_sets_a_new_password(alpha):
    user = _person(alpha)
    elsewhere = alpha.client()
    _password_step(elsewhere, user.email)
    client = alpha.client()

    response = client.post("/mot-de-passe/oublie/", {"email": user.email.upper()})

    assert response["Location"] == "/mot-de-passe/oublie/envoye/"
    assert [m.to for m in mail.outbox] == [[user.email]]
    link = client.get(_reset_link(mail.outbox[0]), follow=True)
    form_url = link.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": "Tout-Neuf-Secret-5", "new_password2": "Tout-Neuf-Secret-5"}
    )
    assert done["Location"] == "/mot-de-passe/reinitialise/"
    with alpha.context():
        assert User.objects.get(pk=user.pk).check_password("Tout-Neuf-Secret-5")
        assert not UserSession.objects.filter(user=user).exists()
    assert elsewhere.get("/mon-compte/").status_code == 302
    assert client.get(_reset_link(mail.outbox[0]), follow=True).context["validlink"] is False


def test_an_unknown_address_gets_the_same_answer_and_no_mail(alpha):
    response = alpha.client().post("/mot-de-passe/oublie/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/mot-de-passe/oublie/envoye/"
    assert mail.outbox == []


def test_an_alpha_address_gets_no_mail_from_beta(alpha, beta):
    user = _person(alpha)

    beta.client().post("/mot-de-passe/oublie/", {"email": user.email})

    assert mail.outbox == []


def test_a_malformed_address_is_refused_in_french(alpha):
    response = alpha.client().post("/mot-de-passe/oublie/", {"email": "pas-une-adresse"})

    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide." in response.content.decode()


def test_a_weak_reset_password_is_refused_and_the_old_one_stays(alpha):
    user = _person(alpha)
    client = alpha.client()
    client.post("/mot-de-passe/oublie/", {"email": user.email})
    form_url = client.get(_reset_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]

    response = client.post(form_url, {"new_password1": "azerty", "new_password2": "azerty"})

    assert response.status_code == 400
    with alpha.context():
        assert User.objects.get(pk=user.pk).check_password(PASSWORD)


# Lockout (django-axes)


def test_the_sixth_attempt_is_refused_even_with_the_right_password(alpha):
    user = _person(alpha)
    client = alpha.client()
    failures = [_password_step(client, user.email, "wrong").status_code for _n in range(5)]

    response = _password_step(client, user.email)

    assert failures == [400, 400, 400, 400, 429]
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert client.get("/mon-compte/").status_code == 302


def test_the_lockout_spares_another_account_and_another_address(alpha):
    user, other = _person(alpha), _person(alpha)
    client = alpha.client()
    for _attempt in range(5):
        _password_step(client, user.email, "wrong")

    other_account = _password_step(alpha.client(), other.email)
    other_address = _password_step(alpha.client(REMOTE_ADDR="10.1.2.3"), user.email)

    assert other_account.status_code == 302
    assert other_address.status_code == 302


def test_a_wrong_password_is_refused_in_english(alpha):
    user = _person(alpha)

    response = alpha.client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/connexion/", {"username": user.email, "password": "wrong"}
    )

    assert response.status_code == 400
    assert "Please enter a correct" in response.content.decode()


# Sessions


def test_signing_in_gives_a_new_session_id(alpha):
    user = _person(alpha)
    client = alpha.client()
    client.get("/connexion/")
    client.session.save()
    before = client.session.session_key

    _password_step(client, user.email)

    after = client.cookies["sessionid"].value
    assert after != before
    with alpha.context():
        assert UserSession.objects.get(session_key=after).user_id == user.pk
        assert not UserSession.objects.filter(session_key=before).exists()


def test_signing_out_is_a_post_that_ends_the_session(alpha):
    user = _person(alpha)
    client = alpha.client()
    _password_step(client, user.email)
    key = client.cookies["sessionid"].value

    assert client.get("/deconnexion/").status_code == 405
    response = client.post("/deconnexion/")

    assert response.status_code == 302
    assert client.get("/mon-compte/").status_code == 302
    with alpha.context():
        assert not UserSession.objects.filter(session_key=key).exists()
