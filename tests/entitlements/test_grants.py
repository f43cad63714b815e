"""Who may grant what, seat limits, sensitive applications and the cleanup of grants."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_perms

from clients.models import Membership, User
from clients.services import membership_remove, user_set_active
from entitlements.models import (
    AuditEvent,
    CompanyUserObjectPermission,
    Subscription,
    SubscriptionUserObjectPermission,
)
from entitlements.selectors import can_use, has_company_right
from entitlements.services import (
    company_right_grant,
    company_right_revoke,
    grant_access,
    grant_defaults,
    grants_remove_for,
    revoke_access,
    subscription_end,
    subscription_update,
)
from tenants.errors import DomainError, NotFound, PermissionDenied
from tests.entitlements.conftest import TODAY, ApplicationFactory, SubscriptionFactory
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _grants() -> set[tuple[int, int]]:
    return set(SubscriptionUserObjectPermission.objects.values_list("user_id", "content_object_id"))


def test_client_admin_grants_and_revokes_an_application_with_an_audit_trail(world):
    assert grant_access(
        actor=world.admin, user=world.collaborator, subscription=world.subscription, ip="10.0.0.1"
    )

    assert can_use(world.collaborator, world.subscription)
    event = AuditEvent.objects.get(action=AuditEvent.Action.GRANT_CREATED)
    assert (event.actor, event.actor_label, event.ip) == (
        world.admin,
        world.admin.email,
        "10.0.0.1",
    )
    assert (event.company, event.subscription, event.target_user) == (
        world.company,
        world.subscription,
        world.collaborator,
    )

    assert revoke_access(
        actor=world.admin, user=world.collaborator, subscription=world.subscription
    )
    assert not can_use(world.collaborator, world.subscription)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GRANT_REVOKED).count() == 1


def test_grants_are_guardian_object_permissions(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)

    assert get_perms(world.collaborator, world.subscription) == ["use_subscription"]
    assert world.collaborator.has_perm("entitlements.use_subscription", world.subscription)
    assert not world.collaborator.has_perm("entitlements.use_subscription", world.sensitive)
    checker = ObjectPermissionChecker(world.collaborator)
    assert checker.has_perm("use_subscription", world.subscription)


def test_firm_staff_in_charge_may_grant(world):
    assert grant_access(
        actor=world.firm_admin, user=world.collaborator, subscription=world.subscription
    )


def test_a_collaborator_granting_anything_is_refused(world):
    other = MembershipFactory(company=world.company).user

    with pytest.raises(PermissionDenied):
        grant_access(actor=world.collaborator, user=other, subscription=world.subscription)
    with pytest.raises(PermissionDenied):
        grant_access(
            actor=world.collaborator, user=world.collaborator, subscription=world.subscription
        )
    with pytest.raises(PermissionDenied):
        company_right_grant(
            actor=world.collaborator, user=other, company=world.company, codename="view_invoices"
        )

    assert _grants() == set()
    assert not CompanyUserObjectPermission.objects.exists()
    assert not AuditEvent.objects.exists()


def test_administrator_of_another_company_is_told_nothing(world):
    with pytest.raises(NotFound):
        grant_access(
            actor=world.other_admin, user=world.collaborator, subscription=world.subscription
        )
    with pytest.raises(NotFound):
        company_right_grant(
            actor=world.other_admin,
            user=world.collaborator,
            company=world.company,
            codename="view_invoices",
        )
    assert _grants() == set()


def test_an_accountant_not_in_charge_of_the_company_is_told_nothing(world):
    accountant = UserFactory(firm_role=User.FirmRole.ACCOUNTANT)

    with pytest.raises(NotFound):
        grant_access(actor=accountant, user=world.collaborator, subscription=world.subscription)

    world.company.accountant = accountant
    world.company.save()
    assert grant_access(actor=accountant, user=world.collaborator, subscription=world.subscription)


def test_an_application_the_company_does_not_subscribe_to_is_refused(world):
    subscription_update(
        actor=world.firm_admin,
        subscription=world.subscription,
        status=Subscription.Status.SUSPENDED,
    )
    world.subscription.refresh_from_db()

    with pytest.raises(DomainError) as error:
        grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)

    assert error.value.code == "not_subscribed"
    assert str(error.value.message) == "L'entreprise n'est pas abonnée à cette application."
    assert _grants() == set()


def test_a_person_outside_the_company_is_refused(world):
    stranger = UserFactory()

    with pytest.raises(DomainError) as error:
        grant_access(actor=world.admin, user=stranger, subscription=world.subscription)

    assert (error.value.code, error.value.field) == ("not_member", "user")
    assert _grants() == set()


def test_granting_past_the_seat_limit_is_refused(world):
    subscription_update(actor=world.firm_admin, subscription=world.subscription, seat_limit=1)
    world.subscription.refresh_from_db()
    grant_access(actor=world.admin, user=world.admin, subscription=world.subscription)

    with pytest.raises(DomainError) as error:
        grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)

    assert error.value.code == "seat_limit"
    assert _grants() == {(world.admin.pk, world.subscription.pk)}


def test_seat_limit_below_seats_in_use_is_refused(world):
    grant_access(actor=world.admin, user=world.admin, subscription=world.subscription)
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)

    with pytest.raises(DomainError) as error:
        subscription_update(actor=world.firm_admin, subscription=world.subscription, seat_limit=1)

    assert error.value.field == "seat_limit"
    world.subscription.refresh_from_db()
    assert world.subscription.seat_limit is None


def test_sensitive_applications_are_never_granted_by_default(world):
    granted = grant_defaults(actor=world.admin, user=world.collaborator, company=world.company)

    assert granted == [world.subscription]
    assert _grants() == {(world.collaborator.pk, world.subscription.pk)}


def test_sensitive_application_granted_explicitly_by_an_administrator(world):
    assert grant_access(actor=world.admin, user=world.collaborator, subscription=world.sensitive)
    assert can_use(world.collaborator, world.sensitive)


def test_delegated_access_manager_grants_ordinary_but_not_sensitive_applications(world):
    company_right_grant(
        actor=world.admin,
        user=world.collaborator,
        company=world.company,
        codename="manage_accesses",
    )
    other = MembershipFactory(company=world.company).user

    assert grant_access(actor=world.collaborator, user=other, subscription=world.subscription)
    with pytest.raises(PermissionDenied):
        grant_access(actor=world.collaborator, user=other, subscription=world.sensitive)
    assert _grants() == {(other.pk, world.subscription.pk)}


def test_client_administrators_hold_company_rights_by_role_collaborators_by_grant(world):
    for codename in ("manage_accesses", "view_invoices", "download_invoices"):
        assert has_company_right(world.admin, world.company, codename)
        assert not has_company_right(world.admin, world.other_company, codename)
        assert not has_company_right(world.collaborator, world.company, codename)
    assert not CompanyUserObjectPermission.objects.exists()  # nothing stored for the role

    assert company_right_grant(
        actor=world.admin, user=world.collaborator, company=world.company, codename="view_invoices"
    )
    assert has_company_right(world.collaborator, world.company, "view_invoices")
    assert not has_company_right(world.collaborator, world.company, "download_invoices")
    assert "view_invoices" in get_perms(world.collaborator, world.company)

    assert company_right_revoke(
        actor=world.admin, user=world.collaborator, company=world.company, codename="view_invoices"
    )
    assert not has_company_right(world.collaborator, world.company, "view_invoices")
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        AuditEvent.Action.COMPANY_RIGHT_GRANTED,
        AuditEvent.Action.COMPANY_RIGHT_REVOKED,
    ]


def test_an_unknown_company_right_is_refused(world):
    with pytest.raises(DomainError) as error:
        company_right_grant(
            actor=world.admin,
            user=world.collaborator,
            company=world.company,
            codename="delete_company",
        )
    assert error.value.field == "codename"


def test_the_company_rights_exist_on_the_company_content_type(ctx):
    from clients.models import Company

    content_type = ContentType.objects.get_for_model(Company)
    assert set(
        Permission.objects.filter(content_type=content_type).values_list("codename", flat=True)
    ) >= {"manage_accesses", "view_invoices", "download_invoices"}


def test_ending_a_subscription_removes_its_grants_at_once(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.sensitive)

    subscription_end(actor=world.firm_admin, subscription=world.subscription, end_date=TODAY)

    world.subscription.refresh_from_db()
    assert world.subscription.status == Subscription.Status.ENDED
    assert _grants() == {(world.collaborator.pk, world.sensitive.pk)}
    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBSCRIPTION_ENDED)
    assert event.details["revoked_user_ids"] == [world.collaborator.pk]
    with pytest.raises(DomainError):
        grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)


def test_deactivating_a_person_removes_all_their_grants(world):
    elsewhere = SubscriptionFactory(company=world.other_company)
    Membership.objects.create(
        user=world.collaborator, company=world.other_company, role=Membership.Role.COLLABORATOR
    )
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    grant_access(actor=world.other_admin, user=world.collaborator, subscription=elsewhere)
    company_right_grant(
        actor=world.admin, user=world.collaborator, company=world.company, codename="view_invoices"
    )
    grant_access(actor=world.admin, user=world.admin, subscription=world.subscription)

    user_set_active(actor=world.firm_admin, user=world.collaborator, active=False)

    assert _grants() == {(world.admin.pk, world.subscription.pk)}
    assert not CompanyUserObjectPermission.objects.exists()
    revoked = AuditEvent.objects.filter(
        target_user=world.collaborator,
        action__in=[AuditEvent.Action.GRANT_REVOKED, AuditEvent.Action.COMPANY_RIGHT_REVOKED],
    )
    assert revoked.count() == 3
    assert {event.actor for event in revoked} == {world.firm_admin}

    # Reactivated, they get nothing back.
    user_set_active(actor=world.firm_admin, user=world.collaborator, active=True)
    assert not can_use(world.collaborator, world.subscription)


def test_leaving_a_company_removes_the_grants_in_that_company_only(world):
    elsewhere = SubscriptionFactory(company=world.other_company)
    Membership.objects.create(
        user=world.collaborator, company=world.other_company, role=Membership.Role.COLLABORATOR
    )
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    grant_access(actor=world.other_admin, user=world.collaborator, subscription=elsewhere)
    company_right_grant(
        actor=world.admin, user=world.collaborator, company=world.company, codename="view_invoices"
    )

    membership_remove(
        actor=world.admin,
        membership=Membership.objects.get(user=world.collaborator, company=world.company),
    )

    assert _grants() == {(world.collaborator.pk, elsewhere.pk)}
    assert not CompanyUserObjectPermission.objects.exists()
    # Back in the company, nothing is inherited.
    Membership.objects.create(
        user=world.collaborator, company=world.company, role=Membership.Role.COLLABORATOR
    )
    assert not can_use(world.collaborator, world.subscription)
    assert not has_company_right(world.collaborator, world.company, "view_invoices")


def test_a_refused_removal_keeps_the_grants(world):
    grant_access(actor=world.admin, user=world.admin, subscription=world.subscription)

    with pytest.raises(DomainError):  # the last client administrator stays
        membership_remove(
            actor=world.firm_admin,
            membership=Membership.objects.get(user=world.admin, company=world.company),
        )

    assert _grants() == {(world.admin.pk, world.subscription.pk)}


def test_grants_remove_for_returns_the_number_removed(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    assert grants_remove_for(user=world.collaborator, company=world.other_company) == 0
    assert grants_remove_for(user=world.collaborator, company=world.company) == 1


def test_a_recreated_subscription_never_inherits_an_old_grant(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    old_pk = world.subscription.pk
    application = world.subscription.application

    Subscription.objects.filter(pk=old_pk).delete()
    assert not SubscriptionUserObjectPermission.objects.filter(content_object_id=old_pk).exists()
    recreated = Subscription.objects.create(
        pk=old_pk, company=world.company, application=application, start_date=TODAY
    )

    assert not can_use(world.collaborator, recreated)
    assert get_perms(world.collaborator, recreated) == []
    # The audit trail keeps its history, with the reference cleared.
    assert AuditEvent.objects.get(action=AuditEvent.Action.GRANT_CREATED).subscription is None


def test_a_recreated_user_never_inherits_an_old_grant(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    company_right_grant(
        actor=world.admin, user=world.collaborator, company=world.company, codename="view_invoices"
    )
    old_pk = world.collaborator.pk

    User.objects.filter(pk=old_pk).delete()
    assert not SubscriptionUserObjectPermission.objects.filter(user_id=old_pk).exists()
    assert not CompanyUserObjectPermission.objects.filter(user_id=old_pk).exists()
    recreated = User.objects.create(pk=old_pk, email="new.person@example.com")
    Membership.objects.create(
        user=recreated, company=world.company, role=Membership.Role.COLLABORATOR
    )

    assert not can_use(recreated, world.subscription)
    assert not has_company_right(recreated, world.company, "view_invoices")


def test_a_second_application_is_granted_only_once(world):
    assert grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    assert not grant_access(
        actor=world.admin, user=world.collaborator, subscription=world.subscription
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.GRANT_CREATED).count() == 1


def test_inactive_application_is_not_usable(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    application = world.subscription.application
    application.is_active = False
    application.save()

    assert not can_use(world.collaborator, world.subscription)


def test_an_inactive_person_cannot_be_granted(world):
    world.collaborator.is_active = False
    world.collaborator.save()

    with pytest.raises(DomainError):
        grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)


def test_unused_factory_application_is_fine(ctx):
    assert ApplicationFactory().launch_secret


def test_refusals_read_in_french_by_default(world):
    from django.utils import translation

    subscription_update(actor=world.firm_admin, subscription=world.subscription, seat_limit=0)
    world.subscription.refresh_from_db()

    with pytest.raises(DomainError) as error:
        grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    with translation.override("fr"):
        assert str(error.value.message) == (
            "Toutes les places de cette application sont attribuées (0)."
        )
    with translation.override("en"):
        assert str(error.value.message) == "All the seats of this application are taken (0)."
