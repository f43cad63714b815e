"""Who is told of a new invoice, in which language, once; and when the month is billed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from clients.models import Membership
from entitlements.services import company_right_grant
from invoicing import services
from invoicing.models import InvoiceDocument
from tests.factories import UserFactory
from tests.invoicing.factories import PERIOD, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(alpha):
    with alpha.context():
        firm_profile_complete()
        yield alpha


def _member(company, role, **fields):
    user = UserFactory(**fields)
    Membership.objects.create(user=user, company=company, role=role)
    return user


def _issued(company):
    invoice = services.company_bill(company=company, period_start=PERIOD).invoice
    InvoiceDocument.objects.filter(invoice=invoice).update(status="ready")
    return invoice


def test_the_billing_address_and_the_people_with_the_invoice_right_are_told(ctx):
    company = billable_company(billing_email="compta@boulangerie.example")
    admin = _member(company, Membership.Role.ADMIN, language="en")
    granted = _member(company, Membership.Role.COLLABORATOR)
    firm_admin = UserFactory(firm_role="admin")
    company_right_grant(actor=firm_admin, user=granted, company=company, codename="view_invoices")
    _member(company, Membership.Role.COLLABORATOR)  # no right
    _member(company, Membership.Role.ADMIN, notify_invoices=False)  # opted out
    _member(company, Membership.Role.ADMIN, is_active=False)

    recipients = dict(services.invoice_recipients(_issued(company)))

    assert recipients == {
        "compta@boulangerie.example": "fr",
        admin.email: "en",
        granted.email: "fr",
    }


def test_each_recipient_gets_one_mail_in_their_language_with_a_link(ctx):
    company = billable_company(billing_email="compta@boulangerie.example")
    _member(company, Membership.Role.ADMIN, language="en", email="owner@boulangerie.example")
    _member(company, Membership.Role.ADMIN, language="fr", email="gerant@boulangerie.example")
    invoice = _issued(company)

    sent = services.invoice_notify(invoice, site_url="https://alpha.comptoir.example")
    again = services.invoice_notify(invoice, site_url="https://alpha.comptoir.example")

    assert (sent, again) == (3, 0)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["owner@boulangerie.example"].subject.startswith("New invoice")
    assert by_address["compta@boulangerie.example"].subject.startswith("Nouvelle facture")
    assert invoice.number in by_address["compta@boulangerie.example"].body
    assert (
        "https://alpha.comptoir.example/mon-compte/factures/"
        in by_address["owner@boulangerie.example"].body
    )


def test_nothing_is_sent_before_the_document_is_ready(ctx):
    invoice = services.company_bill(company=billable_company(), period_start=PERIOD).invoice

    assert services.invoice_notify(invoice, site_url="https://x.example") == 0
    assert mail.outbox == []


def test_the_month_just_ended_is_billed_on_the_first_at_two_in_paris():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-billing"]
    schedule = entry["schedule"]

    assert entry["task"] == "invoicing.monthly"
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({0}, {2}, {1})
    assert settings.CELERY_TIMEZONE == "Europe/Paris"


def test_the_default_period_is_the_month_before():
    import datetime

    assert services.billing_period_default(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 1)
    assert services.billing_period_default(datetime.date(2026, 3, 31)) == datetime.date(2026, 2, 1)
