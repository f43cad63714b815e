"""Writes on people, companies and memberships: one transaction each.

Area modules beside this one: `account` (Mon compte), `invitations`, `lifecycle` (cancel,
reactivate), `backoffice` (the firm's own management of its clients)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Membership, User, UserSession
from clients.rights import administers_company, editable_company_fields, is_firm_wide
from clients.validators import siren_clean, siret_clean, vat_clean
from entitlements.services import grants_remove_for
from tenants.errors import DomainError, NotFound, PermissionDenied
from webhooks import events


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
    company = Company.objects.create(
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
    events.emit("company.created", events.company(company))
    return company


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


# Changes made by a person or an API key, checked against clients.rights.


@transaction.atomic
def company_update(*, actor: Any, company: Company, **changes: Any) -> Company:
    """Change the fields the actor may edit; any other field is refused, nothing is saved."""
    allowed = editable_company_fields(actor, company)
    if not allowed:
        raise PermissionDenied(_("You cannot change this company."))
    refused = sorted(set(changes) - allowed)
    if refused:
        raise DomainError(
            _("Only the firm can change this field."), field=refused[0], code="read_only"
        )
    company = Company.objects.select_for_update().get(pk=company.pk)
    siren = changes.get("siren", company.siren)
    if "siren" in changes:
        siren = _checked("siren", siren_clean, changes["siren"])
        if Company.objects.filter(siren=siren).exclude(pk=company.pk).exists():
            raise DomainError(
                _("A company with this SIREN already exists in the firm."),
                field="siren",
                code="taken",
            )
        changes["siren"] = siren
    if changes.get("vat_number") or ("siren" in changes and company.vat_number):
        changes["vat_number"] = _checked(
            "vat_number", vat_clean, changes.get("vat_number", company.vat_number), siren=siren
        )
    if changes.get("siret"):
        changes["siret"] = _checked("siret", siret_clean, changes["siret"], siren=siren)
    terms = changes.get("payment_terms_days")
    if terms not in (None, "") and not (str(terms).isdigit() and 0 <= int(terms) <= 60):
        raise DomainError(
            _("French law caps payment terms at 60 days."), field="payment_terms_days"
        )
    if terms == "":
        changes["payment_terms_days"] = None
    if changes.get("billing_email"):
        changes["billing_email"] = email_clean(changes["billing_email"], field="billing_email")
    if "phone" in changes:
        changes["phone"] = phone_clean(changes["phone"])
    if "legal_name" in changes and not str(changes["legal_name"]).strip():
        raise DomainError(_("This field is required."), field="legal_name", code="required")
    if "status" in changes and changes["status"] not in Company.Status.values:
        raise DomainError(_("Choose a valid status."), field="status")
    for field, value in changes.items():
        setattr(company, field, value)
    company.save()
    events.emit("company.updated", events.company(company) | {"changed": sorted(changes)})
    return company


def phone_clean(phone: str, *, field: str = "phone") -> str:
    """A real phone number, stored as E.164; French numbers may be written nationally."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            _("Enter a valid phone number, such as 06 12 34 56 78 or +33 6 12 34 56 78."),
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def user_update(
    *,
    actor: Any,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
) -> User:
    """Name and phone of a person: themselves, the firm, or an administrator of one of
    their companies."""
    if not _may_manage_person(actor, user):
        raise NotFound()
    if first_name is not None:
        user.first_name = first_name.strip()
    if last_name is not None:
        user.last_name = last_name.strip()
    if phone is not None:
        user.phone = phone_clean(phone)
    user.save(update_fields=["first_name", "last_name", "phone"])
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    """Deactivate or reactivate a person. A client administrator may do so only for people
    who belong to no company they do not administer; nobody deactivates themselves."""
    if user.pk == getattr(actor, "pk", None):
        raise DomainError(_("You cannot deactivate your own account."), code="self")
    if not _may_manage_person(actor, user):
        raise NotFound()
    if not is_firm_wide(actor):
        companies = Company.objects.filter(memberships__user=user)
        if not all(administers_company(actor, company) for company in companies):
            raise PermissionDenied(
                _("This person also belongs to companies you do not administer.")
            )
    user.is_active = active
    user.save(update_fields=["is_active"])
    events.emit("person.activated" if active else "person.deactivated", events.person(user))
    if not active:
        UserSession.objects.filter(user=user).delete()
        grants_remove_for(user=user, actor=actor)
    return user


@transaction.atomic
def membership_set(*, actor: Any, user: User, company: Company, role: str) -> Membership:
    """Add `user` to `company` with `role`, or change their role there."""
    if not administers_company(actor, company):
        raise NotFound()
    if role not in Membership.Role.values:
        raise DomainError(_("Choose a valid role."), field="role")
    current = Membership.objects.filter(user=user, company=company).first()
    if current and current.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN:
        _keep_one_admin(company, leaving=user)
    return membership_add(user=user, company=company, role=role)


@transaction.atomic
def membership_remove(*, actor: Any, membership: Membership) -> None:
    if not administers_company(actor, membership.company):
        raise NotFound()
    if membership.role == Membership.Role.ADMIN:
        _keep_one_admin(membership.company, leaving=membership.user)
    membership.delete()
    grants_remove_for(user=membership.user, company=membership.company, actor=actor)


def _keep_one_admin(company: Company, *, leaving: User) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(company=company, role=Membership.Role.ADMIN)
        .exclude(user=leaving)
    )
    if not others.filter(user__is_active=True).exists():
        raise DomainError(
            _("A company keeps at least one client administrator."),
            field="role",
            code="last_admin",
        )


def _may_manage_person(actor: Any, user: User) -> bool:
    if is_firm_wide(actor) or getattr(actor, "pk", None) == user.pk:
        return True
    companies = Company.objects.filter(memberships__user=user)
    return any(administers_company(actor, company) for company in companies)
