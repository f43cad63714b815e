"""The entitlements cast of the API matrices, on top of tests/api/conftest.py's `world`:
alpha's catalogue, a subscription of each company, an access, an audit trail; and beta's
rows with ids alpha never reaches."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from entitlements import services
from entitlements.models import (
    USE_SUBSCRIPTION,
    Application,
    AuditEvent,
    Subscription,
    SubscriptionUserObjectPermission,
)
from tests.api.conftest import BETA_IDS
from tests.entitlements.conftest import ApplicationFactory, SubscriptionFactory

START = datetime.date(2026, 1, 1)


@dataclass(frozen=True)
class Ent:
    compta: Application  # active
    paie: Application  # active, sensitive
    retired: Application  # inactive
    subscription: Subscription  # Boulangerie Martin / Compta, the collaborator may use it
    garage: Subscription  # Garage Dupont / Compta
    grant: SubscriptionUserObjectPermission  # the collaborator's access to `subscription`
    beta_application: Application
    beta_subscription: Subscription
    beta_grant: SubscriptionUserObjectPermission
    beta_event: AuditEvent


@pytest.fixture(name="ent")
def ent_fixture(alpha, beta, world) -> Ent:
    with alpha.context():
        admin = world.people["firm_admin"]
        compta = ApplicationFactory(name="Compta en ligne")
        paie = ApplicationFactory(name="Paie", category="payroll", is_sensitive=True)
        retired = ApplicationFactory(name="Ancienne GED", is_active=False)
        subscription = services.subscription_create(
            actor=admin, company=world.company, application=compta, start_date=START
        )
        garage = services.subscription_create(
            actor=admin, company=world.other, application=compta, start_date=START
        )
        services.grant_access(
            actor=admin, user=world.people["collaborator"], subscription=subscription
        )
        grant = SubscriptionUserObjectPermission.objects.get(content_object=subscription)
    with beta.context():
        beta_application = ApplicationFactory(pk=BETA_IDS, name="Appli de Bêta")
        beta_subscription = SubscriptionFactory(
            pk=BETA_IDS, company=world.beta_company, application=beta_application
        )
        beta_grant = SubscriptionUserObjectPermission.objects.create(
            pk=BETA_IDS,
            user=world.beta_person,
            content_object=beta_subscription,
            permission=Permission.objects.get(codename=USE_SUBSCRIPTION),
        )
        beta_event = AuditEvent.objects.create(
            pk=BETA_IDS,
            action=AuditEvent.Action.GRANT_CREATED,
            company=world.beta_company,
            subscription=beta_subscription,
            target_user=world.beta_person,
        )
    return Ent(
        compta,
        paie,
        retired,
        subscription,
        garage,
        grant,
        beta_application,
        beta_subscription,
        beta_grant,
        beta_event,
    )
