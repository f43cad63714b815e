"""/api/v1/memberships/: who belongs to which company, and who may change that."""

import pytest

from clients.models import Membership
from tests.api.conftest import errors, person
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
# host, session, person, firm profile, the list, its prefetch, the session save; each
# followed by its search_path
MAX_QUERIES = 20


def _url(membership) -> str:
    return f"/api/v1/memberships/{membership.pk}/"


def _pairs(response) -> set[tuple[str, str]]:
    return {(row["user_email"], row["company_name"]) for row in response.json()["results"]}


BOULANGERIE = {
    ("gerante@boulangerie.example", "Boulangerie Martin"),
    ("vendeur@boulangerie.example", "Boulangerie Martin"),
    ("ancien@boulangerie.example", "Boulangerie Martin"),
}
GARAGE = {("gerant@garage.example", "Garage Dupont")}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", BOULANGERIE | GARAGE),
        ("beta_key", 401),
        ("firm_admin", BOULANGERIE | GARAGE),
        ("accountant", BOULANGERIE),
        ("other_accountant", set()),
        ("client_admin", BOULANGERIE),
        ("other_admin", GARAGE),
        ("collaborator", {("vendeur@boulangerie.example", "Boulangerie Martin")}),
    ],
)
def test_list_shows_each_caller_only_their_memberships(world, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/memberships/")

    if expected == 401:
        assert response.status_code == 401
    else:
        assert response.status_code == 200
        assert _pairs(response) == expected


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
def test_detail_matrix(alpha, world, as_actor, actor, status):
    with alpha.context():
        membership = world.membership("collaborator")

    response = as_actor(actor).get(_url(membership))

    assert response.status_code == status
    if status == 200:
        assert response.json()["role"] == "collaborator"


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 201),
        ("beta_key", 401),
        ("firm_admin", 201),
        ("accountant", 201),
        ("other_accountant", 404),
        ("client_admin", 404),  # the newcomer belongs to none of their companies
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_create_matrix(alpha, world, as_actor, actor, status):
    payload = {
        "user": world.people["newcomer"].pk,
        "company": world.company.pk,
        "role": "collaborator",
    }

    response = as_actor(actor).post("/api/v1/memberships/", payload, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        joined = Membership.objects.filter(user=world.people["newcomer"]).exists()
        assert joined is (status == 201)


def test_a_client_administrator_adds_a_person_of_their_company_to_another_they_administer(
    alpha, world, as_actor
):
    with alpha.context():
        annex = CompanyFactory(legal_name="Boulangerie Martin Annexe")
        MembershipFactory(user=world.people["client_admin"], company=annex, role="admin")
    payload = {"user": world.people["collaborator"].pk, "company": annex.pk, "role": "admin"}

    response = as_actor("client_admin").post("/api/v1/memberships/", payload, content_type=JSON)

    assert response.status_code == 201
    assert response.json()["company_name"] == "Boulangerie Martin Annexe"
    with alpha.context():
        assert Membership.objects.get(user=world.people["collaborator"], company=annex).role == (
            "admin"
        )


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
def test_change_role_matrix(alpha, world, as_actor, actor, status):
    with alpha.context():
        membership = world.membership("collaborator")

    response = as_actor(actor).patch(_url(membership), {"role": "admin"}, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        membership.refresh_from_db()
        assert (membership.role == "admin") is (status == 200)


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 401),
        ("key", 204),
        ("beta_key", 401),
        ("firm_admin", 204),
        ("accountant", 204),
        ("other_accountant", 404),
        ("client_admin", 204),
        ("other_admin", 404),
        ("collaborator", 403),
    ],
)
def test_remove_matrix(alpha, world, as_actor, actor, status):
    with alpha.context():
        membership = world.membership("collaborator")

    response = as_actor(actor).delete(_url(membership))

    assert response.status_code == status
    with alpha.context():
        assert Membership.objects.filter(pk=membership.pk).exists() is (status != 204)


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_are_unknown_on_alpha(alpha, beta, world, as_actor, actor):
    client = as_actor(actor)
    target = world.beta_membership

    answers = [
        client.get(_url(target)),
        client.patch(_url(target), {"role": "collaborator"}, content_type=JSON),
        client.delete(_url(target)),
        client.post(
            "/api/v1/memberships/",
            {"user": world.beta_person.pk, "company": world.company.pk, "role": "admin"},
            content_type=JSON,
        ),
        client.post(
            "/api/v1/memberships/",
            {"user": world.people["collaborator"].pk, "company": world.beta_company.pk},
            content_type=JSON,
        ),
    ]

    assert [answer.status_code for answer in answers[:4]] == [404] * 4
    assert answers[4].status_code in (400, 404)
    with beta.context():
        target.refresh_from_db()
        assert target.role == "admin"
    with alpha.context():
        assert Membership.objects.filter(company=world.company).count() == 3


