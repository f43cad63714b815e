"""Cabinet › Prélèvements: the creditor settings, the pain.008 collection file (valid against
its XSD, FRST then RCUR per mandate, one batch per date and sequence type), its debits turned
into payments once their date has come, and the pre-notifications before them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.core import mail
from django.utils import timezone, translation
from lxml import etree

from clients.models import User
from payments.models import PaymentEvent, Source
from payments.services import payment_record
from sepa.models import Collection, CreditorSettings, Instruction, Mandate, PreNotification
from sepa.selectors import business_day_on_or_after
from sepa.services import (
    collection_export,
    collection_file,
    creditor_settings_update,
    instructions_collect,
    mandate_revoke,
    prenotifications_send,
)
from tenants.errors import DomainError
from tests.factories import PASSWORD, UserFactory
from tests.payments.factories import invoice_due
from tests.sepa.factories import ICS, company_with_admin, creditor_ready, mandate

pytestmark = pytest.mark.django_db

XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
SITE = "http://alpha.test"


def _admin() -> User:
    return User.objects.get(firm_role=User.FirmRole.ADMIN, email="admin@alpha.example")


def _signed_in(firm, email: str):
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _due_by() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=60)


def _back_date(collection: Collection, days: int = 1) -> None:
    """Time passes: the collection's debit date is behind us."""
    past = timezone.localdate() - datetime.timedelta(days=days)
    Instruction.objects.filter(collection=collection).update(collection_date=past)


def test_the_file_is_valid_pain_008_with_frst_and_rcur_per_mandate(alpha):
    with alpha.context():
        creditor_ready()
        old, old_admin = company_with_admin(legal_name="Garage Dupont")
        new, new_admin = company_with_admin(legal_name="Boulangerie Martin")
        mandate(old, old_admin)
        first = collection_export(actor=_admin(), due_by=invoice_due(old).due_date)
        _back_date(first)
        assert instructions_collect() == 1
        late = invoice_due(old, total_excl_vat="50.00", days_overdue=3)
        invoice_due(old, total_excl_vat="10.00")
        mandate(new, new_admin)
        fresh = invoice_due(new, total_excl_vat="200.00")

        collection = collection_export(actor=_admin(), due_by=_due_by())

        xml = collection_file(collection)
        xmlschema.XMLSchema(str(XSD)).validate(xml.decode())
        root = etree.fromstring(xml)
        batches = {
            (
                info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
                info.findtext("p:ReqdColltnDt", namespaces=NS),
            ): [
                (
                    tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
                    tx.findtext("p:InstdAmt", namespaces=NS),
                )
                for tx in info.findall("p:DrctDbtTxInf", namespaces=NS)
            ]
            for info in root.findall(".//p:PmtInf", namespaces=NS)
        }
        rows = {row.invoice_id: row for row in collection.instructions.all()}
        assert rows[late.pk].sequence_type == "RCUR"
        assert rows[fresh.pk].sequence_type == "FRST"
        assert rows[late.pk].amount == Decimal("60.00")
        assert rows[fresh.pk].amount == Decimal("240.00")
        assert len(rows) == 3
        frst = [key for key in batches if key[0] == "FRST"]
        assert len(frst) == 1
        assert batches[frst[0]] == [(rows[fresh.pk].end_to_end_id, "240.00")]
        assert {seq for seq, _date in batches} == {"FRST", "RCUR"}
        assert len(batches) == len({(r.sequence_type, r.collection_date) for r in rows.values()})
        assert rows[late.pk].end_to_end_id == f"{late.number}-{rows[late.pk].pk}"
        assert root.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS) == ICS


def test_debit_dates_respect_the_pre_notification_delay(alpha):
    with alpha.context():
        creditor_ready(days=10)
        company, admin = company_with_admin()
        mandate(company, admin)
        overdue = invoice_due(company, days_overdue=20)
        later = invoice_due(company, due_date=timezone.localdate() + datetime.timedelta(days=40))

        collection = collection_export(actor=_admin(), due_by=_due_by())

        earliest = timezone.localdate() + datetime.timedelta(days=10)
        rows = {row.invoice_id: row for row in collection.instructions.all()}
        assert rows[overdue.pk].collection_date == business_day_on_or_after(earliest)
        assert rows[later.pk].collection_date == business_day_on_or_after(later.due_date)
        assert all(row.collection_date.weekday() < 5 for row in rows.values())


