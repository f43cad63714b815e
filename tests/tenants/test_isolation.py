"""Nothing of one firm is visible from another firm's host, session, API key or cache."""

import uuid

import pytest
from django.core.cache import cache

from api.services import api_key_create
from clients.models import User
from tests.factories import PASSWORD, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _key(firm) -> str:
    with firm.context():
        admin = User.objects.get(email=firm.admin_email)
        return api_key_create(actor=admin, name="isolation")[1]


def test_company_of_firm_a_is_invisible_from_firm_b_host(alpha, beta):
    with alpha.context():
        company = CompanyFactory(legal_name="Boulangerie Alpha")
    a_key, b_key = _key(alpha), _key(beta)

    seen_on_a = alpha.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {a_key}")
    listed_on_b = beta.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {b_key}")
    detail_on_b = beta.client().get(
        f"/api/v1/companies/{company.pk}/", HTTP_AUTHORIZATION=f"Bearer {b_key}"
    )

    assert [c["legal_name"] for c in seen_on_a.json()["results"]] == ["Boulangerie Alpha"]
    assert listed_on_b.status_code == 200
    assert listed_on_b.json()["results"] == []
    assert detail_on_b.status_code == 404


def test_api_key_of_firm_a_is_refused_on_firm_b(alpha, beta):
    a_key = _key(alpha)

    response = beta.client().get("/api/v1/companies/", HTTP_AUTHORIZATION=f"Bearer {a_key}")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_session_of_firm_a_is_not_a_session_on_firm_b(alpha, beta):
    a_client = alpha.client()
    response = a_client.post("/connexion/", {"username": alpha.admin_email, "password": PASSWORD})
    assert response.status_code == 302
    session_id = a_client.cookies["sessionid"].value
    assert a_client.get("/").status_code == 200

    b_client = beta.client()
    b_client.cookies["sessionid"] = session_id
    response = b_client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/")


def test_a_person_of_firm_a_cannot_sign_in_on_firm_b(alpha, beta):
    response = beta.client().post(
        "/connexion/", {"username": alpha.admin_email, "password": PASSWORD}
    )

    assert response.status_code == 400
    assert "_auth_user_id" not in beta.client().session


def test_cache_entry_of_firm_a_is_not_read_in_firm_b(alpha, beta):
    key = f"greeting-{uuid.uuid4()}"
    with alpha.context():
        cache.set(key, "from alpha")
    with beta.context():
        seen_from_b = cache.get(key)
        cache.set(key, "from beta")
    with alpha.context():
        still_alpha = cache.get(key)

    assert seen_from_b is None
    assert still_alpha == "from alpha"


def test_unknown_host_is_not_found(alpha):
    response = alpha.client().get("/", HTTP_HOST="ghost.localhost")

    assert response.status_code == 404


def test_the_api_does_not_exist_on_the_public_site(alpha):
    response = alpha.client().get("/api/v1/companies/", HTTP_HOST="localhost")

    assert response.status_code == 404


def test_people_live_in_their_firm_schema_only(alpha, beta):
    with alpha.context():
        UserFactory(email="only-in-alpha@example.com")
    with beta.context():
        assert not User.objects.filter(email="only-in-alpha@example.com").exists()
