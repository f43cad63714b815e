"""Response headers that django-csp and Django's SecurityMiddleware leave to us.

The policy itself is CONTENT_SECURITY_POLICY in settings: scripts from our own origin only,
styles from our origin plus the one nonce'd `<style>` that carries a firm's colour. The API
reference pages (Swagger UI, ReDoc, rendered by drf-spectacular) are the exception: their
templates inline a script and a style, so those paths alone also allow inline code.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


class CSPMiddleware(_CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(tuple(settings.CSP_INLINE_ALLOWED_PREFIXES)):
            parts.replace = {
                **(parts.replace or {}),
                "script-src": [SELF, UNSAFE_INLINE],
                "style-src": [SELF, UNSAFE_INLINE],
                "worker-src": [SELF, "blob:"],
            }
        return parts

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        response = super().process_response(request, response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
