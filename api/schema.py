"""How the OpenAPI schema describes our authentication, scopes, idempotency and rate limits."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from api import scopes
from api.idempotency import HEADER, MAX_KEY_LENGTH, METHODS

SCOPES_TEXT = ", ".join(f"`{scope}`" for scope in scopes.ALL_SCOPES)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A firm's API key: `Authorization: Bearer <key>`. A key holds scopes, read or "
                "read-write per group; a write scope includes its group's read. Each operation "
                f"names the scope it needs in `x-required-scope`. Scopes: {SCOPES_TEXT}. "
                "Out of scope: 403; revoked, expired or unknown key: 401."
            ),
            "x-scopes": _scope_labels(),
        }


def _scope_labels() -> dict[str, str]:
    with translation.override("en"):
        return {scope: str(label) for scope, label in scopes.scope_choices()}


RATE_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed per minute for this key or person.",
    "X-RateLimit-Remaining": "Requests left in the current minute.",
    "X-RateLimit-Reset": "When the current minute ends, in seconds since the epoch.",
}


class ApiAutoSchema(AutoSchema):
    """Every operation: the scope it needs, 429 with Retry-After, and on POST and PATCH the
    Idempotency-Key header."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self._document_scope(operation)
        if self.method in METHODS:
            operation.setdefault("parameters", []).append(_idempotency_parameter())
        operation["responses"].setdefault("429", self._too_many_requests())
        return operation

    def _document_scope(self, operation: dict) -> None:
        scope = scopes.required_scope(self.view, self.method)
        if scope is not None:
            operation["x-required-scope"] = scope
            note = f"API key scope: `{scope}`."
        else:
            note = "Signed-in people only: API keys are refused."
        description = operation.get("description", "")
        operation["description"] = f"{description}\n\n{note}" if description else note

    def _too_many_requests(self) -> dict:
        from api.serializers import ProblemSerializer

        problem = self.resolve_serializer(ProblemSerializer, "response")
        headers = {
            "Retry-After": {
                "description": "Seconds to wait before the next request.",
                "schema": {"type": "integer"},
            },
            **{
                name: {"description": text, "schema": {"type": "integer"}}
                for name, text in RATE_HEADERS.items()
            },
        }
        return {
            "description": "Too many requests in this minute for this key or person.",
            "headers": headers,
            "content": {"application/problem+json": {"schema": problem.ref}},
        }


def _idempotency_parameter() -> dict:
    return {
        "in": "header",
        "name": HEADER,
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        "description": (
            "Any unique string (a UUID). The same request sent again with the same key "
            "within 24 hours gets the first answer again, with `Idempotent-Replayed: true`, "
            "instead of being run twice; the same key with another request gets 422; while "
            "the first is still running, 409."
        ),
    }
