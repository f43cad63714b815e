"""Picks the firm from the host name: the bare domain is the public site, an unknown host a 404,
a closed firm's host a 410. The host's firm usually comes from the cache (tenants/routing.py),
so a request sends one `SET search_path` and nothing to the public schema."""

from django.conf import settings
from django.http import Http404
from django_tenants.middleware.main import TenantMainMiddleware

from tenants.lifecycle import closed_response
from tenants.models import Firm
from tenants.routing import firm_for_host


class FirmMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        firm = firm_for_host(hostname)
        if firm is None:
            raise domain_model.DoesNotExist
        return firm

    def process_request(self, request):
        response = super().process_request(request)
        firm = getattr(request, "tenant", None)
        if response is None and firm is not None and firm.status == Firm.Status.CLOSED:
            return closed_response(request, firm)
        return response

    def no_tenant_found(self, request, hostname):
        if hostname == settings.BASE_DOMAIN:
            request.tenant = None
            self.setup_url_routing(request, force_public=True)
            return None
        raise Http404("No firm at this address")
