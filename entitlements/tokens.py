"""Short-lived launch tokens: a JWT (HS256) signed with the application's launch secret, so
the application verifies it with any JWT library and the secret the firm shared with it.

Claims: `sub` (user id), `email`, `company` (id), `siren`, `app` (application id), `sub_id`
(subscription id), `firm` (schema), `iat`, `exp`, `iss` ("comptoir").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from clients.models import User
from entitlements.models import Subscription
from entitlements.selectors import can_use
from tenants.errors import PermissionDenied

ISSUER = "comptoir"
HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidLaunchToken(Exception):
    """Malformed, tampered with, signed with another secret, or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signing_input: str, secret: str) -> str:
    return _b64(hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest())


def _encode(claims: dict[str, Any], secret: str) -> str:
    header = _b64(json.dumps(HEADER, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_sign(signing_input, secret)}"


def launch_token(*, user: User, subscription: Subscription, ttl: int = 120) -> str:
    """A token for `user` to open the application of `subscription`; refused when they may
    not use it (a revoked access gets no new token)."""
    if not can_use(user, subscription):
        raise PermissionDenied(_("You do not have access to this application."))
    company = subscription.company
    application = subscription.application
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user.pk),
        "email": user.email,
        "company": company.pk,
        "siren": company.siren,
        "app": application.pk,
        "sub_id": subscription.pk,
        "firm": connection.schema_name,
        "iat": now,
        "exp": now + ttl,
    }
    return _encode(claims, application.launch_secret)


def launch_token_verify(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    """What an application does with the token: check the signature and the expiry and
    return the claims, or raise InvalidLaunchToken."""
    try:
        header_b64, payload_b64, signature = token.split(".")
        header = json.loads(_unb64(header_b64))
    except (ValueError, AttributeError):
        raise InvalidLaunchToken("malformed token") from None
    if header != HEADER:
        raise InvalidLaunchToken("unexpected algorithm")
    if not hmac.compare_digest(_sign(f"{header_b64}.{payload_b64}", secret), signature):
        raise InvalidLaunchToken("bad signature")
    try:
        claims = json.loads(_unb64(payload_b64))
    except ValueError:
        raise InvalidLaunchToken("malformed token") from None
    if not isinstance(claims, dict) or claims.get("iss") != ISSUER:
        raise InvalidLaunchToken("unexpected issuer")
    expiry = claims.get("exp")
    if not isinstance(expiry, int) or expiry <= (time.time() if now is None else now):
        raise InvalidLaunchToken("expired")
    return claims
