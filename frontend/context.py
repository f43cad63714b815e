"""What every page knows: the firm whose portal this is (None on the public site)."""

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    firm = getattr(request, "tenant", None)
    return {"firm": firm if firm is not None and firm.schema_name != "public" else None}
