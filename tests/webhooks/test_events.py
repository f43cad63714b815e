"""The business services emit their events inside their own transaction."""

from __future__ import annotations

import datetime

import pytest

from clients import services as clients
from clients.models import Membership, User
from clients.services.invitations import invitation_accept, invitation_send
from entitlements import services as entitlements
from invoicing import services as invoicing
from tenants.errors import DomainError
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory, siren
from tests.invoicing.factories import PERIOD, billable_company, firm_profile_complete
from webhooks import events, services
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        services.endpoint_create(
            actor=admin, url="https://93.184.216.34/hooks", event_types=list(events.EVENT_TYPES)
        )
        yield admin


def _types() -> list[str]:
    return list(WebhookEvent.objects.order_by("created_at").values_list("type", flat=True))


def test_company_created_and_updated(admin):
    company = clients.company_create(legal_name="Boulangerie Martin", siren=siren(30_001))
    clients.company_update(actor=admin, company=company, city="Lyon")

    assert _types() == ["company.created", "company.updated"]
    updated = WebhookEvent.objects.get(type="company.updated")
    assert updated.data["id"] == company.pk and updated.data["changed"] == ["city"]
    assert WebhookDelivery.objects.count() == 2


def test_a_refused_update_emits_nothing(admin):
    company = CompanyFactory()
    with pytest.raises(DomainError):
        clients.company_update(actor=admin, company=company, siren="123")

    assert _types() == []


def test_person_invited_activated_deactivated(admin):
    company = CompanyFactory()
    invitation = invitation_send(
        actor=admin, email="claire@example.fr", companies=[company], role=Membership.Role.ADMIN
    )
    token = invitation.link.rstrip("/").rsplit("/", 1)[-1]
    person = invitation_accept(token=token, password=PASSWORD)
    clients.user_set_active(actor=admin, user=person, active=False)

    assert _types() == ["person.invited", "person.activated", "person.deactivated"]
    invited = WebhookEvent.objects.get(type="person.invited").data
    assert invited["email"] == "claire@example.fr" and invited["companies"] == [company.pk]


def test_subscription_and_grants(admin):
    company = billable_company(applications=())
    collaborator = UserFactory()
    MembershipFactory(user=collaborator, company=company)
    subscription = company.subscriptions.get()

    entitlements.subscription_update(actor=admin, subscription=subscription, seat_limit=5)
    entitlements.grant_access(actor=admin, user=collaborator, subscription=subscription)
    entitlements.revoke_access(actor=admin, user=collaborator, subscription=subscription)
    entitlements.subscription_end(
        actor=admin, subscription=subscription, end_date=datetime.date(2026, 12, 31)
    )

    assert _types() == [
        "subscription.changed",
        "grant.created",
        "grant.revoked",
        "subscription.changed",
    ]
    changes = [e.data["change"] for e in WebhookEvent.objects.filter(type="subscription.changed")]
    assert sorted(changes) == ["ended", "updated"]


def test_invoice_and_credit_note_issued_when_their_documents_are_ready(admin):
    firm_profile_complete()
    invoice = invoicing.company_bill(company=billable_company(), period_start=PERIOD).invoice
    assert _types() == []  # issued, its documents not ready yet

    invoicing.document_store(invoice, notify=False)
    credit = invoicing.credit_note_issue(actor=admin, invoice=invoice, reason="Erreur")
    invoicing.document_store(credit, notify=False)

    issued = WebhookEvent.objects.get(type="invoice.issued").data
    credited = WebhookEvent.objects.get(type="credit_note.issued").data
    assert issued["number"] == invoice.number
    assert issued["total_incl_vat"] == str(invoice.total_incl_vat)
    assert issued["total_excl_vat"] == "49.00"
    assert credited["credited_invoice"] == invoice.pk
    assert credited["number"] == credit.number


def test_storing_a_ready_document_again_emits_nothing_more(admin):
    firm_profile_complete()
    invoice = invoicing.company_bill(company=billable_company(), period_start=PERIOD).invoice
    invoicing.document_store(invoice, notify=False)
    invoicing.document_store(invoice, notify=False)

    assert _types() == ["invoice.issued"]
