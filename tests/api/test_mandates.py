"""/api/v1/mandates/: read through the caller's rights, IBAN masked, revoked by the company's
administrators or the firm; the wrong company, role or firm sees and changes nothing."""

from __future__ import annotations

import pytest

from sepa.models import Mandate
from tests.api.conftest import errors
from tests.sepa.factories import IBAN, company_with_admin, creditor_ready, mandate

pytestmark = pytest.mark.django_db

LIST = "/api/v1/mandates/"


@pytest.fixture
def signed(alpha, world):
    with alpha.context():
        creditor_ready()
        return mandate(world.company, world.people["client_admin"])


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("actor", "sees"),
    [
        ("key", True),
        ("firm_admin", True),
        ("accountant", True),
        ("client_admin", True),
        ("other_accountant", False),
        ("other_admin", False),
        ("collaborator", False),
    ],
)
def test_who_sees_the_mandate(as_actor, signed, actor, sees):
    client = as_actor(actor)

    listed = client.get(LIST)
    detail = client.get(f"{LIST}{signed.pk}/")

    assert (signed.pk in _ids(listed)) is sees
    assert detail.status_code == (200 if sees else 404)
    if sees:
        body = detail.json()
        assert body["reference"] == signed.reference and body["iban"] == "•••• 0189"
        assert IBAN not in detail.content.decode()


def test_another_firms_key_opens_nothing(alpha, as_actor, signed):
    client = as_actor("beta_key")

    answers = [
        client.get(f"{LIST}{signed.pk}/").status_code,
        client.post(f"{LIST}{signed.pk}/revoke/").status_code,
        client.get(LIST).status_code,
    ]

    assert set(answers) <= {401, 404}
    with alpha.context():
        assert Mandate.objects.get(pk=signed.pk).status == Mandate.Status.ACTIVE


def test_filters_by_company_and_status(as_actor, signed, world):
    client = as_actor("key")

    assert _ids(client.get(LIST, {"company": world.company.pk, "status": "active"})) == {signed.pk}
    assert _ids(client.get(LIST, {"company": world.other.pk})) == set()
    assert _ids(client.get(LIST, {"status": "revoked"})) == set()


@pytest.mark.parametrize(
    ("query", "language", "message"),
    [
        ({"status": "asleep"}, "en", "Choose one of"),
        ({"status": "asleep"}, "fr", "Choisissez"),
        ({"company": "-13980208336236754176523108352"}, "en", "whole number"),
        ({"company": "douze"}, "fr", "nombre entier"),
    ],
)
def test_a_bad_filter_is_a_field_error(as_actor, signed, query, language, message):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE=language)

    response = client.get(LIST, query)

    assert response.status_code == 400
    assert message in errors(response)[next(iter(query))]


@pytest.mark.parametrize("actor", ["collaborator", "other_admin", "other_accountant", "anonymous"])
def test_others_cannot_revoke(alpha, as_actor, signed, actor):
    response = as_actor(actor).post(f"{LIST}{signed.pk}/revoke/")

    assert response.status_code in (401, 403, 404)
    with alpha.context():
        assert Mandate.objects.get(pk=signed.pk).status == Mandate.Status.ACTIVE


@pytest.mark.parametrize("actor", ["client_admin", "accountant", "key"])
def test_the_company_or_its_firm_revokes(alpha, as_actor, signed, actor):
    response = as_actor(actor).post(f"{LIST}{signed.pk}/revoke/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    with alpha.context():
        assert Mandate.objects.get(pk=signed.pk).status == Mandate.Status.REVOKED


def test_the_list_costs_a_fixed_number_of_queries(
    alpha, as_actor, world, signed, django_assert_max_num_queries
):
    with alpha.context():
        for _n in range(5):
            company, admin = company_with_admin()
            mandate(company, admin)
    client = as_actor("key")

    with django_assert_max_num_queries(14):
        response = client.get(LIST)

    assert len(response.json()["results"]) == 6
