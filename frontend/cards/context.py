"""What every page of a firm's portal knows about this area (a context processor)."""

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {}
