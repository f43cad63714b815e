"""Who may use what: constant query counts, and nothing of another firm or company."""

from __future__ import annotations

import pytest

from clients.models import Membership
from entitlements.models import Subscription, SubscriptionUserObjectPermission
from entitlements.selectors import (
    access_matrix,
    applications_usable_by,
    can_use,
    has_company_right,
    seats_used,
)
from entitlements.services import grant_access, revoke_access, subscription_update
from tenants.errors import NotFound
from tests.entitlements.conftest import SubscriptionFactory
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# django-tenants sends `SET search_path` once per schema switch (TENANT_LIMIT_SET_CALLS), and
# the firm's schema is already set when these selectors run: N SQL queries are counted as N.
SET_PER_QUERY = 1


def _grant(user, subscription) -> None:
    SubscriptionUserObjectPermission.objects.create(
        user=user,
        content_object=subscription,
        permission_id=_permission_id(),
    )


def _permission_id() -> int:
    from django.contrib.auth.models import Permission

    return Permission.objects.get(codename="use_subscription").pk


def _usable_world(size: int):
    """One person in `size` companies, each with one granted application."""
    user = UserFactory()
    for _ in range(size):
        company = CompanyFactory()
        Membership.objects.create(user=user, company=company, role=Membership.Role.COLLABORATOR)
        _grant(user, SubscriptionFactory(company=company))
    return user


def test_applications_usable_by_lists_granted_active_subscriptions(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.sensitive)
    subscription_update(
        actor=world.firm_admin, subscription=world.sensitive, status=Subscription.Status.SUSPENDED
    )

    rows = applications_usable_by(world.collaborator)

    assert rows == [(world.company, world.subscription, world.subscription.application)]
    assert applications_usable_by(world.admin) == []  # admins hold no application by role


@pytest.mark.parametrize("size", [3, 30])
def test_applications_usable_by_runs_in_one_query(ctx, django_assert_num_queries, size):
    user = _usable_world(size)
    with django_assert_num_queries(1 * SET_PER_QUERY):
        rows = applications_usable_by(user)
        for company, subscription, application in rows:
            assert company.legal_name and subscription.pk and application.name
    assert len(rows) == size


@pytest.mark.parametrize("size", [3, 30])
def test_access_matrix_runs_in_three_queries(ctx, django_assert_num_queries, size):
    company = CompanyFactory()
    people = [MembershipFactory(company=company).user for _ in range(size)]
    subscriptions = [SubscriptionFactory(company=company) for _ in range(size)]
    for index, person in enumerate(people):
        _grant(person, subscriptions[index])
        _grant(person, subscriptions[(index + 1) % size])

    with django_assert_num_queries(3 * SET_PER_QUERY):
        matrix_people, matrix_subscriptions, granted = access_matrix(company)
        names = [s.application.name for s in matrix_subscriptions]

    assert len(matrix_people) == size
    assert len(names) == size
    assert len(granted) == 2 * size
    assert (people[0].pk, subscriptions[1].pk) in granted


def test_access_matrix_of_one_company_shows_nothing_of_another(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    elsewhere = SubscriptionFactory(company=world.other_company)
    grant_access(actor=world.other_admin, user=world.other_admin, subscription=elsewhere)

    people, subscriptions, granted = access_matrix(world.other_company)

    assert people == [world.other_admin]
    assert subscriptions == [elsewhere]
    assert granted == {(world.other_admin.pk, elsewhere.pk)}


def test_can_use_and_has_company_right_run_in_one_query(world, django_assert_num_queries):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    with django_assert_num_queries(1 * SET_PER_QUERY):
        assert can_use(world.collaborator, world.subscription)
    with django_assert_num_queries(1 * SET_PER_QUERY):
        assert not can_use(world.collaborator, world.sensitive)
    with django_assert_num_queries(1 * SET_PER_QUERY):
        assert has_company_right(world.admin, world.company, "view_invoices")


def test_a_revoked_or_departed_person_cannot_use(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    revoke_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    assert not can_use(world.collaborator, world.subscription)

    # A grant row left behind by hand still needs the membership.
    _grant(world.collaborator, world.subscription)
    Membership.objects.filter(user=world.collaborator).delete()
    assert not can_use(world.collaborator, world.subscription)
    assert applications_usable_by(world.collaborator) == []


def test_seats_used_counts_grants_per_subscription(world, django_assert_num_queries):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    grant_access(actor=world.admin, user=world.admin, subscription=world.subscription)
    with django_assert_num_queries(1 * SET_PER_QUERY):
        assert seats_used([world.subscription, world.sensitive]) == {world.subscription.pk: 2}


def test_firm_beta_sees_nothing_of_alpha(alpha, beta):
    with alpha.context():
        company = CompanyFactory()
        person = MembershipFactory(company=company).user
        subscription = SubscriptionFactory(company=company)
        _grant(person, subscription)
        assert can_use(person, subscription)

    with beta.context():
        assert applications_usable_by(person) == []
        assert not can_use(person, subscription)
        assert access_matrix(company) == ([], [], set())
        assert not Subscription.objects.filter(pk=subscription.pk).exists()
        assert not SubscriptionUserObjectPermission.objects.exists()


def test_ids_of_another_company_are_refused(world):
    elsewhere = SubscriptionFactory(company=world.other_company)

    with pytest.raises(NotFound):
        grant_access(actor=world.admin, user=world.collaborator, subscription=elsewhere)
    with pytest.raises(NotFound):
        revoke_access(actor=world.admin, user=world.other_admin, subscription=elsewhere)

    assert not SubscriptionUserObjectPermission.objects.exists()
