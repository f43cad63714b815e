"""Closing a firm keeps everything and its hosts answer 410; deleting it waits for the end of
its invoices' retention, then removes its schema, its files and its row."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from firms.services import firm_open
from invoicing import services as invoicing
from tenants import storage
from tenants.errors import DomainError
from tenants.export import prefix_keys, prefix_of, prefix_remove
from tenants.lifecycle import firm_close, firm_delete
from tenants.models import Domain, Firm
from tenants.provisioning import host_for
from tests.factories import PASSWORD
from tests.invoicing.factories import PERIOD, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    opened = firm_open(
        name="Cabinet Fermé",
        slug=f"closing-{uuid.uuid4().hex[:8]}",
        siren="732829320",
        admin_email="admin@closing.example",
        admin_password=PASSWORD,
    )
    with tenant_context(opened.firm):
        storage.put("branding/logo.svg", b"<svg/>", content_type="image/svg+xml")
    yield opened.firm
    prefix_remove(prefix_of(opened.firm.schema_name))


def _with_invoice(firm: Firm) -> datetime.date:
    with tenant_context(firm):
        firm_profile_complete()
        invoice = invoicing.company_bill(company=billable_company(), period_start=PERIOD).invoice
        invoicing.document_store(invoice, notify=False)
        return invoice.retained_until


def test_a_closed_firm_answers_410_to_people_and_keeps_its_rows(firm):
    client = Client(HTTP_HOST=host_for(firm.slug), HTTP_ACCEPT_LANGUAGE="fr")
    assert client.get("/connexion/").status_code == 200

    firm_close(slug=firm.slug)

    page = client.get("/connexion/")
    assert page.status_code == 410
    assert "Cabinet Fermé" in page.content.decode()
    assert client.post("/connexion/", {"username": "admin@closing.example"}).status_code == 410
    firm.refresh_from_db()
    assert firm.status == Firm.Status.CLOSED
    assert schema_exists(firm.schema_name)
    assert next(prefix_keys(prefix_of(firm.schema_name)), None) is not None


def test_a_closed_firm_answers_410_to_the_api(firm):
    firm_close(slug=firm.slug)

    answer = Client(HTTP_HOST=host_for(firm.slug)).get("/api/v1/companies/")

    assert answer.status_code == 410
    assert answer.json()["code"] == "firm_closed"


def test_closing_one_firm_leaves_the_others_open(firm, alpha):
    firm_close(slug=firm.slug)

    assert alpha.client().get("/connexion/").status_code == 200


def test_closing_an_unknown_firm_is_refused():
    with pytest.raises(DomainError) as refused:
        firm_close(slug="nobody-here")

    assert refused.value.field == "slug"


def test_an_open_firm_cannot_be_deleted(firm):
    with pytest.raises(DomainError) as refused:
        firm_delete(slug=firm.slug)

    assert refused.value.code == "not_closed"
    assert schema_exists(firm.schema_name)


def test_deletion_waits_for_the_end_of_invoice_retention_and_says_until_when(firm):
    until = _with_invoice(firm)
    firm_close(slug=firm.slug)

    with pytest.raises(DomainError) as refused:
        firm_delete(slug=firm.slug, today=until)

    assert refused.value.code == "retained"
    assert str(until.year) in str(refused.value.message)
    assert schema_exists(firm.schema_name)
    assert Firm.objects.filter(pk=firm.pk).exists()
    assert next(prefix_keys(prefix_of(firm.schema_name)), None) is not None


def test_after_retention_deletion_removes_schema_files_and_firm(firm):
    until = _with_invoice(firm)
    firm_close(slug=firm.slug)

    firm_delete(slug=firm.slug, today=until + datetime.timedelta(days=1))

    assert not schema_exists(firm.schema_name)
    assert not Firm.objects.filter(slug=firm.slug).exists()
    assert not Domain.objects.filter(domain=host_for(firm.slug)).exists()
    assert next(prefix_keys(prefix_of(firm.schema_name)), None) is None
    assert Client(HTTP_HOST=host_for(firm.slug)).get("/connexion/").status_code == 404


def test_a_firm_without_invoices_can_be_deleted_once_closed(firm):
    firm_close(slug=firm.slug)

    firm_delete(slug=firm.slug)

    assert not schema_exists(firm.schema_name)


def test_the_command_line_closes_and_refuses_an_early_deletion(firm):
    _with_invoice(firm)
    out = io.StringIO()

    call_command("firm_lifecycle", "close", firm.slug, stdout=out)
    with pytest.raises(CommandError, match=r"--slug: .*2036"):
        call_command("firm_lifecycle", "delete", firm.slug, stdout=out)

    assert "closed" in out.getvalue()
    assert Firm.objects.get(pk=firm.pk).status == Firm.Status.CLOSED
