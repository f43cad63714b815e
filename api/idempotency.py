"""`Idempotency-Key` on POST and PATCH under /api/: a retried request is answered with the
first response instead of being run twice.

Same key, same caller, same method, path and body within 24 hours: the first response is
replayed (status, body, Content-Type, Location) with `Idempotent-Replayed: true`. Same key
with another request: 422. Same key while the first request still runs: 409.

Stored in the cache (Valkey), not a table: entries expire by themselves after 24 hours, the
check costs no SQL query, and they outlive a restart of the web processes. Cache keys carry
the firm's schema (the cache key function) and the database name, and are per caller (the
key's secret digest, or the person's id), so one caller never sees another's responses.

What is kept: final answers, that the same request would get again: 2xx, 3xx and 4xx, except
those that depend on the moment or on rights that may change (401, 403, 409, 423, 429).
5xx are not kept: retrying is the point.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from api.authentication import key_from_header
from api.models import FirmAPIKey

HEADER = "Idempotency-Key"
METHODS = frozenset({"POST", "PATCH"})
KEEP_SECONDS = 24 * 60 * 60
RUNNING_SECONDS = 120  # how long a crashed request blocks its key
MAX_KEY_LENGTH = 255
NOT_KEPT = frozenset({401, 403, 409, 423, 429})
KEPT_HEADERS = ("Content-Type", "Location")
PROBLEM = "application/problem+json"


def clock() -> float:
    return time.time()


def _digest(*parts: bytes | str) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(part if isinstance(part, bytes) else part.encode())
        hashed.update(b"\0")
    return hashed.hexdigest()


def _caller(request: HttpRequest) -> tuple[str, str | None] | None:
    """A stable name for who sends the request, and the key prefix when it is an API key."""
    secret = key_from_header(request)
    if secret:
        return "key:" + _digest(secret), secret.partition(".")[0]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", None
    return None


def _problem(status: int, title: str, detail: str, field: str | None = None) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if field:
        body["errors"] = [{"field": field, "message": detail, "code": "invalid"}]
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM)


def _replay(record: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(bytes.fromhex(record["body"]), status=record["status"])
    for name, value in record["headers"].items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def handle(request: HttpRequest, get_response) -> HttpResponse:
    """Run `get_response` at most once per idempotency key, caller and request."""
    supplied = request.headers.get(HEADER)
    caller = _caller(request) if supplied is not None else None
    if request.method not in METHODS or caller is None:
        return get_response(request)
    if not 0 < len(supplied) <= MAX_KEY_LENGTH or not supplied.isprintable():
        message = _("Send an Idempotency-Key of 1 to 255 printable characters.")
        return _problem(400, _("Invalid input"), message, field=HEADER)
    who, key_prefix = caller
    fingerprint = _digest(request.method, request.get_full_path(), request.body, who)
    slot = f"api:idem:{connection.settings_dict['NAME']}:{_digest(who, supplied)}"

    record = cache.get(slot)
    if record is not None and clock() - record["at"] < KEEP_SECONDS:
        if record["fingerprint"] != fingerprint:
            return _reused()
        if (
            key_prefix is None
            or FirmAPIKey.objects.get_usable_keys().filter(prefix=key_prefix).exists()
        ):
            return _replay(record)
        return get_response(request)  # a revoked key: authentication answers

    running = f"{slot}:running"
    if not cache.add(running, fingerprint, timeout=RUNNING_SECONDS):
        if cache.get(running) not in (None, fingerprint):
            return _reused()
        detail = _("A request with this Idempotency-Key is still being processed.")
        return _problem(409, _("Conflict"), detail)
    try:
        response = get_response(request)
        _keep(slot, fingerprint, response)
    finally:
        cache.delete(running)
    return response


def _reused() -> HttpResponse:
    detail = _("Idempotency-Key reused with another request.")
    return _problem(422, _("Unprocessable request"), detail, field=HEADER)


def _keep(slot: str, fingerprint: str, response: HttpResponse) -> None:
    if response.status_code >= 500 or response.status_code in NOT_KEPT:
        return
    if getattr(response, "streaming", False):
        return
    record = {
        "at": clock(),
        "fingerprint": fingerprint,
        "status": response.status_code,
        "body": response.content.hex(),
        "headers": {name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
    }
    cache.set(slot, record, timeout=KEEP_SECONDS + RUNNING_SECONDS)
