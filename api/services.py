"""Writes on API keys: created by a firm administrator, shown once, stored hashed, revocable."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from api.models import FirmAPIKey
from clients.models import User
from tenants.errors import DomainError, PermissionDenied


@transaction.atomic
def api_key_create(
    *, actor: User, name: str, expires_at: datetime | None = None
) -> tuple[FirmAPIKey, str]:
    """The key row and the secret, which is returned here and never again."""
    if not actor.is_firm_admin:
        raise PermissionDenied(_("Only a firm administrator can manage API keys."))
    if not name.strip():
        raise DomainError(_("This field is required."), field="name", code="required")
    return FirmAPIKey.objects.create_key(
        name=name.strip(), created_by=actor, expiry_date=expires_at
    )


@transaction.atomic
def api_key_revoke(*, actor: User, key: FirmAPIKey) -> FirmAPIKey:
    if not actor.is_firm_admin:
        raise PermissionDenied(_("Only a firm administrator can manage API keys."))
    key.revoked = True
    key.save(update_fields=["revoked"])
    return key
