"""/api/v1/bank-statements/: import, the same file again, lists and entries; who may call it
(API keys with the payments scope, firm administrators) and who is told nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from banking import services
from banking.models import BankEntry, BankStatement
from clients.models import User
from payments.models import PaymentEvent
from tests.api.conftest import BETA_IDS, errors
from tests.banking.support import CSV, CSV_MAPPING, MONTH, ledger, sample

pytestmark = pytest.mark.django_db
URL = "/api/v1/bank-statements/"


def upload(client, name: str = MONTH, fmt: str = "camt053", **extra):
    data = {"file": SimpleUploadedFile(name, sample(name)), "format": fmt, **extra}
    return client.post(URL, data)


def test_an_import_answers_201_with_counts_and_entries_to_review(alpha, as_actor):
    with alpha.context():
        ledger()

    response = upload(as_actor("key"))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["duplicate"] is False
    assert (body["status"], body["pending"]) == ("done", 0)
    assert body["counts"] == {"matched": 3, "reversed": 1, "to_review": 2, "ignored": 1}
    assert [entry["amount"] for entry in body["to_review"]] == ["60.00", "100.00"]
    assert response["Location"].endswith(f"{URL}{body['id']}/")


def test_the_same_file_again_answers_200_with_the_first_import_and_changes_nothing(alpha, as_actor):
    with alpha.context():
        ledger()
    client = as_actor("key")
    first = upload(client).json()
    with alpha.context():
        events = PaymentEvent.objects.count()

    again = upload(client)

    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["duplicate"] is True
    with alpha.context():
        assert PaymentEvent.objects.count() == events
        assert BankStatement.objects.count() == 1


def test_a_csv_with_its_mapping_as_json_text_is_imported(alpha, as_actor):
    import json

    with alpha.context():
        ledger()

    response = upload(as_actor("key"), CSV, "csv", mapping=json.dumps(CSV_MAPPING))

    assert response.status_code == 201, response.content
    assert response.json()["counts"]["reversed"] == 1


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "n’est pas un relevé CAMT.053"), ("en", "not a CAMT.053")]
)
def test_a_file_that_is_not_camt053_is_a_field_error_in_the_callers_language(
    alpha, as_actor, language, words
):
    response = upload(
        as_actor("key", HTTP_ACCEPT_LANGUAGE=language), "pain.008.001.02.xml", "camt053"
    )

    assert response.status_code == 400
    assert words in errors(response)["file"]
    with alpha.context():
        assert not BankStatement.objects.exists()


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "n’est pas dans l’en-tête"), ("en", "is not in the header")]
)
def test_a_wrong_mapping_names_the_column_in_the_callers_language(alpha, as_actor, language, words):
    import json

    mapping = {**CSV_MAPPING, "columns": {**CSV_MAPPING["columns"], "credit": "Montant"}}

    response = upload(
        as_actor("key", HTTP_ACCEPT_LANGUAGE=language), CSV, "csv", mapping=json.dumps(mapping)
    )

    assert response.status_code == 400
    assert words in errors(response)["mapping.columns.credit"]
    with alpha.context():
        assert not BankEntry.objects.exists()


def test_bad_format_and_mapping_text_are_field_errors(as_actor):
    client = as_actor("key")

    wrong_format = upload(client, MONTH, "ofx")
    wrong_json = upload(client, CSV, "csv", mapping="{columns")

    assert wrong_format.status_code == wrong_json.status_code == 400
    assert "format" in errors(wrong_format)
    assert "mapping" in errors(wrong_json)


def test_statements_and_their_entries_are_listed_and_filtered(
    alpha, as_actor, django_assert_max_num_queries
):
    with alpha.context():
        ledger()
    client = as_actor("key")
    statement = upload(client).json()

    with django_assert_max_num_queries(12):
        listed = client.get(URL)
    entries = client.get(f"{URL}{statement['id']}/entries/", {"status": "to_review"})
    wrong = client.get(f"{URL}{statement['id']}/entries/", {"status": "lost"})

    assert [row["id"] for row in listed.json()["results"]] == [statement["id"]]
    assert listed.json()["results"][0]["counts"]["matched"] == 3
    assert [row["amount"] for row in entries.json()["results"]] == ["60.00", "100.00"]
    assert wrong.status_code == 400 and "status" in errors(wrong)


@pytest.mark.parametrize("actor", ["accountant", "client_admin", "collaborator", "other_admin"])
def test_people_other_than_the_firm_administrators_are_refused_and_nothing_is_written(
    alpha, as_actor, actor
):
    with alpha.context():
        ledger()
    statement = upload(as_actor("key")).json()
    client = as_actor(actor)

    answers = [
        upload(client, CSV, "csv").status_code,
        client.get(URL).status_code,
        client.get(f"{URL}{statement['id']}/").status_code,
        client.get(f"{URL}{statement['id']}/entries/").status_code,
    ]

    assert set(answers) == {403}
    with alpha.context():
        assert BankStatement.objects.count() == 1


def test_beta_statements_and_entries_are_unreachable_from_alpha(alpha, beta, as_actor):
    with beta.context():
        with connection.cursor() as cursor:
            for table in ("banking_bankstatement", "banking_bankentry"):
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, BETA_IDS]
                )
        admin = User.objects.get(email=beta.admin_email)
        beta_statement = services.statement_import(
            actor=admin, content=sample(MONTH), fmt="camt053"
        ).statement
    client = as_actor("key")

    listed = client.get(URL)
    detail = client.get(f"{URL}{beta_statement.pk}/")
    entries = client.get(f"{URL}{beta_statement.pk}/entries/")
    beta_key = as_actor("beta_key").get(URL)

    assert listed.json()["results"] == []
    assert detail.status_code == entries.status_code == 404
    assert beta_key.status_code in (401, 403)
    with alpha.context():
        assert not BankStatement.objects.exists()


def test_a_firm_administrator_in_a_session_may_import(alpha, as_actor):
    with alpha.context():
        ledger()

    response = upload(as_actor("firm_admin"))

    assert response.status_code == 201


def test_a_read_only_key_may_read_but_not_import(alpha, as_actor):
    from api.services import api_key_create

    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        _row, secret = api_key_create(actor=admin, name="lecture", scopes=["payments:read"])
    client = alpha.client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert client.get(URL).status_code == 200
    assert upload(client).status_code == 403


def test_a_long_statement_answers_202_pending_then_its_url_says_done(alpha, as_actor):
    from banking.services import INLINE_ENTRIES, statement_reconcile
    from tests.banking.support import long_statement

    with alpha.context():
        plan = long_statement(by_reference=INLINE_ENTRIES, by_payer=5, to_review=5)
    client = as_actor("key")

    response = client.post(
        URL, {"file": SimpleUploadedFile("long.xml", plan.content), "format": "camt053"}
    )
    body = response.json()
    waiting = client.get(response["Location"]).json()
    with alpha.context():
        statement_reconcile(statement_id=body["id"])
    done = client.get(response["Location"]).json()

    assert response.status_code == 202, response.content
    assert (body["status"], body["pending"], body["to_review"]) == (
        "pending",
        INLINE_ENTRIES + 10,
        [],
    )
    assert waiting["status"] == "pending"
    assert (done["status"], done["pending"], done["counts"]) == ("done", 0, plan.counts)
