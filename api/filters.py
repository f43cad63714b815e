"""Query-string filters of the API lists: each view declares them, OpenAPI lists them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

# What PostgreSQL's bigint holds: a larger number is no id of ours, and an error to the database.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Filter:
    """`?name=value` narrows a list to rows whose `lookups` match (any of them for a search)."""

    name: str
    lookups: tuple[str, ...]
    kind: str = "string"  # "string", "integer", "boolean" or "search"
    description: str = ""

    def q(self, value: str) -> Q:
        if self.kind == "search":
            return reduce(or_, (Q(**{f"{lookup}__icontains": value}) for lookup in self.lookups))
        return Q(**{self.lookups[0]: self.parse(value)})

    def parse(self, value: str) -> int | bool | str:
        if self.kind == "integer":
            try:
                number = int(value)
            except ValueError:
                number = None
            if number is None or not BIGINT_MIN <= number <= BIGINT_MAX:
                raise ValidationError({self.name: [_("Enter a whole number.")]})
            return number
        if self.kind == "boolean":
            if value.lower() in ("true", "1"):
                return True
            if value.lower() in ("false", "0"):
                return False
            raise ValidationError({self.name: [_("Enter true or false.")]})
        return value


class DeclaredFilters(BaseFilterBackend):
    """Applies the view's `filters` (a tuple of `Filter`) to its list."""

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        for declared in getattr(view, "filters", ()):
            value = request.query_params.get(declared.name, "").strip()
            if value:
                queryset = queryset.filter(declared.q(value))
        return queryset

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": declared.name,
                "required": False,
                "in": "query",
                "description": declared.description,
                "schema": _schema_of(declared.kind),
            }
            for declared in getattr(view, "filters", ())
        ]


def _schema_of(kind: str) -> dict:
    if kind == "integer":
        return {"type": "integer", "format": "int64", "minimum": BIGINT_MIN, "maximum": BIGINT_MAX}
    if kind == "boolean":
        return {"type": "boolean"}
    return {"type": "string"}
