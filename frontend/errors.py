"""Domain errors raised while serving a page become the matching HTTP answer."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tenants import errors


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, errors.NotFound):
            raise Http404() from exception
        if isinstance(exception, errors.PermissionDenied):
            raise PermissionDenied(str(exception.message)) from exception
        return None
