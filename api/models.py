"""API keys, in the firm's schema: a key of one firm does not exist in another."""

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class FirmAPIKey(AbstractAPIKey):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
