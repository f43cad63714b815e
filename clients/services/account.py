"""Mon compte: a person's own details, e-mail change, password, two-factor devices and
sessions. Every write is one transaction; mails leave only once it has committed."""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import User, UserSession
from clients.services import email_clean, user_update
from tenants.errors import DomainError, NotFound

EMAIL_LINK_MAX_AGE = 60 * 60 * 24 * 3
RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "recovery"


# Informations


@transaction.atomic
def account_update(
    *,
    actor: User,
    first_name: str,
    last_name: str,
    phone: str,
    language: str,
    notify_invoices: bool,
    notify_access: bool,
) -> User:
    """A person's own name, phone, interface language and notification choices."""
    if language not in User.Language.values:
        raise DomainError(_("Choose a valid language."), field="language")
    user = User.objects.select_for_update().get(pk=actor.pk)
    user_update(actor=user, user=user, first_name=first_name, last_name=last_name, phone=phone)
    user.language = language
    user.notify_invoices = notify_invoices
    user.notify_access = notify_access
    user.save(update_fields=["language", "notify_invoices", "notify_access"])
    return user


@transaction.atomic
def user_language_set(*, actor: User, language: str) -> None:
    if language in User.Language.values:
        User.objects.filter(pk=actor.pk).update(language=language)
        actor.language = language


def _password_check(user: User, password: str, *, field: str = "current_password") -> None:
    if not user.check_password(password or ""):
        raise DomainError(_("Your password is not correct."), field=field, code="wrong_password")


# E-mail change


def _email_salt() -> str:
    # The schema is part of the salt: a link made for one firm is worth nothing on another.
    return f"clients.email_change:{connection.schema_name}"


def email_change_token(user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.pending_email}, salt=_email_salt())


@transaction.atomic
def email_change_request(*, actor: User, new_email: str, password: str, site_url: str) -> User:
    """Remember the new address and mail it a link (3 days, used once) that confirms it."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    _password_check(user, password)
    new_email = email_clean(new_email, field="new_email")
    if new_email == user.email.lower():
        raise DomainError(
            _("This is already your e-mail address."), field="new_email", code="unchanged"
        )
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise DomainError(
            _("Another person already uses this e-mail address."), field="new_email", code="taken"
        )
    user.pending_email = new_email
    user.save(update_fields=["pending_email"])
    link = site_url.rstrip("/") + reverse(
        "account:email_confirm",
        urlconf="saas.urls_tenant",
        kwargs={"token": email_change_token(user)},
    )
    with translation.override(user.language):
        subject = _g("Confirm your new e-mail address")
        body = _g(
            "Hello,\n\nTo use this address for your client space, open this link within "
            "3 days:\n\n%(link)s\n\nIf you did not ask for this change, ignore this message."
        ) % {"link": link}
    transaction.on_commit(lambda: send_mail(subject, body, None, [new_email]))
    return user


def email_change_user(token: str) -> User:
    """The person a confirmation link is for, while it is still valid; else NotFound."""
    try:
        data = signing.loads(token, salt=_email_salt(), max_age=EMAIL_LINK_MAX_AGE)
        user = User.objects.get(pk=int(data["user"]), is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError):
        raise NotFound() from None
    if not user.pending_email or user.pending_email.lower() != str(data["email"]).lower():
        raise NotFound()
    return user


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    user = email_change_user(token)
    user = User.objects.select_for_update().get(pk=user.pk)
    email_change_user(token)  # again, under the lock: a link works once
    new_email, old_email = user.pending_email.lower(), user.email
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise DomainError(
            _("Another person already uses this e-mail address."), field="new_email", code="taken"
        )
    user.email = new_email
    user.pending_email = ""
    user.save(update_fields=["email", "pending_email"])
    with translation.override(user.language):
        subject = _g("Your e-mail address was changed")
        body = _g(
            "Hello,\n\nThe e-mail address of your client space is now %(email)s.\n\n"
            "If you did not make this change, contact your accounting firm at once."
        ) % {"email": new_email}
    transaction.on_commit(lambda: send_mail(subject, body, None, [old_email]))
    return user


@transaction.atomic
def email_change_cancel(*, actor: User) -> None:
    User.objects.filter(pk=actor.pk).update(pending_email="")


# Password


@transaction.atomic
def password_change(*, actor: User, current_password: str, new_password: str) -> User:
    """Check the current password and the validators, then set the new one. The caller keeps
    its own session (`update_session_auth_hash`) and ends the others (`sessions_end_others`)."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    _password_check(user, current_password)
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="new_password1", code="weak") from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    actor.password = user.password
    return user


