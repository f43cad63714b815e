"""Factures in Mon compte and in Entreprises: who sees which rows, who may download, the
filters, the pages of 25, and the yearly ZIP from the page."""

from __future__ import annotations

import datetime
import hashlib
import re
import urllib.request
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import archives, services
from invoicing.models import InvoiceArchive
from invoicing.selectors import DOWNLOAD, VIEW
from tenants import storage
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.invoicing.factories import billable_company, firm_profile_complete
from tests.invoicing.test_archives import (
    client_admin,
    collaborator,
    firm_admin,
    issued,
    issued_on,
)

pytestmark = pytest.mark.django_db

LIST = "/mon-compte/factures/"


def _signed_in(firm, email: str, **headers):
    client = firm.client(**headers)
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _text(response) -> str:
    return unescape(response.content.decode())


def _pdf(invoice) -> str:
    return f"/mon-compte/factures/{invoice.pk}/pdf/"


def _xml(invoice) -> str:
    return f"/mon-compte/factures/{invoice.pk}/xml/"


def _company_page(company) -> str:
    return f"/entreprises/{company.pk}/factures/"


@pytest.fixture
def world(alpha):
    """Two companies of alpha, each with its invoice of October (documents ready), the first
    one's administrator and collaborators with each set of rights, the second one's
    administrator."""
    with alpha.context():
        firm_profile_complete()
        first = billable_company(legal_name="Boulangerie Martin")
        second = billable_company(legal_name="Garage Petit")
        people = {
            "admin": client_admin(first, email="alice@martin.example"),
            "other_admin": client_admin(second, email="paul@garage.example"),
        }
        people["nothing"] = collaborator(first, email="nina@martin.example")
        people["viewer"] = collaborator(first, VIEW, email="leo@martin.example")
        people["downloader"] = collaborator(first, VIEW, DOWNLOAD, email="ines@martin.example")
        invoices = {"first": issued(first), "second": issued(second)}
    return {"firm": alpha, "first": first, "second": second, **people, **invoices}


def _as(world, who: str, **headers):
    return _signed_in(world["firm"], world[who].email, **headers)


# --- Mon compte > Factures: the list ----------------------------------------------------------


def test_a_client_admin_sees_the_invoices_of_their_company_with_their_links(world):
    invoice = world["first"]
    client = _as(world, "admin")

    response = client.get(LIST)

    assert response.status_code == 200
    page = _text(response)
    assert invoice.number in page
    assert world["second"].number not in page
    assert "Boulangerie Martin" in page
    assert "58,80\xa0€" in page
    assert "Octobre 2026" in page
    assert "À payer" in page
    assert f'href="{_pdf(invoice)}"' in page and "Télécharger le PDF" in page
    assert f'href="{_xml(invoice)}"' in page and "XML Factur-X" in page
    assert "Conservée jusqu'au 31/12/2036" in page
    assert "Télécharger l'année 2026 (ZIP)" in page


def test_the_account_menu_and_the_company_tabs_lead_to_the_invoices(world):
    client = _as(world, "admin")

    account = _text(client.get("/mon-compte/"))
    company = _text(client.get(f"/entreprises/{world['first'].company_id}/"))

    assert f'href="{LIST}"' in account and "Factures" in account
    assert f'href="{_company_page(world["first"].company)}"' in company


def test_a_collaborator_without_the_right_sees_no_invoice_and_cannot_download(world):
    client = _as(world, "nothing")

    response = client.get(LIST)

    assert response.status_code == 200
    assert world["first"].number not in _text(response)
    assert "Aucune facture pour l'instant" in _text(response)
    assert client.get(_pdf(world["first"])).status_code == 404
    assert client.get(_xml(world["first"])).status_code == 404


def test_a_collaborator_who_may_only_view_sees_the_row_without_links(world):
    invoice = world["first"]
    client = _as(world, "viewer")

    page = _text(client.get(LIST))

    assert invoice.number in page
    assert _pdf(invoice) not in page and _xml(invoice) not in page
    assert "Télécharger l'année" not in page
    assert client.get(_pdf(invoice)).status_code == 404
    assert client.get(_xml(invoice)).status_code == 404


def test_a_collaborator_with_the_download_right_gets_the_documents(world):
    invoice = world["first"]
    client = _as(world, "downloader")

    page = _text(client.get(LIST))

    assert f'href="{_pdf(invoice)}"' in page
    assert client.get(_pdf(invoice)).status_code == 302


