"""A firm host's URLs plus `/api/v1/bench/minimal/`: a DRF view with no authentication,
permission, throttle or query, behind the same middleware; the floor the API list is held to."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from saas.urls_tenant import urlpatterns as tenant_urlpatterns

MINIMAL_PATH = "/api/v1/bench/minimal/"


class Minimal(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path(MINIMAL_PATH.lstrip("/"), Minimal.as_view(), name="bench-minimal")]
urlpatterns += tenant_urlpatterns
