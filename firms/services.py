"""Opening a firm: validated input, a provisioned schema, its identity and first administrator."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _

from clients.models import User
from clients.services import email_clean, password_set_path, user_create
from clients.validators import siren_clean, vat_for
from firms.models import FirmProfile
from tenants.errors import DomainError
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
