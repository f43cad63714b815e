"""The one family of domain errors: views and the API turn them into a 4xx with the message
in the user's language, attached to `field` when the error belongs to one."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    def __init__(self, message: str | Promise, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


class NotFound(DomainError):
    """Missing and not yours read the same."""

    def __init__(self, message: str | Promise = "", *, field: str | None = None):
        super().__init__(message, field=field, code="not_found")


class PermissionDenied(DomainError):
    def __init__(self, message: str | Promise = "", *, field: str | None = None):
        super().__init__(message, field=field, code="permission_denied")


class MissingFirm(RuntimeError):
    """Something that belongs to a firm (a task, an S3 key) was asked for with none in force."""