def test_an_invoice_is_in_one_live_collection_only(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        mandate(company, admin)
        invoice_due(company)
        collection_export(actor=_admin(), due_by=_due_by())

        with pytest.raises(DomainError) as refused:
            collection_export(actor=_admin(), due_by=_due_by())

        assert refused.value.field == "due_by"
        assert Collection.objects.count() == 1


def test_debits_become_payments_once_their_date_has_come(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        signed = mandate(company, admin)
        invoice = invoice_due(company, total_excl_vat="100.00")
        collection = collection_export(actor=_admin(), due_by=_due_by())

        assert instructions_collect() == 0
        _back_date(collection, days=2)
        assert instructions_collect() == 1
        assert instructions_collect() == 0

        row = collection.instructions.get()
        payment = PaymentEvent.objects.get(invoice=invoice)
        assert row.status == Instruction.Status.COLLECTED and row.payment == payment
        assert payment.source == Source.DIRECT_DEBIT and payment.means == "direct_debit"
        assert payment.external_id == row.end_to_end_id and payment.amount == Decimal("120.00")
        assert payment.date == row.collection_date
        signed.refresh_from_db()
        assert signed.last_debit == row.collection_date


def test_a_debit_on_an_invoice_paid_meanwhile_is_not_recorded_twice(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        mandate(company, admin)
        invoice = invoice_due(company, total_excl_vat="100.00")
        collection = collection_export(actor=_admin(), due_by=_due_by())
        payment_record(
            actor=None,
            invoice=invoice,
            amount="120.00",
            date=timezone.localdate(),
            means="transfer",
            source=Source.BANK,
        )
        _back_date(collection)

        assert instructions_collect() == 0

        row = collection.instructions.get()
        assert row.status == Instruction.Status.FAILED and row.note
        assert PaymentEvent.objects.filter(invoice=invoice).count() == 1


def test_revoking_a_mandate_withdraws_its_pending_debits(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        signed = mandate(company, admin)
        invoice_due(company)
        collection = collection_export(actor=_admin(), due_by=_due_by())
        mandate_revoke(actor=admin, mandate=signed)
        _back_date(collection)

        assert instructions_collect() == 0
        assert collection.instructions.get().status == Instruction.Status.FAILED
        assert not PaymentEvent.objects.exists()


def test_companies_are_told_before_each_debit_once_in_their_language(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin(legal_name="Garage Dupont")
        admin.language = "en"
        admin.save(update_fields=["language"])
        signed = mandate(company, admin)
        invoice = invoice_due(company, total_excl_vat="100.00")
        collection = collection_export(actor=_admin(), due_by=_due_by())
        mail.outbox.clear()

        assert prenotifications_send(site_url=SITE) == 1
        assert prenotifications_send(site_url=SITE) == 0

        row = collection.instructions.get()
        told = {message.to[0]: message for message in mail.outbox}
        assert set(told) == {admin.email, "compta@client.example"}
        english, french = told[admin.email], told["compta@client.example"]
        for message in (english, french):
            assert ICS in message.body and signed.reference in message.body
            assert invoice.number in message.body and "120" in message.body
        assert "will debit" in english.body
        assert row.collection_date.strftime("%m/%d/%Y") in english.body
        assert row.collection_date.strftime("%d/%m/%Y") in french.body
        notice = PreNotification.objects.get(invoice=invoice)
        assert notice.debit_date == row.collection_date
        assert (row.collection_date - notice.sent_at.date()).days >= 14


def test_export_is_refused_without_creditor_identifier_or_firm_account(alpha):
    with alpha.context():
        creditor_ready(iban="", bic="")
        company, admin = company_with_admin()
        mandate(company, admin)
        invoice_due(company)

        with pytest.raises(DomainError) as no_account:
            collection_export(actor=_admin(), due_by=_due_by())
        CreditorSettings.objects.filter(pk=1).update(creditor_id="")
        with pytest.raises(DomainError) as no_ics:
            collection_export(actor=_admin(), due_by=_due_by())

        assert "IBAN" in str(no_account.value.message)
        assert "ICS" in str(no_ics.value.message)
        assert not Collection.objects.exists() and not Instruction.objects.exists()


def test_only_firm_administrators_export(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        mandate(company, admin)
        invoice_due(company)
        accountant = UserFactory(firm_role=User.FirmRole.ACCOUNTANT)

        for actor in (accountant, admin):
            with pytest.raises(DomainError):
                collection_export(actor=actor, due_by=_due_by())

        assert not Collection.objects.exists()


@pytest.mark.parametrize(
    ("creditor_id", "days", "field", "english", "french"),
    [
        ("FR00ZZZ123456", "14", "creditor_id", "valid SEPA creditor", "identifiant créancier"),
        (ICS, "1", "prenotice_days", "between 2 and 30", "entre 2 et 30"),
        (ICS, "31", "prenotice_days", "between 2 and 30", "entre 2 et 30"),
        (ICS, "x", "prenotice_days", "between 2 and 30", "entre 2 et 30"),
    ],
)
def test_bad_settings_are_refused_on_their_field(alpha, creditor_id, days, field, english, french):
    with alpha.context():
        for language, expected in (("en", english), ("fr", french)):
            with translation.override(language), pytest.raises(DomainError) as refused:
                creditor_settings_update(
                    actor=_admin(), creditor_id=creditor_id, prenotice_days=days
                )
            assert refused.value.field == field
            assert expected in str(refused.value.message)
        assert not CreditorSettings.objects.exists()


def test_the_settings_page_records_the_creditor_identifier(alpha):
    client = _signed_in(alpha, "admin@alpha.example")

    bad = client.post(
        "/cabinet/prelevements/réglages/",
        {"creditor_id": "FR00ZZZ", "prenotice_days": "14"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    good = client.post(
        "/cabinet/prelevements/réglages/", {"creditor_id": "fr72 zzz 123456", "prenotice_days": "5"}
    )

    assert bad.status_code == 400
    assert "identifiant créancier" in " ".join(bad.context["form"].errors["creditor_id"])
    assert good.status_code == 302
    with alpha.context():
        row = CreditorSettings.objects.get()
        assert (row.creditor_id, row.prenotice_days) == (ICS, 5)


def test_the_cabinet_exports_and_downloads_the_file(alpha):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        mandate(company, admin)
        invoice_due(company)
    client = _signed_in(alpha, "admin@alpha.example")

    exported = client.post("/cabinet/prelevements/exporter/", {"due_by": _due_by().isoformat()})

    assert exported.status_code == 302
    with alpha.context():
        collection = Collection.objects.get()
    page = client.get(exported["Location"])
    assert page.status_code == 200
    download = client.get(f"/cabinet/prelevements/fichiers/{collection.pk}/xml/")
    assert download.status_code == 302
    assert f"firms/{alpha.firm.schema_name}/sepa/collections/" in download["Location"]
    again = client.post("/cabinet/prelevements/exporter/", {"due_by": "pas une date"})
    assert again.status_code == 400
    assert again.context["export_form"].errors["due_by"]


@pytest.mark.parametrize("who", ["accountant", "client", "beta"])
def test_others_cannot_reach_the_collections(alpha, beta, who):
    with alpha.context():
        creditor_ready()
        company, admin = company_with_admin()
        signed = mandate(company, admin)
        invoice_due(company)
        collection = collection_export(actor=_admin(), due_by=_due_by())
        if who == "accountant":
            client = _signed_in(alpha, UserFactory(firm_role=User.FirmRole.ACCOUNTANT).email)
        elif who == "client":
            client = _signed_in(alpha, admin.email)
    if who == "beta":
        client = _signed_in(beta, "admin@beta.example")

    by_id = [
        client.get(f"/cabinet/prelevements/fichiers/{collection.pk}/").status_code,
        client.get(f"/cabinet/prelevements/fichiers/{collection.pk}/xml/").status_code,
        client.get(f"/cabinet/prelevements/mandats/{signed.pk}/pdf/").status_code,
        client.post(f"/cabinet/prelevements/mandats/{signed.pk}/revoquer/").status_code,
    ]
    export = client.post("/cabinet/prelevements/exporter/", {"due_by": "2099-01-01"})
    settings_page = client.get("/cabinet/prelevements/réglages/")

    assert by_id == [404] * 4
    if who == "beta":  # beta's own administrator: its pages, none of alpha's invoices
        assert (export.status_code, settings_page.status_code) == (400, 200)
        with beta.context():
            assert not Collection.objects.exists()
    else:
        assert (export.status_code, settings_page.status_code) == (404, 404)
    with alpha.context():
        signed.refresh_from_db()
        assert signed.status == Mandate.Status.ACTIVE


def test_the_accountant_in_charge_revokes_a_mandate(alpha):
    with alpha.context():
        creditor_ready()
        accountant = UserFactory(firm_role=User.FirmRole.ACCOUNTANT)
        company, admin = company_with_admin(accountant=accountant)
        signed = mandate(company, admin)
    client = _signed_in(alpha, accountant.email)

    listed = client.get("/cabinet/prelevements/")
    revoked = client.post(f"/cabinet/prelevements/mandats/{signed.pk}/revoquer/")

    assert signed.reference in listed.content.decode()
    assert revoked.status_code == 302
    with alpha.context():
        signed.refresh_from_db()
        assert signed.status == Mandate.Status.REVOKED
