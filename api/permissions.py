"""The guard every API view inherits (it is DRF's default): a firm host and a firm identity."""

from django.db import connection
from django_tenants.utils import get_public_schema_name
from rest_framework.permissions import BasePermission


class FirmAccess(BasePermission):
    """An API key of this firm, or a signed-in active person of this firm."""

    def has_permission(self, request, view) -> bool:
        if connection.schema_name == get_public_schema_name():
            return False
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_active", False))


class FirmAdmin(FirmAccess):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and getattr(
            request.user, "is_firm_admin", False
        )
