"""The audit trail as CSV for French spreadsheets: semicolon separator, UTF-8 BOM.

A pure function over a queryset of AuditEvent: the caller filters it (the firm's
back-office, or a client administrator's companies) and chooses where the text goes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from entitlements.models import AuditEvent

HEADER = ["at", "actor", "ip", "action", "company", "application", "person", "details"]
BOM = "\ufeff"


def _rows(events: Iterable[AuditEvent]) -> Iterable[list[str]]:
    for event in events:
        application = ""
        if event.subscription is not None:
            application = event.subscription.application.name
        elif isinstance(event.details, dict):
            application = str(event.details.get("application") or "")
        yield [
            timezone.localtime(event.at).isoformat(timespec="seconds"),
            event.actor_label,
            event.ip or "",
            event.action,
            event.company.legal_name,
            application,
            event.target_user.email if event.target_user is not None else "",
            json.dumps(event.details, ensure_ascii=False, sort_keys=True),
        ]


def audit_csv_write(events: QuerySet[AuditEvent], out: IO[str]) -> None:
    """Write `events` (header, then one row per event) to `out`, in one query."""
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    queryset = events.select_related(
        "company", "subscription__application", "target_user"
    ).order_by("-at", "-id")
    writer.writerows(_rows(queryset.iterator(chunk_size=2000)))
