"""The mixed workload of the HTTP load benchmark (tests/benchmarks/test_http_load.py runs it).

Never imported by pytest: locust patches the standard library with gevent. Reads
BENCH_TARGETS (a JSON file: per firm its host, API key, people and their invoices) and writes
every request's time to BENCH_SAMPLES (CSV: route, milliseconds, ok) when it quits.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, events, task

TARGETS = json.loads(Path(os.environ["BENCH_TARGETS"]).read_text())
PASSWORD = TARGETS["password"]
MINIMAL = TARGETS["minimal_path"]
_people = itertools.cycle(
    [(firm, person) for firm in TARGETS["firms"] for person in firm["people"]]
)
_keys = itertools.cycle(TARGETS["firms"])
_samples: list[tuple[str, float, int]] = []


@events.request.add_listener
def _sample(name, response_time, exception, **_kwargs) -> None:
    _samples.append((name, response_time, 0 if exception else 1))


@events.quitting.add_listener
def _write_samples(**_kwargs) -> None:
    with Path(os.environ["BENCH_SAMPLES"]).open("w", newline="") as out:
        csv.writer(out).writerows(_samples)


def _expect(response, status: int) -> None:
    if response.status_code != status:
        response.failure(f"{response.status_code} instead of {status}")
    else:
        response.success()


class ClientPerson(HttpUser):
    """A client administrator of a few companies, in the portal's pages."""

    weight = 3
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        firm, person = next(_people)
        self.client.headers["Host"] = firm["host"]
        self.email = person["email"]
        self.invoices = person["invoices"]
        self.log_in()

    def log_in(self) -> None:
        self.client.cookies.clear()
        self.client.get("/connexion/", name="login form")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/connexion/",
            {"username": self.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _expect(response, 302)

    @task(1)
    def sign_in_again(self) -> None:
        self.log_in()

    @task(3)
    def account(self) -> None:
        with self.client.get("/mon-compte/", name="Mon compte", catch_response=True) as r:
            _expect(r, 200)

    @task(3)
    def invoice_list(self) -> None:
        with self.client.get(
            "/mon-compte/factures/", name="invoice list", catch_response=True
        ) as response:
            _expect(response, 200)

    @task(2)
    def invoice_download(self) -> None:
        invoice = random.choice(self.invoices)
        with self.client.get(
            f"/mon-compte/factures/{invoice}/pdf/",
            name="invoice download link",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            _expect(response, 302)

    @task(2)
    def people(self) -> None:
        with self.client.get("/utilisateurs/", name="people list", catch_response=True) as r:
            _expect(r, 200)


class Integration(HttpUser):
    """A firm's integration reading the API with its key, and the minimal endpoint beside it."""

    weight = 1
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        firm = next(_keys)
        self.client.headers["Host"] = firm["host"]
        self.client.headers["Authorization"] = f"Bearer {firm['api_key']}"

    @task(2)
    def invoices(self) -> None:
        with self.client.get("/api/v1/invoices/", name="API invoices", catch_response=True) as r:
            _expect(r, 200)

    @task(1)
    def companies(self) -> None:
        with self.client.get("/api/v1/companies/", name="API companies", catch_response=True) as r:
            _expect(r, 200)

    @task(2)
    def minimal(self) -> None:
        with self.client.get(MINIMAL, name="minimal DRF endpoint", catch_response=True) as r:
            _expect(r, 200)
