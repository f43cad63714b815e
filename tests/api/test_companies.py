"""/api/v1/companies/: who sees, creates, changes and archives which company."""

import pytest

from clients.models import Company
from tests.api.conftest import errors
from tests.factories import CompanyFactory, siren

pytestmark = pytest.mark.django_db

JSON = "application/json"
# host, session, person, firm profile, the list, its prefetch, the session save; each
# followed by its search_path
MAX_QUERIES = 20
NEW = {"legal_name": "Fromagerie Lefèvre", "siren": "552100554", "city": "Annecy"}


def _url(company) -> str:
    return f"/api/v1/companies/{company.pk}/"


def _names(response) -> set[str]:
    return {row["legal_name"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", {"Boulangerie Martin", "Garage Dupont"}),
        ("beta_key", 401),
        ("firm_admin", {"Boulangerie Martin", "Garage Dupont"}),
        ("accountant", {"Boulangerie Martin"}),
        ("other_accountant", set()),
        ("client_admin", {"Boulangerie Martin"}),
        ("other_admin", {"Garage Dupont"}),
        ("collaborator", {"Boulangerie Martin"}),
    ],
)
def test_list_shows_each_caller_only_their_companies(world, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/companies/")

    if expected == 401:
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
    else:
        assert response.status_code == 200
        assert _names(response) == expected
        assert "Entreprise de Bêta" not in _names(response)


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
        ("collaborator", 200),
    ],
)
def test_detail_matrix(world, as_actor, actor, status):
    response = as_actor(actor).get(_url(world.company))

    assert response.status_code == status
    if status == 200:
        assert response.json()["siren"] == world.company.siren


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 201),
        ("beta_key", 401),
        ("firm_admin", 201),
        ("accountant", 403),
        ("other_accountant", 403),
        ("client_admin", 403),
        ("other_admin", 403),
        ("collaborator", 403),
    ],
)
def test_create_matrix(alpha, world, as_actor, actor, status):
    response = as_actor(actor).post("/api/v1/companies/", NEW, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        assert Company.objects.filter(siren=NEW["siren"]).exists() is (status == 201)


def test_create_sets_the_accountant_status_and_phone_in_one_go(alpha, world, as_actor):
    accountant = world.people["accountant"]
    payload = NEW | {
        "accountant": accountant.pk,
        "status": "trial",
        "phone": "04 50 00 00 00",
        "billing": "elsewhere",
        "vat_number": "FR96552100554",
    }

    response = as_actor("key").post("/api/v1/companies/", payload, content_type=JSON)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["accountant"], body["status"], body["phone"]) == (
        accountant.pk,
        "trial",
        "+33450000000",
    )
    with alpha.context():
        assert Company.objects.get(siren=NEW["siren"]).billing == "elsewhere"


