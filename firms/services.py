"""Opening a firm: validated input, a provisioned schema, its identity and first administrator.
Then the back-office writes on the firm itself: its staff and its identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum import bic, iban
from stdnum.exceptions import ValidationError as StdnumError

from clients.models import User
from clients.services import (
    email_clean,
    password_set_path,
    phone_clean,
    user_create,
    user_set_active,
)
from clients.validators import siren_clean, vat_clean, vat_for
from firms.models import FirmProfile
from tenants import storage
from tenants.errors import DomainError, NotFound, PermissionDenied
from tenants.models import Firm
from tenants.provisioning import firm_provision, firm_url, slug_check


@dataclass(frozen=True)
class OpenedFirm:
    firm: Firm
    admin: User
    password_link: str
    portal_url: str


def firm_open(
    *,
    name: str,
    slug: str,
    siren: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
    admin_password: str | None = None,
) -> OpenedFirm:
    """Validate everything first, then provision in one transaction: nothing half-made remains."""
    if not name.strip():
        raise DomainError(_("This field is required."), field="name", code="required")
    slug = slug_check(slug)
    try:
        siren = siren_clean(siren)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="siren") from None
    admin_email = email_clean(admin_email, field="admin_email")
    if admin_password is not None:
        _password_check(admin_password, admin_email)

    def populate(firm: Firm) -> tuple[User, str]:
        FirmProfile.objects.create(
            id=1, legal_name=firm.name, siren=siren, vat_number=vat_for(siren)
        )
        admin = user_create(
            email=admin_email,
            password=admin_password,
            first_name=admin_first_name,
            last_name=admin_last_name,
            firm_role=User.FirmRole.ADMIN,
        )
        return admin, password_set_path(admin)

    try:
        firm, (admin, path) = firm_provision(name=name, slug=slug, siren=siren, populate=populate)
    except IntegrityError:
        # Another sign-up took the same address between our check and our insert.
        raise DomainError(_("This address is already taken."), field="slug", code="taken") from None
    return OpenedFirm(
        firm=firm, admin=admin, password_link=firm_url(firm, path), portal_url=firm_url(firm)
    )


def _password_check(password: str, email: str) -> None:
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, User(email=email))
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="password") from None


# The back-office: the firm's staff and its identity. Firm administrators only.


def _require_firm_admin(actor: Any) -> None:
    if not getattr(actor, "is_firm_admin", False) or not actor.is_active:
        raise PermissionDenied(_("Only a firm administrator can do this."))


def _staff_role_check(role: str) -> str:
    if role not in (User.FirmRole.ADMIN, User.FirmRole.ACCOUNTANT):
        raise DomainError(_("Choose a valid role."), field="firm_role")
    return role


def _keep_one_firm_admin(*, leaving: User) -> None:
    others = (
        User.objects.select_for_update()
        .filter(firm_role=User.FirmRole.ADMIN, is_active=True)
        .exclude(pk=leaving.pk)
    )
    if not others.exists():
        raise DomainError(
            _("The firm keeps at least one active administrator."),
            field="firm_role",
            code="last_admin",
        )


def _staff_member(user: User) -> User:
    try:
        return User.objects.select_for_update().exclude(firm_role="").get(pk=user.pk)
    except User.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def staff_invite(
    *, actor: Any, email: str, first_name: str = "", last_name: str = "", firm_role: str
) -> User:
    """A new staff member without a password; a one-time link to choose it is mailed."""
    _require_firm_admin(actor)
    _staff_role_check(firm_role)
    user = user_create(email=email, first_name=first_name, last_name=last_name, firm_role=firm_role)
    link = firm_url(connection.tenant, password_set_path(user))
    firm_name = connection.tenant.name
    with translation.override(user.language):
        subject = gettext("Your access to the back-office of %(firm)s") % {"firm": firm_name}
        body = gettext(
            "Hello,\n\n%(inviter)s gives you access to the back-office of %(firm)s on its "
            "client portal.\n\nChoose your password with this link (usable once):\n%(link)s\n"
        ) % {"inviter": actor.get_full_name() or firm_name, "firm": firm_name, "link": link}
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    )
    return user


@transaction.atomic
def staff_set_role(*, actor: Any, user: User, firm_role: str) -> User:
    _require_firm_admin(actor)
    user = _staff_member(user)
    _staff_role_check(firm_role)
    if user.firm_role == firm_role:
        return user
    if user.pk == actor.pk:
        raise DomainError(_("You cannot change your own role."), field="firm_role", code="self")
    if user.firm_role == User.FirmRole.ADMIN:
        _keep_one_firm_admin(leaving=user)
    user.firm_role = firm_role
    user.is_staff = firm_role == User.FirmRole.ADMIN
    user.save(update_fields=["firm_role", "is_staff"])
    return user


@transaction.atomic
def staff_set_active(*, actor: Any, user: User, active: bool) -> User:
    """Deactivate or reactivate a staff member; their companies stay assigned to them."""
    _require_firm_admin(actor)
    user = _staff_member(user)
    if not active and user.firm_role == User.FirmRole.ADMIN and user.pk != actor.pk:
        _keep_one_firm_admin(leaving=user)
    return user_set_active(actor=actor, user=user, active=active)


PROFILE_FIELDS = frozenset(
    {
        "legal_name",
        "siren",
        "vat_number",
        "legal_form",
        "share_capital",
        "address_line",
        "postal_code",
        "city",
        "iban",
        "bic",
        "rcs_city",
        "payment_terms_days",
        "late_penalty_rate",
        "email",
        "phone",
        "primary_colour",
        "require_2fa",
    }
)
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_MAX_BYTES = 1024 * 1024


@transaction.atomic
def firm_profile_update(*, actor: Any, **changes: Any) -> FirmProfile:
    """Change the firm's identity; every field is checked before anything is saved."""
    _require_firm_admin(actor)
    unknown = sorted(set(changes) - PROFILE_FIELDS)
    if unknown:
        raise DomainError(_("This field cannot be changed."), field=unknown[0])
    profile = FirmProfile.objects.select_for_update().get(pk=1)
    if "legal_name" in changes:
        changes["legal_name"] = str(changes["legal_name"]).strip()
        if not changes["legal_name"]:
            raise DomainError(_("This field is required."), field="legal_name", code="required")
    siren = profile.siren
    if "siren" in changes:
        siren = changes["siren"] = _validated("siren", siren_clean, changes["siren"])
    vat = changes.get("vat_number", profile.vat_number)
    if vat and ("vat_number" in changes or "siren" in changes):
        changes["vat_number"] = _validated("vat_number", vat_clean, vat, siren=siren)
    if changes.get("iban"):
        try:
            changes["iban"] = iban.validate(changes["iban"])
        except StdnumError:
            raise DomainError(
                _("Enter a valid IBAN, such as FR76 3000 6000 0112 3456 7890 189."), field="iban"
            ) from None
    if changes.get("bic"):
        try:
            changes["bic"] = bic.validate(changes["bic"])
        except StdnumError:
            raise DomainError(_("Enter a valid BIC, such as BNPAFRPPXXX."), field="bic") from None
    terms = changes.get("payment_terms_days")
    if terms is not None and not 0 <= int(terms) <= 60:
        raise DomainError(
            _("French law caps payment terms at 60 days."), field="payment_terms_days"
        )
    rate = changes.get("late_penalty_rate")
    if rate is not None and not 0 <= rate <= 100:
        raise DomainError(_("Enter a rate between 0 and 100."), field="late_penalty_rate")
    if changes.get("email"):
        changes["email"] = email_clean(changes["email"])
    if "phone" in changes:
        changes["phone"] = phone_clean(changes["phone"])
    if "primary_colour" in changes:
        if not COLOUR.match(str(changes["primary_colour"])):
            raise DomainError(
                _("Enter a colour as #rrggbb, such as #1d4ed8."), field="primary_colour"
            )
        changes["primary_colour"] = changes["primary_colour"].lower()
    share_capital = changes.get("share_capital")
    if share_capital is not None and share_capital < 0:
        raise DomainError(_("Enter a positive amount."), field="share_capital")
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.save()
    return profile


