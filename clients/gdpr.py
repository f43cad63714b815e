"""One person's data, as the GDPR's right of access (article 15) asks: everything the firm's
portal holds about them, and nothing about anyone else, without any secret."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Invitation, Membership, User, UserSession
from clients.services.account import session_public_id
from entitlements.models import (
    AuditEvent,
    CompanyUserObjectPermission,
    SubscriptionUserObjectPermission,
)
from tenants.errors import NotFound

PROFILE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "language",
    "firm_role",
    "pending_email",
    "is_active",
    "date_joined",
    "last_login",
)


def person_data(user: User) -> dict[str, Any]:
    """Everything about `user`, read in the firm in force."""
    return {
        "exported_at": timezone.now(),
        "profile": {field: getattr(user, field) for field in PROFILE_FIELDS},
        "notification_preferences": {
            "notify_invoices": user.notify_invoices,
            "notify_access": user.notify_access,
        },
        "two_factor": _two_factor(user),
        "memberships": [
            {
                "company": membership.company.legal_name,
                "company_siren": membership.company.siren,
                "role": membership.role,
                "since": membership.created_at,
            }
            for membership in Membership.objects.filter(user=user)
            .select_related("company")
            .order_by("company__legal_name", "pk")
        ],
        "application_grants": [
            {
                "company": grant.content_object.company.legal_name,
                "application": grant.content_object.application.name,
                "permission": grant.permission.codename,
            }
            for grant in SubscriptionUserObjectPermission.objects.filter(user=user)
            .select_related("permission", "content_object__company", "content_object__application")
            .order_by("content_object__company__legal_name", "content_object__application__name")
        ],
        "company_rights": [
            {"company": right.content_object.legal_name, "right": right.permission.codename}
            for right in CompanyUserObjectPermission.objects.filter(user=user)
            .select_related("permission", "content_object")
            .order_by("content_object__legal_name", "permission__codename")
        ],
        "sessions": [
            {
                "id": session_public_id(session.session_key),
                "ip": session.ip,
                "user_agent": session.user_agent,
                "last_activity": session.last_activity,
                "expires": session.expire_date,
            }
            for session in UserSession.objects.filter(user=user).order_by("-last_activity")
        ],
        "audit_events": [
            {
                "at": event.at,
                "action": event.action,
                "company": event.company.legal_name,
                "application": event.subscription.application.name if event.subscription else None,
                "by_me": event.actor_id == user.pk,
                "about_me": event.target_user_id == user.pk,
                "actor": _actor(event, user),
                "ip": event.ip if event.actor_id == user.pk else None,
            }
            for event in AuditEvent.objects.filter(Q(actor=user) | Q(target_user=user))
            .select_related("company", "subscription__application", "actor")
            .order_by("at", "pk")
        ],
        "invitations": [
            {
                "companies": sorted(company.legal_name for company in invitation.companies.all()),
                "role": invitation.role,
                "first_name": invitation.first_name,
                "last_name": invitation.last_name,
                "invited_at": invitation.created_at,
                "expires_at": invitation.expires_at,
                "accepted_at": invitation.accepted_at,
                "revoked_at": invitation.revoked_at,
            }
            for invitation in Invitation.objects.filter(email__iexact=user.email)
            .prefetch_related("companies")
            .order_by("created_at", "pk")
        ],
    }


def _actor(event: AuditEvent, user: User) -> str:
    """Who acted, as a kind of person: the others' identity is their data, not this one's."""
    if event.actor_id == user.pk:
        return "me"
    if event.actor is None:
        return "other"  # an integration, or an account since deleted
    return "firm_staff" if event.actor.is_firm_staff else "another_person"


def _two_factor(user: User) -> dict[str, Any]:
    """Which second factors exist and when they were last used; never their secrets."""
    return {
        "authenticator_apps": [
            {"name": device.name, "confirmed": device.confirmed, "last_used": _used(device)}
            for device in TOTPDevice.objects.filter(user=user).order_by("pk")
        ],
        "recovery_codes_left": sum(
            device.token_set.count() for device in StaticDevice.objects.filter(user=user)
        ),
    }


def _used(device: Any) -> datetime.datetime | None:
    return getattr(device, "last_used_at", None)


def person_data_json(user: User) -> str:
    return json.dumps(person_data(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def person_by_email(email: str) -> User:
    """The person of the firm in force with this e-mail address; missing: NotFound."""
    try:
        return User.objects.get(email__iexact=email.strip())
    except User.DoesNotExist:
        raise NotFound(field="email") from None
