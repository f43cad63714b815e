"""From the host to the firm's schema: one `SET search_path` a request, nothing read from the
public schema once the host is known, and nothing of one request's firm left to the next."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.services import api_key_create
from clients.models import Company, User
from tenants import routing
from tenants.clone import clone_schema
from tenants.lifecycle import firm_close
from tests.factories import PASSWORD, CompanyFactory

pytestmark = pytest.mark.django_db

SET = "SET search_path"
PUBLIC_TABLES = ('"tenants_domain"', '"tenants_firm"')


@pytest.fixture(autouse=True)
def _hosts_unknown(alpha, beta):
    routing.hosts_forget([alpha.host, beta.host])
    yield
    routing.hosts_forget([alpha.host, beta.host])


def _secret(firm) -> str:
    with firm.context():
        admin = User.objects.get(email=firm.admin_email)
        _row, secret = api_key_create(actor=admin, name="routage")
    return secret


def _api(firm):
    return firm.client(HTTP_AUTHORIZATION=f"Bearer {_secret(firm)}")


def _warm(client, path, django_capture_on_commit_callbacks) -> None:
    """A first request: its firm is read from the public schema and, once committed, cached."""
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(path).status_code == 200


def _statements(client, path) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    return response.status_code, [query["sql"] for query in captured]


def test_a_company_list_call_sets_the_search_path_once(alpha, django_capture_on_commit_callbacks):
    client = _api(alpha)
    _warm(client, "/api/v1/companies/", django_capture_on_commit_callbacks)

    status, statements = _statements(client, "/api/v1/companies/")

    assert status == 200
    sets = [sql for sql in statements if sql.startswith(SET)]
    assert sets == [f'{SET} = "firm_alpha","public"']
    assert statements[0] == sets[0]
    assert not [sql for sql in statements if any(t in sql for t in PUBLIC_TABLES)]


def test_the_back_office_company_list_sets_the_search_path_once(
    alpha, django_capture_on_commit_callbacks
):
    client = alpha.client()
    response = client.post("/connexion/", {"username": alpha.admin_email, "password": PASSWORD})
    assert response.status_code == 302
    _warm(client, "/cabinet/entreprises/", django_capture_on_commit_callbacks)

    status, statements = _statements(client, "/cabinet/entreprises/")

    assert status == 200
    assert [sql for sql in statements if sql.startswith(SET)] == [f'{SET} = "firm_alpha","public"']
    assert not [sql for sql in statements if any(t in sql for t in PUBLIC_TABLES)]


def test_an_unknown_host_reads_the_public_schema_each_time(alpha, beta):
    # Only firms are cached: a host provisioned later is found at once.
    client = Client(HTTP_HOST=f"nobody.{settings.BASE_DOMAIN}")

    for _ in range(2):
        status, statements = _statements(client, "/api/v1/companies/")
        assert status == 404
        assert [sql for sql in statements if '"tenants_domain"' in sql]


def test_one_connection_serves_each_firm_its_own_rows(
    alpha, beta, django_capture_on_commit_callbacks
):
    with alpha.context():
        CompanyFactory(legal_name="Boulangerie d'Alpha")
    with beta.context():
        CompanyFactory(legal_name="Garage de Bêta")
    clients = {"alpha": _api(alpha), "beta": _api(beta)}
    for client in clients.values():
        _warm(client, "/api/v1/companies/", django_capture_on_commit_callbacks)

    for slug in ("alpha", "beta", "alpha", "beta"):
        with CaptureQueriesContext(connection) as captured:
            response = clients[slug].get("/api/v1/companies/")
        names = {row["legal_name"] for row in response.json()["results"]}
        sets = [q["sql"] for q in captured if q["sql"].startswith(SET)]

        assert response.status_code == 200
        assert names == ({"Boulangerie d'Alpha"} if slug == "alpha" else {"Garage de Bêta"})
        assert sets == [f'{SET} = "firm_{slug}","public"']


def test_a_public_request_after_a_firm_request_is_on_the_public_schema(
    alpha, django_capture_on_commit_callbacks
):
    client = _api(alpha)
    _warm(client, "/api/v1/companies/", django_capture_on_commit_callbacks)
    client.get("/api/v1/companies/")

    with CaptureQueriesContext(connection) as captured:
        Client(HTTP_HOST=settings.BASE_DOMAIN).get("/")

    assert captured[0]["sql"] == f'{SET} = "public"'


def test_closing_a_firm_is_seen_at_once_on_its_host(alpha, django_capture_on_commit_callbacks):
    client = _api(alpha)
    _warm(client, "/api/v1/companies/", django_capture_on_commit_callbacks)

    firm_close(slug="alpha")
    response = client.get("/api/v1/companies/")

    assert response.status_code == 410
    assert response.json()["code"] == "firm_closed"


def test_a_cached_firm_is_not_kept_from_an_uncommitted_read(alpha):
    alpha.client().get("/connexion/")

    assert caches[routing.CACHE].get(routing._key(alpha.host)) is None


def test_cloning_a_schema_leaves_the_connection_on_its_own_schema(alpha):
    with alpha.context():
        CompanyFactory(legal_name="Seule entreprise")
        clone_schema("template_firm", "firm_routing_clone")

        # The clone's own statements moved the path; the connection's next one is its own.
        with connection.cursor() as cursor:
            cursor.execute("SHOW search_path")
            path = cursor.fetchone()[0]
        assert path == "firm_alpha, public"
        assert list(Company.objects.values_list("legal_name", flat=True)) == ["Seule entreprise"]
