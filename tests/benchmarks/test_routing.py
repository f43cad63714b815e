"""What picking the firm from the host costs a request: the same views served in this process
with the tenant middleware and without it (the schema set once by hand), interleaved request by
request; also as it was before the host cache and before one `SET search_path` a request.

    make bench PYTEST_ARGS="-k routing"
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from tenants import routing
from tenants.models import Domain
from tenants.provisioning import host_for
from tests.benchmarks.report import figure
from tests.benchmarks.support import (
    api_client,
    firm_grow,
    get_ms,
    grown_firm_open,
    signed_in,
    statements,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.bench

COMPANIES = 100
RUNS = int(os.environ.get("BENCH_ROUTING_RUNS", "200"))
MIDDLEWARE = "tenants.middleware.FirmMiddleware"
PUBLIC_TABLES = ('"tenants_domain"', '"tenants_firm"')
BASELINE = "no tenant middleware (schema set once by hand)"

# How each variant is served: the settings in force around its requests.
VARIANTS = {
    "tenant middleware, host cached (now)": {},
    "tenant middleware, host read each request": {"TENANT_HOST_CACHE_SECONDS": 0},
    "host read, SET before each cursor (before)": {
        "TENANT_HOST_CACHE_SECONDS": 0,
        "TENANT_LIMIT_SET_CALLS": False,
    },
}


@contextmanager
def _served(changes: dict) -> Iterator[None]:
    if not changes:
        yield
        return
    with override_settings(**changes):
        yield


class FixedFirm:
    """In place of the tenant middleware: `request.tenant` as the next middleware expect it,
    the same firm for every request, and the connection left as it is."""

    firm = None

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = self.firm
        return self.get_response(request)


def _bare(client_of, path: str, firm):
    """The same client on a handler whose tenant middleware is FixedFirm (a handler loads its
    middleware on its first request, here under these settings), on the firm's schema."""
    client = client_of()
    connection.set_tenant(firm)
    FixedFirm.firm = firm
    middleware = [f"{__name__}.FixedFirm" if m == MIDDLEWARE else m for m in settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        get_ms(client, path)
    return client


def test_tenant_routing_against_no_tenant_middleware(committed):
    firm = grown_firm_open("routing", PASSWORD)
    firm_grow(firm, COMPANIES)
    host = host_for(firm.slug)
    email = "admin@routing.bench.example"
    routes = {
        "API GET /api/v1/companies/": (lambda: api_client(firm), "/api/v1/companies/"),
        "Cabinet › Dossiers clients": (
            lambda: signed_in(host, email, PASSWORD),
            "/cabinet/entreprises/",
        ),
    }

    for route, (client_of, path) in routes.items():
        served = {variant: client_of() for variant in VARIANTS}
        get_ms(served[next(iter(VARIANTS))], path)
        bare = _bare(client_of, path, firm)

        counts = {}
        for variant, changes in VARIANTS.items():
            with _served(changes):
                get_ms(served[variant], path)
                sent = statements(served[variant], path)
            counts[variant] = (
                sum(sql.startswith("SET search_path") for sql in sent),
                sum(any(table in sql for table in PUBLIC_TABLES) for sql in sent),
                len(sent),
            )
        times: dict[str, list[float]] = {variant: [] for variant in [BASELINE, *VARIANTS]}
        # Interleaved request by request; every request before the baseline's leaves the
        # connection on the firm's schema, as a single-firm site would have it.
        for _ in range(RUNS):
            times[BASELINE].append(get_ms(bare, path))
            for variant, changes in VARIANTS.items():
                with _served(changes):
                    times[variant].append(get_ms(served[variant], path))
        routing.hosts_forget([host])

        figure("routing", f"{route}, {BASELINE}", times[BASELINE], "ms")
        for variant in VARIANTS:
            sets, public, total = counts[variant]
            figure(
                "routing",
                f"{route}, {variant}",
                times[variant],
                "ms",
                baseline=(BASELINE, times[BASELINE]),
                note=f"{sets} SET search_path, {public} public-schema queries, {total} statements"
                + ("; goal ratio <= 1.10" if not VARIANTS[variant] else ""),
            )
        assert counts[next(iter(VARIANTS))][:2] == (1, 0)

    cached, read, set_path = _parts(host)
    figure("routing", "host -> firm, read from the cache", cached, "ms")
    figure("routing", "host -> firm, read from the public schema (its SET included)", read, "ms")
    figure("routing", "one SET search_path (a cursor opened)", set_path, "ms")


def _parts(host: str) -> tuple[list[float], list[float], list[float]]:
    """What the middleware's work is made of, each part alone."""
    cached, read, set_path = [], [], []
    cache = caches[routing.CACHE]
    connection.set_schema_to_public()
    firm = routing.firm_for_host(host)  # outside a transaction: cached at once
    for _ in range(RUNS):
        cached.append(_ms(lambda: cache.get(routing._key(host))))
        read.append(_ms(lambda: Domain.objects.select_related("tenant").get(domain=host)))
        connection.set_tenant(firm)
        set_path.append(_ms(lambda: connection.cursor().close()))
        connection.set_schema_to_public()
    return cached, read, set_path


def _ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000
