"""/api/v1/invoices/: who reads which invoice, downloads its documents, issues one by hand."""

import datetime
import hashlib
import re
import urllib.request

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openapi_spec_validator import validate

from clients.models import Company
from entitlements.services import company_right_grant
from invoicing import services
from invoicing.models import Invoice, InvoiceDocument
from tenants import storage
from tests.api.conftest import errors
from tests.api.invoicing_fixtures import (
    JSON,
    credit,
    inv_fixture,  # noqa: F401 (the `inv` fixture)
    ready,
)

pytestmark = pytest.mark.django_db

# host, session, person, firm profile, the page of invoices, their credit notes, the session
# save; each followed by its search_path
MAX_QUERIES = 20
LINE = {"label": "Bilan 2026", "quantity": "1", "unit_price": "1200.00", "vat_rate": "20"}


def _url(invoice, suffix: str = "") -> str:
    return f"/api/v1/invoices/{invoice.pk}/{suffix}"


def _numbers(response) -> set[str]:
    return {row["number"] for row in response.json()["results"]}


def _manual(company, **changes) -> dict:
    return {"company": company.pk, "lines": [LINE], "note": "Mission exceptionnelle", **changes}


def _expires(url: str) -> int:
    return int(re.search(r"X-Amz-Expires=(\d+)", url)[1])


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", {"invoice", "garage"}),
        ("beta_key", 401),
        ("firm_admin", {"invoice", "garage"}),
        ("accountant", {"invoice"}),
        ("other_accountant", set()),
        ("client_admin", {"invoice"}),
        ("other_admin", {"garage"}),
        ("collaborator", set()),
    ],
)
def test_list_matrix(inv, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/invoices/")

    if expected == 401:
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
    else:
        assert response.status_code == 200
        assert _numbers(response) == {getattr(inv, name).number for name in expected}


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 200),
        ("beta_key", 401),
        ("firm_admin", 200),
        ("accountant", 200),
        ("other_accountant", 404),
        ("client_admin", 200),
        ("other_admin", 404),
        ("collaborator", 404),
    ],
)
def test_detail_matrix(inv, as_actor, actor, status):
    response = as_actor(actor).get(_url(inv.invoice))

    assert response.status_code == status
    if status == 200:
        assert response.json()["number"] == inv.invoice.number


def test_the_detail_tells_lines_totals_vat_parties_document_and_credit_notes(inv, as_actor):
    body = as_actor("client_admin").get(_url(inv.invoice)).json()

    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "49.00",
        "9.80",
        "58.80",
    )
    assert body["vat_breakdown"] == [{"rate": "20.00", "basis": "49.00", "amount": "9.80"}]
    [line] = body["lines"]
    assert (line["label"], line["total_excl_vat"], line["credited_excl_vat"]) == (
        "Comptabilité en ligne",
        "49.00",
        "10.00",
    )
    assert body["seller"]["legal_name"] == "Cabinet Alpha Expertise"
    assert body["buyer"]["legal_name"] == "Boulangerie Martin"
    assert (body["period_start"], body["period_end"]) == ("2026-10-01", "2026-10-31")
    assert body["document_status"] == "pending"
    assert body["retained_until"] == f"{inv.invoice.issue_date.year + 10}-12-31"
    assert body["credit_notes"] == [inv.credit_note.pk]
    assert body["status"] == "issued"
    assert (body["amount_paid"], body["balance_due"]) == ("0.00", "46.80")
    assert body["origin"] == "monthly"


