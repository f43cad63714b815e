"""/api/v1/billing-runs/: the firm starts, follows and retries the monthly billing through the
API; nobody else even sees the runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from api.services import api_key_create
from clients.models import User
from firms.services import firm_open
from invoicing import services
from invoicing.models import BillingRun, BillingRunItem
from invoicing.selectors import run_summary
from saas.celery import app as celery_app
from tenants.models import Firm
from tenants.provisioning import host_for
from tests.api.conftest import errors
from tests.api.invoicing_fixtures import JSON, billable
from tests.factories import CompanyFactory, siren
from tests.invoicing.factories import PERIOD, firm_profile_complete
from tests.workers import wait_until

pytestmark = pytest.mark.django_db

# host, key (and its last use), the page of runs with their counts; each followed by its
# search_path
MAX_QUERIES = 10
REFUSED = {"accountant", "other_accountant", "client_admin", "other_admin", "collaborator"}
MATRIX = [
    ("anonymous", 401),
    ("key", "allowed"),
    ("beta_key", 401),
    ("firm_admin", "allowed"),
    *((actor, 403) for actor in sorted(REFUSED)),
]


@dataclass(frozen=True)
class Runs:
    preview: BillingRun  # October for every billable company: 2 previewed, 1 skipped
    issue: BillingRun  # October issued: 2 issued, 1 skipped
    beta: BillingRun


def _start(actor, mode: str, **fields) -> BillingRun:
    run = services.billing_run_start(actor=actor, period_start=PERIOD, mode=mode, **fields)
    ids = list(run.items.values_list("company_id", flat=True))
    services.bill_chunk(run, ids)
    return run


@pytest.fixture
def runs(alpha, beta, world) -> Runs:
    with alpha.context():
        firm_profile_complete()
        billable(world.company, world.other)
        CompanyFactory(legal_name="Sans Adresse")
        admin = world.people["firm_admin"]
        preview = _start(admin, "preview")
        issue = _start(admin, "issue")
    with beta.context():
        beta_run = services.billing_run_start(
            actor=User.objects.get(email=beta.admin_email), period_start=PERIOD, mode="preview"
        )
    return Runs(preview, issue, beta_run)


def _url(run, suffix: str = "") -> str:
    return f"/api/v1/billing-runs/{run.pk}/{suffix}"


def _runs(alpha) -> int:
    with alpha.context():
        return BillingRun.objects.count()


@pytest.mark.parametrize(("actor", "status"), MATRIX)
def test_list_matrix(runs, as_actor, actor, status):
    response = as_actor(actor).get("/api/v1/billing-runs/")

    if status == "allowed":
        assert response.status_code == 200
        ids = [row["id"] for row in response.json()["results"]]
        assert ids == [str(runs.issue.pk), str(runs.preview.pk)]
    else:
        assert response.status_code == status
        assert "results" not in response.json()


@pytest.mark.parametrize(("actor", "status"), MATRIX)
def test_detail_matrix(runs, as_actor, actor, status):
    response = as_actor(actor).get(_url(runs.preview))

    assert response.status_code == (200 if status == "allowed" else status)
    if status == "allowed":
        assert response.json()["summary"]["counts"]["previewed"] == 2


@pytest.mark.parametrize(("actor", "status"), MATRIX)
def test_items_matrix(runs, as_actor, actor, status):
    response = as_actor(actor).get(_url(runs.preview, "items/"))

    assert response.status_code == (200 if status == "allowed" else status)
    if status == "allowed":
        assert len(response.json()["results"]) == 3


def test_the_summary_counts_each_outcome_and_the_totals(runs, as_actor):
    client = as_actor("key")

    preview = client.get(_url(runs.preview)).json()
    issue = client.get(_url(runs.issue)).json()

    assert preview["period"] == "2026-10"
    assert (preview["mode"], preview["trigger"], preview["companies_total"]) == (
        "preview",
        "manual",
        3,
    )
    assert preview["summary"] == {
        "counts": {
            "pending": 0,
            "issued": 0,
            "already_issued": 0,
            "previewed": 2,
            "skipped": 1,
            "failed": 0,
        },
        "total_excl_vat": "98.00",
        "total_incl_vat": "117.60",
        "done": 3,
        "finished": True,
        "progress": 100,
    }
    assert issue["summary"]["counts"]["issued"] == 2
    assert (issue["summary"]["total_excl_vat"], issue["summary"]["total_incl_vat"]) == (
        "98.00",
        "117.60",
    )


def test_the_summary_agrees_with_the_run_summary_selector(alpha, runs, as_actor):
    with alpha.context():
        BillingRunItem.objects.filter(run=runs.issue, outcome="skipped").update(outcome="pending")
        expected = run_summary(runs.issue)

    summary = as_actor("key").get(_url(runs.issue)).json()["summary"]

    assert summary["counts"] == expected["counts"]
    assert (summary["done"], summary["finished"], summary["progress"]) == (
        expected["done"],
        expected["finished"],
        expected["progress"],
    )
    assert summary["total_incl_vat"] == f"{expected['total_incl_vat']:.2f}"


def test_items_tell_each_company_outcome_reason_and_invoice(runs, as_actor):
    client = as_actor("key")

    issued = client.get(_url(runs.issue, "items/?outcome=issued")).json()["results"]
    skipped = client.get(_url(runs.issue, "items/?outcome=skipped")).json()["results"]

    assert {row["company_name"] for row in issued} == {"Boulangerie Martin", "Garage Dupont"}
    assert all(row["invoice_number"].startswith("F-") for row in issued)
    assert {row["total_incl_vat"] for row in issued} == {"58.80"}
    [row] = skipped
    assert row["company_name"] == "Sans Adresse"
    assert row["invoice"] is None
    assert "adresse" in row["reason"] or "address" in row["reason"]


def test_a_bad_outcome_or_a_run_of_beta_or_no_run_is_refused(runs, as_actor):
    client = as_actor("key")

    bad = client.get(_url(runs.preview, "items/?outcome=paid"))
    beta = client.get(_url(runs.beta, "items/"))
    unknown = client.get(f"/api/v1/billing-runs/{uuid.uuid4()}/items/")
    not_an_id = client.get("/api/v1/billing-runs/octobre/items/")

    assert bad.status_code == 400
    assert set(errors(bad)) == {"outcome"}
    assert [beta.status_code, unknown.status_code, not_an_id.status_code] == [404, 404, 404]


@pytest.mark.parametrize(("actor", "status"), MATRIX)
def test_create_matrix(alpha, runs, as_actor, actor, status):
    payload = {"period": "2026-10", "mode": "preview"}

    response = as_actor(actor).post("/api/v1/billing-runs/", payload, content_type=JSON)

    assert response.status_code == (202 if status == "allowed" else status)
    assert _runs(alpha) == (3 if status == "allowed" else 2)


def test_a_run_started_through_the_api_is_sent_to_the_workers_and_located(
    alpha, world, runs, as_actor, django_capture_on_commit_callbacks
):
    payload = {"period": "2026-10", "mode": "issue", "company": world.company.pk}

    with django_capture_on_commit_callbacks() as sent:
        response = as_actor("firm_admin").post("/api/v1/billing-runs/", payload, content_type=JSON)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/billing-runs/{body['id']}/")
    assert (body["trigger"], body["mode"], body["company"], body["company_name"]) == (
        "api",
        "issue",
        world.company.pk,
        "Boulangerie Martin",
    )
    assert body["started_by"] == world.people["firm_admin"].pk
    assert body["companies_total"] == 1
    assert body["summary"]["counts"]["pending"] == 1
    assert body["summary"]["finished"] is False
    chunks = [callback for callback in sent if callback.__qualname__.startswith("enqueue.")]
    assert len(chunks) == 1  # the one chunk, sent on commit
    with alpha.context():
        run = BillingRun.objects.get(pk=body["id"])
        assert list(run.items.values_list("company_id", "outcome")) == [
            (world.company.pk, "pending")
        ]


def test_without_a_period_the_month_just_ended_is_billed(runs, as_actor):
    response = as_actor("key").post("/api/v1/billing-runs/", {"mode": "preview"}, content_type=JSON)

    assert response.status_code == 202
    assert response.json()["period"] == f"{services.billing_period_default():%Y-%m}"
    assert response.json()["started_by"] is None


@pytest.mark.parametrize(
    ("payload", "field", "french"),
    [
        (
            {"period": "10/2026"},
            "period",
            "Saisissez un mois au format AAAA-MM, par exemple 2026-10.",
        ),
        ({"period": "0000-01"}, "period", None),
        (
            {"period": "2026-13"},
            "period",
            "Saisissez un mois au format AAAA-MM, par exemple 2026-10.",
        ),
        (
            {"period": "2099-01"},
            "period",
            "Un mois ne peut pas être facturé avant d'avoir commencé.",
        ),
        ({"mode": "draft"}, "mode", None),
        ({"mode": None}, "mode", None),
        ({"company": 0}, "company", "Entreprise inconnue."),
        ({"company": "Garage"}, "company", None),
    ],
)
def test_bad_input_is_named_in_french_and_starts_nothing(
    alpha, runs, as_actor, payload, field, french
):
    body = {"period": "2026-10", "mode": "issue"} | payload

    response = as_actor("key").post("/api/v1/billing-runs/", body, content_type=JSON)

    assert response.status_code == 400
    assert set(errors(response)) == {field}
    if french:
        assert errors(response)[field] == french
    assert _runs(alpha) == 2


def test_bad_input_is_named_in_english(alpha, world, runs, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    future = client.post(
        "/api/v1/billing-runs/", {"period": "2099-01", "mode": "issue"}, content_type=JSON
    )
    beta_company = client.post(
        "/api/v1/billing-runs/",
        {"period": "2026-10", "mode": "issue", "company": world.beta_company.pk},
        content_type=JSON,
    )

    assert errors(future) == {"period": "A month cannot be billed before it starts."}
    assert errors(beta_company) == {"company": "Unknown company."}
    assert _runs(alpha) == 2


@pytest.mark.parametrize(("actor", "status"), MATRIX)
def test_retry_matrix(alpha, runs, as_actor, actor, status):
    with alpha.context():
        BillingRunItem.objects.filter(run=runs.issue, outcome="skipped").update(
            outcome="failed", reason="S3 indisponible"
        )

    response = as_actor(actor).post(_url(runs.issue, "retry/"))

    allowed = status == "allowed"
    assert response.status_code == (202 if allowed else status)
    if allowed:
        assert response.json() == {"retried": 1}
        assert response["Location"].endswith(_url(runs.issue))
    with alpha.context():
        outcomes = set(runs.issue.items.values_list("outcome", flat=True))
        assert outcomes == ({"issued", "pending"} if allowed else {"issued", "failed"})


def test_retrying_a_run_of_beta_or_no_run_is_not_found(beta, runs, as_actor):
    client = as_actor("key")

    answers = [
        client.post(_url(runs.beta, "retry/")),
        client.get(_url(runs.beta)),
        client.post(f"/api/v1/billing-runs/{uuid.uuid4()}/retry/"),
        client.post("/api/v1/billing-runs/octobre/retry/"),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    with beta.context():
        assert set(runs.beta.items.values_list("outcome", flat=True)) <= {"pending"}


def test_a_key_of_beta_starts_nothing_on_alpha(alpha, beta, runs, as_actor):
    client = as_actor("beta_key")

    answers = [
        client.post(
            "/api/v1/billing-runs/", {"period": "2026-10", "mode": "issue"}, content_type=JSON
        ),
        client.get(_url(runs.beta)),
        client.post(_url(runs.issue, "retry/")),
    ]

    assert {answer.status_code for answer in answers} == {401}
    assert _runs(alpha) == 2
    with beta.context():
        assert BillingRun.objects.count() == 1


def test_filters(runs, as_actor, world):
    client = as_actor("key")

    def ids(query):
        response = client.get(f"/api/v1/billing-runs/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("mode=preview") == {str(runs.preview.pk)}
    assert ids("period=2026-10&mode=issue") == {str(runs.issue.pk)}
    assert ids("period=2026-09") == set()
    assert ids("trigger=api") == set()
    assert ids(f"company={world.company.pk}") == set()
    for query, field in (
        ("period=octobre", "period"),
        ("period=0000-01", "period"),
        ("mode=draft", "mode"),
    ):
        response = client.get(f"/api/v1/billing-runs/?{query}")
        assert response.status_code == 400
        assert set(errors(response)) == {field}


def test_the_list_costs_the_same_queries_for_3_and_30_runs(
    alpha, world, runs, as_actor, django_assert_max_num_queries
):
    client = as_actor("key")

    def start(n):
        with alpha.context():
            for _n in range(n):
                _start(world.people["firm_admin"], "preview")

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/billing-runs/")
        return len(captured), [row["summary"]["counts"] for row in response.json()["results"]]

    start(1)
    few, counted_few = count()
    start(27)
    with django_assert_max_num_queries(MAX_QUERIES):
        many, counted_many = count()

    assert (len(counted_few), len(counted_many)) == (3, 30)
    assert counted_many[0] == counted_few[0]
    assert many == few


class TestOnARealWorker:
    """Committed data in a firm of its own, so that the worker's threads see it."""

    SLUG = "apiruns"

    @pytest.fixture
    def _django_db_helper(self, django_db_setup, django_db_blocker) -> Iterator[None]:
        with django_db_blocker.unblock():
            yield

    def _firm_drop(self) -> None:
        connection.set_schema_to_public()
        for firm in Firm.objects.filter(slug=self.SLUG):
            with connection.cursor() as cursor:
                name = connection.ops.quote_name(firm.schema_name)
                cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            firm.delete()

    @pytest.fixture
    def key_client(self) -> Iterator[tuple[Firm, Client]]:
        self._firm_drop()
        firm = firm_open(
            name="Cabinet Courses", slug=self.SLUG, siren=siren(777), admin_email="admin@r.example"
        ).firm
        with schema_context(firm.schema_name):
            firm_profile_complete()
            billable(*(CompanyFactory(legal_name=f"Client {n}") for n in range(3)))
            CompanyFactory(legal_name="Sans Adresse")
            admin = User.objects.get(email="admin@r.example")
            _row, secret = api_key_create(actor=admin, name="intégration")
        try:
            yield firm, Client(HTTP_HOST=host_for(self.SLUG), HTTP_AUTHORIZATION=f"Bearer {secret}")
        finally:
            connections.close_all()
            self._firm_drop()

    @pytest.fixture
    def worker(self) -> Iterator[None]:
        celery_app.control.purge()
        with start_worker(
            celery_app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ):
            yield
        celery_app.control.purge()

    def test_a_run_started_through_the_api_bills_the_month_and_its_documents_download(
        self, key_client, worker
    ):
        firm, client = key_client
        payload = {"period": "2026-10", "mode": "issue"}

        started = client.post("/api/v1/billing-runs/", payload, content_type=JSON)
        location = started["Location"]

        def summary():
            return client.get(location).json()["summary"]

        assert started.status_code == 202, started.json()
        assert wait_until(lambda: summary()["finished"], timeout=120, every=0.5)
        assert summary()["counts"] == {
            "pending": 0,
            "issued": 3,
            "already_issued": 0,
            "previewed": 0,
            "skipped": 1,
            "failed": 0,
        }
        ids = [row["id"] for row in client.get("/api/v1/invoices/").json()["results"]]
        assert len(ids) == 3

        def downloads():
            return [client.get(f"/api/v1/invoices/{pk}/pdf/").status_code for pk in ids]

        assert wait_until(lambda: downloads() == [302, 302, 302], timeout=120, every=0.5)
        again = client.post("/api/v1/billing-runs/", payload, content_type=JSON)
        assert wait_until(
            lambda: client.get(again["Location"]).json()["summary"]["finished"], timeout=60
        )
        counts = client.get(again["Location"]).json()["summary"]["counts"]
        assert (counts["already_issued"], counts["issued"]) == (3, 0)
        with schema_context(firm.schema_name):
            assert BillingRun.objects.filter(trigger="api").count() == 2
