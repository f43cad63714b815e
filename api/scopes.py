"""What an API key may reach: read or read-write access per resource group.

A view declares its group with one class attribute; the firm guard (api.permissions.FirmAccess,
every API view's permission) reads it:

    class CompanyViewSet(viewsets.ModelViewSet):
        scope_group = "companies"  # GET, HEAD, OPTIONS: companies:read; others: companies:write

    class ReportViewSet(viewsets.GenericViewSet):
        scope_group = "invoicing"
        required_scopes = {"POST": "invoicing:read"}   # a POST that only reads

    class ApiKeyViewSet(viewsets.GenericViewSet):
        scope_group = SESSION_ONLY   # signed-in people only: no API key, whatever its scopes

Groups: companies; people (users and memberships); entitlements (applications, subscriptions,
grants, audit events); invoicing (invoices, credit notes, billing runs); webhooks; payments
(payments, mandates, bank statements, statements of account). A write scope includes the read
scope of its group. Scopes apply to API keys only: a signed-in person keeps the rights of their
role. A view without `scope_group` refuses every API key, and tests/api/test_scopes.py fails
until it declares one.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

READ = "read"
WRITE = "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_ONLY = "session-only"

GROUPS: dict[str, Any] = {
    "companies": _("Companies"),
    "people": _("People and memberships"),
    "entitlements": _("Applications, subscriptions, access grants and audit trail"),
    "invoicing": _("Invoices, credit notes and billing runs"),
    "webhooks": _("Webhooks"),
    "payments": _("Payments, SEPA mandates, bank statements and statements of account"),
}
ALL_SCOPES: tuple[str, ...] = tuple(
    f"{group}:{level}" for group in GROUPS for level in (READ, WRITE)
)
EVERYTHING: tuple[str, ...] = tuple(f"{group}:{WRITE}" for group in GROUPS)


def scope_choices() -> list[tuple[str, str]]:
    labels = {READ: _("read"), WRITE: _("read and write")}
    return [
        (scope, f"{GROUPS[scope.split(':')[0]]}: {labels[scope.split(':')[1]]}")
        for scope in ALL_SCOPES
    ]


def declared(view: Any) -> bool:
    group = getattr(view, "scope_group", None)
    return group == SESSION_ONLY or group in GROUPS


def required_scope(view: Any, method: str) -> str | None:
    """The scope a key needs for `method` on `view`; None when no key may call it."""
    overrides = getattr(view, "required_scopes", None) or {}
    if method.upper() in overrides:
        return overrides[method.upper()]
    group = getattr(view, "scope_group", None)
    if group not in GROUPS:
        return None
    return f"{group}:{READ if method.upper() in SAFE_METHODS else WRITE}"


def grants(held: list[str] | tuple[str, ...], needed: str) -> bool:
    group, _sep, level = needed.partition(":")
    return needed in held or (level == READ and f"{group}:{WRITE}" in held)


def normalized(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """The scopes in catalogue order, without duplicates; a write hides its group's read."""
    held = set(scopes)
    return [
        scope
        for scope in ALL_SCOPES
        if scope in held and not (scope.endswith(f":{READ}") and grants_write(held, scope))
    ]


def grants_write(held: set[str], read_scope: str) -> bool:
    return f"{read_scope.split(':')[0]}:{WRITE}" in held
