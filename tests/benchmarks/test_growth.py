"""How the cost of the main lists grows with the size of a firm: firms grown to 100, 1,000 and
10,000 companies (two people and three invoices each, bulk inserts), and at each size the
median time and the query count of five pages and endpoints, served in this process. One firm
a size, so that the requests of every size are interleaved: a change in the load of a shared
machine then weighs on every size alike.

    make bench PYTEST_ARGS="-k growth"
"""

from __future__ import annotations

import os
import statistics

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from clients.models import Company, User
from invoicing.models import Invoice
from tenants.provisioning import host_for
from tests.benchmarks.report import chart, figure
from tests.benchmarks.support import (
    CLIENT_ADMIN,
    api_client,
    firm_grow,
    get_ms,
    grown_firm_open,
    signed_in,
    statements,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.bench

SIZES = [int(n) for n in os.environ.get("BENCH_GROWTH_SIZES", "100,1000,10000").split(",")]
RUNS = int(os.environ.get("BENCH_GROWTH_RUNS", "30"))
ROUTES = {
    "Cabinet › Dossiers clients": ("staff", "/cabinet/entreprises/"),
    "API GET /api/v1/companies/": ("key", "/api/v1/companies/"),
    "API GET /api/v1/invoices/": ("key", "/api/v1/invoices/"),
    "Mon compte › Factures (client admin)": ("client", "/mon-compte/factures/"),
    "Cabinet › Factures": ("staff", "/cabinet/factures/"),
}


def _firm_of_size(size: int) -> tuple[dict[str, Client], str]:
    firm = grown_firm_open(f"growth-{size}", PASSWORD)
    firm_grow(firm, size)
    host = host_for(firm.slug)
    clients = {
        "staff": signed_in(host, f"admin@growth-{size}.bench.example", PASSWORD),
        "client": signed_in(host, CLIENT_ADMIN, PASSWORD),
        "key": api_client(firm),
    }
    with tenant_context(firm):
        rows = (
            f"{Company.objects.count()} companies, {User.objects.count()} people, "
            f"{Invoice.objects.count()} invoices"
        )
    connection.set_schema_to_public()
    return clients, rows


def test_lists_as_the_firm_grows(committed):
    firms = {size: _firm_of_size(size) for size in SIZES}
    rows = {size: firms[size][1] for size in SIZES}
    times: dict[str, dict[int, list[float]]] = {route: {s: [] for s in SIZES} for route in ROUTES}
    queries: dict[str, dict[int, int]] = {route: {} for route in ROUTES}

    for size, (clients, _rows) in firms.items():
        for route, (who, path) in ROUTES.items():
            get_ms(clients[who], path)  # warm the plans and the caches
            queries[route][size] = len(statements(clients[who], path))
    for _ in range(RUNS):
        for size, (clients, _rows) in firms.items():
            for route, (who, path) in ROUTES.items():
                times[route][size].append(get_ms(clients[who], path))

    smallest = SIZES[0]
    for route in ROUTES:
        for size in SIZES:
            figure(
                "growth",
                f"{route}, {size} companies",
                times[route][size],
                "ms",
                baseline=(f"{smallest} companies", times[route][smallest])
                if size != smallest
                else None,
                note=f"{queries[route][size]} statements a request",
            )
    chart(
        "growth",
        "time of a first page vs firm size",
        x_label="companies in the firm (2 people and 3 invoices each)",
        y_label=f"median ms ({RUNS} requests)",
        series={
            route: [(size, statistics.median(times[route][size])) for size in SIZES]
            for route in ROUTES
        },
        log_x=True,
        note="Rows at each size: " + "; ".join(rows.values()) + ".",
    )
    chart(
        "growth",
        "statements per request vs firm size",
        x_label="companies in the firm",
        y_label="SQL statements a request (SET included)",
        series={route: sorted(queries[route].items()) for route in ROUTES},
        log_x=True,
        note="Flat lines: no list issues a query per row.",
    )
    for route in ROUTES:
        assert queries[route][SIZES[-1]] <= queries[route][smallest], (route, queries[route])
