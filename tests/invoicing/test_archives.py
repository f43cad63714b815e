"""The yearly ZIP of invoices: who may ask for which, what goes in it, and how it is handed out."""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Company, Membership, User
from entitlements.services import company_right_grant
from invoicing import archives, services
from invoicing.models import Invoice, InvoiceArchive, InvoiceDocument, InvoiceLine
from invoicing.selectors import DOWNLOAD, VIEW
from tenants import storage
from tenants.errors import DomainError, NotFound
from tests.factories import MembershipFactory, UserFactory
from tests.invoicing.factories import PERIOD, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db

SITE = "http://alpha.localhost"


# --- helpers the invoice pages' tests share ---------------------------------------------------


def firm_admin() -> User:
    return UserFactory(email="patron@cabinet-alpha.example", firm_role="admin")


def client_admin(company: Company, **fields) -> User:
    person = UserFactory(**fields)
    MembershipFactory(user=person, company=company, role=Membership.Role.ADMIN)
    return person


def collaborator(company: Company, *rights: str, **fields) -> User:
    """A collaborator of `company` holding the company rights `rights`, granted by one of its
    client administrators."""
    person = UserFactory(**fields)
    MembershipFactory(user=person, company=company, role=Membership.Role.COLLABORATOR)
    if rights:
        granter = Membership.objects.filter(company=company, role=Membership.Role.ADMIN).first()
        actor = granter.user if granter else firm_admin()
        for codename in rights:
            company_right_grant(actor=actor, user=person, company=company, codename=codename)
    return person


def issued(company: Company, period: datetime.date = PERIOD, *, ready: bool = True) -> Invoice:
    """The company's monthly invoice for `period`, with its documents in S3 when `ready`."""
    invoice = services.company_bill(company=company, period_start=period).invoice
    assert invoice is not None
    if ready:
        services.document_store(invoice)
    return Invoice.objects.select_related("document", "company").get(pk=invoice.pk)


_numbers = iter(range(900001, 999999))


def issued_on(
    company: Company, day: datetime.date, *, due: datetime.date | None = None, ready: bool = False
) -> Invoice:
    """An invoice dated `day` (the issuing service dates invoices today, so tests that need
    other years write the row the way the service does)."""
    profile = services.firm_profile()
    sequence = next(_numbers)
    invoice = Invoice.objects.create(
        kind="invoice",
        origin="manual",
        number=f"F-{day.year}-{sequence:06d}",
        sequence=sequence,
        company=company,
        issue_date=day,
        due_date=due or day + datetime.timedelta(days=30),
        total_excl_vat=Decimal("49.00"),
        total_vat=Decimal("9.80"),
        total_incl_vat=Decimal("58.80"),
        vat_breakdown=[{"rate": "20.00", "basis": "49.00", "amount": "9.80"}],
        seller=services.seller_snapshot(profile),
        buyer=services.buyer_snapshot(company),
        payment_terms_days=30,
        late_penalty_rate=profile.late_penalty_rate,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        label="Comptabilité en ligne",
        quantity=Decimal("1"),
        unit_price=Decimal("49.00"),
        vat_rate=Decimal("20.00"),
        total_excl_vat=Decimal("49.00"),
        vat_amount=Decimal("9.80"),
    )
    InvoiceDocument.objects.create(invoice=invoice)
    if ready:
        services.document_store(invoice)
    return Invoice.objects.select_related("document", "company").get(pk=invoice.pk)


def zip_of(archive: InvoiceArchive) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(storage.get(archive.path)))


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def ctx(alpha):
    with alpha.context():
        firm_profile_complete()
        yield alpha


@pytest.fixture
def two_companies(ctx):
    first = billable_company(legal_name="Boulangerie Martin")
    second = billable_company(legal_name="Garage Petit")
    return first, second


# --- asking for an archive ---------------------------------------------------------------------


def test_a_client_admin_asks_for_a_year_and_the_build_is_sent_after_commit(
    two_companies, django_capture_on_commit_callbacks
):
    first, _second = two_companies
    admin = client_admin(first)
    issued(first, ready=False)

    with django_capture_on_commit_callbacks() as callbacks:
        archive = archives.archive_request(actor=admin, year=2026)

    assert (archive.requested_by, archive.company, archive.year) == (admin, None, 2026)
    assert archive.status == InvoiceArchive.Status.PENDING
    assert len(callbacks) == 1