def test_filters(world, as_actor):
    client = as_actor("key")

    def pairs(query):
        return _pairs(client.get(f"/api/v1/memberships/?{query}"))

    assert pairs(f"company={world.other.pk}") == GARAGE
    assert pairs(f"user={world.people['collaborator'].pk}") == {
        ("vendeur@boulangerie.example", "Boulangerie Martin")
    }
    assert pairs("role=admin") == {("gerante@boulangerie.example", "Boulangerie Martin")} | GARAGE


def test_the_list_costs_the_same_queries_for_30_memberships(
    alpha, world, as_actor, django_assert_max_num_queries
):
    client = as_actor("client_admin")
    with alpha.context():
        for n in range(30):
            MembershipFactory(user=person(f"equipe{n}@boulangerie.example"), company=world.company)

    with django_assert_max_num_queries(MAX_QUERIES):  # 30 rows, not 30 queries more
        response = client.get("/api/v1/memberships/")

    assert len(response.json()["results"]) == 33


# Bad input: a field-level reason, in French by default, in English on request.


def test_an_unknown_role_is_refused(alpha, world, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")
    with alpha.context():
        membership = world.membership("collaborator")

    created = client.post(
        "/api/v1/memberships/",
        {"user": world.people["newcomer"].pk, "company": world.company.pk, "role": "owner"},
        content_type=JSON,
    )
    changed = client.patch(_url(membership), {"role": "owner"}, content_type=JSON)

    assert created.status_code == changed.status_code == 400
    assert errors(created) == errors(changed) == {"role": "Choose a valid role."}
    with alpha.context():
        assert not Membership.objects.filter(user=world.people["newcomer"]).exists()
        membership.refresh_from_db()
        assert membership.role == "collaborator"


def test_a_missing_field_is_named(world, as_actor):
    response = as_actor("key").post(
        "/api/v1/memberships/", {"company": world.company.pk}, content_type=JSON
    )

    assert response.status_code == 400
    assert set(errors(response)) == {"user", "role"}


def test_the_last_client_administrator_cannot_be_demoted_in_french(alpha, world, as_actor):
    with alpha.context():
        membership = world.membership("client_admin")

    response = as_actor("key").patch(_url(membership), {"role": "collaborator"}, content_type=JSON)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "role",
            "message": "Une entreprise garde au moins un administrateur client.",
            "code": "last_admin",
        }
    ]
    with alpha.context():
        membership.refresh_from_db()
        assert membership.role == "admin"


def test_the_last_client_administrator_cannot_be_removed_in_english(alpha, world, as_actor):
    with alpha.context():
        membership = world.membership("client_admin")

    response = as_actor("client_admin", HTTP_ACCEPT_LANGUAGE="en").delete(_url(membership))

    assert response.status_code == 400
    assert errors(response) == {"role": "A company keeps at least one client administrator."}
    with alpha.context():
        assert Membership.objects.filter(pk=membership.pk).exists()


def test_with_a_second_administrator_the_first_may_step_down(alpha, world, as_actor):
    with alpha.context():
        world.membership("collaborator")
        Membership.objects.filter(user=world.people["collaborator"]).update(role="admin")
        membership = world.membership("client_admin")

    response = as_actor("key").patch(_url(membership), {"role": "collaborator"}, content_type=JSON)

    assert response.status_code == 200
    assert response.json()["role"] == "collaborator"


def test_the_schema_documents_every_membership_operation_with_examples(alpha):
    paths = alpha.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    operations = paths["/api/v1/memberships/"] | paths["/api/v1/memberships/{id}/"]

    assert set(operations) >= {"get", "post", "patch", "delete"}
    assert "examples" in str(operations["post"]["requestBody"])
    assert "examples" in str(operations["patch"]["responses"]["400"])
    assert {p["name"] for p in paths["/api/v1/memberships/"]["get"]["parameters"]} >= {
        "company",
        "user",
        "role",
    }
