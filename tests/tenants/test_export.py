"""A firm exported to one archive and imported under another address: same rows, same files,
same passwords, same rules; a tampered or foreign archive is refused and leaves nothing."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import tarfile
import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from clients.models import Membership, User
from entitlements import services as entitlements
from firms.services import firm_open
from invoicing import services as invoicing
from invoicing.models import Invoice, InvoiceDocument
from tenants import storage
from tenants.errors import DomainError
from tenants.export import (
    MANIFEST,
    firm_export,
    firm_import,
    prefix_keys,
    prefix_of,
    prefix_remove,
    schema_row_counts,
)
from tenants.models import Domain, Firm
from tenants.provisioning import host_for
from tests.factories import PASSWORD, MembershipFactory
from tests.invoicing.factories import PERIOD, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db


def _slug(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def cleanup():
    """S3 is outside the test's transaction: remove the prefixes the test filled."""
    schemas: list[str] = []
    yield schemas
    for schema in schemas:
        prefix_remove(prefix_of(schema))


@pytest.fixture
def source(cleanup):
    """A firm with companies, people, subscriptions, grants, audit events and two issued
    invoices whose documents are ready."""
    opened = firm_open(
        name="Cabinet Source",
        slug=_slug("source"),
        siren="732829320",
        admin_email="admin@source.example",
        admin_password=PASSWORD,
    )
    firm = opened.firm
    cleanup.append(firm.schema_name)
    with tenant_context(firm):
        firm_profile_complete()
        admin = User.objects.get(email="admin@source.example")
        companies = [billable_company(), billable_company()]
        client_admin = MembershipFactory(
            company=companies[0], role=Membership.Role.ADMIN, user__email="chef@client.example"
        ).user
        collaborator = MembershipFactory(
            company=companies[0], user__email="salarie@client.example"
        ).user
        subscription = companies[0].subscriptions.get()
        entitlements.grant_access(actor=admin, user=collaborator, subscription=subscription)
        entitlements.company_right_grant(
            actor=admin, user=collaborator, company=companies[0], codename="view_invoices"
        )
        for company in companies:
            invoice = invoicing.company_bill(company=company, period_start=PERIOD).invoice
            invoicing.document_store(invoice, notify=False)
        assert client_admin.pk
    connection.set_schema_to_public()
    return firm


def _imported(source, tmp_path, cleanup) -> Firm:
    archive = tmp_path / "firm.tar"
    firm_export(slug=source.slug, out=archive)
    slug = _slug("copy")
    cleanup.append(f"firm_{slug.replace('-', '_')}")
    return firm_import(archive=archive, slug=slug).firm


def test_an_imported_firm_has_the_same_rows_in_every_table(source, tmp_path, cleanup):
    imported = _imported(source, tmp_path, cleanup)

    before = schema_row_counts(source.schema_name)
    after = schema_row_counts(imported.schema_name)
    assert after == before
    assert before["invoicing_invoice"] == 2
    assert before["entitlements_auditevent"] >= 2
    assert before["entitlements_subscriptionuserobjectpermission"] == 1
    assert Domain.objects.get(tenant=imported).domain == host_for(imported.slug)
    assert (imported.name, imported.siren, imported.created_at) == (
        source.name,
        source.siren,
        source.created_at,
    )


def test_an_imported_invoice_document_has_the_same_bytes(source, tmp_path, cleanup):
    imported = _imported(source, tmp_path, cleanup)

    with tenant_context(imported):
        document = InvoiceDocument.objects.filter(status="ready").first()
        path = invoicing.document_verified_path(document.invoice, "pdf")
        assert hashlib.sha256(storage.get(path)).hexdigest() == document.pdf_sha256
        assert storage.key_for(path).startswith(prefix_of(imported.schema_name))
    with tenant_context(source):
        assert storage.sha256_of(path) == document.pdf_sha256


def test_people_sign_in_to_the_imported_firm_with_their_password(source, tmp_path, cleanup):
    imported = _imported(source, tmp_path, cleanup)
    client = Client(HTTP_HOST=host_for(imported.slug))

    signed_in = client.post(
        "/connexion/", {"username": "chef@client.example", "password": PASSWORD}
    )
    page = client.get("/mon-compte/")

    assert signed_in.status_code == 302
    assert page.status_code == 200
    assert page.context["user"].email == "chef@client.example"


def test_imported_invoices_stay_append_only(source, tmp_path, cleanup):
    imported = _imported(source, tmp_path, cleanup)

    with tenant_context(imported):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Invoice.objects.update(number="F-2026-999999")
        assert Invoice.objects.filter(number="F-2026-999999").count() == 0


