"""Statement of account API: JSON, CSV and PDF of one company, for whoever may see its
invoices; everyone else (and beta's ids) gets nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from payments.models import Source
from payments.services import payment_record
from tests.api.conftest import errors
from tests.api.invoicing_fixtures import inv_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _url(company, tail: str = "") -> str:
    return f"/api/v1/companies/{company.pk}/statement/{tail}"


@pytest.fixture
def paid(alpha, inv):
    with alpha.context():
        return payment_record(
            actor=None,
            invoice=inv.invoice,
            amount="20.00",
            date=TODAY(),
            means="transfer",
            source=Source.BANK,
            reference="VIR MARTIN",
        )


@pytest.mark.parametrize("who", ["key", "firm_admin", "accountant", "client_admin"])
def test_the_statement_lists_the_invoice_its_credit_note_and_its_payment(
    as_actor, world, inv, paid, who
):
    response = as_actor(who).get(_url(world.company))

    assert response.status_code == 200, response.content
    body = response.json()
    assert [line["kind"] for line in body["lines"]] == ["invoice", "credit_note", "payment"]
    assert body["lines"][0]["debit"] == "58.80" and body["lines"][0]["balance"] == "58.80"
    assert body["lines"][1]["credit"] == "12.00" and body["lines"][1]["balance"] == "46.80"
    assert body["lines"][2]["reference"] == "VIR MARTIN"
    assert body["balance"] == "26.80" and body["open_invoices"] == 1
    assert set(body["aging"]) == {
        "not_due",
        "days_0_30",
        "days_31_60",
        "days_61_90",
        "days_90_plus",
    }
    assert sum(float(value) for value in body["aging"].values()) == 26.8


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("anonymous", {401, 403}),
        ("beta_key", {401, 403}),
        ("other_accountant", {404}),
        ("other_admin", {404}),
        ("collaborator", {404}),
    ],
)
@pytest.mark.parametrize("tail", ["", "csv/", "pdf/"])
def test_who_may_not_see_the_invoices_gets_no_statement(
    as_actor, world, inv, paid, who, codes, tail
):
    response = as_actor(who).get(_url(world.company, tail))

    assert response.status_code in codes
    assert b"VIR MARTIN" not in response.content and b"%PDF" not in response.content


def test_beta_s_company_is_not_found_on_alpha(as_actor, world, inv):
    assert as_actor("key").get(_url(world.beta_company)).status_code == 404


def test_until_dates_the_statement(as_actor, world, inv, paid):
    yesterday = (TODAY() - datetime.timedelta(days=1)).isoformat()

    body = as_actor("key").get(_url(world.company), {"until": yesterday}).json()

    assert body["until"] == yesterday
    assert "payment" not in [line["kind"] for line in body["lines"]]


@pytest.mark.parametrize(
    ("lang", "value", "message"),
    [
        ("en", "soon", "Enter a valid date."),
        ("fr", "soon", "Saisissez une date valide."),
        ("en", "2999-01-01", "A statement cannot be dated in the future."),
    ],
)
def test_a_bad_until_is_a_field_error(as_actor, world, inv, lang, value, message):
    response = as_actor("key", HTTP_ACCEPT_LANGUAGE=lang).get(_url(world.company), {"until": value})

    assert response.status_code == 400
    assert errors(response)["until"] == message


def test_the_csv_has_a_bom_semicolons_and_one_row_per_line(as_actor, world, inv, paid):
    response = as_actor("key", HTTP_ACCEPT_LANGUAGE="en").get(_url(world.company, "csv/"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    rows = text.lstrip("\ufeff").strip().split("\r\n")
    assert text.startswith("\ufeffDate;Type;Number;Reference;Due date;Debit;Credit;Balance")
    assert len(rows) == 4
    assert rows[3].endswith(";VIR MARTIN;;;20.00;26.80")


def test_the_pdf_is_an_a4_document(as_actor, world, inv, paid):
    response = as_actor("client_admin", HTTP_ACCEPT="application/pdf").get(
        _url(world.company, "pdf/")
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in response.content


def test_the_statement_is_a_few_queries(as_actor, world, inv, paid, django_assert_max_num_queries):
    client = as_actor("key")

    with django_assert_max_num_queries(14):
        response = client.get(_url(world.company))

    assert response.status_code == 200
