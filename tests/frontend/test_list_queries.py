"""The firm's lists as the firm grows: Cabinet › Dossiers clients counts each page's members
without grouping every membership of the firm, Cabinet › Factures offers the years that have
an invoice without reading every invoice."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Membership, User
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory
from tests.invoicing.factories import billable_company, firm_profile_complete
from tests.invoicing.test_archives import issued_on

pytestmark = pytest.mark.django_db


def _staff(firm):
    client = firm.client()
    response = client.post("/connexion/", {"username": firm.admin_email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def _sql(client, path: str, params: dict | None = None) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    return response, [query["sql"] for query in captured]


def test_the_companies_list_counts_the_members_of_each_row(alpha):
    with alpha.context():
        crowded = CompanyFactory(legal_name="Aa Dossier peuplé")
        MembershipFactory(company=crowded, role=Membership.Role.ADMIN)
        MembershipFactory(company=crowded)
        CompanyFactory(legal_name="Aa Dossier vide")
    client = _staff(alpha)

    response, statements = _sql(client, "/cabinet/entreprises/", {"q": "Aa Dossier"})

    assert response.status_code == 200
    counts = {company.legal_name: company.member_count for company in response.context["page"]}
    assert counts == {"Aa Dossier peuplé": 2, "Aa Dossier vide": 0}
    counted = [sql for sql in statements if sql.startswith("SELECT COUNT(")]
    assert counted and not [sql for sql in counted if "clients_membership" in sql]


def test_the_companies_list_of_firm_beta_has_nothing_of_alpha(alpha, beta):
    with alpha.context():
        MembershipFactory(company=CompanyFactory(legal_name="Aa Dossier d'Alpha"))

    response = _staff(beta).get("/cabinet/entreprises/", {"q": "Aa Dossier"})

    assert response.status_code == 200
    assert list(response.context["page"]) == []


def test_the_invoices_list_offers_each_year_with_an_invoice_without_reading_them_all(alpha):
    with alpha.context():
        firm_profile_complete()
        company = billable_company(legal_name="Boulangerie Annuelle")
        for year in (2019, 2021, 2022, 2025):
            issued_on(company, datetime.date(year, 6, 1))
    client = _staff(alpha)

    response, statements = _sql(client, "/cabinet/factures/")

    assert response.status_code == 200
    years = [value for value, _label in response.context["form"].fields["year"].choices]
    assert years == ["", 2025, 2022, 2021, 2019]
    invoice_reads = [sql for sql in statements if "invoicing_invoice" in sql]
    assert not [sql for sql in invoice_reads if "DISTINCT" in sql or 'clients_company" IN' in sql]


def test_an_accountant_is_offered_the_years_of_their_companies_only(alpha):
    with alpha.context():
        firm_profile_complete()
        accountant = User.objects.create_user(
            email="compta-annees@alpha.example", password=PASSWORD, firm_role="accountant"
        )
        mine = billable_company(legal_name="Boulangerie Suivie", accountant=accountant)
        other = billable_company(legal_name="Garage Autre")
        issued_on(mine, datetime.date(2024, 6, 1))
        issued_on(other, datetime.date(2020, 6, 1))
    client = alpha.client()
    client.post("/connexion/", {"username": accountant.email, "password": PASSWORD})

    response = client.get("/cabinet/factures/")

    assert response.status_code == 200
    years = [value for value, _label in response.context["form"].fields["year"].choices]
    assert years == ["", 2024]
