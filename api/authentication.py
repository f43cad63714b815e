"""`Authorization: Bearer <key>`: the key is looked up in the schema of the host's firm."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.models import FirmAPIKey


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


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, secret = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        secret = secret.strip()
        try:
            key = FirmAPIKey.objects.get_from_key(secret)
        except FirmAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid API key.")) from None
        if key.has_expired or not key.is_valid(secret):
            raise exceptions.AuthenticationFailed(_("This API key is revoked or expired."))
        FirmAPIKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return ApiKeyActor(key), key

    def authenticate_header(self, request) -> str:
        return self.keyword
