"""Probes: `/healthz` (the process answers; touches nothing) and `/readyz` (database, broker,
cache and S3 reachable, each with its latency; 503 when one is not).

`ProbeMiddleware` comes first in MIDDLEWARE and answers both on any host, before the firm is
looked up: a liveness probe must not depend on the database, and the kubelet calls a pod by its
IP address, which ALLOWED_HOSTS does not list. Neither writes an access line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)

TIMEOUT = 2.0
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def healthz(request: HttpRequest) -> HttpResponse:
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    # The database is asked from this thread, on the connection requests use; the others
    # at the same time from the pool, so the whole answer takes about the slowest check.
    pending = {name: _pool.submit(_timed, check) for name, check in _REMOTE_CHECKS.items()}
    results = {"database": _timed(_database)}
    deadline = time.monotonic() + TIMEOUT + 0.5
    for name, future in pending.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = {"ok": False, "ms": TIMEOUT * 1000, "error": "timeout"}
    ready = all(result["ok"] for result in results.values())
    if not ready:
        log.warning("not ready: %s", {k: v for k, v in results.items() if not v["ok"]})
    body = {"status": "ok" if ready else "unavailable", "checks": results}
    return _no_store(JsonResponse(body, status=200 if ready else 503))


def _timed(check: Callable[[], Any]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # any failure of a dependency means "not ready"
        log.info("readiness check %s failed: %r", check.__name__, error)
        return {"ok": False, "ms": _ms(started), "error": type(error).__name__}
    return {"ok": True, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _database() -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT) as broker:
        broker.ensure_connection(max_retries=0, timeout=TIMEOUT)
        broker.default_channel  # noqa: B018 - opening a channel proves the login works


def _cache() -> None:
    cache.get("readyz")


def _storage() -> None:
    _s3(
        settings.S3_ENDPOINT_URL,
        settings.S3_REGION,
        settings.S3_ACCESS_KEY_ID,
        settings.S3_SECRET_ACCESS_KEY,
    ).head_bucket(Bucket=settings.S3_BUCKET)


@lru_cache(maxsize=4)
def _s3(endpoint: str | None, region: str, key: str | None, secret: str | None) -> Any:
    """A client of its own with short timeouts and no retries (storage.client() retries)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            retries={"total_max_attempts": 1},
        ),
    )


_REMOTE_CHECKS: dict[str, Callable[[], None]] = {
    "broker": _broker,
    "cache": _cache,
    "storage": _storage,
}


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
