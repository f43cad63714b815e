"""One error format for the whole API: RFC 9457 problem details, with field errors.

{"type": "about:blank", "title": "Invalid input", "status": 400,
 "detail": "...", "errors": [{"field": "siren", "message": "...", "code": "siren"}]}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tenants import errors as domain

CONTENT_TYPE = "application/problem+json"


def problem_details(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, domain.NotFound):
        exc = exceptions.NotFound()
    elif isinstance(exc, domain.PermissionDenied):
        exc = exceptions.PermissionDenied(exc.message or None)
    elif isinstance(exc, domain.DomainError):
        field = exc.field or "non_field_errors"
        exc = exceptions.ValidationError(
            {field: [exceptions.ErrorDetail(str(exc.message), exc.code)]}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _title(response.status_code),
        "status": response.status_code,
    }
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = _("Some fields are invalid.")
        body["errors"] = list(_field_errors(exc.detail))
    else:
        body["detail"] = str(exc.detail)
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


def _field_errors(detail: Any, prefix: str = ""):
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _field_errors(value, "" if name == "non_field_errors" else name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                yield from _field_errors(value, f"{prefix}[{index}]" if prefix else str(index))
            else:
                yield from _field_errors(value, prefix)
    else:
        yield {
            "field": prefix or None,
            "message": str(detail),
            "code": getattr(detail, "code", "invalid"),
        }


def _title(code: int) -> str:
    titles = {
        status.HTTP_400_BAD_REQUEST: _("Invalid input"),
        status.HTTP_401_UNAUTHORIZED: _("Authentication required"),
        status.HTTP_403_FORBIDDEN: _("Forbidden"),
        status.HTTP_404_NOT_FOUND: _("Not found"),
        status.HTTP_405_METHOD_NOT_ALLOWED: _("Method not allowed"),
        status.HTTP_409_CONFLICT: _("Conflict"),
        status.HTTP_429_TOO_MANY_REQUESTS: _("Too many requests"),
    }
    return titles.get(code, _("Error"))
