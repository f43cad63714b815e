"""The guard every API view inherits (it is DRF's default): a firm host and a firm identity,
and for an API key, the scope the view declares (api.scopes)."""

from django.db import connection
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from api import scopes
from api.models import FirmAPIKey


class FirmAccess(BasePermission):
    """An API key of this firm holding the view's scope, or a signed-in active person of this
    firm (whose role decides, scopes are for keys)."""

    def has_permission(self, request, view) -> bool:
        if connection.schema_name == get_public_schema_name():
            return False
        user = request.user
        if not (user and user.is_authenticated and getattr(user, "is_active", False)):
            return False
        if isinstance(request.auth, FirmAPIKey):
            self._check_scope(request.auth, view, request.method)
        return True

    @staticmethod
    def _check_scope(key: FirmAPIKey, view, method: str) -> None:
        needed = scopes.required_scope(view, method)
        if needed is None:
            raise exceptions.PermissionDenied(_("API keys cannot be used here."))
        if not scopes.grants(key.scopes, needed):
            raise exceptions.PermissionDenied(
                _("This API key lacks the scope %(scope)s.") % {"scope": needed}
            )


class FirmAdmin(FirmAccess):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and getattr(
            request.user, "is_firm_admin", False
        )
