"""Query-string filters of the API lists: each view declares them, OpenAPI lists them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend


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
                return int(value)
            except ValueError:
                raise ValidationError({self.name: [_("Enter a whole number.")]}) from None
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
        types = {"integer": "integer", "boolean": "boolean"}
        return [
            {
                "name": declared.name,
                "required": False,
                "in": "query",
                "description": declared.description,
                "schema": {"type": types.get(declared.kind, "string")},
            }
            for declared in getattr(view, "filters", ())
        ]
