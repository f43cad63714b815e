"""Two firms, made once per test session in a real PostgreSQL, and the helpers to reach them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from firms.services import firm_open
from tenants import storage
from tenants.models import Firm
from tenants.provisioning import host_for
from tests.factories import PASSWORD


@dataclass(frozen=True)
class TestFirm:
    firm: Firm
    admin_email: str

    @property
    def host(self) -> str:
        return host_for(self.firm.slug)

    def client(self, **kwargs) -> Client:
        return Client(HTTP_HOST=self.host, **kwargs)

    def context(self):
        return tenant_context(self.firm)


def pytest_collection_modifyitems(config, items):
    # pytest-django sets up the test database only for the databases that the selected tests
    # mark; browser tests talk to it through a server process, so they are marked here and
    # `_django_db_helper` (tests/e2e/conftest.py) keeps them outside any transaction.
    for item in items:
        if "tests/e2e/" in item.nodeid and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        assert name.startswith("test_"), f"not a test database: {name}"
        call_command("migrate_firms", verbosity=0)
        storage.bucket_ensure()
        for slug, name, siren in (
            ("alpha", "Cabinet Alpha", "732829320"),
            ("beta", "Cabinet Bêta", "404833048"),
        ):
            firm_open(
                name=name,
                slug=slug,
                siren=siren,
                admin_email=f"admin@{slug}.example",
                admin_password=PASSWORD,
            )
        connection.set_schema_to_public()


def _test_firm(slug: str) -> TestFirm:
    return TestFirm(firm=Firm.objects.get(slug=slug), admin_email=f"admin@{slug}.example")


@pytest.fixture(scope="session")
def alpha(django_db_setup, django_db_blocker) -> TestFirm:
    with django_db_blocker.unblock():
        return _test_firm("alpha")


@pytest.fixture(scope="session")
def beta(django_db_setup, django_db_blocker) -> TestFirm:
    with django_db_blocker.unblock():
        return _test_firm("beta")


@pytest.fixture(autouse=True)
def _back_to_public():
    yield
    connection.set_schema_to_public()
