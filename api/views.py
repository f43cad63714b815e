"""API views: translate HTTP to selectors and services and back, nothing more.

Authentication, the firm guard and the error format come from REST_FRAMEWORK's defaults,
so a view that declares none of them still has all of them (tests walk every route).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from api import services
from api.models import FirmAPIKey
from api.permissions import FirmAdmin
from api.serializers import ApiKeyCreatedSerializer, ApiKeySerializer, CompanySerializer
from clients.models import Company
from clients.selectors import companies_visible_to


class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CompanySerializer
    queryset = Company.objects.none()

    def get_queryset(self):
        user = self.request.user
        if getattr(user, "key", None) is not None:  # an API key acts for the whole firm
            return Company.objects.all()
        return companies_visible_to(user)


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """API keys of the firm: firm administrators only, signed in (a key cannot mint keys)."""

    serializer_class = ApiKeySerializer
    permission_classes = [FirmAdmin]
    queryset = FirmAPIKey.objects.all()
    lookup_field = "prefix"  # the primary key holds the hash: it never leaves the database
    pagination_class = None

    @extend_schema(responses={201: ApiKeyCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, secret = services.api_key_create(
            actor=request.user,
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expiry_date"),
        )
        data = ApiKeySerializer(key).data | {"key": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: FirmAPIKey) -> None:
        services.api_key_revoke(actor=self.request.user, key=instance)