def test_asking_twice_while_it_is_prepared_gives_the_same_archive(
    two_companies, django_capture_on_commit_callbacks
):
    first, _second = two_companies
    admin = client_admin(first)
    issued(first, ready=False)

    with django_capture_on_commit_callbacks() as callbacks:
        one = archives.archive_request(actor=admin, year=2026, company=first)
        two = archives.archive_request(actor=admin, year=2026, company=first)

    assert one.pk == two.pk
    assert len(callbacks) == 1
    assert InvoiceArchive.objects.count() == 1


def test_a_year_without_invoice_is_refused_on_the_year_field(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    issued(first, ready=False)

    with pytest.raises(DomainError) as refused:
        archives.archive_request(actor=admin, year=2025)

    assert refused.value.field == "year"
    assert not InvoiceArchive.objects.exists()


@pytest.mark.parametrize("year", ["abc", None, 0, 10000, "2026-01"])
def test_a_year_that_is_not_one_is_refused_on_the_year_field(two_companies, year):
    first, _second = two_companies
    admin = client_admin(first)

    with pytest.raises(DomainError) as refused:
        archives.archive_request(actor=admin, year=year)

    assert refused.value.field == "year"


def test_a_company_whose_invoices_one_may_not_download_is_not_found(two_companies):
    first, second = two_companies
    issued(first, ready=False)
    issued(second, ready=False)
    viewer = collaborator(first, VIEW)
    client_admin(first)
    other_admin = client_admin(second)

    for actor, company in ((viewer, first), (other_admin, first)):
        with pytest.raises(NotFound):
            archives.archive_request(actor=actor, year=2026, company=company)

    assert not InvoiceArchive.objects.exists()


def test_a_collaborator_without_the_download_right_has_no_year_to_ask_for(two_companies):
    first, _second = two_companies
    client_admin(first)
    issued(first, ready=False)
    viewer = collaborator(first, VIEW)

    assert archives.archive_years(viewer) == []
    with pytest.raises(DomainError):
        archives.archive_request(actor=viewer, year=2026)


# --- building it -------------------------------------------------------------------------------


def test_the_zip_holds_each_pdf_and_xml_under_the_siren_with_the_stored_bytes(two_companies):
    first, second = two_companies
    admin = client_admin(first)
    client_admin(second, email="autre@garage.example")
    mine = [issued(first), issued(first, datetime.date(2026, 9, 1))]
    issued(second)  # another company's
    issued_on(first, datetime.date(2025, 6, 1), ready=True)  # another year
    archive = archives.archive_request(actor=admin, year=2026)

    archives.archive_build(archive, site_url=SITE)

    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.READY
    assert archive.path == f"exports/invoices-2026-{archive.pk}.zip"
    assert (archive.files_total, archive.files_done, archive.progress) == (4, 4, 100)
    bundle = zip_of(archive)
    expected = {}
    for invoice in mine:
        document = InvoiceDocument.objects.get(invoice=invoice)
        expected[f"{first.siren}/{invoice.number}.pdf"] = document.pdf_sha256
        expected[f"{first.siren}/{invoice.number}.xml"] = document.xml_sha256
    assert sorted(bundle.namelist()) == sorted(expected)
    for name, sha in expected.items():
        assert hashlib.sha256(bundle.read(name)).hexdigest() == sha
    assert archive.size == len(storage.get(archive.path))


def test_a_collaborator_gets_only_the_companies_where_they_may_download(two_companies):
    first, second = two_companies
    client_admin(first)
    client_admin(second, email="gerant@garage.example")
    person = collaborator(first, VIEW, DOWNLOAD)
    MembershipFactory(user=person, company=second)
    company_right_grant(
        actor=Membership.objects.get(company=second, role="admin").user,
        user=person,
        company=second,
        codename=VIEW,
    )
    granted, viewed_only = issued(first), issued(second)
    archive = archives.archive_request(actor=person, year=2026)

    archives.archive_build(archive, site_url=SITE)

    names = zip_of(archive).namelist()
    assert f"{first.siren}/{granted.number}.pdf" in names
    assert not [name for name in names if viewed_only.number in name]


def test_a_company_archive_holds_that_company_only(two_companies):
    first, second = two_companies
    admin = client_admin(first)
    MembershipFactory(user=admin, company=second, role=Membership.Role.ADMIN)
    issued(first)
    issued(second)
    archive = archives.archive_request(actor=admin, year=2026, company=second)

    archives.archive_build(archive, site_url=SITE)

    assert {name.split("/")[0] for name in zip_of(archive).namelist()} == {second.siren}
    assert archives.archive_filename(archive) == f"factures-2026-{second.siren}.zip"


def test_documents_still_being_prepared_are_left_out(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    ready = issued(first)
    pending = issued(first, datetime.date(2026, 9, 1), ready=False)
    archive = archives.archive_request(actor=admin, year=2026)

    archives.archive_build(archive, site_url=SITE)

    names = zip_of(archive).namelist()
    assert f"{first.siren}/{ready.number}.pdf" in names
    assert not [name for name in names if pending.number in name]


def test_a_year_with_no_document_ready_yet_fails_without_a_file(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    issued(first, ready=False)
    archive = archives.archive_request(actor=admin, year=2026)

    archives.archive_build(archive, site_url=SITE)

    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.FAILED
    assert archive.path == ""
    assert mail.outbox == []


def test_an_altered_document_fails_the_archive(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    invoice = issued(first)
    storage.put(invoice.document.pdf_path, b"%PDF-1.7 forged", content_type="application/pdf")
    archive = archives.archive_request(actor=admin, year=2026)

    with pytest.raises(services.DocumentAltered):
        archives.archive_build(archive, site_url=SITE)

    archive.refresh_from_db()
    assert archive.status == InvoiceArchive.Status.FAILED
    assert mail.outbox == []


def test_building_again_a_ready_archive_changes_nothing(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    issued(first)
    archive = archives.archive_request(actor=admin, year=2026)
    archives.archive_build(archive, site_url=SITE)
    built = InvoiceArchive.objects.get(pk=archive.pk)

    again = archives.archive_build(built, site_url=SITE)

    assert again.ready_at == built.ready_at
    assert len(mail.outbox) == 1


def test_progress_is_written_every_few_files_while_building(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    for month in range(1, 7):
        issued_on(first, datetime.date(2026, month, 3), ready=True)
    archive = archives.archive_request(actor=admin, year=2026)

    with CaptureQueriesContext(connection) as queries:
        archives.archive_build(archive, site_url=SITE)

    # 12 files: the progress row is written once on the way (at 10), then once when ready.
    progress = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "invoicing_invoicearchive" SET "files_done"')
    ]
    assert len(progress) == 1
    assert "= 10 " in progress[0]
    assert InvoiceArchive.objects.get(pk=archive.pk).files_done == 12


# --- telling the requester ---------------------------------------------------------------------


def test_the_requester_is_emailed_a_link_to_the_page_in_french(two_companies):
    first, _second = two_companies
    admin = client_admin(first, email="alice@martin.example", language="fr")
    issued(first)
    archive = archives.archive_request(actor=admin, year=2026)

    archives.archive_build(archive, site_url=SITE)

    [message] = mail.outbox
    assert message.to == ["alice@martin.example"]
    assert message.subject == "Vos factures de 2026 sont prêtes à télécharger"
    assert f"{SITE}/mon-compte/factures/" in message.body
    assert "Bonjour" in message.body


def test_the_requester_is_emailed_in_english_when_they_chose_it(two_companies):
    first, _second = two_companies
    admin = client_admin(first, language="en")
    issued(first)
    archive = archives.archive_request(actor=admin, year=2026, company=first)

    archives.archive_build(archive, site_url=SITE)

    [message] = mail.outbox
    assert message.subject == "Your invoices of 2026 are ready to download"
    assert f"{SITE}/entreprises/{first.pk}/factures/" in message.body
    assert first.legal_name in message.body


# --- handing it out ----------------------------------------------------------------------------


def test_only_the_requester_gets_the_archive_path(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    other = client_admin(first, email="associe@martin.example")
    issued(first)
    archive = archives.archive_request(actor=admin, year=2026, company=first)
    archives.archive_build(archive, site_url=SITE)

    assert archives.archive_download_path(actor=admin, archive=archive) == archive.path
    with pytest.raises(NotFound):
        archives.archive_download_path(actor=other, archive=archive)


def test_a_requester_who_lost_the_right_no_longer_gets_the_archive(two_companies):
    first, _second = two_companies
    client_admin(first)
    person = collaborator(first, VIEW, DOWNLOAD)
    issued(first)
    archive = archives.archive_request(actor=person, year=2026, company=first)
    archives.archive_build(archive, site_url=SITE)
    Membership.objects.filter(user=person, company=first).delete()

    with pytest.raises(NotFound):
        archives.archive_download_path(actor=person, archive=archive)


def test_an_archive_not_ready_yet_is_refused_as_pending(two_companies):
    first, _second = two_companies
    admin = client_admin(first)
    issued(first, ready=False)
    archive = archives.archive_request(actor=admin, year=2026)

    with pytest.raises(DomainError) as refused:
        archives.archive_download_path(actor=admin, archive=archive)

    assert refused.value.code == "pending"
