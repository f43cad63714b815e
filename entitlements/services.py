"""Writes of the catalogue, subscriptions and access grants. Every subscription change and
every grant or revoke is recorded in the audit trail with its actor and address.

Who may do what:
- the catalogue: firm administrators and API keys;
- subscriptions: the firm's staff in charge of the company (`manages_company`);
- application accesses: the firm's staff in charge, the company's client administrators, and
  people explicitly granted `manage_accesses` on the company (not for sensitive
  applications: a collaborator gets a bank or payroll access only from an administrator);
- company-level rights: the firm's staff in charge and the company's client administrators.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Membership, User
from clients.rights import administers_company, is_firm_wide, manages_company
from entitlements.models import (
    COMPANY_RIGHTS,
    USE_SUBSCRIPTION,
    Application,
    AuditEvent,
    CompanyUserObjectPermission,
    Subscription,
    SubscriptionGroupObjectPermission,
    SubscriptionUserObjectPermission,
    launch_secret_new,
)
from entitlements.selectors import has_company_right
from tenants.errors import DomainError, NotFound, PermissionDenied
from webhooks import events

APPLICATION_FIELDS = frozenset(
    {
        "name",
        "description",
        "icon",
        "category",
        "launch_url",
        "is_sensitive",
        "pricing",
        "price_excl_vat",
        "vat_rate",
        "is_active",
    }
)
SUBSCRIPTION_FIELDS = frozenset({"status", "seat_limit", "price_override", "start_date"})


# --- helpers -------------------------------------------------------------------------------


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if getattr(actor, "key", None) is not None:
        return str(actor)
    return getattr(actor, "email", "") or str(actor)


def _audit(
    *,
    actor: Any,
    ip: str | None,
    action: str,
    company: Company,
    subscription: Subscription | None = None,
    target_user: User | None = None,
    **details: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        actor_label=actor_label(actor),
        ip=ip or None,
        action=action,
        company=company,
        subscription=subscription,
        target_user=target_user,
        details=details,
    )


def _use_permission() -> Permission:
    return Permission.objects.get(
        content_type__app_label="entitlements",
        content_type__model="subscription",
        codename=USE_SUBSCRIPTION,
    )


def _company_permission(codename: str) -> Permission:
    if codename not in COMPANY_RIGHTS:
        raise DomainError(_("Choose a valid right."), field="codename")
    return Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Company), codename=codename
    )


def _role_in(user: User, company: Company) -> str | None:
    return (
        Membership.objects.filter(user=user, company=company).values_list("role", flat=True).first()
    )


def _decimal(value: Any, *, field: str, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise DomainError(_("This field is required."), field=field)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not number.is_finite() or number < 0:
        raise DomainError(_("Enter a positive amount."), field=field)
    return number.quantize(Decimal("0.01"))


def _seat_limit(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number."), field="seat_limit") from None
    if number < 0:
        raise DomainError(_("Enter a positive number."), field="seat_limit")
    return number


def _seats_taken_now(limit: int) -> str:
    return gettext("All the seats of this application are taken (%(limit)s).") % {"limit": limit}


_seats_taken = lazy(_seats_taken_now, str)


def _seats_used(subscription: Subscription) -> int:
    return SubscriptionUserObjectPermission.objects.filter(content_object=subscription).count()


# --- catalogue -----------------------------------------------------------------------------


def _application_check(application: Application) -> None:
    if not application.name.strip():
        raise DomainError(_("This field is required."), field="name")
    if application.category not in Application.Category.values:
        raise DomainError(_("Choose a valid category."), field="category")
    if application.pricing not in Application.Pricing.values:
        raise DomainError(_("Choose a valid pricing."), field="pricing")
    application.price_excl_vat = _decimal(application.price_excl_vat, field="price_excl_vat")
    application.vat_rate = _decimal(application.vat_rate, field="vat_rate")
    if application.vat_rate > 100:
        raise DomainError(_("Enter a rate between 0 and 100."), field="vat_rate")
    if application.launch_url and not application.launch_url.startswith("https://"):
        raise DomainError(_("Enter an https:// address."), field="launch_url")


@transaction.atomic
def application_create(*, actor: Any, name: str, **fields: Any) -> Application:
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators manage the catalogue."))
    unknown = set(fields) - APPLICATION_FIELDS
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}")
    application = Application(name=name.strip(), **fields)
    _application_check(application)
    application.save()
    return application


@transaction.atomic
def application_update(*, actor: Any, application: Application, **changes: Any) -> Application:
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators manage the catalogue."))
    unknown = set(changes) - APPLICATION_FIELDS
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(application, field, value.strip() if field == "name" else value)
    _application_check(application)
    application.save(update_fields=list(changes) or None)
    return application


@transaction.atomic
def application_secret_rotate(*, actor: Any, application: Application) -> Application:
    """A new launch secret: tokens signed with the old one no longer verify."""
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators manage the catalogue."))
    application.launch_secret = launch_secret_new()
    application.save(update_fields=["launch_secret"])
    return application


# --- subscriptions -------------------------------------------------------------------------


def _may_manage_subscriptions(actor: Any, company: Company) -> None:
    if manages_company(actor, company):
        return
    if administers_company(actor, company):
        raise PermissionDenied(_("Only the firm configures the applications of a company."))
    raise NotFound()


@transaction.atomic
def subscription_create(
    *,
    actor: Any,
    company: Company,
    application: Application,
    start_date: datetime.date,
    seat_limit: int | None = None,
    price_override: Decimal | None = None,
    ip: str | None = None,
) -> Subscription:
    _may_manage_subscriptions(actor, company)
    if not application.is_active:
        raise DomainError(_("This application is no longer offered."), field="application")
    if start_date is None:
        raise DomainError(_("This field is required."), field="start_date")
    # Serialise concurrent configurations of the same company.
    Company.objects.select_for_update().filter(pk=company.pk).first()
    if (
        Subscription.objects.filter(company=company, application=application)
        .exclude(status=Subscription.Status.ENDED)
        .exists()
    ):
        raise DomainError(
            _("This application is already configured on this company."),
            field="application",
            code="duplicate",
        )
    subscription = Subscription.objects.create(
        company=company,
        application=application,
        start_date=start_date,
        seat_limit=_seat_limit(seat_limit),
        price_override=_decimal(price_override, field="price_override", allow_none=True),
    )
    _audit(
        actor=actor,
        ip=ip,
        action=AuditEvent.Action.SUBSCRIPTION_CREATED,
        company=company,
        subscription=subscription,
        application=application.name,
        start_date=start_date.isoformat(),
        seat_limit=subscription.seat_limit,
        price_override=str(subscription.price_override)
        if subscription.price_override is not None
        else None,
    )
    events.emit("subscription.changed", events.subscription(subscription, "created"))
    return subscription


def _locked(subscription: Subscription) -> Subscription:
    return Subscription.objects.select_for_update().get(pk=subscription.pk)


@transaction.atomic
def subscription_update(
    *, actor: Any, subscription: Subscription, ip: str | None = None, **changes: Any
) -> Subscription:
    """Suspend or reactivate, change the seat limit, the price override or the start date.
    Ending goes through `subscription_end`."""
    _may_manage_subscriptions(actor, subscription.company)
    unknown = set(changes) - SUBSCRIPTION_FIELDS
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}")
    current = _locked(subscription)
    if current.status == Subscription.Status.ENDED:
        raise DomainError(_("This subscription has ended."), code="ended")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if "status" in changes:
        status = changes["status"]
        if status not in (Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED):
            raise DomainError(_("Choose a valid status."), field="status")
        before["status"], current.status = current.status, status
    if "seat_limit" in changes:
        seat_limit = _seat_limit(changes["seat_limit"])
        if seat_limit is not None and seat_limit < _seats_used(current):
            raise DomainError(
                _("More people already use this application: revoke some accesses first."),
                field="seat_limit",
                code="seat_limit",
            )
        before["seat_limit"], current.seat_limit = current.seat_limit, seat_limit
    if "price_override" in changes:
        price = _decimal(changes["price_override"], field="price_override", allow_none=True)
        before["price_override"], current.price_override = current.price_override, price
    if "start_date" in changes:
        if changes["start_date"] is None:
            raise DomainError(_("This field is required."), field="start_date")
        before["start_date"], current.start_date = current.start_date, changes["start_date"]
    current.save(update_fields=list(before) or None)
    for field in before:
        after[field] = getattr(current, field)
    _audit(
        actor=actor,
        ip=ip,
        action=AuditEvent.Action.SUBSCRIPTION_CHANGED,
        company=current.company,
        subscription=current,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    events.emit("subscription.changed", events.subscription(current, "updated"))
    return current


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if value is None or isinstance(value, (int, str, bool)) else str(value)
        for key, value in values.items()
    }


@transaction.atomic
def subscription_end(
    *,
    actor: Any,
    subscription: Subscription,
    end_date: datetime.date,
    ip: str | None = None,
) -> Subscription:
    """End the subscription and remove every access to it, in the same transaction."""
    _may_manage_subscriptions(actor, subscription.company)
    current = _locked(subscription)
    if current.status == Subscription.Status.ENDED:
        raise DomainError(_("This subscription has already ended."), code="ended")
    if end_date is None:
        raise DomainError(_("This field is required."), field="end_date")
    if end_date < current.start_date:
        raise DomainError(_("The end date is before the start date."), field="end_date")
    users = list(
        SubscriptionUserObjectPermission.objects.filter(content_object=current).values_list(
            "user_id", flat=True
        )
    )
    SubscriptionUserObjectPermission.objects.filter(content_object=current).delete()
    SubscriptionGroupObjectPermission.objects.filter(content_object=current).delete()
    current.status = Subscription.Status.ENDED
    current.end_date = end_date
    current.save(update_fields=["status", "end_date"])
    _audit(
        actor=actor,
        ip=ip,
        action=AuditEvent.Action.SUBSCRIPTION_ENDED,
        company=current.company,
        subscription=current,
        end_date=end_date.isoformat(),
        revoked_user_ids=sorted(users),
    )
    events.emit("subscription.changed", events.subscription(current, "ended"))
    return current


# --- application accesses ------------------------------------------------------------------


def _may_grant(actor: Any, company: Company, application: Application) -> None:
    """Raise unless `actor` may switch accesses to `application` in `company`."""
    if administers_company(actor, company):
        return
    if not (isinstance(actor, User) and actor.is_active and _role_in(actor, company)):
        raise NotFound()
    if application.is_sensitive or not has_company_right(actor, company, "manage_accesses"):
        raise PermissionDenied(_("Only a client administrator can change accesses."))


@transaction.atomic
def grant_access(
    *, actor: Any, user: User, subscription: Subscription, ip: str | None = None
) -> bool:
    """Let `user` use the application of `subscription`. Returns False when they already
    could. Sensitive applications are granted to a collaborator only explicitly by an
    administrator (never by `grant_defaults`)."""
    company = subscription.company
    application = subscription.application
    _may_grant(actor, company, application)
    current = _locked(subscription)  # seats are counted under this lock: race-safe
    if current.status != Subscription.Status.ACTIVE:
        raise DomainError(
            _("The company does not subscribe to this application."), code="not_subscribed"
        )
    if not user.is_active or _role_in(user, company) is None:
        raise DomainError(
            _("This person is not a member of the company."), field="user", code="not_member"
        )
    permission = _use_permission()
    if SubscriptionUserObjectPermission.objects.filter(
        user=user, content_object=current, permission=permission
    ).exists():
        return False
    if current.seat_limit is not None and _seats_used(current) >= current.seat_limit:
        raise DomainError(_seats_taken(current.seat_limit), code="seat_limit")
    SubscriptionUserObjectPermission.objects.create(
        user=user, content_object=current, permission=permission
    )
    _audit(
        actor=actor,
        ip=ip,
        action=AuditEvent.Action.GRANT_CREATED,
        company=company,
        subscription=current,
        target_user=user,
        application=application.name,
    )
    events.emit("grant.created", events.grant(user=user, subscription=current))
    return True


@transaction.atomic
def grant_defaults(
    *, actor: Any, user: User, company: Company, ip: str | None = None
) -> list[Subscription]:
    """Grant every active, non-sensitive application of `company` to `user` (sensitive ones
    are never granted by default). Returns the subscriptions newly granted; full ones are
    skipped."""
    granted = []
    subscriptions = Subscription.objects.filter(
        company=company,
        status=Subscription.Status.ACTIVE,
        application__is_active=True,
        application__is_sensitive=False,
    ).select_related("company", "application")
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                if grant_access(actor=actor, user=user, subscription=subscription, ip=ip):
                    granted.append(subscription)
        except DomainError as error:
            if error.code != "seat_limit":
                raise
    return granted


@transaction.atomic
def revoke_access(
    *, actor: Any, user: User, subscription: Subscription, ip: str | None = None
) -> bool:
    """Returns False when `user` had no access."""
    _may_grant(actor, subscription.company, subscription.application)
    deleted, _rows = SubscriptionUserObjectPermission.objects.filter(
        user=user, content_object=subscription
    ).delete()
    if not deleted:
        return False
    _audit(
        actor=actor,
        ip=ip,
        action=AuditEvent.Action.GRANT_REVOKED,
        company=subscription.company,
        subscription=subscription,
        target_user=user,
        application=subscription.application.name,
    )
    events.emit("grant.revoked", events.grant(user=user, subscription=subscription))
    return True


# --- company-level rights ------------------------------------------------------------------


def _rights_changer_check(actor: Any, company: Company) -> None:
    """Company rights are changed by its administrators and the staff in charge; a member
    is told no, anyone else is told nothing."""
    if not administers_company(actor, company):
        if isinstance(actor, User) and _role_in(actor, company):
            raise PermissionDenied(_("Only a client administrator can change accesses."))
        raise NotFound()


@transaction.atomic
def company_right_grant(
    *, actor: Any, user: User, company: Company, codename: str, ip: str | None = None
) -> bool:
    _rights_changer_check(actor, company)
    permission = _company_permission(codename)
    if not user.is_active or _role_in(user, company) is None:
        raise DomainError(
            _("This person is not a member of the company."), field="user", code="not_member"
        )
    _row, created = CompanyUserObjectPermission.objects.get_or_create(
        user=user, content_object=company, permission=permission
    )
    if created:
        _audit(
            actor=actor,
            ip=ip,
            action=AuditEvent.Action.COMPANY_RIGHT_GRANTED,
            company=company,
            target_user=user,
            right=codename,
        )
    return created


@transaction.atomic
def company_right_revoke(
    *, actor: Any, user: User, company: Company, codename: str, ip: str | None = None
) -> bool:
    _rights_changer_check(actor, company)
    permission = _company_permission(codename)
    deleted, _rows = CompanyUserObjectPermission.objects.filter(
        user=user, content_object=company, permission=permission
    ).delete()
    if deleted:
        _audit(
            actor=actor,
            ip=ip,
            action=AuditEvent.Action.COMPANY_RIGHT_REVOKED,
            company=company,
            target_user=user,
            right=codename,
        )
    return bool(deleted)


# --- cleanup -------------------------------------------------------------------------------


@transaction.atomic
def grants_remove_for(
    *, user: User, company: Company | None = None, actor: Any = None, ip: str | None = None
) -> int:
    """Remove every access and company right `user` holds (in `company` only, when given):
    called when a person is deactivated or leaves a company, inside that transaction.
    Returns the number of rows removed; each one is recorded in the audit trail."""
    accesses = SubscriptionUserObjectPermission.objects.filter(user=user)
    rights = CompanyUserObjectPermission.objects.filter(user=user)
    if company is not None:
        accesses = accesses.filter(content_object__company=company)
        rights = rights.filter(content_object=company)
    label = actor_label(actor)
    events = [
        AuditEvent(
            actor=actor if isinstance(actor, User) else None,
            actor_label=label,
            ip=ip or None,
            action=AuditEvent.Action.GRANT_REVOKED,
            company_id=company_id,
            subscription_id=subscription_id,
            target_user=user,
            details={"application": name, "reason": "membership_ended"},
        )
        for subscription_id, company_id, name in accesses.values_list(
            "content_object_id",
            "content_object__company_id",
            "content_object__application__name",
        )
    ]
    events += [
        AuditEvent(
            actor=actor if isinstance(actor, User) else None,
            actor_label=label,
            ip=ip or None,
            action=AuditEvent.Action.COMPANY_RIGHT_REVOKED,
            company_id=company_id,
            target_user=user,
            details={"right": codename, "reason": "membership_ended"},
        )
        for company_id, codename in rights.values_list("content_object_id", "permission__codename")
    ]
    removed = accesses.delete()[0] + rights.delete()[0]
    AuditEvent.objects.bulk_create(events)
    return removed
