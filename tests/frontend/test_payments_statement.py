"""Relevé de compte: in Entreprises for client administrators, on a page of its own for
collaborators who may see the invoices, in the Cabinet for the staff in charge; as a page, a
PDF and a CSV. Everyone else gets a 404 (or the sign-in page)."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.utils import timezone

from clients.models import User
from tests.payments.cast import cast_fixture  # noqa: F401
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _text(response) -> str:
    return unescape(response.content.decode())


def _client_url(cast, tail: str = "") -> str:
    return f"/entreprises/{cast.company.pk}/releve/{tail}"


def _staff_url(cast, tail: str = "/") -> str:
    return f"/cabinet/tableau-de-bord/entreprises/{cast.company.pk}/releve{tail}"


def test_a_client_admin_reads_the_statement_in_the_company_tabs(cast):
    response = cast.client("client_admin").get(_client_url(cast))

    assert response.status_code == 200
    page = _text(response)
    assert cast.invoice.number in page and "VIR MARTIN" in page
    assert "Relevé de compte" in page and "Solde au" in page
    assert "120,00" in page and "100,00" in page  # the invoice, then the balance after 20.00
    assert 'aria-current="page"' in page and f'href="{_client_url(cast)}"' in page
    assert _client_url(cast, "releve.pdf") in page and _client_url(cast, "releve.csv") in page


def test_the_company_tabs_lead_to_the_statement(cast):
    page = _text(cast.client("client_admin").get(f"/entreprises/{cast.company.pk}/"))

    assert f'href="{_client_url(cast)}"' in page


def test_a_collaborator_who_may_see_the_invoices_reads_the_statement(cast):
    response = cast.client("viewer").get(_client_url(cast))

    assert response.status_code == 200
    assert cast.invoice.number in _text(response)


@pytest.mark.parametrize("who", ["collaborator", "other_admin", "other_accountant"])
@pytest.mark.parametrize("tail", ["", "releve.pdf", "releve.csv"])
def test_who_may_not_see_the_invoices_gets_no_statement(cast, who, tail):
    response = cast.client(who).get(_client_url(cast, tail))

    assert response.status_code == 404
    assert b"VIR MARTIN" not in response.content


@pytest.mark.parametrize("who", ["anonymous", "beta_admin"])
def test_strangers_are_sent_to_sign_in(cast, who):
    response = cast.client(who).get(_client_url(cast))

    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_a_beta_company_id_is_not_found_on_alpha(cast):
    with cast.beta.context():
        from tests.factories import CompanyFactory

        theirs = CompanyFactory()

    response = cast.client("firm_admin").get(f"/entreprises/{theirs.pk + 10_000}/releve/")

    assert response.status_code == 404


def test_the_pdf_is_an_a4_document_headed_by_the_firm(cast, tmp_path):
    response = cast.client("viewer").get(_client_url(cast, "releve.pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="releve-')
    assert response.content.startswith(b"%PDF")
    assert b"Cabinet Alpha Expertise" in response.content  # the document information


def test_the_csv_is_french_with_a_bom(cast):
    response = cast.client("client_admin").get(_client_url(cast, "releve.csv"))

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "120,00" in text and ";VIR MARTIN;" in text


def test_the_statement_until_a_date_leaves_out_what_came_after(cast):
    until = (TODAY() - datetime.timedelta(days=20)).isoformat()

    page = _text(cast.client("client_admin").get(_client_url(cast), {"until": until}))

    assert cast.invoice.number in page and "VIR MARTIN" not in page


def test_a_statement_in_the_future_is_refused_on_its_field_in_english(cast):
    with cast.alpha.context():
        User.objects.filter(pk=cast.people["client_admin"].pk).update(language="en")
    later = (TODAY() + datetime.timedelta(days=3)).isoformat()

    response = cast.client("client_admin").get(_client_url(cast), {"until": later})

    assert response.status_code == 400
    assert "A statement cannot be dated in the future." in _text(response)
    assert 'id="id_until_error"' in _text(response)


def test_a_bad_date_is_refused_on_its_field_in_french(cast):
    response = cast.client("client_admin").get(_client_url(cast), {"until": "demain"})

    assert response.status_code == 400
    assert "Saisissez une date valide." in _text(response)


# --- the Cabinet side ------------------------------------------------------------------------


def test_the_accountant_in_charge_reads_the_statement_with_links_to_the_invoices(cast):
    page = _text(cast.client("accountant").get(_staff_url(cast)))

    assert f'href="/cabinet/factures/{cast.invoice.pk}/"' in page
    assert "VIR MARTIN" in page


def test_the_company_page_of_the_cabinet_links_to_the_statement(cast):
    page = _text(cast.client("accountant").get(f"/cabinet/entreprises/{cast.company.pk}/"))

    assert f'href="{_staff_url(cast)}"' in page


@pytest.mark.parametrize("who", ["other_accountant", "client_admin", "viewer"])
@pytest.mark.parametrize("tail", ["/", ".pdf", ".csv"])
def test_the_cabinet_statement_is_for_the_staff_in_charge(cast, who, tail):
    response = cast.client(who).get(_staff_url(cast, tail))

    assert response.status_code == 404


def test_the_statement_page_is_a_few_queries_however_long(cast, django_assert_max_num_queries):
    with cast.alpha.context():
        for days in range(10, 60):
            invoice_due(cast.company, days_overdue=days)
    client = cast.client("client_admin")

    with django_assert_max_num_queries(30):
        response = client.get(_client_url(cast))

    assert response.status_code == 200
