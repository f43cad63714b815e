"""What every /api/ request goes through besides DRF: Idempotency-Key replays
(api.idempotency) and the rate-limit headers of api.throttling."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from api import idempotency

PREFIX = "/api/"


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        response = idempotency.handle(request, self.get_response)
        limit = getattr(request, "rate_limit", None)
        if limit is not None and not response.has_header("Idempotent-Replayed"):
            response["X-RateLimit-Limit"] = str(limit.limit)
            response["X-RateLimit-Remaining"] = str(limit.remaining)
            response["X-RateLimit-Reset"] = str(limit.reset)
        return response
