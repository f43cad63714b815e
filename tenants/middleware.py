"""Picks the firm from the host name: the bare domain is the public site, an unknown host a 404."""

from django.conf import settings
from django.http import Http404
from django_tenants.middleware.main import TenantMainMiddleware


class FirmMiddleware(TenantMainMiddleware):
    def no_tenant_found(self, request, hostname):
        if hostname == settings.BASE_DOMAIN:
            request.tenant = None
            self.setup_url_routing(request, force_public=True)
            return None
        raise Http404("No firm at this address")