def test_another_company_admin_sees_nothing_of_it(world):
    invoice = world["first"]
    client = _as(world, "other_admin")

    page = _text(client.get(LIST))

    assert invoice.number not in page
    assert world["second"].number in page
    assert client.get(_pdf(invoice)).status_code == 404
    assert client.get(_xml(invoice)).status_code == 404
    assert client.get(_company_page(invoice.company)).status_code == 404


def test_a_person_of_firm_beta_gets_nothing_on_alpha_host(world, beta):
    with beta.context():
        company = billable_company(legal_name="Société Bêta")
        person = client_admin(company, email="beta@client.example")
    client = _signed_in(beta, person.email)
    client.defaults["HTTP_HOST"] = world["firm"].host  # same cookies, alpha's host

    for path in (LIST, _pdf(world["first"]), _company_page(world["first"].company)):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/connexion/"), path


def test_firm_staff_may_see_the_list(world):
    with world["firm"].context():
        boss = firm_admin()

    page = _text(_signed_in(world["firm"], boss.email).get(LIST))

    assert world["first"].number in page and world["second"].number in page


def test_anonymous_is_sent_to_sign_in(world):
    client = world["firm"].client()
    for method, path in (
        (client.get, LIST),
        (client.get, _pdf(world["first"])),
        (client.post, "/mon-compte/factures/archives/"),
    ):
        response = method(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/connexion/"), path


def test_english_labels_for_a_person_who_chose_english(world):
    with world["firm"].context():
        world["admin"].language = "en"
        world["admin"].save(update_fields=["language"])
    client = _as(world, "admin")

    page = _text(client.get(LIST))

    for label in ("Invoices", "Download the PDF", "Factur-X XML", "Kept until 12/31/2036"):
        assert label in page, label
    assert "Download the year 2026 (ZIP)" in page
    assert "Télécharger" not in page


def test_an_empty_list_says_so(alpha):
    with alpha.context():
        person = UserFactory()
        MembershipFactory(user=person, role="admin")

    page = _text(_signed_in(alpha, person.email).get(LIST))

    assert "Aucune facture pour l'instant" in page
    assert "<tbody>" in page


# --- downloads ---------------------------------------------------------------------------------


def test_a_download_is_a_presigned_link_of_five_minutes_at_most_with_the_number(world):
    invoice = world["first"]
    client = _as(world, "admin")

    for path, fmt, sha in (
        (_pdf(invoice), "pdf", invoice.document.pdf_sha256),
        (_xml(invoice), "xml", invoice.document.xml_sha256),
    ):
        response = client.get(path)

        assert response.status_code == 302
        query = parse_qs(urlsplit(response["Location"]).query)
        assert 0 < int(query["X-Amz-Expires"][0]) <= 300
        assert query["response-content-disposition"] == [
            f'attachment; filename="{invoice.number}.{fmt}"'
        ]
        with urllib.request.urlopen(response["Location"], timeout=10) as answer:  # noqa: S310
            assert hashlib.sha256(answer.read()).hexdigest() == sha


def test_a_document_still_being_prepared_is_said_so_not_an_error(world):
    with world["firm"].context():
        pending = issued(world["first"].company, datetime.date(2026, 9, 1), ready=False)
    client = _as(world, "admin")

    page = _text(client.get(LIST))
    response = client.get(_pdf(pending))

    assert "En préparation" in page
    assert _pdf(pending) not in page
    assert response.status_code == 200
    assert "Le document est en préparation" in _text(response)


def test_an_altered_document_answers_409_with_a_message(world):
    invoice = world["first"]
    with world["firm"].context():
        storage.put(invoice.document.xml_path, b"<forged/>", content_type="application/xml")
    client = _as(world, "admin")

    response = client.get(_xml(invoice))

    assert response.status_code == 409
    assert "contrôle d'intégrité" in _text(response)
    assert "Location" not in response


def test_an_unknown_invoice_is_not_found(world):
    client = _as(world, "admin")

    assert client.get("/mon-compte/factures/999999/pdf/").status_code == 404


# --- filters -----------------------------------------------------------------------------------


@pytest.fixture
def history(world):
    """The first company's admin also administers the second; the first company has an
    overdue invoice of 2025 and its October invoice is wholly credited."""
    with world["firm"].context():
        MembershipFactory(user=world["admin"], company=world["second"].company, role="admin")
        old = issued_on(
            world["first"].company,
            datetime.date(2025, 3, 1),
            due=datetime.date(2025, 3, 31),
        )
        credit = services.credit_note_issue(
            actor=firm_admin(), invoice=world["first"], reason="Erreur de tarif"
        )
    return {"old": old, "credit": credit}


def _numbers(response) -> set[str]:
    return set(re.findall(r'<th scope="row">((?:F|AV)-\d{4}-\d{6})', response.content.decode()))


def test_the_filters_narrow_the_list(world, history):
    client = _as(world, "admin")
    october, second = world["first"].number, world["second"].number
    old, credit = history["old"].number, history["credit"].number

    assert _numbers(client.get(LIST)) == {october, second, old, credit}
    assert _numbers(client.get(LIST, {"company": world["second"].company_id})) == {second}
    assert _numbers(client.get(LIST, {"year": 2025})) == {old}
    assert _numbers(client.get(LIST, {"kind": "credit_note"})) == {credit}
    assert _numbers(client.get(LIST, {"status": "overdue"})) == {old}
    assert _numbers(client.get(LIST, {"status": "credited"})) == {october}
    assert _numbers(client.get(LIST, {"status": "issued"})) == {second}
    assert _numbers(client.get(LIST, {"status": "open"})) == {second, old}
    assert _numbers(client.get(LIST, {"kind": "invoice", "year": 2026})) == {october, second}


def test_rows_say_overdue_credited_and_which_invoice_a_credit_note_corrects(world, history):
    page = _text(_as(world, "admin").get(LIST))

    assert "En retard" in page
    assert f"sur {world['first'].number}" in page
    assert "−58,80\xa0€" in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": "deux-mille"}, "year"),
        ({"year": "1999"}, "year"),
        ({"status": "payee"}, "status"),
        ({"kind": "quote"}, "kind"),
        ({"company": "abc"}, "company"),
    ],
)
def test_an_invalid_filter_gets_a_message_on_its_field_in_french(world, query, field):
    client = _as(world, "admin")

    response = client.get(LIST, query)

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert "Sélectionnez un choix valide" in _text(response)