@transaction.atomic
def firm_logo_set(*, actor: Any, content: bytes) -> FirmProfile:
    """Store the firm's logo (PNG, JPEG or SVG, 1 MB at most, recognised by its content)."""
    _require_firm_admin(actor)
    if len(content) > LOGO_MAX_BYTES:
        raise DomainError(_("The logo must weigh 1 MB at most."), field="logo", code="too_big")
    extension, content_type = _image_kind(content)
    path = f"branding/logo.{extension}"
    profile = FirmProfile.objects.select_for_update().get(pk=1)
    storage.put(path, content, content_type=content_type)
    profile.logo_path = path
    profile.save(update_fields=["logo_path"])
    return profile


def _image_kind(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if _is_plain_svg(content):
        return "svg", "image/svg+xml"
    raise DomainError(
        _("The logo must be a PNG, JPEG or SVG image."), field="logo", code="not_an_image"
    )


def _is_plain_svg(content: bytes) -> bool:
    """An SVG document without scripts, event handlers, entities or external references."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    lowered = text.lower()
    if any(marker in lowered for marker in ("<!doctype", "<!entity", "<script", "foreignobject")):
        return False
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 (no DOCTYPE, so no entities)
    except ElementTree.ParseError:
        return False
    if root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        return False
    for element in root.iter():
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return False
            if local == "href" and not value.startswith("#"):
                return False
    return True


def _validated(field: str, clean, value: str, **kwargs) -> str:
    try:
        return clean(value, **kwargs)
    except ValidationError as error:
        raise DomainError(error.messages[0], field=field, code=error.code or "invalid") from None
