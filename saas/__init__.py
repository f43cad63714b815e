"""Comptoir: the client portal accounting firms give their clients."""

from saas.celery import app as celery_app

__all__ = ["celery_app"]
