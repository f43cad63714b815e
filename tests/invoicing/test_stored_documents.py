"""Documents in S3: where they go, their checksums checked on every download, Object Lock."""

from __future__ import annotations

import datetime
import uuid

import boto3
import pytest
from django.conf import settings as django_settings

from invoicing import services
from invoicing.models import InvoiceDocument
from tenants import storage
from tests.invoicing.factories import PERIOD, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(alpha):
    with alpha.context():
        firm_profile_complete()
        yield alpha


def _stored():
    invoice = services.company_bill(company=billable_company(), period_start=PERIOD).invoice
    return invoice, services.document_store(invoice, notify=False)


def test_the_pdf_and_its_xml_are_stored_under_the_firm_year_and_number(ctx):
    invoice, document = _stored()

    year = invoice.issue_date.year
    assert document.status == "ready"
    assert document.pdf_path == f"invoices/{year}/{invoice.number}.pdf"
    assert storage.key_for(document.xml_path) == (
        f"firms/{ctx.firm.schema_name}/invoices/{year}/{invoice.number}.xml"
    )
    assert storage.get(document.pdf_path)[:5] == b"%PDF-"
    assert storage.sha256_of(document.pdf_path) == document.pdf_sha256


def test_storing_again_changes_nothing(ctx):
    invoice, document = _stored()

    again = services.document_store(invoice, notify=False)

    assert (again.pdf_sha256, again.attempts) == (document.pdf_sha256, document.attempts)


def test_a_download_checks_the_stored_bytes_against_the_recorded_checksum(ctx):
    invoice, document = _stored()

    assert services.document_verified_path(invoice, "pdf") == document.pdf_path
    storage.put(document.pdf_path, b"%PDF-1.7 forged", content_type="application/pdf")

    with pytest.raises(services.DocumentAltered):
        services.document_verified_path(invoice, "pdf")
    assert services.document_verified_path(invoice, "xml") == document.xml_path


def test_a_pending_document_cannot_be_downloaded_yet(ctx):
    invoice = services.company_bill(company=billable_company(), period_start=PERIOD).invoice

    with pytest.raises(services.DomainError) as pending:
        services.document_verified_path(invoice, "pdf")

    assert pending.value.code == "pending"
    assert InvoiceDocument.objects.get(invoice=invoice).status == "pending"


@pytest.fixture
def locked_bucket(settings):
    settings.S3_BUCKET = f"comptoir-lock-{uuid.uuid4().hex[:8]}"
    settings.S3_OBJECT_LOCK = True
    storage.bucket_ensure()
    yield settings.S3_BUCKET
    settings.S3_BUCKET = django_settings.S3_BUCKET


def test_with_object_lock_documents_are_locked_until_ten_years_after_their_year(ctx, locked_bucket):
    invoice, document = _stored()
    s3 = storage.client()
    key = storage.key_for(document.pdf_path)

    head = s3.head_object(Bucket=locked_bucket, Key=key)
    with pytest.raises(boto3.exceptions.botocore.exceptions.ClientError):
        s3.delete_object(Bucket=locked_bucket, Key=key, VersionId=head["VersionId"])

    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"].date() == datetime.date(
        invoice.issue_date.year + 10, 12, 31
    )
    assert invoice.retained_until == datetime.date(invoice.issue_date.year + 10, 12, 31)
