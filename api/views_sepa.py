"""SEPA mandates: the API views."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Adds this module's routes to the API router."""


urlpatterns: list = []
