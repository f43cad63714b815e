"""Cancelling a company's account keeps everything; reactivating is immediate during the trial
month, otherwise the firm approves a request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Company, Membership, ReactivationRequest, User
from clients.services.lifecycle import (
    company_cancel,
    company_reactivate,
    reactivation_decide,
)
from tenants.errors import DomainError, NotFound
from tests.factories import MembershipFactory, UserFactory
from tests.frontend.test_people import World, make_world, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alpha) -> World:
    return make_world(alpha)


def _age(alpha, company: Company, days: int) -> None:
    with alpha.context():
        Company.objects.filter(pk=company.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )


def _company(alpha, company: Company) -> Company:
    with alpha.context():
        return Company.objects.get(pk=company.pk)


def test_cancel_asks_for_confirmation_then_cancels_and_keeps_everything(alpha, world):
    client = signed_in(alpha, world.admin)
    url = f"/entreprises/{world.company.pk}/resilier/"

    confirm = client.get(url)
    assert _company(alpha, world.company).status == Company.Status.ACTIVE
    done = client.post(url)

    assert confirm.status_code == 200
    assert ">Résilier</button>" in confirm.content.decode()
    assert done.status_code == 302
    company = _company(alpha, world.company)
    assert company.status == Company.Status.CANCELLED
    assert company.cancelled_at is not None
    with alpha.context():
        assert Membership.objects.filter(company=company).count() == 2


@pytest.mark.parametrize("who", ["collaborator", "other_admin"])
def test_others_cannot_cancel_or_reactivate(alpha, world, who):
    client = signed_in(alpha, getattr(world, who))

    cancel = client.post(f"/entreprises/{world.company.pk}/resilier/")
    reactivate = client.post(f"/entreprises/{world.company.pk}/reactiver/")

    assert (cancel.status_code, reactivate.status_code) == (404, 404)
    assert _company(alpha, world.company).status == Company.Status.ACTIVE


def test_anonymous_cannot_cancel(alpha, world):
    response = alpha.client().post(f"/entreprises/{world.company.pk}/resilier/")

    assert response.status_code == 302
    assert _company(alpha, world.company).status == Company.Status.ACTIVE


def test_trial_company_is_reactivated_at_once(alpha, world):
    client = signed_in(alpha, world.admin)
    client.post(f"/entreprises/{world.company.pk}/resilier/")

    response = client.post(f"/entreprises/{world.company.pk}/reactiver/")

    assert response.status_code == 302
    company = _company(alpha, world.company)
    assert (company.status, company.cancelled_at) == (Company.Status.TRIAL, None)


def test_older_company_asks_the_firm_once(alpha, world):
    _age(alpha, world.company, 90)
    client = signed_in(alpha, world.admin)
    client.post(f"/entreprises/{world.company.pk}/resilier/")

    client.post(f"/entreprises/{world.company.pk}/reactiver/")
    client.post(f"/entreprises/{world.company.pk}/reactiver/")
    page = client.get(f"/entreprises/{world.company.pk}/")

    assert _company(alpha, world.company).status == Company.Status.CANCELLED
    with alpha.context():
        requests = list(ReactivationRequest.objects.filter(company=world.company))
    assert [r.status for r in requests] == [ReactivationRequest.Status.PENDING]
    assert requests[0].requested_by_id == world.admin.pk
    assert "attend la validation du cabinet" in page.content.decode()


def test_banner_offers_reactivation_when_all_my_companies_are_cancelled(alpha, world):
    client = signed_in(alpha, world.admin)
    before = client.get(f"/entreprises/{world.company.pk}/").content.decode()
    client.post(f"/entreprises/{world.company.pk}/resilier/")

    after = client.get("/entreprises/", follow=True).content.decode()

    assert "Votre abonnement est résilié." not in before
    assert "Votre abonnement est résilié." in after
    assert f'action="/entreprises/{world.company.pk}/reactiver/"' in after


def test_reactivating_an_active_company_is_400(alpha, world):
    client = signed_in(alpha, world.admin)

    response = client.post(f"/entreprises/{world.company.pk}/reactiver/")

    assert response.status_code == 400
    assert "pas résiliée." in response.content.decode()


def test_firm_approves_a_reactivation(alpha, world):
    _age(alpha, world.company, 90)
    with alpha.context():
        company_cancel(actor=world.admin, company=world.company)
        request = company_reactivate(actor=world.admin, company=world.company)
        firm_admin = User.objects.get(email=alpha.admin_email)

        decided = reactivation_decide(actor=firm_admin, request=request, approve=True)

        company = Company.objects.get(pk=world.company.pk)
    assert decided.status == ReactivationRequest.Status.APPROVED
    assert decided.decided_by_id == firm_admin.pk
    assert (company.status, company.cancelled_at) == (Company.Status.ACTIVE, None)


def test_firm_refuses_a_reactivation(alpha, world):
    _age(alpha, world.company, 90)
    with alpha.context():
        company_cancel(actor=world.admin, company=world.company)
        request = company_reactivate(actor=world.admin, company=world.company)
        firm_admin = User.objects.get(email=alpha.admin_email)

        reactivation_decide(actor=firm_admin, request=request, approve=False)

        with pytest.raises(DomainError):
            reactivation_decide(actor=firm_admin, request=request, approve=True)
        assert Company.objects.get(pk=world.company.pk).status == Company.Status.CANCELLED


def test_only_staff_managing_the_company_decide(alpha, world):
    _age(alpha, world.company, 90)
    with alpha.context():
        company_cancel(actor=world.admin, company=world.company)
        request = company_reactivate(actor=world.admin, company=world.company)
        accountant = UserFactory(firm_role=User.FirmRole.ACCOUNTANT)

        for actor in (world.admin, accountant):
            with pytest.raises(NotFound):
                reactivation_decide(actor=actor, request=request, approve=True)

        Company.objects.filter(pk=world.company.pk).update(accountant=accountant)
        request = ReactivationRequest.objects.get(pk=request.pk)
        reactivation_decide(actor=accountant, request=request, approve=True)
        assert Company.objects.get(pk=world.company.pk).status == Company.Status.ACTIVE


def test_service_refuses_the_admin_of_another_company(alpha, world):
    with alpha.context():
        with pytest.raises(NotFound):
            company_cancel(actor=world.other_admin, company=world.company)
        assert Company.objects.get(pk=world.company.pk).status == Company.Status.ACTIVE


def test_cancelled_company_of_a_collaborator_keeps_its_data(alpha, world):
    with alpha.context():
        MembershipFactory(user=UserFactory(), company=world.company)
        company_cancel(actor=world.admin, company=world.company)
        assert Membership.objects.filter(company=world.company).count() == 3