def test_a_credit_note_is_not_an_invoice(inv, as_actor):
    client = as_actor("key")

    listed = _numbers(client.get("/api/v1/invoices/"))
    answers = [client.get(_url(inv.credit_note, suffix)) for suffix in ("", "pdf/", "xml/")]

    assert inv.credit_note.number not in listed
    assert [answer.status_code for answer in answers] == [404, 404, 404]


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 302),
        ("beta_key", 401),
        ("firm_admin", 302),
        ("accountant", 302),
        ("other_accountant", 404),
        ("client_admin", 302),
        ("other_admin", 404),
        ("collaborator", 404),
    ],
)
@pytest.mark.parametrize("fmt", ["pdf", "xml"])
def test_download_matrix(alpha, inv, as_actor, actor, status, fmt):
    with alpha.context():
        ready(inv.invoice)

    response = as_actor(actor).get(_url(inv.invoice, f"{fmt}/"))

    assert response.status_code == status
    if status == 302:
        location = response["Location"]
        assert f"firms/{alpha.firm.schema_name}/invoices/" in location
        assert f"{inv.invoice.number}.{fmt}" in location
        assert _expires(location) <= 300
        assert response["Cache-Control"] == "no-store"
    else:
        assert not response.has_header("Location")


def test_the_presigned_url_serves_the_sealed_bytes(alpha, inv, as_actor):
    with alpha.context():
        document = ready(inv.invoice)

    location = as_actor("client_admin").get(_url(inv.invoice, "pdf/"))["Location"]
    with urllib.request.urlopen(location, timeout=10) as answer:  # noqa: S310 - loopback S3
        body = answer.read()
        disposition = answer.headers["Content-Disposition"]

    assert hashlib.sha256(body).hexdigest() == document.pdf_sha256
    assert body.startswith(b"%PDF")
    assert disposition == f'attachment; filename="{inv.invoice.number}.pdf"'


def test_a_collaborator_reads_with_the_view_right_and_downloads_with_the_download_right(
    alpha, world, inv, as_actor
):
    with alpha.context():
        ready(inv.invoice)
        admin = world.people["firm_admin"]
        collaborator = world.people["collaborator"]
        company_right_grant(
            actor=admin, user=collaborator, company=world.company, codename="view_invoices"
        )
    client = as_actor("collaborator")

    seen = _numbers(client.get("/api/v1/invoices/"))
    refused = client.get(_url(inv.invoice, "pdf/"))
    with alpha.context():
        company_right_grant(
            actor=admin, user=collaborator, company=world.company, codename="download_invoices"
        )
    allowed = client.get(_url(inv.invoice, "pdf/"))

    assert seen == {inv.invoice.number}
    assert refused.status_code == 404
    assert allowed.status_code == 302


def test_a_document_being_prepared_answers_409_with_retry_after(inv, as_actor):
    french = as_actor("client_admin").get(_url(inv.invoice, "pdf/"))
    english = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").get(_url(inv.invoice, "xml/"))

    assert (french.status_code, english.status_code) == (409, 409)
    assert french["Retry-After"] == english["Retry-After"] == "30"
    assert french["Content-Type"] == "application/problem+json"
    assert french.json()["status"] == 409
    assert french.json()["detail"] == "Le document est en préparation ; réessayez dans une minute."
    assert english.json()["detail"] == "The document is being prepared; try again in a minute."
    assert not french.has_header("Location")


