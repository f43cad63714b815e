"""Opening a firm: a cloned schema, its domain and administrator; bad input leaves nothing."""

import pytest
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from clients.models import User
from firms.models import FirmProfile
from firms.services import firm_open
from tenants.errors import DomainError
from tenants.models import Domain, Firm
from tenants.provisioning import firm_provision

pytestmark = pytest.mark.django_db


def _open(**overrides):
    fields = {
        "name": "Cabinet Dupont",
        "slug": "dupont",
        "siren": "732829320",
        "admin_email": "jean.dupont@example.com",
    }
    return firm_open(**(fields | overrides))


def _nothing_left(slug: str = "dupont") -> bool:
    return (
        not Firm.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        and not schema_exists(f"firm_{slug}")
    )


def test_opening_a_firm_creates_schema_domain_identity_and_admin():
    opened = _open()

    assert schema_exists("firm_dupont")
    assert Domain.objects.get(tenant=opened.firm).domain == "dupont.localhost"
    with tenant_context(opened.firm):
        admin = User.objects.get()
        assert admin.email == "jean.dupont@example.com"
        assert admin.is_firm_admin
        assert not admin.has_usable_password()
        assert FirmProfile.objects.get().siren == "732829320"
    assert opened.password_link.startswith("http://dupont.localhost/mot-de-passe/definir/")


def test_the_cloned_schema_has_every_table_of_the_template():
    opened = _open()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_schema IN ('template_firm', %s) GROUP BY table_schema",
            [opened.firm.schema_name],
        )
        counts = dict(cursor.fetchall())

    assert counts[opened.firm.schema_name] == counts["template_firm"] > 10


def test_the_password_link_works_once(settings):
    opened = _open()
    path = opened.password_link.split("localhost", 1)[1]
    client_kwargs = {"HTTP_HOST": "dupont.localhost"}
    from django.test import Client

    client = Client(**client_kwargs)
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    saved = client.post(
        set_url, {"new_password1": "Tres-Bon-Mot-2026", "new_password2": "Tres-Bon-Mot-2026"}
    )
    again = Client(**client_kwargs).get(path, follow=True)

    assert form_page.context["validlink"] is True
    assert saved.status_code == 302
    assert again.context["validlink"] is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "www"}, "slug"),
        ({"slug": "api"}, "slug"),
        ({"slug": "admin"}, "slug"),
        ({"slug": "public"}, "slug"),
        ({"slug": "static"}, "slug"),
        ({"slug": "Dupont_Cabinet"}, "slug"),
        ({"slug": "-dupont"}, "slug"),
        ({"slug": "dupont-"}, "slug"),
        ({"slug": "du--pont"}, "slug"),
        ({"slug": "a" * 41}, "slug"),
        ({"slug": "dupont.cabinet"}, "slug"),
        ({"siren": "732829321"}, "siren"),
        ({"siren": "1234"}, "siren"),
        ({"admin_email": "not-an-email"}, "admin_email"),
        ({"name": "  "}, "name"),
    ],
)
def test_bad_input_is_refused_and_leaves_nothing(overrides, field):
    with pytest.raises(DomainError) as refused:
        _open(**overrides)

    assert refused.value.field == field
    assert _nothing_left(overrides.get("slug", "dupont"))


def test_an_existing_slug_is_refused(alpha):
    with pytest.raises(DomainError) as refused:
        _open(slug="alpha")

    assert refused.value.field == "slug"
    assert refused.value.code == "taken"
    assert Firm.objects.filter(slug="alpha").count() == 1


def test_a_failure_inside_the_new_schema_drops_everything():
    def populate(firm):
        User.objects.create_user("first@example.com")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        firm_provision(name="Cabinet Fragile", slug="fragile", siren="732829320", populate=populate)

    connection.set_schema_to_public()
    assert _nothing_left("fragile")


def test_messages_are_in_french_by_default():
    with pytest.raises(DomainError) as refused:
        _open(slug="www")

    assert str(refused.value.message) == "Cette adresse est réservée, choisissez-en une autre."


def _shape(schema: str) -> dict[str, list]:
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default, "
        "is_identity FROM information_schema.columns WHERE table_schema = %s",
        "constraints": "SELECT c.relname, k.conname, k.contype FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = k.connamespace "
        "WHERE n.nspname = %s",
        "indexes": "SELECT tablename, indexname, "
        "replace(indexdef, schemaname || '.', '') FROM pg_indexes WHERE schemaname = %s",
    }
    shape = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql, [schema])
            shape[name] = sorted(
                tuple(str(v).replace(schema, "<schema>") for v in row) for row in cursor.fetchall()
            )
    return shape


def test_the_clone_matches_the_template_name_for_name():
    opened = _open()

    assert _shape(opened.firm.schema_name) == _shape("template_firm")


def test_ids_in_the_clone_continue_after_the_template_rows():
    opened = _open()

    with tenant_context(opened.firm):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.create(app_label="probe", model="probe")
        assert ContentType.objects.filter(app_label="probe").exists()
