"""Every API view is guarded by the firm check, whatever its author declared."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.views import APIView

from api.permissions import FirmAccess

DOCUMENTATION = (SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView)


def _api_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and issubclass(view, APIView):
                yield prefix + str(pattern.pattern), view


def test_every_api_view_requires_the_firm_guard():
    views = list(_api_views(get_resolver("saas.urls_tenant").url_patterns))

    guarded = [(route, view) for route, view in views if not issubclass(view, DOCUMENTATION)]

    assert len(guarded) >= 4
    for route, view in guarded:
        checks = [permission for permission in view().get_permissions()]
        assert any(isinstance(check, FirmAccess) for check in checks), route


@pytest.mark.django_db
def test_the_schema_and_docs_are_served_from_our_own_static_files(alpha):
    schema = alpha.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    docs = alpha.client().get("/api/v1/docs/")

    assert schema.status_code == 200
    assert "/api/v1/companies/" in schema.json()["paths"]
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    assert b"cdn" not in docs.content.lower()