def test_an_altered_document_answers_409_and_no_url(alpha, inv, as_actor):
    with alpha.context():
        document = ready(inv.invoice)
        storage.put(document.pdf_path, b"%PDF-1.7 forged", content_type="application/pdf")

    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").get(_url(inv.invoice, "pdf/"))

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This document failed its integrity check; the firm is told."
    )
    assert not response.has_header("Location")
    assert not response.has_header("Retry-After")


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 201),
        ("beta_key", 401),
        ("firm_admin", 201),
        ("accountant", 201),
        ("other_accountant", 400),
        ("client_admin", 403),
        ("other_admin", 403),
        ("collaborator", 403),
    ],
)
def test_create_matrix(alpha, world, inv, as_actor, actor, status):
    response = as_actor(actor).post("/api/v1/invoices/", _manual(world.company), content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        issued = Invoice.objects.filter(origin="manual", kind="invoice")
        assert issued.exists() is (status == 201)
    if status == 400:
        assert set(errors(response)) == {"company"}


def test_a_manual_invoice_is_issued_with_its_lines_and_located(alpha, world, inv, as_actor):
    lines = [LINE, {"label": "Conseil", "detail": "2 h", "quantity": "2", "unit_price": "90"}]
    payload = _manual(world.company, lines=lines, period_start="2026-10-01")
    payload["period_end"] = "2026-12-31"

    response = as_actor("accountant").post("/api/v1/invoices/", payload, content_type=JSON)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/invoices/{body['id']}/")
    assert body["origin"] == "manual"
    assert body["number"].startswith(f"F-{inv.invoice.issue_date.year}-")
    assert [line["total_excl_vat"] for line in body["lines"]] == ["1200.00", "180.00"]
    assert (body["total_excl_vat"], body["total_incl_vat"]) == ("1380.00", "1656.00")
    assert body["note"] == "Mission exceptionnelle"
    assert body["document_status"] == "pending"
    with alpha.context():
        assert Invoice.objects.get(pk=body["id"]).created_by == world.people["accountant"]


@pytest.mark.parametrize(
    ("lines", "field", "french"),
    [
        ([], "lines", "Ajoutez au moins une ligne."),
        (
            [LINE, LINE | {"vat_rate": "19.6"}],
            "lines.1.vat_rate",
            "Choisissez un taux de TVA français : 20, 10, 5,5, 2,1 ou 0 %.",
        ),
        ([LINE | {"label": " "}], "lines.0.label", "Ce champ est obligatoire."),
        (
            [LINE | {"unit_price": "10.001"}],
            "lines.0.unit_price",
            "Saisissez un montant positif avec au plus 2 décimales.",
        ),
        ([LINE | {"quantity": "deux"}], "lines.0.quantity", "Saisissez un nombre."),
        ([LINE | {"quantity": [2]}], "lines.0.quantity", None),
        (["Bilan"], "lines.0", None),
        ("Bilan", "lines", None),
    ],
)
def test_a_bad_line_is_named_in_french_and_nothing_is_issued(
    alpha, world, inv, as_actor, lines, field, french
):
    payload = _manual(world.company, lines=lines)

    response = as_actor("key").post("/api/v1/invoices/", payload, content_type=JSON)

    assert response.status_code == 400
    assert set(errors(response)) == {field}
    if french:
        assert errors(response)[field] == french
    with alpha.context():
        assert not Invoice.objects.filter(origin="manual", kind="invoice").exists()


@pytest.mark.parametrize(
    "line",
    [
        LINE | {"unit_price": "1e30"},
        LINE | {"quantity": "1e30"},
        LINE | {"unit_price": "99999999999.00"},
        LINE | {"quantity": "99999999", "unit_price": "9999999999.00"},
    ],
)
def test_an_amount_out_of_range_is_a_400_not_a_500(world, inv, as_actor, line):
    payload = _manual(world.company, lines=[line])

    response = as_actor("key").post("/api/v1/invoices/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response)


def test_a_bad_line_is_named_in_english(alpha, world, inv, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")
    payload = _manual(world.company, lines=[LINE, LINE | {"quantity": "-1"}])

    response = client.post("/api/v1/invoices/", payload, content_type=JSON)

    assert errors(response) == {
        "lines.1.quantity": "Enter a positive quantity with at most 4 decimals."
    }


def test_a_bad_period_unknown_company_or_incomplete_company_is_named(alpha, world, inv, as_actor):
    client = as_actor("key")
    with alpha.context():
        bare = Company.objects.create(legal_name="Sans Adresse", siren="552100554")

    half = client.post(
        "/api/v1/invoices/", _manual(world.company, period_start="2026-10-01"), content_type=JSON
    )
    backwards = client.post(
        "/api/v1/invoices/",
        _manual(world.company, period_start="2026-10-31", period_end="2026-10-01"),
        content_type=JSON,
    )
    unknown = client.post("/api/v1/invoices/", _manual(world.beta_company), content_type=JSON)
    incomplete = client.post("/api/v1/invoices/", _manual(bare), content_type=JSON)
    not_a_date = client.post(
        "/api/v1/invoices/", _manual(world.company, period_end="31/10/2026"), content_type=JSON
    )

    assert errors(half) == {
        "period_end": "Indiquez le début et la fin de la période, ou aucun des deux."
    }
    assert errors(backwards) == {"period_end": "La période se termine avant de commencer."}
    assert errors(unknown) == {"company": "Entreprise inconnue."}
    assert errors(incomplete) == {
        "company": "données de facturation incomplètes : adresse, code postal, ville"
    }
    assert set(errors(not_a_date)) == {"period_end"}
    with alpha.context():
        assert not Invoice.objects.filter(origin="manual", kind="invoice").exists()


def test_filters(alpha, world, inv, as_actor):
    client = as_actor("key")
    with alpha.context():
        Company.objects.filter(pk=world.other.pk).update(external_id="CRM-GARAGE")
        credit(inv.garage, world.people["firm_admin"], amount=None)
        overdue = _overdue_copy(inv.invoice)
    today = inv.invoice.issue_date.isoformat()

    def numbers(query):
        response = client.get(f"/api/v1/invoices/?{query}")
        assert response.status_code == 200, response.json()
        return _numbers(response)

    assert numbers(f"company={world.other.pk}") == {inv.garage.number}
    assert numbers("external_id=CRM-GARAGE") == {inv.garage.number}
    assert numbers(f"year={inv.invoice.issue_date.year}") == {
        inv.invoice.number,
        inv.garage.number,
        overdue.number,
    }
    assert numbers("year=2001") == set()
    assert numbers("status=open") == {inv.invoice.number, overdue.number}
    assert numbers("status=issued") == {inv.invoice.number}
    assert numbers("status=credited") == {inv.garage.number}
    assert numbers("status=overdue") == {overdue.number}
    assert numbers(f"issued_after={today}") == {inv.invoice.number, inv.garage.number}
    assert numbers(f"issued_before={today}&status=overdue") == {overdue.number}
    assert numbers("issued_before=2026-06-30") == {overdue.number}


def test_each_invoice_tells_its_status(alpha, world, inv, as_actor):
    with alpha.context():
        credit(inv.garage, world.people["firm_admin"], amount=None)
        overdue = _overdue_copy(inv.invoice)

    rows = as_actor("key").get("/api/v1/invoices/").json()["results"]

    assert {row["number"]: row["status"] for row in rows} == {
        inv.invoice.number: "issued",
        inv.garage.number: "credited",
        overdue.number: "overdue",
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=payee", "status"),
        ("year=deux-mille", "year"),
        ("year=0", "year"),
        ("year=99999", "year"),
        ("company=x", "company"),
        ("issued_after=2026-13-01", "issued_after"),
        ("issued_before=hier", "issued_before"),
    ],
)
def test_a_bad_filter_is_named(inv, as_actor, query, field):
    response = as_actor("key").get(f"/api/v1/invoices/?{query}")

    assert response.status_code == 400
    assert set(errors(response)) == {field}


def test_a_bad_status_filter_is_explained_in_french_and_english(inv, as_actor):
    french = as_actor("key").get("/api/v1/invoices/?status=payee")
    english = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/invoices/?status=payee")
    choices = "open, issued, partially_paid, paid, overdue, credited, reversed"

    assert errors(french) == {"status": f"Choisissez parmi : {choices}."}
    assert errors(english) == {"status": f"Choose one of: {choices}."}


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(alpha, beta, world, inv, as_actor, actor):
    client = as_actor(actor)
    target = inv.beta_invoice

    answers = [client.get(_url(target, suffix)) for suffix in ("", "pdf/", "xml/")]
    listed = _numbers(client.get(f"/api/v1/invoices/?company={world.beta_company.pk}"))

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert listed == set()


def test_a_key_of_beta_gets_nothing_and_issues_nothing_on_alpha(alpha, world, inv, as_actor):
    client = as_actor("beta_key")

    answers = [
        client.get("/api/v1/invoices/"),
        client.get(_url(inv.beta_invoice)),
        client.get(_url(inv.invoice, "pdf/")),
        client.post("/api/v1/invoices/", _manual(world.beta_company), content_type=JSON),
        client.post("/api/v1/invoices/", _manual(world.company), content_type=JSON),
    ]

    assert {answer.status_code for answer in answers} == {401}
    assert all("results" not in answer.json() for answer in answers)
    with alpha.context():
        assert not Invoice.objects.filter(origin="manual", kind="invoice").exists()


def _issue_manual(alpha, world, n: int) -> None:
    with alpha.context():
        company = Company.objects.get(pk=world.company.pk)
        for _n in range(n):
            services.invoice_issue_manual(
                actor=world.people["firm_admin"], company=company, lines=[LINE]
            )


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), len(response.json()["results"])


def test_the_list_costs_the_same_queries_for_3_and_30_invoices(
    alpha, world, inv, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")
    _issue_manual(alpha, world, 2)
    few, listed_few = _queries(client, "/api/v1/invoices/")
    _issue_manual(alpha, world, 27)

    with django_assert_max_num_queries(MAX_QUERIES):
        many, listed_many = _queries(client, "/api/v1/invoices/?status=open")

    assert (listed_few, listed_many) == (3, 30)
    assert many == few


def test_the_schema_documents_every_invoicing_operation_and_validates(alpha, tmp_path):
    schema = alpha.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    validate(schema)
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    assert set(paths["/api/v1/invoices/"]) == {"get", "post"}
    assert set(paths["/api/v1/invoices/{id}/"]) == {"get"}
    assert set(paths["/api/v1/credit-notes/"]) == {"get", "post"}
    for route in ("invoices", "credit-notes"):
        for fmt in ("pdf", "xml"):
            responses = paths[f"/api/v1/{route}/{{id}}/{fmt}/"]["get"]["responses"]
            assert {"302", "404", "409"} <= set(responses)
            assert "Location" in responses["302"]["headers"]
            assert "Retry-After" in responses["409"]["headers"]
    assert set(paths["/api/v1/billing-runs/"]) == {"get", "post"}
    assert "202" in paths["/api/v1/billing-runs/"]["post"]["responses"]
    assert set(paths["/api/v1/billing-runs/{id}/retry/"]) == {"post"}
    assert set(paths["/api/v1/billing-runs/{run_id}/items/"]) == {"get"}
    assert "examples" in str(paths["/api/v1/invoices/"]["post"]["requestBody"])
    assert "examples" in str(paths["/api/v1/credit-notes/"]["post"]["responses"]["400"])
    filters = {p["name"] for p in paths["/api/v1/invoices/"]["get"]["parameters"]}
    assert filters >= {"company", "year", "status", "issued_after", "issued_before", "cursor"}
    assert "external_id" in filters


def _overdue_copy(invoice: Invoice) -> Invoice:
    """An invoice of last spring, unpaid: payments are not recorded yet, so past its due date
    it is overdue. Issuing always dates today, hence a row written as the issuing would have."""
    source = Invoice.objects.get(pk=invoice.pk)
    fields = {
        field.attname: getattr(source, field.attname)
        for field in Invoice._meta.concrete_fields
        if field.attname not in ("id", "created_at")
    }
    fields |= {
        "number": "F-2026-900001",
        "sequence": 900001,
        "origin": "manual",
        "period_start": None,
        "period_end": None,
        "issue_date": datetime.date(2026, 5, 4),
        "due_date": datetime.date(2026, 6, 3),
    }
    overdue = Invoice.objects.create(**fields)
    InvoiceDocument.objects.create(invoice=overdue)
    return overdue
