"""Bulk upserts over HTTP: 10,000 companies and 30,000 people, 1,000 records per call, sent to
a real server process on the test database, two calls at a time (one per worker); the goal is
20 s in all. The same rows are then inserted with `bulk_create` in the same run, in another
firm, for the ratio. The machine's load is printed with the figures: they mean little on a
machine busy with other work."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django_tenants.utils import tenant_context

from api.services import api_key_create
from clients.bulk import MAX_RECORDS
from clients.models import Company, User
from clients.validators import vat_for
from firms.services import firm_open
from tenants.provisioning import host_for
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX, timed
from tests.factories import siren

COMPANIES = 10_000
PEOPLE = 30_000
GOAL_SECONDS = 20.0
WORKERS = 2


def _companies() -> list[dict]:
    return [
        {
            "external_id": f"CRM-{n}",
            "legal_name": f"Société {n}",
            "siren": siren(n),
            "vat_number": vat_for(siren(n)),
            "city": "Lyon",
            "postal_code": "69002",
        }
        for n in range(COMPANIES)
    ]


def _people() -> list[dict]:
    return [
        {
            "external_id": f"P-{n}",
            "email": f"personne{n}@bench.example",
            "first_name": "Camille",
            "last_name": f"Durand {n}",
            "phone": "06 12 34 56 78",
        }
        for n in range(PEOPLE)
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{settings.DATABASES['default']['NAME']}"))


@pytest.fixture
def server(committed):
    port = _free_port()
    env = os.environ | {"DATABASE_URL": _database_url(), "DJANGO_DEBUG": "0", "HTTPS": "0"}
    log = open(Path(settings.BASE_DIR) / ".data" / "bench-bulk-server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "saas.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(WORKERS),
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)
    log.close()


def _send(port: int, host: str, secret: str, url: str, records: list[dict]) -> dict[str, int]:
    """Every record in calls of MAX_RECORDS, two calls at a time (one per server worker);
    the summed summaries."""
    headers = {
        "Host": host,
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/json",
    }

    def call(start: int) -> dict[str, int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        body = json.dumps({"records": records[start : start + MAX_RECORDS]})
        conn.request("POST", url, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        assert response.status == 200, payload[:500]
        return json.loads(payload)["summary"]

    totals: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for summary in pool.map(call, range(0, len(records), MAX_RECORDS)):
            for status, count in summary.items():
                totals[status] = totals.get(status, 0) + count
    return totals


def _open(slug: str):
    opened = firm_open(
        name="Cabinet Banc d'essai",
        slug=f"{PREFIX}{slug}",
        siren="732829320",
        admin_email=f"admin@{slug}.example",
        admin_password="Correct-Horse-Battery-9",
    )
    connection.set_schema_to_public()
    return opened.firm


@pytest.mark.bench
def test_bulk_upsert_over_http(server):
    firm = _open("bulk")
    with tenant_context(firm):
        admin = User.objects.get(email="admin@bulk.example")
        _key, secret = api_key_create(actor=admin, name="banc d'essai")
    host = host_for(firm.slug)
    companies, people = _companies(), _people()

    first: dict[str, dict] = {}
    seconds = {
        "companies": timed(
            lambda: first.update(
                companies=_send(server, host, secret, "/api/v1/companies/bulk", companies)
            )
        ),
        "people": timed(
            lambda: first.update(people=_send(server, host, secret, "/api/v1/users/bulk", people))
        ),
    }
    again: dict[str, dict] = {}
    repeat = timed(
        lambda: again.update(
            companies=_send(server, host, secret, "/api/v1/companies/bulk", companies),
            people=_send(server, host, secret, "/api/v1/users/bulk", people),
        )
    )

    direct = _open("bulk-direct")
    with tenant_context(direct):
        password = make_password(None)
        baseline = timed(lambda: _bulk_create(companies, people, password))
        assert Company.objects.filter(external_id__isnull=False).count() == COMPANIES

    total = seconds["companies"] + seconds["people"]
    setup = f"{MAX_RECORDS} records a call, gunicorn {WORKERS} workers, {WORKERS} calls at a time"
    for kind, count in (("companies", COMPANIES), ("people", PEOPLE)):
        figure("bulk", f"{count} {kind} created over HTTP", seconds[kind], "s", note=setup)
    figure(
        "bulk",
        f"{COMPANIES + PEOPLE} records created over HTTP",
        total,
        "s",
        baseline=("bulk_create of the same rows in-process", baseline),
        note=f"goal <= {GOAL_SECONDS:.0f} s",
    )
    figure("bulk", f"the same {COMPANIES + PEOPLE} records again, unchanged", repeat, "s")
    assert first["companies"]["created"] == COMPANIES
    assert first["people"]["created"] == PEOPLE
    assert again["companies"]["unchanged"] == COMPANIES
    assert again["people"]["unchanged"] == PEOPLE


def _bulk_create(companies: list[dict], people: list[dict], password: str) -> None:
    Company.objects.bulk_create([Company(**record) for record in companies], batch_size=1000)
    User.objects.bulk_create(
        [User(password=password, **record) for record in people], batch_size=1000
    )