def test_another_company_in_the_filter_is_refused_and_shows_nothing_of_it(world):
    client = _as(world, "admin")

    response = client.get(LIST, {"company": world["second"].company_id})

    assert response.status_code == 400
    assert world["second"].number not in _text(response)
    assert "Garage Petit" not in _text(response)


def test_htmx_gets_the_list_alone(world):
    client = _as(world, "admin")

    response = client.get(LIST, {"kind": "invoice"}, HTTP_HX_REQUEST="true")

    page = _text(response)
    assert response.status_code == 200
    assert "<html" not in page and "<table>" in page
    assert world["first"].number in page


def test_twenty_five_a_page(world):
    with world["firm"].context():
        company = world["first"].company
        made = [issued_on(company, datetime.date(2026, 1, 1)) for _ in range(29)]
    client = _as(world, "admin")

    first_page = client.get(LIST)
    second_page = client.get(LIST, {"page": 2})

    assert len(_numbers(first_page)) == 25
    assert len(_numbers(second_page)) == 5
    assert _numbers(first_page) | _numbers(second_page) == {i.number for i in made} | {
        world["first"].number
    }
    assert "Page 1 sur 2" in _text(first_page)


def test_the_number_of_queries_does_not_grow_with_the_rows(world, django_assert_max_num_queries):
    client = _as(world, "admin")
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    with world["firm"].context():
        for _ in range(20):
            issued_on(world["first"].company, datetime.date(2026, 2, 1), ready=False)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)

    assert len(_numbers(response)) == 21


# --- Entreprises > company > Factures ----------------------------------------------------------


def test_the_company_page_lists_that_company_only_for_its_admin(world):
    with world["firm"].context():
        MembershipFactory(user=world["admin"], company=world["second"].company, role="admin")
    client = _as(world, "admin")

    response = client.get(_company_page(world["first"].company))

    page = _text(response)
    assert response.status_code == 200
    assert world["first"].number in page and world["second"].number not in page
    assert 'aria-current="page"><strong>Factures' in page
    assert f'href="{_pdf(world["first"])}"' in page
    assert "Télécharger l'année 2026 (ZIP)" in page


@pytest.mark.parametrize("who", ["nothing", "viewer", "downloader", "other_admin"])
def test_the_company_page_is_not_found_for_anyone_but_its_admins(world, who):
    client = _as(world, who)

    response = client.get(_company_page(world["first"].company))
    archive = client.post(f"{_company_page(world['first'].company)}archives/", {"year": 2026})

    assert response.status_code == 404
    assert archive.status_code == 404
    with world["firm"].context():
        assert not InvoiceArchive.objects.exists()


def test_a_missing_company_is_not_found(world):
    assert _as(world, "admin").get("/entreprises/999999/factures/").status_code == 404


# --- the yearly ZIP from the pages -------------------------------------------------------------


