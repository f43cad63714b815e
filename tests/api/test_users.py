"""/api/v1/users/: who sees, creates, changes, deactivates and reactivates which person."""

import pytest

from clients.models import Membership, User, UserSession
from tests.api.conftest import errors, person
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
# host, session, person, firm profile, the list, its prefetch, the session save; each
# followed by its search_path
MAX_QUERIES = 20
NEW = {"email": "Paul.Renard@boulangerie.example", "first_name": "Paul", "last_name": "Renard"}
STAFF_ONLY = {"firm_role", "language", "date_joined", "last_login"}


def _url(user, suffix="") -> str:
    return f"/api/v1/users/{user.pk}/{suffix}"


def _emails(response) -> set[str]:
    return {row["email"] for row in response.json()["results"]}


BOULANGERIE = {"gerante@boulangerie.example", "vendeur@boulangerie.example"}
BOULANGERIE_ALL = BOULANGERIE | {"ancien@boulangerie.example"}


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("key", "all"),
        ("beta_key", 401),
        ("firm_admin", "all"),
        ("accountant", BOULANGERIE_ALL | {"comptable@alpha.example"}),
        ("other_accountant", {"autre-comptable@alpha.example"}),
        ("client_admin", BOULANGERIE_ALL),
        ("other_admin", {"gerant@garage.example"}),
        ("collaborator", {"vendeur@boulangerie.example"}),
    ],
)
def test_list_shows_each_caller_only_their_people(alpha, world, as_actor, actor, expected):
    response = as_actor(actor).get("/api/v1/users/")

    if expected == 401:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    if expected == "all":
        with alpha.context():
            expected = set(User.objects.values_list("email", flat=True))
    assert _emails(response) == expected
    assert "salarie@beta.example" not in _emails(response)


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
    response = as_actor(actor).get(_url(world.people["collaborator"]))

    assert response.status_code == status
    if status == 200:
        assert response.json()["email"] == "vendeur@boulangerie.example"


@pytest.mark.parametrize("actor", ["client_admin", "collaborator"])
def test_clients_never_see_staff_fields_passwords_or_pending_emails(alpha, world, as_actor, actor):
    with alpha.context():
        User.objects.filter(pk=world.people["collaborator"].pk).update(
            pending_email="secret@ailleurs.example"
        )

    response = as_actor(actor).get(_url(world.people["collaborator"]))

    body = response.json()
    assert not STAFF_ONLY & set(body)
    assert "password" not in body and "pending_email" not in body
    assert "secret@ailleurs.example" not in response.content.decode()


def test_the_firm_sees_staff_fields_but_never_passwords(world, as_actor):
    body = as_actor("key").get(_url(world.people["accountant"])).json()

    assert body["firm_role"] == "accountant"
    assert "password" not in body and "pending_email" not in body


def test_a_client_administrator_sees_only_memberships_of_companies_they_administer(
    alpha, world, as_actor
):
    with alpha.context():
        MembershipFactory(user=world.people["collaborator"], company=world.other)

    seen = as_actor("client_admin").get(_url(world.people["collaborator"])).json()
    firm = as_actor("key").get(_url(world.people["collaborator"])).json()

    assert [m["company_name"] for m in seen["memberships"]] == ["Boulangerie Martin"]
    assert {m["company_name"] for m in firm["memberships"]} == {
        "Boulangerie Martin",
        "Garage Dupont",
    }


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
    response = as_actor(actor).post("/api/v1/users/", NEW, content_type=JSON)

    assert response.status_code == status
    with alpha.context():
        created = User.objects.filter(email="paul.renard@boulangerie.example").first()
        assert (created is not None) is (status == 201)
        if created:
            assert not created.has_usable_password()


def test_create_with_companies_and_role_makes_memberships_and_sends_nothing(
    alpha, world, as_actor, mailoutbox
):
    payload = NEW | {"companies": [world.company.pk, world.other.pk], "role": "admin"}

    response = as_actor("key").post("/api/v1/users/", payload, content_type=JSON)

    assert response.status_code == 201, response.json()
    assert {m["company"] for m in response.json()["memberships"]} == {
        world.company.pk,
        world.other.pk,
    }
    with alpha.context():
        roles = set(
            Membership.objects.filter(user__email="paul.renard@boulangerie.example").values_list(
                "role", flat=True
            )
        )
        assert roles == {"admin"}
    assert mailoutbox == []


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
        ("collaborator", 200),  # themselves
    ],
)
def test_update_matrix(alpha, world, as_actor, actor, status):
    target = world.people["collaborator"]

    response = as_actor(actor).patch(
        _url(target), {"last_name": "Mercier", "phone": "06 12 34 56 78"}, content_type=JSON
    )

    assert response.status_code == status
    with alpha.context():
        target.refresh_from_db()
        assert (target.last_name == "Mercier") is (status == 200)
        if status == 200:
            assert target.phone == "+33612345678"


def test_a_collaborator_cannot_change_someone_else(alpha, world, as_actor):
    target = world.people["client_admin"]

    response = as_actor("collaborator").patch(
        _url(target), {"last_name": "Piratée"}, content_type=JSON
    )

    assert response.status_code == 404
    with alpha.context():
        target.refresh_from_db()
        assert target.last_name != "Piratée"


def test_put_is_not_offered(world, as_actor):
    response = as_actor("key").put(
        _url(world.people["collaborator"]), {"first_name": "X"}, content_type=JSON
    )

    assert response.status_code == 405


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
        ("collaborator", 400),  # themselves: nobody deactivates their own account
    ],
)
def test_deactivate_matrix(alpha, world, as_actor, actor, status):
    target = world.people["collaborator"]
    client = as_actor(actor)

    response = client.delete(_url(target))

    assert response.status_code == status
    with alpha.context():
        target.refresh_from_db()
        assert target.is_active is (status != 204)
        assert User.objects.filter(pk=target.pk).exists()
        if status == 204:
            assert not UserSession.objects.filter(user=target).exists()


