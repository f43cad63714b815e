"""Writes on API keys and API settings: firm administrators only. A key is shown once,
stored hashed, scoped, optionally expiring, revocable."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api import scopes as catalogue
from api.models import APISettings, FirmAPIKey
from clients.models import User
from tenants.errors import DomainError, PermissionDenied

RATE_LIMIT_MAX = 100_000


def _firm_admin_only(actor: User) -> None:
    if not getattr(actor, "is_firm_admin", False):
        raise PermissionDenied(_("Only a firm administrator can manage API keys."))


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    name: str,
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[FirmAPIKey, str]:
    """The key row and the secret, which is returned here and never again.

    Without `scopes`, the key may read and write every group (what keys could do before
    scopes existed); an empty list is refused."""
    _firm_admin_only(actor)
    if not name.strip():
        raise DomainError(_("This field is required."), field="name", code="required")
    chosen = list(catalogue.EVERYTHING if scopes is None else scopes)
    unknown = sorted(set(chosen) - set(catalogue.ALL_SCOPES))
    if unknown:
        raise DomainError(
            _("Unknown scope: %(scope)s.") % {"scope": ", ".join(unknown)},
            field="scopes",
            code="invalid_choice",
        )
    if not chosen:
        raise DomainError(_("Choose at least one scope."), field="scopes", code="required")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            _("The expiry date must be in the future."), field="expiry_date", code="past"
        )
    return FirmAPIKey.objects.create_key(
        name=name.strip(),
        created_by=actor,
        scopes=catalogue.normalized(chosen),
        expiry_date=expires_at,
    )


@transaction.atomic
def api_key_revoke(*, actor: User, key: FirmAPIKey) -> FirmAPIKey:
    _firm_admin_only(actor)
    key.revoked = True
    key.save(update_fields=["revoked"])
    return key


@transaction.atomic
def api_settings_update(*, actor: User, rate_limit_per_minute: int) -> APISettings:
    _firm_admin_only(actor)
    if not 1 <= rate_limit_per_minute <= RATE_LIMIT_MAX:
        raise DomainError(
            _("Enter a number of requests per minute between 1 and %(max)s.")
            % {"max": RATE_LIMIT_MAX},
            field="rate_limit_per_minute",
            code="range",
        )
    row = APISettings.objects.select_for_update().first() or APISettings()
    row.rate_limit_per_minute = rate_limit_per_minute
    row.save()
    return row
