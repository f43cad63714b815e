"""/api/v1/credit-notes/: who reads which credit note, downloads it, corrects an invoice."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entitlements.services import company_right_grant
from invoicing import services
from invoicing.models import Invoice
from tests.api.conftest import errors
from tests.api.invoicing_fixtures import (
    JSON,
    credit,
    inv_fixture,  # noqa: F401 (the `inv` fixture)
    ready,
)

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20  # as the invoice list, less the credit notes' own credit notes


def _url(credit_note, suffix: str = "") -> str:
    return f"/api/v1/credit-notes/{credit_note.pk}/{suffix}"


def _numbers(response) -> set[str]:
    return {row["number"] for row in response.json()["results"]}


def _credit_notes(alpha) -> int:
    with alpha.context():
        return Invoice.objects.filter(kind="credit_note").count()


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", {"credit_note"}),
        ("beta_key", 401),
        ("firm_admin", {"credit_note"}),
        ("accountant", {"credit_note"}),
        ("other_accountant", set()),
        ("client_admin", {"credit_note"}),
        ("other_admin", set()),
        ("collaborator", set()),
    ],
)
def test_list_matrix(inv, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/credit-notes/")

    if expected == 401:
        assert response.status_code == 401
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
    response = as_actor(actor).get(_url(inv.credit_note))

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert (body["credited_invoice"], body["credited_invoice_number"]) == (
            inv.invoice.pk,
            inv.invoice.number,
        )


def test_the_detail_names_the_lines_it_credits(inv, as_actor):
    body = as_actor("client_admin").get(_url(inv.credit_note)).json()

    assert body["number"].startswith("AV-")
    assert body["reason"] == "Remise"
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "10.00",
        "2.00",
        "12.00",
    )
    [line] = body["lines"]
    assert (line["credited_line"], line["total_excl_vat"]) == (inv.line.pk, "10.00")
    assert body["vat_breakdown"] == [{"rate": "20.00", "basis": "10.00", "amount": "2.00"}]
    assert body["buyer"]["legal_name"] == "Boulangerie Martin"
    assert "status" not in body


def test_an_invoice_is_not_a_credit_note(inv, as_actor):
    client = as_actor("key")

    answers = [client.get(_url(inv.invoice, suffix)) for suffix in ("", "pdf/", "xml/")]

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
def test_download_matrix(alpha, inv, as_actor, actor, status):
    with alpha.context():
        ready(inv.credit_note)

    response = as_actor(actor).get(_url(inv.credit_note, "pdf/"))

    assert response.status_code == status
    if status == 302:
        assert f"{inv.credit_note.number}.pdf" in response["Location"]
        assert "X-Amz-Expires=300" in response["Location"]


def test_a_credit_note_being_prepared_answers_409(inv, as_actor):
    response = as_actor("key").get(_url(inv.credit_note, "xml/"))

    assert response.status_code == 409
    assert response["Retry-After"] == "30"


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
def test_create_matrix(alpha, inv, as_actor, actor, status):
    payload = {"invoice": inv.invoice.pk, "reason": "Résiliation au 15 octobre"}

    response = as_actor(actor).post("/api/v1/credit-notes/", payload, content_type=JSON)

    assert response.status_code == status
    assert _credit_notes(alpha) == (2 if status == 201 else 1)
    if status == 400:
        assert set(errors(response)) == {"invoice"}


def test_without_amounts_everything_left_is_credited(alpha, inv, as_actor):
    payload = {"invoice": inv.invoice.pk, "reason": "Facturée par erreur"}

    response = as_actor("key").post("/api/v1/credit-notes/", payload, content_type=JSON)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/credit-notes/{body['id']}/")
    assert (body["total_excl_vat"], body["total_incl_vat"]) == ("39.00", "46.80")
    assert body["credited_invoice"] == inv.invoice.pk
    invoice = as_actor("key").get(f"/api/v1/invoices/{inv.invoice.pk}/").json()
    assert invoice["status"] == "credited"
    assert set(invoice["credit_notes"]) == {inv.credit_note.pk, body["id"]}
    assert invoice["lines"][0]["credited_excl_vat"] == "49.00"


def test_amounts_credit_part_of_a_line(alpha, world, inv, as_actor):
    payload = {"invoice": inv.invoice.pk, "reason": "Geste", "amounts": {str(inv.line.pk): "12.5"}}

    response = as_actor("accountant").post("/api/v1/credit-notes/", payload, content_type=JSON)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "12.50",
        "2.50",
        "15.00",
    )
    with alpha.context():
        remaining = inv.line.total_excl_vat - services.credited_amounts(inv.invoice)[inv.line.pk]
        assert remaining == Decimal("26.50")
        assert Invoice.objects.get(pk=body["id"]).created_by == world.people["accountant"]


@pytest.mark.parametrize(
    ("amount", "french"),
    [
        ("39.01", "Au plus 39.00 peut encore être crédité sur cette ligne."),
        ("-1", "Saisissez un montant positif avec au plus 2 décimales."),
        ("1.001", "Saisissez un montant positif avec au plus 2 décimales."),
        ("beaucoup", "Saisissez un nombre."),
        (["1"], None),
    ],
)
def test_a_bad_amount_is_named_by_its_line_in_french(alpha, inv, as_actor, amount, french):
    field = f"amounts.{inv.line.pk}"
    payload = {"invoice": inv.invoice.pk, "reason": "Geste", "amounts": {inv.line.pk: amount}}

    response = as_actor("key").post("/api/v1/credit-notes/", payload, content_type=JSON)

    assert response.status_code == 400
    assert set(errors(response)) == {field}
    if french:
        assert errors(response)[field] == french
    assert _credit_notes(alpha) == 1


def test_an_amount_out_of_range_is_a_400_not_a_500(inv, as_actor):
    payload = {"invoice": inv.invoice.pk, "reason": "Geste", "amounts": {inv.line.pk: "1e30"}}

    response = as_actor("key").post("/api/v1/credit-notes/", payload, content_type=JSON)

    assert response.status_code == 400
    assert set(errors(response)) == {f"amounts.{inv.line.pk}"}


def test_a_line_of_another_invoice_is_named_in_english(alpha, inv, as_actor):
    garage_line = inv.garage_line.pk
    payload = {"invoice": inv.invoice.pk, "reason": "Geste", "amounts": {garage_line: "1.00"}}
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/api/v1/credit-notes/", payload, content_type=JSON)

    assert errors(response) == {f"amounts.{garage_line}": "This line is not on the invoice."}
    assert _credit_notes(alpha) == 1


def test_no_reason_nothing_left_a_credit_note_or_an_unknown_invoice_are_named(
    alpha, world, inv, as_actor
):
    client = as_actor("key")
    with alpha.context():
        credit(inv.garage, world.people["firm_admin"], amount=None)

    def post(**payload):
        return client.post("/api/v1/credit-notes/", payload, content_type=JSON)

    answers = {
        "blank": post(invoice=inv.invoice.pk, reason="  "),
        "missing": post(invoice=inv.invoice.pk),
        "nothing_left": post(invoice=inv.garage.pk, reason="Encore"),
        "zero": post(invoice=inv.invoice.pk, reason="Rien", amounts={inv.line.pk: "0"}),
        "of_a_credit_note": post(invoice=inv.credit_note.pk, reason="Avoir d'avoir"),
        "beta": post(invoice=inv.beta_invoice.pk, reason="Ailleurs"),
        "not_an_id": post(invoice="F-2026-000001", reason="Numéro"),
    }

    assert {name: errors(answer) for name, answer in answers.items()} == {
        "blank": {"reason": "Indiquez pourquoi la facture est corrigée."},
        "missing": {"reason": "Ce champ est obligatoire."},
        "nothing_left": {"amounts": "Il ne reste rien à créditer sur cette facture."},
        "zero": {"amounts": "Il ne reste rien à créditer sur cette facture."},
        "of_a_credit_note": {"invoice": "Un avoir ne peut pas lui-même faire l'objet d'un avoir."},
        "beta": {"invoice": "Facture inconnue."},
        "not_an_id": {"invoice": "Un nombre entier valide est requis."},
    }
    assert _credit_notes(alpha) == 2


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(alpha, beta, inv, as_actor, actor):
    client = as_actor(actor)
    target = inv.beta_credit_note

    answers = [client.get(_url(target, suffix)) for suffix in ("", "pdf/", "xml/")]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    with beta.context():
        assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_a_collaborator_with_the_view_right_reads_credit_notes_but_issues_none(
    alpha, world, inv, as_actor
):
    with alpha.context():
        company_right_grant(
            actor=world.people["firm_admin"],
            user=world.people["collaborator"],
            company=world.company,
            codename="view_invoices",
        )
    client = as_actor("collaborator")

    seen = _numbers(client.get("/api/v1/credit-notes/"))
    refused = client.post(
        "/api/v1/credit-notes/",
        {"invoice": inv.invoice.pk, "reason": "Moi aussi"},
        content_type=JSON,
    )

    assert seen == {inv.credit_note.number}
    assert refused.status_code == 403
    assert _credit_notes(alpha) == 1


def test_filters(alpha, world, inv, as_actor):
    client = as_actor("key")
    with alpha.context():
        garage_note = credit(inv.garage, world.people["firm_admin"], amount=None)

    def numbers(query):
        return _numbers(client.get(f"/api/v1/credit-notes/?{query}"))

    assert numbers(f"invoice={inv.garage.pk}") == {garage_note.number}
    assert numbers(f"company={world.company.pk}") == {inv.credit_note.number}
    assert numbers("issued_before=2026-01-01") == set()
    assert client.get("/api/v1/credit-notes/?invoice=F-1").status_code == 400


def test_the_list_costs_the_same_queries_for_3_and_30_credit_notes(
    alpha, world, inv, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")

    def issue(n):
        with alpha.context():
            for _n in range(n):
                credit(inv.invoice, world.people["firm_admin"], amount="0.10")

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/credit-notes/")
        return len(captured), len(response.json()["results"])

    issue(2)
    few, listed_few = count()
    issue(27)
    with django_assert_max_num_queries(MAX_QUERIES):
        many, listed_many = count()

    assert (listed_few, listed_many) == (3, 30)
    assert many == few
