"""From a host name to its firm without touching the database on most requests, and the
bookkeeping that keeps django-tenants' `SET search_path` once per request correct."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction

from tenants.models import Domain, Firm

CACHE = "routing"


def _key(hostname: str) -> str:
    # Several databases (and every test run's own) share one cache: the database is in the key.
    return f"host:{connection.settings_dict['NAME']}:{hostname}"


def firm_for_host(hostname: str) -> Firm | None:
    """The firm serving `hostname`, or None. Read from the cache, else from the public schema
    (the connection must be on it), then kept for TENANT_HOST_CACHE_SECONDS (0: not cached)."""
    seconds = settings.TENANT_HOST_CACHE_SECONDS
    cache = caches[CACHE]
    key = _key(hostname)
    firm = cache.get(key) if seconds > 0 else None
    if firm is not None:
        return firm
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None:
        return None
    firm = domain.tenant
    if seconds > 0:
        # Only what is committed is shared: a firm read inside a transaction that is later
        # rolled back must not be served to other requests.
        transaction.on_commit(lambda: cache.set(key, firm, timeout=seconds))
    return firm


def firm_hosts_forget(firm: Firm) -> None:
    """Every host of `firm` is read again from the database: call it when the firm's status or
    hosts change, before its domains are deleted."""
    hosts_forget(list(Domain.objects.filter(tenant=firm).values_list("domain", flat=True)))


def hosts_forget(hostnames: list[str]) -> None:
    """Forgotten now and again after the commit, so that a request reading the old rows
    meanwhile does not keep them."""
    keys = [_key(host) for host in hostnames]
    if not keys:
        return
    cache = caches[CACHE]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def search_path_changed() -> None:
    """Call after a statement that set `search_path` by hand: with TENANT_LIMIT_SET_CALLS
    django-tenants sends its SET only when it believes the path is not already its own, so
    it must forget what it last sent; the next cursor then sends the connection's path again."""
    connection.search_path_set_schemas = None
