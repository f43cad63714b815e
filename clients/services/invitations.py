"""Invitations: a client administrator (or the firm) invites a person to companies; the link
is valid 7 days, used once, and only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Invitation, Membership, User
from clients.rights import administers_company
from clients.services import email_clean, membership_add
from tenants.errors import DomainError, NotFound
from tenants.provisioning import firm_url
from webhooks import events

VALIDITY = timedelta(days=7)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_path(token: str) -> str:
    return reverse("people:invitation_accept", urlconf="saas.urls_tenant", kwargs={"token": token})


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.expires_at = timezone.now() + VALIDITY
    return token


def _mail_on_commit(invitation: Invitation, link: str, actor: Any) -> None:
    firm = connection.tenant
    companies = ", ".join(company.legal_name for company in invitation.companies.all())
    inviter = actor.get_full_name() if isinstance(actor, User) else ""
    with translation.override("fr"):
        subject = gettext("Invitation to the client portal of %(firm)s") % {"firm": firm.name}
        body = gettext(
            "Hello,\n\n%(inviter)s invites you to join %(companies)s on the client portal of "
            "%(firm)s.\n\nTo accept, choose your password with this link, valid 7 days and "
            "usable once:\n%(link)s\n\nIf you were not expecting this invitation, ignore this "
            "message.\n"
        ) % {
            "inviter": inviter or firm.name,
            "companies": companies,
            "firm": firm.name,
            "link": link,
        }
    recipient = invitation.email
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    )


@transaction.atomic
def invitation_send(
    *,
    actor: Any,
    email: str,
    companies: list[Company],
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    if not companies:
        raise DomainError(_("Choose at least one company."), field="companies", code="required")
    if not all(administers_company(actor, company) for company in companies):
        raise NotFound()
    email = email_clean(email)
    if role not in Membership.Role.values:
        raise DomainError(_("Choose a valid role."), field="role")
    already = Membership.objects.filter(user__email__iexact=email, company__in=companies).count()
    if already >= len({company.pk for company in companies}):
        raise DomainError(
            _("This person already belongs to these companies."), field="email", code="member"
        )
    invitation = Invitation(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        invited_by=actor if isinstance(actor, User) else None,
    )
    token = _new_token(invitation)
    invitation.save()
    invitation.companies.set(companies)
    invitation.link = firm_url(connection.tenant, invitation_path(token))
    _mail_on_commit(invitation, invitation.link, actor)
    events.emit("person.invited", events.invitation(invitation, companies))
    return invitation


def _check_may_manage(actor: Any, invitation: Invitation) -> None:
    if not all(administers_company(actor, company) for company in invitation.companies.all()):
        raise NotFound()


@transaction.atomic
def invitation_resend(*, actor: Any, invitation: Invitation) -> Invitation:
    """A new link, valid 7 more days; the previous one stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_may_manage(actor, invitation)
    if invitation.accepted_at or invitation.revoked_at:
        raise DomainError(_("This invitation is no longer pending."), code="closed")
    token = _new_token(invitation)
    invitation.save(update_fields=["token_hash", "expires_at"])
    invitation.link = firm_url(connection.tenant, invitation_path(token))
    _mail_on_commit(invitation, invitation.link, actor)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_may_manage(actor, invitation)
    if invitation.accepted_at:
        raise DomainError(_("This invitation was already accepted."), code="closed")
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitations_pending_for(actor: User) -> list[Invitation]:
    """Pending invitations to companies `actor` administers (and to none they don't)."""
    from clients.selectors import companies_administered_by

    mine = set(companies_administered_by(actor).values_list("pk", flat=True))
    invitations = (
        Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, companies__in=mine
        )
        .distinct()
        .prefetch_related("companies")
    )
    return [i for i in invitations if {c.pk for c in i.companies.all()} <= mine]


def access_invitation_as_admin(actor: User, invitation_id: int | str) -> Invitation:
    try:
        pk = int(invitation_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    for invitation in invitations_pending_for(actor):
        if invitation.pk == pk:
            return invitation
    raise NotFound()


def invitation_by_token(token: str, *, for_update: bool = False) -> Invitation:
    """The pending invitation of this link, or a DomainError on `token` saying why not."""
    invitations = Invitation.objects.all()
    if for_update:
        invitations = invitations.select_for_update()
    invitation = invitations.filter(token_hash=token_hash(token or "")).first()
    if invitation is None:
        raise DomainError(
            _("This invitation link is not valid. Ask for a new one."),
            field="token",
            code="unknown",
        )
    if invitation.revoked_at:
        raise DomainError(
            _("This invitation was cancelled. Ask for a new one."), field="token", code="revoked"
        )
    if invitation.accepted_at:
        raise DomainError(
            _("This invitation was already used. Sign in with your e-mail address."),
            field="token",
            code="used",
        )
    if invitation.expires_at <= timezone.now():
        raise DomainError(
            _("This invitation has expired. Ask for a new one."), field="token", code="expired"
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    invitation = invitation_by_token(token, for_update=True)
    first_name = (first_name or invitation.first_name).strip()
    last_name = (last_name or invitation.last_name).strip()
    user = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if user is None or not user.has_usable_password():
        candidate = user or User(email=invitation.email, first_name=first_name, last_name=last_name)
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as error:
            raise DomainError(error.messages[0], field="password", code="password") from None
    if user is None:
        user = User.objects.create_user(
            invitation.email, password, first_name=first_name, last_name=last_name
        )
    else:
        if not user.is_active:
            raise DomainError(
                _("Your account is deactivated. Contact your administrator."),
                field="token",
                code="inactive",
            )
        if not user.has_usable_password():
            user.set_password(password)
        elif not user.check_password(password):
            # Whoever holds the link must not take over an existing account.
            raise DomainError(
                _("You already have an account: enter its password."),
                field="password",
                code="wrong_password",
            )
        user.first_name = user.first_name or first_name
        user.last_name = user.last_name or last_name
        user.save()
    for company in invitation.companies.all():
        current = Membership.objects.filter(user=user, company=company).first()
        if current is None or current.role != Membership.Role.ADMIN:
            membership_add(user=user, company=company, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    events.emit("person.activated", events.person(user, invitation_id=invitation.pk))
    return user
