"""Every list takes `ordering` (one of its declared fields, `-` for descending) with its cursor
pagination; an unknown field is ignored, never an error."""

from __future__ import annotations

import pytest

from api import urls as api_urls

pytestmark = pytest.mark.django_db


def _lists():
    for pattern in api_urls.router.urls:
        callback = pattern.callback
        view = getattr(callback, "cls", None)
        actions = getattr(callback, "actions", {}) or {}
        if view is None or actions.get("get") != "list" or "(?P<" in str(pattern.pattern):
            continue
        fields = getattr(view, "ordering_fields", None)
        yield str(pattern.pattern).lstrip("^").rstrip("$"), view, fields


# API keys are listed to firm administrators' sessions only, newest first.
LISTS = sorted(
    {
        (path, view.__name__, tuple(fields or ()))
        for path, view, fields in _lists()
        if view.__name__ != "ApiKeyViewSet"
    }
)


def test_every_list_declares_what_it_can_be_ordered_by():
    assert LISTS
    assert [name for _path, name, fields in LISTS if not fields] == []


@pytest.mark.parametrize(("path", "name", "fields"), LISTS, ids=[row[1] for row in LISTS])
def test_each_list_orders_by_its_fields_both_ways(as_actor, path, name, fields):
    client = as_actor("key")

    answers = [
        client.get(f"/api/v1/{path}", {"ordering": ordering}).status_code
        for field in fields
        for ordering in (field, f"-{field}")
    ] + [client.get(f"/api/v1/{path}", {"ordering": "no_such_field"}).status_code]

    assert set(answers) == {200}, answers