def test_create_with_a_bad_extra_field_leaves_no_company_behind(alpha, world, as_actor):
    response = as_actor("key").post(
        "/api/v1/companies/", NEW | {"status": "bankrupt"}, content_type=JSON
    )

    assert response.status_code == 400
    assert "status" in errors(response)
    with alpha.context():
        assert not Company.objects.filter(siren=NEW["siren"]).exists()


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 200),
        ("beta_key", 401),
        ("firm_admin", 200),
        ("accountant", 200),
        ("other_accountant", 404),
        ("client_admin", 400),
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_patch_of_a_legal_field_matrix(alpha, world, as_actor, actor, status):
    response = as_actor(actor).patch(
        _url(world.company), {"legal_name": "Boulangerie Martin & Fils"}, content_type=JSON
    )

    assert response.status_code == status
    if status == 400:
        assert response.json()["errors"][0] == {
            "field": "legal_name",
            "message": "Seul le cabinet peut modifier ce champ.",
            "code": "read_only",
        }
    with alpha.context():
        world.company.refresh_from_db()
        changed = world.company.legal_name == "Boulangerie Martin & Fils"
        assert changed is (status == 200)


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
        ("collaborator", 403),
    ],
)
def test_patch_of_a_contact_field_matrix(alpha, world, as_actor, actor, status):
    response = as_actor(actor).patch(
        _url(world.company), {"city": "Villeurbanne", "phone": "0478000000"}, content_type=JSON
    )

    assert response.status_code == status
    with alpha.context():
        world.company.refresh_from_db()
        assert (world.company.city == "Villeurbanne") is (status == 200)
        if status == 200:
            assert world.company.phone == "+33478000000"


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 200),
        ("beta_key", 401),
        ("firm_admin", 200),
        ("accountant", 200),
        ("other_accountant", 404),
        ("client_admin", 400),
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_put_matrix(alpha, world, as_actor, actor, status):
    payload = {"legal_name": "Boulangerie Martin SAS", "siren": world.company.siren}

    response = as_actor(actor).put(_url(world.company), payload, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        world.company.refresh_from_db()
        assert (world.company.legal_name == "Boulangerie Martin SAS") is (status == 200)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 204),
        ("beta_key", 401),
        ("firm_admin", 204),
        ("accountant", 204),
        ("other_accountant", 404),
        ("client_admin", 403),
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_delete_archives_and_never_deletes_matrix(alpha, world, as_actor, actor, status):
    response = as_actor(actor).delete(_url(world.company))

    assert response.status_code == status
    with alpha.context():
        world.company.refresh_from_db()
        assert (world.company.status == Company.Status.ARCHIVED) is (status == 204)


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_companies_are_unknown_on_alpha(beta, world, as_actor, actor):
    client = as_actor(actor)
    url = _url(world.beta_company)

    answers = [
        client.get(url),
        client.patch(url, {"city": "Paris"}, content_type=JSON),
        client.put(url, {"legal_name": "X", "siren": world.beta_company.siren}, content_type=JSON),
        client.delete(url),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
    with beta.context():
        world.beta_company.refresh_from_db()
        assert (world.beta_company.city, world.beta_company.status) == ("Lyon", "active")


def test_filters_and_search(alpha, world, as_actor):
    with alpha.context():
        CompanyFactory(legal_name="Boulangerie Petit", status=Company.Status.ARCHIVED)
    client = as_actor("key")

    def names(query):
        return _names(client.get(f"/api/v1/companies/?{query}"))

    assert names("q=boulangerie") == {"Boulangerie Martin", "Boulangerie Petit"}
    assert names("status=archived") == {"Boulangerie Petit"}
    assert names(f"accountant={world.people['accountant'].pk}") == {"Boulangerie Martin"}
    assert names(f"siren={world.other.siren}") == {"Garage Dupont"}
    assert client.get("/api/v1/companies/?accountant=abc").status_code == 400


def test_ordering_and_cursor_pages(alpha, world, as_actor):
    with alpha.context():
        for name in ("Cave Aubert", "Atelier Blanc", "Droguerie Roux"):
            CompanyFactory(legal_name=name)
    client = as_actor("firm_admin")

    first = client.get("/api/v1/companies/?ordering=legal_name&page_size=2").json()
    second = client.get(first["next"]).json()

    seen = [row["legal_name"] for row in first["results"] + second["results"]]
    assert seen == ["Atelier Blanc", "Boulangerie Martin", "Cave Aubert", "Droguerie Roux"]
    assert first["previous"] is None


def test_the_list_costs_the_same_queries_for_30_companies(
    alpha, world, as_actor, django_assert_max_num_queries
):
    client = as_actor("key")
    with alpha.context():
        for _ in range(30):
            CompanyFactory(accountant=world.people["accountant"])

    with django_assert_max_num_queries(MAX_QUERIES):  # 30 rows, not 30 queries more
        response = client.get("/api/v1/companies/")

    assert len(response.json()["results"]) == 32


# Bad input: a field-level reason, in French by default, in English on request.


def test_a_bad_siren_is_refused_in_french(alpha, world, as_actor):
    response = as_actor("key").post(
        "/api/v1/companies/", NEW | {"siren": "123456789"}, content_type=JSON
    )

    assert response.status_code == 400
    assert errors(response) == {
        "siren": "Saisissez un SIREN valide : 9 chiffres avec une clé de contrôle correcte."
    }
    assert response.json()["title"] == "Données invalides"
    with alpha.context():
        assert not Company.objects.filter(legal_name=NEW["legal_name"]).exists()


def test_a_bad_siren_is_refused_in_english(world, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    response = client.post("/api/v1/companies/", NEW | {"siren": "123456789"}, content_type=JSON)

    assert errors(response) == {
        "siren": "Enter a valid SIREN: 9 digits with a correct check digit."
    }


def test_a_vat_number_of_another_siren_is_refused(alpha, world, as_actor):
    response = as_actor("key").post(
        "/api/v1/companies/", NEW | {"vat_number": world.company.vat_number}, content_type=JSON
    )

    assert response.status_code == 400
    assert errors(response)["vat_number"] == (
        "Ce numéro de TVA n’appartient pas au SIREN 552100554."
    )
    with alpha.context():
        assert not Company.objects.filter(siren=NEW["siren"]).exists()


def test_a_duplicate_siren_is_refused_on_create_and_update(alpha, world, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    created = client.post(
        "/api/v1/companies/", NEW | {"siren": world.company.siren}, content_type=JSON
    )
    updated = client.patch(_url(world.other), {"siren": world.company.siren}, content_type=JSON)

    assert created.status_code == updated.status_code == 400
    assert (
        errors(created)
        == errors(updated)
        == {"siren": "A company with this SIREN already exists in the firm."}
    )
    assert created.json()["errors"][0]["code"] == "taken"
    with alpha.context():
        assert Company.objects.filter(siren=world.company.siren).count() == 1


def test_missing_required_fields_are_named(world, as_actor):
    response = as_actor("key").post("/api/v1/companies/", {}, content_type=JSON)

    assert response.status_code == 400
    assert set(errors(response)) == {"legal_name", "siren"}
    assert errors(response)["siren"] == "Ce champ est obligatoire."


def test_an_unknown_accountant_is_a_field_error(alpha, world, as_actor):
    client = as_actor("key")

    response = client.patch(
        _url(world.company), {"accountant": world.people["client_admin"].pk}, content_type=JSON
    )

    assert response.status_code == 400
    assert "accountant" in errors(response)
    with alpha.context():
        world.company.refresh_from_db()
        assert world.company.accountant == world.people["accountant"]


def test_a_new_siren_checks_the_kept_vat_number(alpha, world, as_actor):
    response = as_actor("firm_admin").patch(
        _url(world.company), {"siren": siren(999)}, content_type=JSON
    )

    assert response.status_code == 400
    assert "vat_number" in errors(response)


def test_the_schema_documents_every_company_operation_with_examples(alpha):
    paths = alpha.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    operations = paths["/api/v1/companies/"] | paths["/api/v1/companies/{id}/"]

    assert set(operations) >= {"get", "post", "put", "patch", "delete"}
    assert "examples" in str(operations["post"]["requestBody"])
    assert {"400", "403"} <= set(operations["post"]["responses"])
    assert {p["name"] for p in paths["/api/v1/companies/"]["get"]["parameters"]} >= {
        "status",
        "accountant",
        "siren",
        "q",
        "ordering",
        "cursor",
    }


def test_an_id_filter_beyond_any_id_is_a_field_error(as_actor):
    response = as_actor("key").get("/api/v1/companies/?accountant=" + "9" * 30)

    assert response.status_code == 400
    assert set(errors(response)) == {"accountant"}