def test_new_invoices_continue_the_imported_series(source, tmp_path, cleanup):
    imported = _imported(source, tmp_path, cleanup)
    with tenant_context(source):
        numbers = sorted(Invoice.objects.values_list("number", flat=True))

    with tenant_context(imported):
        invoice = invoicing.company_bill(company=billable_company(), period_start=PERIOD).invoice
        later = invoicing.company_bill(
            company=billable_company(), period_start=datetime.date(2026, 11, 1)
        ).invoice

    assert numbers[-1].endswith("000002")
    assert invoice.number == numbers[-1][:-6] + "000003"
    assert later.number.endswith("000004")


def test_the_command_line_exports_and_imports(source, tmp_path, cleanup):
    archive = tmp_path / "cli.tar"
    slug = _slug("cli")
    cleanup.append(f"firm_{slug.replace('-', '_')}")
    out = io.StringIO()

    call_command("firm_lifecycle", "export", source.slug, "--out", str(archive), stdout=out)
    call_command("firm_lifecycle", "import", str(archive), "--slug", slug, stdout=out)

    assert Firm.objects.filter(slug=slug).exists()
    assert "invoicing_invoice" in json.loads(_member(archive, MANIFEST))["tables"]


def _member(archive, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        return tar.extractfile(name).read()


def _rewrite(archive, target, change) -> None:
    """Copy `archive` to `target`, passing each member's bytes through `change(name, data)`."""
    with tarfile.open(archive) as tar, tarfile.open(target, "w") as out:
        for member in tar.getmembers():
            data = change(member.name, tar.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def _nothing_left(slug: str) -> bool:
    schema = f"firm_{slug.replace('-', '_')}"
    return (
        not Firm.objects.filter(slug=slug).exists()
        and not schema_exists(schema)
        and next(prefix_keys(prefix_of(schema)), None) is None
    )


def test_a_tampered_archive_is_refused_and_nothing_is_written(source, tmp_path):
    archive, tampered = tmp_path / "firm.tar", tmp_path / "tampered.tar"
    firm_export(slug=source.slug, out=archive)

    def forge(name, data):
        return data.replace(b"chef@client.example", b"evil@client.example")

    _rewrite(archive, tampered, lambda name, data: forge(name, data) if "user" in name else data)
    slug = _slug("tampered")

    with pytest.raises(DomainError) as refused:
        firm_import(archive=tampered, slug=slug)

    assert refused.value.field == "archive"
    assert "clients_user" in refused.value.message
    assert _nothing_left(slug)


def test_an_unknown_format_version_is_refused(source, tmp_path):
    archive, future = tmp_path / "firm.tar", tmp_path / "future.tar"
    firm_export(slug=source.slug, out=archive)

    def bump(name, data):
        if name != MANIFEST:
            return data
        return json.dumps(json.loads(data) | {"format_version": 99}).encode()

    _rewrite(archive, future, bump)
    slug = _slug("future")

    with pytest.raises(DomainError, match="99") as refused:
        firm_import(archive=future, slug=slug)

    assert refused.value.field == "archive"
    assert _nothing_left(slug)


def test_an_archive_of_other_migrations_is_refused_and_says_which(source, tmp_path):
    archive, other = tmp_path / "firm.tar", tmp_path / "other.tar"
    firm_export(slug=source.slug, out=archive)

    def extra_migration(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["migrations"].append(["invoicing", "0099_from_the_future"])
        return json.dumps(manifest).encode()

    _rewrite(archive, other, extra_migration)
    slug = _slug("other")

    with pytest.raises(DomainError, match=r"invoicing\.0099_from_the_future") as refused:
        firm_import(archive=other, slug=slug)

    assert refused.value.code == "migrations"
    assert _nothing_left(slug)


def test_a_failure_while_loading_leaves_nothing(source, tmp_path):
    archive, broken = tmp_path / "firm.tar", tmp_path / "broken.tar"
    firm_export(slug=source.slug, out=archive)
    member = "data/invoicing_invoice.csv"
    rows = _member(archive, member)
    duplicated = rows + rows.splitlines(keepends=True)[-1]  # the same primary key twice

    def swap(name, data):
        if name == member:
            return duplicated
        if name == MANIFEST:
            manifest = json.loads(data)
            manifest["members"][member] = {
                "sha256": hashlib.sha256(duplicated).hexdigest(),
                "size": len(duplicated),
            }
            return json.dumps(manifest).encode()
        return data

    _rewrite(archive, broken, swap)
    slug = _slug("broken")

    with pytest.raises(DatabaseError):
        firm_import(archive=broken, slug=slug)

    assert _nothing_left(slug)


def test_an_existing_address_is_refused(source, tmp_path):
    archive = tmp_path / "firm.tar"
    firm_export(slug=source.slug, out=archive)

    with pytest.raises(DomainError) as refused:
        firm_import(archive=archive)

    assert (refused.value.field, refused.value.code) == ("slug", "taken")


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "notes.tar"
    path.write_text("hello")

    with pytest.raises(DomainError) as refused:
        firm_import(archive=path, slug=_slug("notes"))

    assert refused.value.field == "archive"