def test_asking_for_a_year_shows_its_progress_polled_every_two_seconds(world):
    client = _as(world, "admin")

    response = client.post("/mon-compte/factures/archives/", {"year": 2026}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    with world["firm"].context():
        archive = InvoiceArchive.objects.get()
    assert (archive.requested_by_id, archive.company_id, archive.year) == (
        world["admin"].pk,
        None,
        2026,
    )
    page = _text(response)
    assert f'hx-get="/mon-compte/factures/archives/{archive.pk}/"' in page
    assert 'hx-trigger="every 2s"' in page
    assert "Année 2026 : préparation… 0 %" in page


def test_asking_without_htmx_comes_back_to_the_page_with_the_progress(world):
    client = _as(world, "admin")

    response = client.post("/mon-compte/factures/archives/", {"year": 2026})

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}#archives"
    assert "préparation…" in _text(client.get(LIST))


def test_a_company_admin_asks_for_that_company_year(world):
    company = world["first"].company
    client = _as(world, "admin")

    response = client.post(f"{_company_page(company)}archives/", {"year": 2026})

    assert response.status_code == 302
    with world["firm"].context():
        assert InvoiceArchive.objects.get().company_id == company.pk


@pytest.mark.parametrize("year", ["2025", "abc", ""])
def test_a_year_that_cannot_be_had_gets_a_message_in_french(world, year):
    client = _as(world, "admin")

    plain = client.post("/mon-compte/factures/archives/", {"year": year})
    htmx = client.post("/mon-compte/factures/archives/", {"year": year}, HTTP_HX_REQUEST="true")

    for response in (plain, htmx):
        assert response.status_code == 400
        assert 'class="errorlist"' in response.content.decode()
        assert re.search(r"Sélectionnez un choix valide|Ce champ est obligatoire", _text(response))
    with world["firm"].context():
        assert not InvoiceArchive.objects.exists()


def test_a_viewer_cannot_ask_for_a_year(world):
    response = _as(world, "viewer").post("/mon-compte/factures/archives/", {"year": 2026})

    assert response.status_code == 400
    with world["firm"].context():
        assert not InvoiceArchive.objects.exists()


def _requested(world, who: str = "admin", company=None) -> InvoiceArchive:
    with world["firm"].context():
        return archives.archive_request(actor=world[who], year=2026, company=company)


def _built(world, archive: InvoiceArchive) -> InvoiceArchive:
    with world["firm"].context():
        return archives.archive_build(archive, site_url="http://alpha.localhost")


def test_the_progress_block_becomes_the_download_link_once_ready(world):
    archive = _requested(world)
    client = _as(world, "admin")
    status = f"/mon-compte/factures/archives/{archive.pk}/"

    before = _text(client.get(status))
    _built(world, archive)
    after = _text(client.get(status))

    assert "every 2s" in before
    assert "every 2s" not in after and "hx-get" not in after
    assert f'href="{status}telecharger/"' in after
    assert "Télécharger l'archive 2026 (ZIP" in after


def test_the_archive_download_is_a_short_presigned_link_for_its_requester(world):
    archive = _built(world, _requested(world))
    client = _as(world, "admin")

    response = client.get(f"/mon-compte/factures/archives/{archive.pk}/telecharger/")

    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert 0 < int(query["X-Amz-Expires"][0]) <= 300
    assert query["response-content-disposition"] == ['attachment; filename="factures-2026.zip"']
    with urllib.request.urlopen(response["Location"], timeout=10) as answer:  # noqa: S310
        assert answer.read()[:2] == b"PK"


def test_an_archive_not_ready_yet_answers_a_friendly_message(world):
    archive = _requested(world)

    response = _as(world, "admin").get(f"/mon-compte/factures/archives/{archive.pk}/telecharger/")

    assert response.status_code == 200
    assert "L'archive est en préparation" in _text(response)


@pytest.mark.parametrize("who", ["other_admin", "downloader", "nothing"])
def test_an_archive_is_not_found_for_anyone_but_its_requester(world, who):
    archive = _built(world, _requested(world))
    client = _as(world, who)

    for path in ("", "telecharger/"):
        response = client.get(f"/mon-compte/factures/archives/{archive.pk}/{path}")
        assert response.status_code == 404


def test_an_archive_is_not_found_from_firm_beta(world, beta):
    archive = _built(world, _requested(world))
    with beta.context():
        person = client_admin(billable_company(), email=world["admin"].email)
    client = _signed_in(beta, person.email)

    for path in ("", "telecharger/"):
        response = client.get(f"/mon-compte/factures/archives/{archive.pk}/{path}")
        assert response.status_code == 404


def test_a_malformed_archive_id_is_not_found(world):
    client = _as(world, "admin")

    assert client.get("/mon-compte/factures/archives/not-a-uuid/").status_code == 404
