"""Mon compte: Informations, e-mail change, password, two-factor enrolment, sessions."""

from __future__ import annotations

import re

import pytest
from django.core import mail, signing
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import User, UserSession
from clients.services.account import email_change_token, session_public_id
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _person(firm, **fields) -> User:
    with firm.context():
        return UserFactory(**fields)


def _signed_in(firm, email: str, **headers):
    client = firm.client(**headers)
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _fresh(firm, user: User) -> User:
    with firm.context():
        return User.objects.get(pk=user.pk)


def _info(**changes) -> dict:
    return {
        "first_name": "Camille",
        "last_name": "Martin",
        "phone": "",
        "language": "fr",
        "notify_invoices": "on",
        "notify_access": "on",
    } | changes


# Informations


def test_mon_compte_shows_the_four_sections_in_french(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.get("/mon-compte/")

    assert response.status_code == 200
    page = response.content.decode()
    for word in ("Mon compte", "Informations", "Mot de passe", "Double authentification"):
        assert word in page
    assert 'href="/mon-compte/sessions/"' in page


def test_home_is_mon_compte_landing(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.get("/")

    assert response.status_code == 200
    assert "frontend/account/index.html" in [t.name for t in response.templates]


def test_anonymous_is_sent_to_sign_in_from_every_account_page(alpha):
    client = alpha.client()
    for path in (
        "/mon-compte/",
        "/mon-compte/informations/",
        "/mon-compte/informations/e-mail/",
        "/mon-compte/mot-de-passe/",
        "/mon-compte/double-authentification/",
        "/mon-compte/double-authentification/activer/",
        "/mon-compte/double-authentification/desactiver/",
        "/mon-compte/sessions/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/connexion/"), path


def test_a_person_saves_name_phone_language_and_notifications(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.post(
        "/mon-compte/informations/",
        _info(first_name="Léa", phone="06 12 34 56 78", language="en", notify_access=""),
    )

    assert response.status_code == 302
    saved = _fresh(alpha, person)
    assert (saved.first_name, saved.last_name, saved.phone) == ("Léa", "Martin", "+33612345678")
    assert saved.language == "en"
    assert (saved.notify_invoices, saved.notify_access) == (True, False)


def test_the_saved_language_is_the_interface_language(alpha):
    person = _person(alpha, language="en")
    client = _signed_in(alpha, person.email, HTTP_ACCEPT_LANGUAGE="fr")

    response = client.get("/mon-compte/informations/")

    assert "My account" in response.content.decode()
    assert response["Content-Language"] == "en"


def test_the_language_button_saves_the_choice_of_a_signed_in_person(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    client.post("/i18n/setlang/", {"language": "en", "next": "/mon-compte/"})

    assert _fresh(alpha, person).language == "en"
    assert "My account" in client.get("/mon-compte/").content.decode()


def test_the_language_button_still_works_for_anonymous_visitors(alpha):
    client = alpha.client()

    client.post("/i18n/setlang/", {"language": "en", "next": "/connexion/"})

    assert "Sign in" in client.get("/connexion/").content.decode()


def test_a_wrong_phone_is_refused_in_french_and_nothing_changes(alpha):
    person = _person(alpha, phone="+33612345678")
    client = _signed_in(alpha, person.email)

    response = client.post("/mon-compte/informations/", _info(first_name="Autre", phone="12"))

    assert response.status_code == 400
    assert "Saisissez un numéro de téléphone valide" in response.content.decode()
    saved = _fresh(alpha, person)
    assert (saved.first_name, saved.phone) == ("Camille", "+33612345678")


def test_a_wrong_phone_is_refused_in_english(alpha):
    person = _person(alpha, language="en")
    client = _signed_in(alpha, person.email)

    response = client.post("/mon-compte/informations/", _info(phone="12", language="en"))

    assert response.status_code == 400
    assert "Enter a valid phone number" in response.content.decode()


def test_an_unknown_language_is_refused(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.post("/mon-compte/informations/", _info(language="de"))

    assert response.status_code == 400
    assert _fresh(alpha, person).language == "fr"


# E-mail change


def _confirm_link(message) -> str:
    return re.search(r"http://[^/\s]+(/mon-compte/e-mail/confirmer/\S+/)", message.body).group(1)


def test_changing_the_email_mails_a_link_to_the_new_address(
    alpha, django_capture_on_commit_callbacks
):
    person = _person(alpha, email="old@example.com")
    client = _signed_in(alpha, person.email)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/mon-compte/informations/e-mail/",
            {"new_email": "New@Example.com", "current_password": PASSWORD},
        )

    assert response.status_code == 302
    saved = _fresh(alpha, person)
    assert (saved.email, saved.pending_email) == ("old@example.com", "new@example.com")
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert alpha.host in mail.outbox[0].body


def test_the_link_swaps_the_address_and_tells_the_old_one(
    alpha, django_capture_on_commit_callbacks
):
    person = _person(alpha, email="before@example.com")
    client = _signed_in(alpha, person.email)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/mon-compte/informations/e-mail/",
            {"new_email": "after@example.com", "current_password": PASSWORD},
        )
    link = _confirm_link(mail.outbox[0])

    anonymous = alpha.client()
    assert anonymous.get(link).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(link)

    assert response.status_code == 302
    saved = _fresh(alpha, person)
    assert (saved.email, saved.pending_email) == ("after@example.com", "")
    assert mail.outbox[-1].to == ["before@example.com"]
    assert anonymous.post(link).status_code == 404  # used once


def test_a_wrong_current_password_changes_nothing(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.post(
        "/mon-compte/informations/e-mail/",
        {"new_email": "other@example.com", "current_password": "wrong"},
    )

    assert response.status_code == 400
    assert "Votre mot de passe est incorrect." in response.content.decode()
    assert _fresh(alpha, person).pending_email == ""
    assert mail.outbox == []


def test_an_email_used_by_another_person_is_refused(alpha):
    _person(alpha, email="taken@example.com")
    person = _person(alpha)
    client = _signed_in(alpha, person.email, HTTP_ACCEPT_LANGUAGE="en")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.post(
        "/mon-compte/informations/e-mail/",
        {"new_email": "TAKEN@example.com", "current_password": PASSWORD},
    )

    assert response.status_code == 400
    assert "Another person already uses this e-mail address." in response.content.decode()
    assert _fresh(alpha, person).pending_email == ""


def test_an_expired_link_does_nothing(alpha, monkeypatch):
    person = _person(alpha, pending_email="late@example.com")
    earlier = signing.time.time() - 3 * 24 * 3600 - 60
    with monkeypatch.context() as patch, alpha.context():
        patch.setattr(signing.time, "time", lambda: earlier)
        token = email_change_token(person)

    response = alpha.client().post(f"/mon-compte/e-mail/confirmer/{token}/")

    assert response.status_code == 404
    assert _fresh(alpha, person).email == person.email


def test_a_tampered_link_does_nothing(alpha):
    person = _person(alpha, pending_email="mine@example.com")
    with alpha.context():
        token = email_change_token(person)
    forged = signing.dumps(
        {"user": person.pk, "email": "mine@example.com"}, salt="clients.email_change:other"
    )

    for bad in (token[:-2] + "xx", forged):
        response = alpha.client().post(f"/mon-compte/e-mail/confirmer/{bad}/")
        assert response.status_code == 404

    assert _fresh(alpha, person).email == person.email


def test_a_link_stops_working_when_another_address_is_asked(alpha):
    person = _person(alpha, pending_email="first@example.com")
    with alpha.context():
        first = email_change_token(person)
        User.objects.filter(pk=person.pk).update(pending_email="second@example.com")

    response = alpha.client().post(f"/mon-compte/e-mail/confirmer/{first}/")

    assert response.status_code == 404
    assert _fresh(alpha, person).email == person.email


def test_an_alpha_link_is_worth_nothing_on_beta(alpha, beta):
    person = _person(alpha, pending_email="cross@example.com")
    with alpha.context():
        token = email_change_token(person)

    response = beta.client().post(f"/mon-compte/e-mail/confirmer/{token}/")

    assert response.status_code == 404
    assert _fresh(alpha, person).pending_email == "cross@example.com"


# Password


def _password(current=PASSWORD, new="Un-Nouveau-Secret-42", again=None) -> dict:
    return {"current_password": current, "new_password1": new, "new_password2": again or new}


def test_changing_the_password_keeps_this_session_and_ends_the_others(alpha):
    person = _person(alpha)
    other_device = _signed_in(alpha, person.email)
    client = _signed_in(alpha, person.email)

    response = client.post("/mon-compte/mot-de-passe/", _password())

    assert response.status_code == 302
    assert client.get("/mon-compte/").status_code == 200
    assert other_device.get("/mon-compte/").status_code == 302
    with alpha.context():
        assert UserSession.objects.filter(user=person).count() == 1
        assert User.objects.get(pk=person.pk).check_password("Un-Nouveau-Secret-42")


def test_a_wrong_current_password_keeps_the_old_password(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.post("/mon-compte/mot-de-passe/", _password(current="nope"))

    assert response.status_code == 400
    assert "Votre mot de passe est incorrect." in response.content.decode()
    assert _fresh(alpha, person).check_password(PASSWORD)


def test_a_weak_new_password_is_refused_in_french(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.post("/mon-compte/mot-de-passe/", _password(new="12345678"))

    assert response.status_code == 400
    assert "Ce mot de passe est trop courant." in response.content.decode()
    assert _fresh(alpha, person).check_password(PASSWORD)


def test_two_different_new_passwords_are_refused_in_english(alpha):
    person = _person(alpha, language="en")
    client = _signed_in(alpha, person.email)

    response = client.post(
        "/mon-compte/mot-de-passe/", _password(new="Un-Nouveau-Secret-42", again="Autre-Chose-77")
    )

    assert response.status_code == 400
    assert "The two passwords are not the same." in response.content.decode()
    assert _fresh(alpha, person).check_password(PASSWORD)


# Two-factor authentication


def _enrol(firm, client, user) -> list[str]:
    client.get("/mon-compte/double-authentification/activer/")
    with firm.context():
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        code = f"{totp(device.bin_key):06d}"
    response = client.post("/mon-compte/double-authentification/activer/", {"code": code})
    assert response.status_code == 200, response.content
    return re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())


def test_enrolment_shows_a_qr_code_and_the_key(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    response = client.get("/mon-compte/double-authentification/activer/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page
    with alpha.context():
        device = TOTPDevice.objects.get(user=person)
    assert not device.confirmed
    from base64 import b32encode

    assert b32encode(device.bin_key).decode()[:4] in page


def test_a_right_code_turns_two_factor_on_and_shows_ten_recovery_codes(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)

    codes = _enrol(alpha, client, person)

    assert len(set(codes)) == 10
    with alpha.context():
        assert TOTPDevice.objects.get(user=person).confirmed
        assert StaticToken.objects.filter(device__user=person).count() == 10


def test_a_wrong_enrolment_code_is_refused_in_french(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)
    client.get("/mon-compte/double-authentification/activer/")

    response = client.post("/mon-compte/double-authentification/activer/", {"code": "000000"})

    assert response.status_code == 400
    assert "Ce code est incorrect" in response.content.decode()
    with alpha.context():
        assert not TOTPDevice.objects.get(user=person).confirmed


def test_regenerating_recovery_codes_replaces_the_old_ones(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)
    old = _enrol(alpha, client, person)

    response = client.post("/mon-compte/double-authentification/codes/")

    new = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    with alpha.context():
        assert sorted(
            StaticToken.objects.filter(device__user=person).values_list("token", flat=True)
        ) == sorted(new)


def test_turning_two_factor_off_asks_the_password(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)
    _enrol(alpha, client, person)

    refused = client.post("/mon-compte/double-authentification/desactiver/", {"password": "x"})
    with alpha.context():
        assert TOTPDevice.objects.filter(user=person).exists()
    done = client.post("/mon-compte/double-authentification/desactiver/", {"password": PASSWORD})

    assert refused.status_code == 400
    assert done.status_code == 302
    with alpha.context():
        assert not TOTPDevice.objects.filter(user=person).exists()
        assert not StaticToken.objects.filter(device__user=person).exists()


# Sessions


def test_sessions_lists_mine_with_this_device(alpha, django_assert_max_num_queries):
    person = _person(alpha)
    _signed_in(alpha, person.email, HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Firefox/130.0")
    client = _signed_in(alpha, person.email, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux) Chrome/1")
    someone_else = _person(alpha)
    _signed_in(alpha, someone_else.email)

    with django_assert_max_num_queries(20):
        response = client.get("/mon-compte/sessions/")

    page = response.content.decode()
    assert page.count("Déconnecter cet appareil") == 2
    assert "Firefox · Windows" in page and "Chrome · Linux" in page
    assert page.count("cet appareil</mark>") == 1
    assert someone_else.email not in page


def test_ending_another_device_keeps_mine(alpha):
    person = _person(alpha)
    other = _signed_in(alpha, person.email)
    other_key = other.cookies["sessionid"].value
    client = _signed_in(alpha, person.email)

    response = client.post(f"/mon-compte/sessions/{session_public_id(other_key)}/fermer/")

    assert response.status_code == 302
    assert other.get("/mon-compte/").status_code == 302
    assert client.get("/mon-compte/").status_code == 200


def test_ending_this_device_signs_me_out(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)
    key = client.cookies["sessionid"].value

    response = client.post(f"/mon-compte/sessions/{session_public_id(key)}/fermer/")

    assert response["Location"] == "/connexion/"
    assert client.get("/mon-compte/").status_code == 302


def test_signing_out_everywhere_ends_all_my_sessions(alpha):
    person = _person(alpha)
    other = _signed_in(alpha, person.email)
    client = _signed_in(alpha, person.email)

    client.post("/mon-compte/sessions/tout-fermer/")

    assert client.get("/mon-compte/").status_code == 302
    assert other.get("/mon-compte/").status_code == 302
    with alpha.context():
        assert not UserSession.objects.filter(user=person).exists()


def test_the_session_of_another_person_cannot_be_ended(alpha):
    victim = _person(alpha)
    victim_client = _signed_in(alpha, victim.email)
    victim_key = victim_client.cookies["sessionid"].value
    client = _signed_in(alpha, _person(alpha).email)

    response = client.post(f"/mon-compte/sessions/{session_public_id(victim_key)}/fermer/")

    assert response.status_code == 404
    with alpha.context():
        assert UserSession.objects.filter(session_key=victim_key).exists()


def test_from_beta_alphas_sessions_and_people_are_out_of_reach(alpha, beta):
    person = _person(alpha)
    alpha_client = _signed_in(alpha, person.email)
    alpha_key = alpha_client.cookies["sessionid"].value
    beta_client = _signed_in(beta, beta.admin_email)

    ended = beta_client.post(f"/mon-compte/sessions/{session_public_id(alpha_key)}/fermer/")
    listed = beta_client.get("/mon-compte/sessions/")

    assert ended.status_code == 404
    assert person.email not in listed.content.decode()
    with alpha.context():
        assert UserSession.objects.filter(session_key=alpha_key).exists()


def test_an_expired_session_row_is_no_longer_a_session(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)
    key = client.cookies["sessionid"].value
    with alpha.context():
        UserSession.objects.filter(session_key=key).update(
            expire_date=timezone.now() - timezone.timedelta(seconds=1)
        )

    response = client.get("/mon-compte/")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_anonymous_posts_end_no_session(alpha):
    person = _person(alpha)
    client = _signed_in(alpha, person.email)
    key = client.cookies["sessionid"].value
    anonymous = alpha.client()

    ended_one = anonymous.post(f"/mon-compte/sessions/{session_public_id(key)}/fermer/")
    ended_all = anonymous.post("/mon-compte/sessions/tout-fermer/")

    assert ended_one.status_code == ended_all.status_code == 302
    assert ended_all["Location"].startswith("/connexion/")
    with alpha.context():
        assert UserSession.objects.filter(session_key=key).exists()
