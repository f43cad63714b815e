"""Rate limit per API key and per signed-in person: N requests a minute (fixed windows),
N from the firm's API settings or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["firm"].

Counters live in the cache (Valkey), keyed by database, firm schema (the cache key function
adds it), caller and minute; one atomic INCR per request, so web processes share them.
The figures of the last check are left on the request for api.middleware to write as
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from api.models import APISettings, FirmAPIKey

WINDOW_SECONDS = 60


def clock() -> float:
    return time.time()


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int  # epoch seconds when the window ends


def default_rate_per_minute() -> int:
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("firm") or "120/min"
    count, _sep, period = rate.partition("/")
    assert period in ("m", "min", "minute"), "the firm rate is counted per minute"
    return int(count)


def firm_rate_per_minute() -> int:
    configured = APISettings.objects.values_list("rate_limit_per_minute", flat=True).first()
    return configured or default_rate_per_minute()


def caller(request) -> str | None:
    if isinstance(request.auth, FirmAPIKey):
        return f"key:{request.auth.prefix}"
    user = request.user
    if user is not None and user.is_authenticated and user.pk is not None:
        return f"user:{user.pk}"
    return None


class FirmRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        who = caller(request)
        if who is None:  # refused by authentication or the guard before it costs anything
            return True
        limit = firm_rate_per_minute()
        now = clock()
        window = int(now // WINDOW_SECONDS)
        key = f"api:rate:{connection.settings_dict['NAME']}:{who}:{window}"
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        count = cache.incr(key)
        reset = (window + 1) * WINDOW_SECONDS
        self.retry_after = max(1, int(reset - now + 0.999))
        request._request.rate_limit = RateLimit(limit, max(0, limit - count), reset)
        return count <= limit

    def wait(self) -> float:
        return self.retry_after
