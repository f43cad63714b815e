"""The reads behind the invoice lists: the years a list's filter offers, and whose invoices a
person sees (through the few memberships they hold, however many companies the firm has)."""

from __future__ import annotations

import datetime

import pytest

from clients.models import Membership
from invoicing.models import Invoice
from invoicing.selectors import (
    DOWNLOAD,
    VIEW,
    access_invoice,
    invoice_companies_for,
    invoice_years,
    invoices_visible_to,
)
from tenants.errors import NotFound
from tests.factories import UserFactory
from tests.invoicing.factories import billable_company, firm_profile_complete
from tests.invoicing.test_archives import client_admin, collaborator, firm_admin, issued_on

pytestmark = pytest.mark.django_db

day = datetime.date


@pytest.fixture
def companies(alpha):
    with alpha.context():
        firm_profile_complete()
        yield (
            billable_company(legal_name="Boulangerie Martin"),
            billable_company(legal_name="Garage Petit"),
        )


@pytest.mark.parametrize(
    ("days", "years"),
    [
        ((), []),
        ((day(2025, 3, 1),), [2025]),
        ((day(2024, 12, 31), day(2025, 1, 1)), [2025, 2024]),
        ((day(2022, 1, 1), day(2023, 6, 30), day(2024, 12, 31)), [2024, 2023, 2022]),
        (
            (day(2019, 6, 1), day(2021, 1, 1), day(2021, 12, 31), day(2024, 2, 1)),
            [2024, 2021, 2019],
        ),
    ],
)
def test_the_years_offered_are_those_with_an_invoice_latest_first(companies, days, years):
    first, _second = companies
    for issued in days:
        issued_on(first, issued)

    assert invoice_years(Invoice.objects.all()) == years


def test_a_client_admin_is_offered_the_years_of_their_companies_only(companies):
    first, second = companies
    admin = client_admin(first)
    issued_on(first, day(2024, 5, 1))
    for year in (2020, 2022, 2025):
        issued_on(second, day(year, 5, 1))

    assert invoice_years(invoices_visible_to(admin)) == [2024]
    assert invoice_years(invoices_visible_to(firm_admin())) == [2025, 2024, 2022, 2020]


def test_a_client_admin_sees_every_invoice_of_their_companies_and_no_other(companies):
    first, second = companies
    admin = client_admin(first)
    mine = issued_on(first, day(2025, 5, 1))
    theirs = issued_on(second, day(2025, 5, 1))

    assert list(invoices_visible_to(admin)) == [mine]
    assert set(invoice_companies_for(admin, DOWNLOAD)) == {first}
    with pytest.raises(NotFound):
        access_invoice(admin, theirs.pk)


def test_a_collaborator_sees_the_invoices_of_a_company_only_with_its_right(companies):
    first, second = companies
    client_admin(first)
    nothing = collaborator(first)
    viewer = collaborator(first, VIEW)
    downloader = collaborator(first, VIEW, DOWNLOAD)
    invoice = issued_on(first, day(2025, 5, 1))
    issued_on(second, day(2025, 5, 1))

    assert not invoices_visible_to(nothing).exists()
    assert list(invoices_visible_to(viewer)) == [invoice]
    assert not invoice_companies_for(viewer, DOWNLOAD).exists()
    assert list(invoice_companies_for(downloader, DOWNLOAD)) == [first]
    with pytest.raises(NotFound):
        access_invoice(viewer, invoice.pk, DOWNLOAD)


def test_a_right_left_behind_a_membership_that_ended_shows_nothing(companies):
    first, _second = companies
    client_admin(first)
    former = collaborator(first, VIEW, DOWNLOAD)
    invoice = issued_on(first, day(2025, 5, 1))
    Membership.objects.filter(user=former).delete()

    assert not invoices_visible_to(former).exists()
    assert not invoice_companies_for(former, DOWNLOAD).exists()
    with pytest.raises(NotFound):
        access_invoice(former, invoice.pk)


def test_rights_are_reckoned_company_by_company(companies):
    first, second = companies
    client_admin(second)
    person = client_admin(first)
    Membership.objects.create(user=person, company=second, role=Membership.Role.COLLABORATOR)
    mine = issued_on(first, day(2025, 5, 1))
    issued_on(second, day(2025, 5, 1))

    assert list(invoices_visible_to(person)) == [mine]

    granted = collaborator(second, VIEW)
    Membership.objects.create(user=granted, company=first, role=Membership.Role.ADMIN)
    assert set(invoice_companies_for(granted, VIEW)) == {first, second}
    assert set(invoice_companies_for(granted, DOWNLOAD)) == {first}


def test_the_firm_sees_every_invoice_an_accountant_those_of_their_companies(companies):
    first, second = companies
    accountant = UserFactory(firm_role="accountant")
    first.accountant = accountant
    first.save(update_fields=["accountant"])
    mine = issued_on(first, day(2025, 5, 1))
    other = issued_on(second, day(2025, 5, 1))

    assert set(invoices_visible_to(firm_admin())) == {mine, other}
    assert list(invoices_visible_to(accountant)) == [mine]
    with pytest.raises(NotFound):
        access_invoice(accountant, other.pk)


def test_a_person_of_firm_beta_sees_nothing_of_alpha(companies, beta):
    first, _second = companies
    invoice = issued_on(first, day(2025, 5, 1))
    with beta.context():
        outsider = client_admin(billable_company(legal_name="Boulangerie Bêta"))

        assert not invoices_visible_to(outsider).filter(pk=invoice.pk).exists()
        with pytest.raises(NotFound):
            access_invoice(outsider, invoice.pk)