def test_a_client_administrator_cannot_deactivate_someone_of_another_company(
    alpha, world, as_actor
):
    target = world.people["collaborator"]
    with alpha.context():
        MembershipFactory(user=target, company=world.other)

    response = as_actor("client_admin").delete(_url(target))

    assert response.status_code == 403
    with alpha.context():
        target.refresh_from_db()
        assert target.is_active


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
def test_reactivate_matrix(alpha, world, as_actor, actor, status):
    target = world.people["former"]

    response = as_actor(actor).post(_url(target, "reactivate/"))

    assert response.status_code == status
    if status == 200:
        assert response.json()["is_active"] is True
    with alpha.context():
        target.refresh_from_db()
        assert target.is_active is (status == 200)


@pytest.mark.parametrize("actor", ["key", "firm_admin", "accountant", "client_admin"])
def test_ids_of_beta_people_are_unknown_on_alpha(beta, world, as_actor, actor):
    client = as_actor(actor)
    target = world.beta_person

    answers = [
        client.get(_url(target)),
        client.patch(_url(target), {"last_name": "Fuite"}, content_type=JSON),
        client.delete(_url(target)),
        client.post(_url(target, "reactivate/")),
    ]

    assert [answer.status_code for answer in answers] == [404] * 4
    with beta.context():
        target.refresh_from_db()
        assert target.is_active and target.last_name != "Fuite"


def test_filters_and_search(alpha, world, as_actor):
    client = as_actor("firm_admin")

    def emails(query):
        return _emails(client.get(f"/api/v1/users/?{query}"))

    assert emails(f"company={world.company.pk}") == BOULANGERIE_ALL
    assert emails(f"company={world.company.pk}&is_active=false") == {"ancien@boulangerie.example"}
    assert emails("q=garage") == {"gerant@garage.example"}
    assert emails(f"q={world.people['collaborator'].last_name}") == {"vendeur@boulangerie.example"}
    assert client.get("/api/v1/users/?is_active=peut-etre").status_code == 400


@pytest.mark.parametrize("actor", ["key", "client_admin"])
def test_the_list_costs_the_same_queries_for_30_people(
    alpha, world, as_actor, actor, django_assert_max_num_queries
):
    client = as_actor(actor)
    with alpha.context():
        extra = CompanyFactory()
        for n in range(30):
            someone = person(f"salarie{n}@boulangerie.example")
            MembershipFactory(user=someone, company=world.company)
            MembershipFactory(user=someone, company=extra)

    with django_assert_max_num_queries(MAX_QUERIES):  # 30 rows, not 30 queries more
        response = client.get("/api/v1/users/")

    assert len(response.json()["results"]) >= 30


# Bad input: a field-level reason, in French by default, in English on request.


def test_a_duplicate_email_is_refused_in_french(alpha, world, as_actor):
    response = as_actor("key").post(
        "/api/v1/users/", {"email": "VENDEUR@boulangerie.example"}, content_type=JSON
    )

    assert response.status_code == 400
    assert errors(response) == {"email": "Une personne utilise déjà cette adresse e-mail."}
    with alpha.context():
        assert User.objects.filter(email__iexact="vendeur@boulangerie.example").count() == 1


def test_a_duplicate_email_is_refused_in_english(world, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        "/api/v1/users/", {"email": "vendeur@boulangerie.example"}, content_type=JSON
    )

    assert errors(response) == {"email": "A person with this e-mail address already exists."}


def test_an_unknown_role_is_refused_and_no_person_is_left_behind(alpha, world, as_actor):
    payload = NEW | {"companies": [world.company.pk], "role": "owner"}

    response = as_actor("key").post("/api/v1/users/", payload, content_type=JSON)

    assert response.status_code == 400
    assert errors(response) == {"role": "Choisissez un rôle valide."}
    with alpha.context():
        assert not User.objects.filter(email="paul.renard@boulangerie.example").exists()


def test_an_unknown_or_foreign_company_is_refused(alpha, world, as_actor):
    payload = NEW | {"companies": [world.beta_company.pk]}

    response = as_actor("key").post("/api/v1/users/", payload, content_type=JSON)

    assert response.status_code == 400
    assert "companies" in errors(response)
    with alpha.context():
        assert not User.objects.filter(email="paul.renard@boulangerie.example").exists()


def test_a_bad_email_or_phone_is_a_field_error(alpha, world, as_actor):
    client = as_actor("key", HTTP_ACCEPT_LANGUAGE="en")

    created = client.post("/api/v1/users/", {"email": "pas-une-adresse"}, content_type=JSON)
    updated = client.patch(_url(world.people["collaborator"]), {"phone": "12"}, content_type=JSON)

    assert errors(created) == {"email": "Enter a valid e-mail address."}
    assert list(errors(updated)) == ["phone"]
    with alpha.context():
        assert User.objects.get(pk=world.people["collaborator"].pk).phone == ""


def test_the_schema_documents_every_people_operation_with_examples(alpha):
    paths = alpha.client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    operations = paths["/api/v1/users/"] | paths["/api/v1/users/{id}/"]

    assert set(operations) >= {"get", "post", "patch", "delete"}
    assert "put" not in operations
    assert "post" in paths["/api/v1/users/{id}/reactivate/"]
    assert "examples" in str(operations["patch"]["requestBody"])
    assert {p["name"] for p in paths["/api/v1/users/"]["get"]["parameters"]} >= {
        "company",
        "is_active",
        "q",
    }