# Two-factor authentication


def totp_device(user: User, *, confirmed: bool | None = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    return devices.order_by("-pk").first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps let you type it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_enrol_start(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed authenticator; one left half-done before is replaced."""
    if has_two_factor(actor):
        raise DomainError(_("Two-factor authentication is already on."), code="already_on")
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="authenticator", confirmed=False)


@transaction.atomic
def totp_enrol_confirm(*, actor: User, code: str) -> list[str]:
    """The first right code switches the device on; the recovery codes are returned once."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=actor, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise NotFound()
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6) or not device.verify_token(code):
        raise DomainError(
            _("This code is not correct: enter the 6 digits your app shows now."),
            field="code",
            code="wrong_code",
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return _recovery_codes_new(actor)


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    if not has_two_factor(actor):
        raise DomainError(_("Two-factor authentication is off."), code="off")
    return _recovery_codes_new(actor)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_DEVICE_NAME, device__confirmed=True
    ).count()


def _recovery_codes_new(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_disable(*, actor: User, password: str) -> None:
    from firms.models import FirmProfile

    _password_check(actor, password, field="password")
    if two_factor_required(actor, FirmProfile.objects.filter(pk=1).first()):
        raise DomainError(
            _("Your firm requires two-factor authentication: it cannot be turned off."),
            field="password",
            code="required",
        )
    TOTPDevice.objects.filter(user=actor).delete()
    StaticDevice.objects.filter(user=actor).delete()


def two_factor_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts `code` (the authenticator's 6 digits or a recovery code, which
    is then used up), or None."""
    code = "".join((code or "").split()).lower()
    if not code:
        return None
    return match_token(user, code)


def two_factor_required(user: User, profile) -> bool:
    """The firm asks its staff and client administrators for a second factor."""
    from clients.selectors import is_client_admin

    if profile is None or not profile.require_2fa:
        return False
    return user.is_firm_staff or is_client_admin(user)


# Sessions


@dataclass(frozen=True)
class SessionRow:
    id: str
    browser: str
    ip: str | None
    last_activity: datetime
    current: bool


def session_public_id(session_key: str) -> str:
    """What a page shows for a session: never its key, which is the cookie itself."""
    return salted_hmac("clients.session", session_key).hexdigest()[:20]


def sessions_of(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, expire_date__gt=timezone.now()).order_by(
        "-last_activity"
    )


def session_rows(user: User, *, current_key: str | None) -> list[SessionRow]:
    return [
        SessionRow(
            id=session_public_id(session.session_key),
            browser=browser_name(session.user_agent),
            ip=session.ip,
            last_activity=session.last_activity,
            current=session.session_key == current_key,
        )
        for session in sessions_of(user).only("session_key", "user_agent", "ip", "last_activity")
    ]


@transaction.atomic
def session_end(*, actor: User, session_id: str) -> str:
    """End one of my sessions, found by its public id; returns its key. Not mine: NotFound."""
    for key in sessions_of(actor).values_list("session_key", flat=True):
        if constant_time_compare(session_public_id(key), session_id):
            UserSession.objects.filter(user=actor, session_key=key).delete()
            return key
    raise NotFound()


@transaction.atomic
def sessions_end_others(*, actor: User, keep_session_key: str | None) -> int:
    deleted, _rows = (
        UserSession.objects.filter(user=actor).exclude(session_key=keep_session_key).delete()
    )
    return deleted


@transaction.atomic
def sessions_end_all(*, actor: User) -> int:
    deleted, _rows = UserSession.objects.filter(user=actor).delete()
    return deleted


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def browser_name(user_agent: str) -> str:
    """'Firefox · Windows' from a User-Agent header, or a plain word when it is unknown."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part) or str(_("Unknown browser"))
