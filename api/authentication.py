"""`Authorization: Bearer <key>`: the key is looked up in the schema of the host's firm."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.models import FirmAPIKey

# `last_used_at` is written at most once a minute per key (and whenever the address changes):
# a busy integration should not turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiKeyActor:
    """Who acts when a request carries an API key: the firm itself, through that key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_firm_staff = True
    is_firm_admin = False
    pk = None

    def __init__(self, key: FirmAPIKey):
        self.key = key

    def __str__(self) -> str:
        return f"API key {self.key.prefix}"


def key_from_header(request) -> str | None:
    """The secret of a `Bearer` Authorization header, or None when there is none."""
    header = authentication.get_authorization_header(request).decode("latin-1")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != ApiKeyAuthentication.keyword.lower():
        return None
    return secret.strip()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        secret = key_from_header(request)
        if secret is None:
            return None
        prefix, _sep, _rest = secret.partition(".")
        key = FirmAPIKey.objects.filter(prefix=prefix).first() if prefix else None
        if key is None or not key.is_valid(secret):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if key.revoked:
            raise exceptions.AuthenticationFailed(_("This API key is revoked."))
        if key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        self._note_use(key, get_client_ip_address(request._request))
        return ApiKeyActor(key), key

    def _note_use(self, key: FirmAPIKey, address: str | None) -> None:
        # One statement on every request (a constant query count), a row write only when
        # the minute or the address changed.
        now = timezone.now()
        FirmAPIKey.objects.filter(pk=key.pk).exclude(
            last_used_at__gt=now - LAST_USED_PRECISION, last_used_ip=address
        ).update(last_used_at=now, last_used_ip=address)

    def authenticate_header(self, request) -> str:
        return self.keyword
