"""Entitlements fixtures: everything happens in firm alpha's schema unless a test says so."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import factory
import pytest

from clients.models import Company, Membership, User
from entitlements.models import Application, Subscription
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

TODAY = datetime.date(2026, 1, 1)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Application {n:04d}")
    category = Application.Category.BOOKKEEPING
    launch_url = "https://app.example/launch"
    price_excl_vat = "10.00"
    vat_rate = "20.00"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    company = factory.SubFactory(CompanyFactory)
    application = factory.SubFactory(ApplicationFactory)
    start_date = TODAY


@dataclass
class World:
    firm_admin: User
    company: Company
    admin: User  # client administrator of `company`
    collaborator: User
    other_company: Company
    other_admin: User  # client administrator of `other_company` only
    subscription: Subscription  # active, not sensitive
    sensitive: Subscription  # active, bank application


@pytest.fixture
def ctx(alpha):
    with alpha.context():
        yield alpha


@pytest.fixture
def world(ctx) -> World:
    company = CompanyFactory(legal_name="Boulangerie Martin")
    other = CompanyFactory(legal_name="Garage Petit")
    admin = MembershipFactory(company=company, role=Membership.Role.ADMIN).user
    collaborator = MembershipFactory(company=company).user
    other_admin = MembershipFactory(company=other, role=Membership.Role.ADMIN).user
    return World(
        firm_admin=User.objects.get(email=ctx.admin_email),
        company=company,
        admin=admin,
        collaborator=collaborator,
        other_company=other,
        other_admin=other_admin,
        subscription=SubscriptionFactory(company=company),
        sensitive=SubscriptionFactory(
            company=company,
            application=ApplicationFactory(
                name="Banque", category=Application.Category.BANK, is_sensitive=True
            ),
        ),
    )


__all__ = ["TODAY", "ApplicationFactory", "SubscriptionFactory", "UserFactory", "World"]
