"""/api/v1/<companies|users|memberships>/bulk: upserts by the integrator's keys."""

import json

import pytest

from clients.models import Company, Membership, User
from tests.api.conftest import errors
from tests.factories import siren

pytestmark = pytest.mark.django_db

JSON = "application/json"
COMPANIES = "/api/v1/companies/bulk"
USERS = "/api/v1/users/bulk"
MEMBERSHIPS = "/api/v1/memberships/bulk"


def _post(client, url, records, **extra):
    return client.post(url, json.dumps({"records": records}), content_type=JSON, **extra)


def _company(n: int, **fields) -> dict:
    return {
        "external_id": f"CRM-{n}",
        "legal_name": f"Société {n}",
        "siren": siren(700_000 + n),
    } | (fields)


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
def test_bulk_companies_matrix(alpha, world, as_actor, actor, status):
    response = _post(as_actor(actor), COMPANIES, [_company(1)])

    assert response.status_code == status
    with alpha.context():
        assert Company.objects.filter(external_id="CRM-1").exists() == (status == 200)


def test_valid_records_are_applied_and_bad_ones_reported_in_order(alpha, world, as_actor):
    records = [_company(1), _company(2, siren="123456789"), _company(3, billing_email="x@")]

    response = _post(as_actor("key"), COMPANIES, records)

    body = response.json()
    assert response.status_code == 200
    assert body["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "error": 2}
    assert [row["index"] for row in body["results"]] == [0, 1, 2]
    assert [row["status"] for row in body["results"]] == ["created", "error", "error"]
    assert body["results"][1]["errors"]["siren"].startswith("Saisissez un SIREN valide")
    assert "billing_email" in body["results"][2]["errors"]
    with alpha.context():
        created = Company.objects.get(external_id="CRM-1")
        assert body["results"][0]["id"] == created.pk
        assert not Company.objects.filter(external_id__in=["CRM-2", "CRM-3"]).exists()


def test_messages_follow_the_callers_language(world, as_actor):
    response = _post(
        as_actor("key"), COMPANIES, [_company(2, siren="123")], HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.json()["results"][0]["errors"]["siren"].startswith("Enter a valid SIREN")


def test_second_identical_call_changes_nothing(alpha, world, as_actor):
    records = [_company(n, city="Lyon", share_capital="1000,5") for n in range(5)]
    client = as_actor("key")
    _post(client, COMPANIES, records)

    again = _post(client, COMPANIES, records).json()

    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 5, "error": 0}


def test_update_changes_only_the_fields_sent(alpha, world, as_actor):
    client = as_actor("key")
    _post(client, COMPANIES, [_company(1, city="Lyon", postal_code="69002")])

    body = _post(client, COMPANIES, [{"external_id": "CRM-1", "city": "Annecy"}]).json()

    assert body["results"][0]["status"] == "updated"
    with alpha.context():
        company = Company.objects.get(external_id="CRM-1")
        assert (company.city, company.postal_code) == ("Annecy", "69002")


def test_existing_company_without_external_id_is_adopted_by_siren(alpha, world, as_actor):
    body = _post(
        as_actor("key"),
        COMPANIES,
        [{"external_id": "CRM-9", "siren": world.company.siren, "legal_name": "Boulangerie"}],
    ).json()

    assert body["results"][0] == {
        "index": 0,
        "external_id": "CRM-9",
        "status": "updated",
        "id": world.company.pk,
        "errors": {},
    }


def test_siren_of_another_company_is_refused(alpha, world, as_actor):
    with alpha.context():
        Company.objects.filter(pk=world.other.pk).update(external_id="CRM-OTHER")

    body = _post(
        as_actor("key"), COMPANIES, [_company(1, siren=world.other.siren, external_id="CRM-NEW")]
    ).json()

    assert body["results"][0]["status"] == "error"
    assert (
        body["results"][0]["errors"]["siren"]
        == ("Une entreprise avec ce SIREN existe déjà dans le cabinet.")
        or "siren" in body["results"][0]["errors"]
    )


def test_vat_number_must_match_the_siren(world, as_actor):
    body = _post(as_actor("key"), COMPANIES, [_company(1, vat_number="FR40303265045")]).json()

    assert "vat_number" in body["results"][0]["errors"]


def test_duplicates_in_one_batch_are_refused(world, as_actor):
    body = _post(as_actor("key"), COMPANIES, [_company(1), _company(1)]).json()

    assert [row["status"] for row in body["results"]] == ["created", "error"]


def test_odd_records_get_field_messages_not_a_500(world, as_actor):
    records = [
        "not an object",
        {"external_id": ["a"], "legal_name": {"x": 1}, "siren": True},
        {"external_id": "X" * 101, "siren": 12},
        _company(4, share_capital="beaucoup", payment_terms_days="90", status="gone"),
        _company(5, country="France", billing="never", phone="12"),
    ]

    response = _post(as_actor("key"), COMPANIES, records)

    assert response.status_code == 200
    results = response.json()["results"]
    assert all(row["status"] == "error" for row in results)
    assert set(results[3]["errors"]) == {"share_capital", "payment_terms_days", "status"}
    assert set(results[4]["errors"]) == {"country", "billing", "phone"}


@pytest.mark.parametrize(
    "body",
    [{}, {"records": "x"}, {"records": {"a": 1}}, [], "text"],
)
def test_missing_records_is_a_400_on_records(world, as_actor, body):
    response = as_actor("key").post(COMPANIES, json.dumps(body), content_type=JSON)

    assert response.status_code == 400
    assert "records" in errors(response)


def test_more_than_a_thousand_records_is_a_400(alpha, world, as_actor):
    response = _post(as_actor("key"), COMPANIES, [_company(n) for n in range(1001)])

    assert response.status_code == 400
    assert "records" in errors(response)
    with alpha.context():
        assert not Company.objects.filter(external_id="CRM-0").exists()


def test_beta_key_cannot_touch_alpha_rows_and_beta_rows_are_not_matched(alpha, beta, world):
    from tests.api.conftest import _key

    client = alpha.client(HTTP_AUTHORIZATION=f"Bearer {_key(alpha)}")
    body = _post(
        client, COMPANIES, [_company(1, siren=world.beta_company.siren, external_id="B")]
    ).json()

    assert body["results"][0]["status"] == "created"
    with beta.context():
        assert Company.objects.get(pk=world.beta_company.pk).external_id is None


def test_users_created_then_unchanged_then_updated_by_email(alpha, world, as_actor):
    client = as_actor("key")
    records = [
        {"external_id": "P-1", "email": " Claire.Martin@Exemple.FR ", "first_name": "Claire"},
        {"email": "paul@exemple.fr", "phone": "06 12 34 56 78", "language": "EN"},
        {"external_id": "P-3", "email": "pas-un-email"},
    ]

    first = _post(client, USERS, records).json()
    second = _post(client, USERS, records[:2]).json()
    third = _post(client, USERS, [{"email": "paul@exemple.fr", "last_name": "Roux"}]).json()

    assert [row["status"] for row in first["results"]] == ["created", "created", "error"]
    assert "email" in first["results"][2]["errors"]
    assert second["summary"]["unchanged"] == 2
    assert third["results"][0]["status"] == "updated"
    with alpha.context():
        claire = User.objects.get(external_id="P-1")
        paul = User.objects.get(email="paul@exemple.fr")
        assert claire.email == "claire.martin@exemple.fr"
        assert not claire.has_usable_password()
        assert (paul.phone, paul.language, paul.last_name) == ("+33612345678", "en", "Roux")


def test_users_bulk_refuses_firm_staff_and_taken_emails(alpha, world, as_actor):
    body = _post(
        as_actor("key"),
        USERS,
        [
            {"email": "comptable@alpha.example", "first_name": "Pirate"},
            {"external_id": "P-9", "email": "nouvelle@exemple.fr"},
            {"external_id": "P-10", "email": "gerante@boulangerie.example"},
        ],
    ).json()

    assert [row["status"] for row in body["results"]] == ["error", "updated", "updated"]
    with alpha.context():
        assert User.objects.get(email="comptable@alpha.example").first_name != "Pirate"
    again = _post(
        as_actor("key"), USERS, [{"external_id": "P-11", "email": "nouvelle@exemple.fr"}]
    ).json()
    assert "email" in again["results"][0]["errors"]


def test_memberships_bulk_by_keys_and_last_admin_rule(alpha, world, as_actor):
    client = as_actor("key")
    _post(client, USERS, [{"external_id": "P-1", "email": "claire@exemple.fr"}])
    _post(client, COMPANIES, [_company(1)])

    body = _post(
        client,
        MEMBERSHIPS,
        [
            {"user_external_id": "P-1", "company_external_id": "CRM-1", "role": "admin"},
            {
                "user_email": "claire@exemple.fr",
                "company_siren": world.company.siren,
                "role": "collaborator",
            },
            {
                "user_email": EMAILS_ADMIN,
                "company_siren": world.company.siren,
                "role": "collaborator",
            },
            {"user_external_id": "NOPE", "company_external_id": "CRM-1", "role": "admin"},
            {"user_external_id": "P-1", "company_external_id": "CRM-1", "role": "boss"},
        ],
    ).json()

    statuses = [row["status"] for row in body["results"]]
    assert statuses == ["created", "created", "error", "error", "error"]
    assert "role" in body["results"][2]["errors"]
    assert "user_external_id" in body["results"][3]["errors"]
    assert "role" in body["results"][4]["errors"]
    with alpha.context():
        assert (
            Membership.objects.get(user__email=EMAILS_ADMIN, company=world.company).role
            == Membership.Role.ADMIN
        )
    again = _post(
        client,
        MEMBERSHIPS,
        [{"user_external_id": "P-1", "company_external_id": "CRM-1", "role": "admin"}],
    ).json()
    assert again["summary"]["unchanged"] == 1


def test_demotion_allowed_when_another_admin_is_promoted_in_the_same_batch(alpha, world, as_actor):
    body = _post(
        as_actor("key"),
        MEMBERSHIPS,
        [
            {
                "user_email": EMAILS_ADMIN,
                "company_siren": world.company.siren,
                "role": "collaborator",
            },
            {
                "user_email": "vendeur@boulangerie.example",
                "company_siren": world.company.siren,
                "role": "admin",
            },
        ],
    ).json()

    assert [row["status"] for row in body["results"]] == ["updated", "updated"]


def test_memberships_bulk_cannot_reach_beta_people(world, as_actor):
    body = _post(
        as_actor("key"),
        MEMBERSHIPS,
        [
            {
                "user_email": "salarie@beta.example",
                "company_siren": world.company.siren,
                "role": "admin",
            }
        ],
    ).json()

    assert body["results"][0]["status"] == "error"
    assert set(body["results"][0]["errors"]) == {"user_email"}


def test_a_full_call_takes_a_constant_number_of_queries(
    alpha, world, as_actor, django_assert_max_num_queries
):
    client = as_actor("key")
    _post(client, COMPANIES, [_company(n) for n in range(1000, 1003)])

    with django_assert_max_num_queries(20):
        body = _post(client, COMPANIES, [_company(n) for n in range(300)]).json()

    assert body["summary"]["created"] == 300


EMAILS_ADMIN = "gerante@boulangerie.example"
