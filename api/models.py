"""API keys and the firm's API settings, in the firm's schema: a key of one firm does not
exist in another."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class FirmAPIKey(AbstractAPIKey):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys"
    )
    # `group:read` or `group:write` (api.scopes); a write scope includes its group's read.
    scopes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class APISettings(models.Model):
    """One row per firm at most; without it, the default rate of
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["firm"] (API_RATE_LIMIT)."""

    rate_limit_per_minute = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "API settings"
        verbose_name_plural = "API settings"

    def __str__(self) -> str:
        return f"{self.rate_limit_per_minute} requests per minute"
