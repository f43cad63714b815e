"""The portal under load: gunicorn with production settings on the test stack, a mixed workload
from locust (headless, its own process) over two firms, and the API list held against a minimal
DRF endpoint served by the same processes in the same run.

    make bench PYTEST_ARGS="-k http_load"   # BENCH_LOAD_SECONDS, BENCH_USERS, BENCH_WEB_WORKERS
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

import factory
import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django_tenants.utils import schema_context

from api.services import api_key_create
from clients.models import Company, Membership, User
from invoicing import services
from invoicing.models import Invoice
from saas.celery import app as celery_app
from tenants.export import prefix_remove
from tenants.provisioning import host_for, schema_for
from tests.benchmarks.fixtures import bench_firm_open, firm_fill
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX
from tests.benchmarks.urls_bench import MINIMAL_PATH
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.workers import database_url_of_tests, stop, wait_until

pytestmark = pytest.mark.bench
SECTION = "HTTP under load"
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "40"))
USERS = int(os.environ.get("BENCH_USERS", "8"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "3"))  # infra/gunicorn.conf.py's default
WARM_UP_SECONDS = 6
COMPANIES = 24
PEOPLE = 4  # client administrators per firm, each of COMPANIES / PEOPLE companies
MONTHS = 6  # monthly invoices per company, May to October
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
# Locust's names of the routes, and the URL name and method the access log gives each.
ROUTES = {
    "log in": ("frontend:login", "POST"),
    "Mon compte": ("account:index", "GET"),
    "invoice list": ("account:invoices", "GET"),
    "invoice download link": ("account:invoice_pdf", "GET"),
    "people list": ("people:index", "GET"),
    "API invoices": ("api:invoice-list", "GET"),
    "API companies": ("api:company-list", "GET"),
    "minimal DRF endpoint": ("bench-minimal", "GET"),
}
MINIMAL = "minimal DRF endpoint"


def _load_firm(index: int) -> dict:
    """A firm of COMPANIES companies with MONTHS invoices each, PEOPLE client administrators
    (each with one collaborator per company and one invoice whose PDF is stored) and an API key."""
    schema = bench_firm_open(f"load-{index}")
    companies = firm_fill(schema, COMPANIES)
    hashed = make_password(PASSWORD)
    people = []
    with schema_context(schema):
        admin = User.objects.get(firm_role=User.FirmRole.ADMIN)
        _row, key = api_key_create(actor=admin, name="bench")
        for company in companies:
            for month in range(5, 5 + MONTHS):
                outcome = services.company_bill(
                    company=Company.objects.get(pk=company.pk),
                    period_start=datetime.date(2026, month, 1),
                    document_later=False,
                )
                assert outcome.invoice is not None, outcome.reason
        for n in range(PEOPLE):
            email = f"gerant{n}@load-{index}.bench.example"
            person = UserFactory(email=email, password=factory.Transformer.Force(hashed))
            mine = companies[n::PEOPLE]
            for company in mine:
                MembershipFactory(user=person, company=company, role=Membership.Role.ADMIN)
                MembershipFactory(
                    user=UserFactory(email=f"salarie{company.pk}@load-{index}.bench.example"),
                    company=company,
                )
            downloadable = Invoice.objects.filter(company=mine[0]).order_by("pk").first()
            services.document_store(downloadable, notify=False)
            people.append({"email": email, "invoices": [downloadable.pk]})
    return {"host": host_for(f"bench-load-{index}"), "api_key": key, "people": people}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn(port: int, log: Path, metrics: Path) -> subprocess.Popen:
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings_bench",
        "DATABASE_URL": database_url_of_tests(),
        "DJANGO_DEBUG": "0",
        "HTTPS": "0",
        "WEB_CONCURRENCY": str(WEB_WORKERS),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        # The load comes from one key per firm: the rate limit would answer 429 to most of it.
        "API_RATE_LIMIT": "1000000/min",
        "EMAIL_URL": "dummymail://",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(settings.BASE_DIR / "infra" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "saas.wsgi",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _locust(port: int, targets: Path, out: Path, seconds: int) -> tuple[Path, Path]:
    """One headless locust run; returns its stats CSV and the samples of every request."""
    samples = out.with_suffix(".samples.csv")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(out),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=os.environ | {"BENCH_TARGETS": str(targets), "BENCH_SAMPLES": str(samples)},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    stats = Path(f"{out}_stats.csv")
    assert stats.exists(), result.stdout[-2000:] + result.stderr[-2000:]
    return stats, samples


def _stats(path: Path) -> dict[str, dict[str, float]]:
    with path.open() as rows:
        return {
            row["Name"]: {
                "count": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
            }
            for row in csv.DictReader(rows)
        }


def _samples(path: Path) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with path.open() as rows:
        for name, milliseconds, ok in csv.reader(rows):
            if ok == "1":
                times.setdefault(name, []).append(float(milliseconds))
    return times


def _served(log: Path, since: int) -> dict[str, list[float]]:
    """Time spent inside Django per route, from the access lines written after `since`."""
    names = {url: route for route, url in ROUTES.items()}
    times: dict[str, list[float]] = {}
    with log.open() as lines:
        lines.seek(since)
        for line in lines:
            if '"comptoir.access"' not in line:
                continue
            entry = json.loads(line)
            route = names.get((entry.get("route"), entry.get("method")))
            if route:
                times.setdefault(route, []).append(entry["duration_ms"])
    return times


def test_http_load_mixed_workload_over_two_firms(committed, tmp_path):
    firms = [_load_firm(index) for index in (1, 2)]
    connection.set_schema_to_public()
    targets = tmp_path / "targets.json"
    targets.write_text(
        json.dumps({"password": PASSWORD, "minimal_path": MINIMAL_PATH, "firms": firms})
    )
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    server = _gunicorn(port, log, tmp_path / "metrics")
    try:
        assert wait_until(lambda: _answers(port), timeout=60, every=0.2), log.read_text()[-3000:]
        _locust(port, targets, tmp_path / "warm-up", WARM_UP_SECONDS)
        load_before = os.getloadavg()
        since = log.stat().st_size
        stats_csv, samples_csv = _locust(port, targets, tmp_path / "load", SECONDS)
        load_after = os.getloadavg()
    finally:
        stop(server)
        celery_app.control.purge()  # the invoices' notifications: no worker runs here
        prefix_remove(f"firms/{schema_for(PREFIX)}load")

    stats, times, served = _stats(stats_csv), _samples(samples_csv), _served(log, since)
    total = stats["Aggregated"]
    assert total["failures"] == 0, {name: s["failures"] for name, s in stats.items()}
    assert set(ROUTES) <= set(times) & set(served), (sorted(times), sorted(served))
    load = f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    setup = (
        f"{SECONDS} s, {USERS} locust users, gunicorn {WEB_WORKERS} sync workers, "
        f"{os.cpu_count()} CPUs, {load}"
    )
    figure(SECTION, "all routes", total["rps"], "requests/s", note=setup)
    for route in ROUTES:
        row = stats[route]
        note = (
            f"{row['rps']:.1f} requests/s, {int(row['count'])} requests; "
            f"p95 {row['p95']:.0f} ms, p99 {row['p99']:.0f} ms; seen by locust"
        )
        figure(SECTION, f"{route} p50", times[route], "ms", note=note)
        figure(SECTION, f"{route} inside Django", served[route], "ms", note="access log")
    for route in ("API invoices", "API companies"):
        figure(
            SECTION,
            f"{route} against the minimal DRF endpoint",
            times[route],
            "ms",
            baseline=(MINIMAL, times[MINIMAL]),
            note="seen by locust: queueing included; ratio of the medians",
        )
        figure(
            SECTION,
            f"{route} against the minimal DRF endpoint, inside Django",
            served[route],
            "ms",
            baseline=(MINIMAL, served[MINIMAL]),
            note="access log: the work of the request alone",
        )
    print(f"\nHTTP load: {setup}")
    print(f"  {'route':<24}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}{'Django':>8}  (ms)")
    for route in (*ROUTES, "Aggregated"):
        row = stats[route]
        inside = f"{statistics.median(served[route]):>8.1f}" if route in served else ""
        print(
            f"  {route:<24}{row['rps']:>8.1f}{row['p50']:>8.0f}{row['p95']:>8.0f}"
            f"{row['p99']:>8.0f}{inside}"
        )
