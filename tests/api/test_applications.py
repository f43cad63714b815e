"""/api/v1/applications/: the firm's catalogue; only the firm changes it."""

import pytest

from entitlements.models import Application
from tests.api.conftest import errors
from tests.api.entitlements_fixtures import ent_fixture  # noqa: F401 (the `ent` fixture)
from tests.entitlements.conftest import ApplicationFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
MAX_QUERIES = 20
ALL = {"Compta en ligne", "Paie", "Ancienne GED"}
ACTIVE = {"Compta en ligne", "Paie"}


def _names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", ALL),
        ("beta_key", 401),
        ("firm_admin", ALL),
        ("accountant", ALL),
        ("other_accountant", ALL),
        ("client_admin", ACTIVE),
        ("other_admin", ACTIVE),
        ("collaborator", ACTIVE),
    ],
)
def test_list_matrix(ent, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/applications/")

    if expected == 401:
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        assert _names(response) == expected
        assert all("launch_secret" not in row for row in response.json()["results"])


@pytest.mark.parametrize(
    ("actor", "active", "retired"),
    [
        ("anonymous", 401, 401),
        ("key", 200, 200),
        ("beta_key", 401, 401),
        ("firm_admin", 200, 200),
        ("accountant", 200, 200),
        ("client_admin", 200, 404),
        ("collaborator", 200, 404),
    ],
)
def test_detail_matrix(ent, as_actor, actor, active, retired):
    client = as_actor(actor)

    first = client.get(f"/api/v1/applications/{ent.compta.pk}/")
    second = client.get(f"/api/v1/applications/{ent.retired.pk}/")

    assert (first.status_code, second.status_code) == (active, retired)
    if active == 200:
        assert first.json()["name"] == "Compta en ligne"
        assert "launch_secret" not in first.json()


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 201),
        ("beta_key", 401),
        ("firm_admin", 201),
        ("accountant", 403),
        ("client_admin", 403),
        ("collaborator", 403),
    ],
)
def test_create_matrix(alpha, ent, as_actor, actor, status):
    payload = {"name": "Notes de frais", "category": "expense_reports", "price_excl_vat": "9.90"}

    response = as_actor(actor).post("/api/v1/applications/", payload, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        assert Application.objects.filter(name="Notes de frais").exists() is (status == 201)
    if status == 201:
        assert response.json()["category"] == "expense_reports"
        assert "launch_secret" not in response.json()


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 200),
        ("beta_key", 401),
        ("firm_admin", 200),
        ("accountant", 403),
        ("client_admin", 403),
        ("collaborator", 403),
    ],
)
def test_update_matrix(alpha, ent, as_actor, actor, status):
    url = f"/api/v1/applications/{ent.compta.pk}/"

    response = as_actor(actor).patch(url, {"price_excl_vat": "30.00"}, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        ent.compta.refresh_from_db()
        assert str(ent.compta.price_excl_vat) == ("30.00" if status == 200 else "10.00")


@pytest.mark.parametrize("actor", ["key", "firm_admin", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(beta, ent, as_actor, actor):
    client = as_actor(actor)
    url = f"/api/v1/applications/{ent.beta_application.pk}/"

    answers = [client.get(url), client.patch(url, {"name": "Pris"}, content_type=JSON)]

    assert [answer.status_code for answer in answers] == [404, 404]
    with beta.context():
        ent.beta_application.refresh_from_db()
        assert ent.beta_application.name == "Appli de Bêta"


def test_filters(ent, as_actor):
    client = as_actor("key")

    assert _names(client.get("/api/v1/applications/?is_active=false")) == {"Ancienne GED"}
    assert _names(client.get("/api/v1/applications/?category=payroll")) == {"Paie"}
    assert _names(client.get("/api/v1/applications/?q=compta")) == {"Compta en ligne"}


def test_the_list_costs_the_same_queries_for_30_applications(
    alpha, ent, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")
    with alpha.context():
        ApplicationFactory.create_batch(30)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/api/v1/applications/")

    assert len(response.json()["results"]) == 32


def test_a_plain_http_address_is_refused_in_french(alpha, ent, as_actor):
    payload = {"name": "Banque", "launch_url": "http://banque.example/"}

    response = as_actor("firm_admin").post("/api/v1/applications/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {"launch_url": "Saisissez une adresse en https://."}
    with alpha.context():
        assert not Application.objects.filter(name="Banque").exists()


def test_an_unknown_category_is_refused_in_english(ent, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")
    url = f"/api/v1/applications/{ent.compta.pk}/"

    response = client.patch(url, {"category": "casino"}, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {"category": "Choose a valid category."}


def test_a_missing_name_is_named(ent, as_actor):
    response = as_actor("key").post("/api/v1/applications/", {}, content_type=JSON)

    assert response.status_code == 400
    assert set(errors(response)) == {"name"}


def test_the_schema_documents_every_entitlements_operation_with_examples(alpha):
    client = alpha.client()
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    def operations(name):
        return paths[f"/api/v1/{name}/"] | paths[f"/api/v1/{name}/{{id}}/"]

    assert set(operations("applications")) == {"get", "post", "patch"}
    assert set(operations("subscriptions")) == {"get", "post", "patch", "delete"}
    assert set(operations("grants")) == {"get", "post", "delete"}
    assert set(operations("audit-events")) == {"get"}
    assert "examples" in str(operations("subscriptions")["post"]["responses"]["400"])
    assert "examples" in str(operations("grants")["post"]["requestBody"])
    assert "launch_secret" not in str(paths) + str(
        client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["components"]
    )
    filters = {p["name"] for p in paths["/api/v1/audit-events/"]["get"]["parameters"]}
    assert filters >= {"company", "action", "user", "since", "until", "cursor"}
