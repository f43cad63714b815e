"""What every page of a firm's portal knows about this area (a context processor): the overdue
banner of client administrators, read at most once every few minutes (kept in the session)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from reminders.selectors import overdue_for_admin

BANNER_KEY = "reminders_banner"
DISMISSED_KEY = "reminders_banner_dismissed"
BANNER_SECONDS = 300


def _overdue(request: HttpRequest) -> list[dict[str, Any]]:
    cached = request.session.get(BANNER_KEY)
    if cached and cached.get("at", 0) > time.time() - BANNER_SECONDS:
        rows = cached["rows"]
    else:
        rows = [
            {
                "company_id": row.company_id,
                "legal_name": row.legal_name,
                "count": row.count,
                "amount": str(row.amount),
            }
            for row in overdue_for_admin(request.user)
        ]
        request.session[BANNER_KEY] = {"at": time.time(), "rows": rows}
    return [{**row, "amount": Decimal(row["amount"])} for row in rows]


def portal(request: HttpRequest) -> dict:
    """Nothing for anonymous people and firm staff; for clients, a lazy list that the banner
    reads only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_firm_staff:
        return {}
    if not hasattr(request, "session") or request.session.get(DISMISSED_KEY):
        return {}
    return {"overdue_banner": SimpleLazyObject(lambda: _overdue(request))}
