"""The catalogue and the subscriptions: who may change them, and their audit trail."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from api.authentication import ApiKeyActor
from api.models import FirmAPIKey
from api.services import api_key_create
from entitlements.models import Application, AuditEvent, Subscription
from entitlements.services import (
    application_create,
    application_update,
    subscription_create,
    subscription_end,
    subscription_update,
)
from tenants.errors import DomainError, NotFound, PermissionDenied
from tests.entitlements.conftest import TODAY, ApplicationFactory

pytestmark = pytest.mark.django_db


def test_firm_administrator_manages_the_catalogue(world):
    fee = application_create(
        actor=world.firm_admin,
        name=" Forfait tenue comptable ",
        category=Application.Category.FEES,
        pricing=Application.Pricing.PER_COMPANY_MONTH,
        price_excl_vat="150",
        vat_rate="20",
    )
    assert (fee.name, fee.launch_url, fee.price_excl_vat) == (
        "Forfait tenue comptable",
        "",
        Decimal("150.00"),
    )
    assert len(fee.launch_secret) >= 40

    application_update(actor=world.firm_admin, application=fee, price_excl_vat="160.50")
    fee.refresh_from_db()
    assert fee.price_excl_vat == Decimal("160.50")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price_excl_vat": "-1"}, "price_excl_vat"),
        ({"price_excl_vat": "abc"}, "price_excl_vat"),
        ({"vat_rate": "120"}, "vat_rate"),
        ({"category": "games"}, "category"),
        ({"launch_url": "http://insecure.example"}, "launch_url"),
    ],
)
def test_bad_catalogue_input_is_refused(world, fields, field):
    with pytest.raises(DomainError) as error:
        application_create(actor=world.firm_admin, name="Paie", **fields)
    assert error.value.field == field
    assert not Application.objects.filter(name="Paie").exists()


def test_only_firm_administrators_manage_the_catalogue(world):
    with pytest.raises(PermissionDenied):
        application_create(actor=world.admin, name="Paie")
    with pytest.raises(PermissionDenied):
        application_update(actor=world.admin, application=world.subscription.application, name="x")


def test_firm_staff_configure_an_application_on_a_company(world):
    application = ApplicationFactory()

    subscription = subscription_create(
        actor=world.firm_admin,
        company=world.company,
        application=application,
        start_date=TODAY,
        seat_limit=5,
        price_override="9.90",
        ip="192.0.2.7",
    )

    assert (subscription.status, subscription.seat_limit, subscription.price_override) == (
        Subscription.Status.ACTIVE,
        5,
        Decimal("9.90"),
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBSCRIPTION_CREATED)
    assert (event.actor, event.ip, event.subscription) == (
        world.firm_admin,
        "192.0.2.7",
        subscription,
    )
    assert event.details["seat_limit"] == 5


def test_an_api_key_is_recorded_by_its_label(world):
    _key, _secret = api_key_create(actor=world.firm_admin, name="sync")
    actor = ApiKeyActor(FirmAPIKey.objects.get())

    subscription_create(
        actor=actor, company=world.company, application=ApplicationFactory(), start_date=TODAY
    )

    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBSCRIPTION_CREATED)
    assert event.actor is None
    assert event.actor_label == f"API key {actor.key.prefix}"


def test_one_open_subscription_per_company_and_application(world):
    application = world.subscription.application
    with pytest.raises(DomainError) as error:
        subscription_create(
            actor=world.firm_admin, company=world.company, application=application, start_date=TODAY
        )
    assert error.value.code == "duplicate"

    subscription_end(actor=world.firm_admin, subscription=world.subscription, end_date=TODAY)
    again = subscription_create(
        actor=world.firm_admin, company=world.company, application=application, start_date=TODAY
    )
    assert again.pk != world.subscription.pk


def test_client_administrators_and_strangers_cannot_configure_applications(world):
    application = ApplicationFactory()
    with pytest.raises(PermissionDenied):
        subscription_create(
            actor=world.admin, company=world.company, application=application, start_date=TODAY
        )
    with pytest.raises(NotFound):
        subscription_create(
            actor=world.other_admin,
            company=world.company,
            application=application,
            start_date=TODAY,
        )
    with pytest.raises(NotFound):
        subscription_end(actor=world.other_admin, subscription=world.subscription, end_date=TODAY)
    with pytest.raises(PermissionDenied):
        subscription_update(actor=world.admin, subscription=world.subscription, seat_limit=1)
    assert not Subscription.objects.filter(application=application).exists()
    assert not AuditEvent.objects.exists()


def test_an_inactive_application_cannot_be_configured(world):
    application = ApplicationFactory(is_active=False)
    with pytest.raises(DomainError) as error:
        subscription_create(
            actor=world.firm_admin, company=world.company, application=application, start_date=TODAY
        )
    assert error.value.field == "application"


def test_subscription_changes_are_audited_with_before_and_after(world):
    subscription_update(
        actor=world.firm_admin,
        subscription=world.subscription,
        status=Subscription.Status.SUSPENDED,
        seat_limit=3,
        price_override=Decimal("5"),
        ip="2001:db8::1",
    )

    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBSCRIPTION_CHANGED)
    assert event.details["before"] == {
        "status": "active",
        "seat_limit": None,
        "price_override": None,
    }
    assert event.details["after"] == {
        "status": "suspended",
        "seat_limit": 3,
        "price_override": "5.00",
    }
    assert event.ip == "2001:db8::1"


def test_bad_subscription_changes_are_refused(world):
    with pytest.raises(DomainError):
        subscription_update(actor=world.firm_admin, subscription=world.subscription, status="ended")
    with pytest.raises(DomainError) as error:
        subscription_update(actor=world.firm_admin, subscription=world.subscription, seat_limit=-1)
    assert error.value.field == "seat_limit"
    with pytest.raises(DomainError) as error:
        subscription_end(
            actor=world.firm_admin,
            subscription=world.subscription,
            end_date=TODAY - datetime.timedelta(days=1),
        )
    assert error.value.field == "end_date"
    world.subscription.refresh_from_db()
    assert world.subscription.status == Subscription.Status.ACTIVE


def test_an_ended_subscription_cannot_be_changed_or_ended_again(world):
    subscription_end(actor=world.firm_admin, subscription=world.subscription, end_date=TODAY)
    with pytest.raises(DomainError):
        subscription_update(actor=world.firm_admin, subscription=world.subscription, seat_limit=3)
    with pytest.raises(DomainError):
        subscription_end(actor=world.firm_admin, subscription=world.subscription, end_date=TODAY)
