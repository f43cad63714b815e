"""Writes on people, companies and memberships: one transaction each.

Area modules beside this one: `account` (Mon compte), `invitations`, `lifecycle` (cancel,
reactivate), `backoffice` (the firm's own management of its clients)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Membership, User
from clients.validators import siren_clean, siret_clean, vat_clean
from tenants.errors import DomainError


def _checked(field: str, clean, value: str, **kwargs) -> str:
    try:
        return clean(value, **kwargs)
    except ValidationError as error:
        raise DomainError(error.messages[0], field=field, code=error.code or "invalid") from None


def email_clean(email: str, *, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address."), field=field) from None
    return email


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    language: str = User.Language.FR,
    firm_role: str = User.FirmRole.NONE,
) -> User:
    email = email_clean(email)
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            _("A person with this e-mail address already exists."), field="email", code="taken"
        )
    return User.objects.create_user(
        email,
        password,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=language,
        firm_role=firm_role,
        is_staff=firm_role == User.FirmRole.ADMIN,
    )


@transaction.atomic
def company_create(
    *,
    legal_name: str,
    siren: str,
    vat_number: str = "",
    siret: str = "",
    legal_form: str = "",
    share_capital: Decimal | None = None,
    address_line: str = "",
    postal_code: str = "",
    city: str = "",
    billing_email: str = "",
    phone: str = "",
    status: str = Company.Status.ACTIVE,
) -> Company:
    if not legal_name.strip():
        raise DomainError(_("This field is required."), field="legal_name", code="required")
    siren = _checked("siren", siren_clean, siren)
    if Company.objects.filter(siren=siren).exists():
        raise DomainError(
            _("A company with this SIREN already exists in the firm."), field="siren", code="taken"
        )
    return Company.objects.create(
        legal_name=legal_name.strip(),
        siren=siren,
        siret=_checked("siret", siret_clean, siret, siren=siren) if siret else "",
        vat_number=_checked("vat_number", vat_clean, vat_number, siren=siren) if vat_number else "",
        legal_form=legal_form,
        share_capital=share_capital,
        address_line=address_line,
        postal_code=postal_code,
        city=city,
        billing_email=email_clean(billing_email, field="billing_email") if billing_email else "",
        phone=phone,
        status=status,
    )


@transaction.atomic
def membership_add(*, user: User, company: Company, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise DomainError(_("Choose a valid role."), field="role")
    membership, _created = Membership.objects.update_or_create(
        user=user, company=company, defaults={"role": role}
    )
    return membership


def password_set_path(user: User) -> str:
    """The path of a one-time link that lets `user` choose a password.

    Django's token covers the password hash and last login: it stops working once used.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return reverse(
        "frontend:password_set",
        urlconf="saas.urls_tenant",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
