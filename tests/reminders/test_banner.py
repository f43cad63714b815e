"""The overdue banner: client administrators of a company with overdue invoices see how many
and how much, with the way to pay; nobody else; one query at most, then none for a while."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import Means, Source
from payments.services import payment_record
from tests.payments.factories import invoice_due
from tests.reminders.conftest import signed_in

pytestmark = pytest.mark.django_db

PAGE = "/mon-compte/"
BANNER = 'class="banner overdue-banner"'


@pytest.fixture
def overdue(world):
    late = [invoice_due(world.mine, days_overdue=days) for days in (3, 40)]
    payment_record(
        actor=None,
        invoice=late[1],
        amount="20.00",
        date=timezone.localdate(),
        means=Means.TRANSFER,
        source=Source.BANK,
    )
    invoice_due(world.mine)  # not due yet
    invoice_due(world.other, days_overdue=5)
    return late


def test_a_client_administrator_sees_count_amount_and_the_way_to_pay(alpha, world, overdue):
    response = signed_in(alpha, world.admin_mine.email, language="fr").get(PAGE)

    page = response.content.decode()
    assert BANNER in page
    assert "Boulangerie Martin : 2 factures en retard, 220,00 € à régler." in page
    assert f'href="/entreprises/{world.mine.pk}/factures/?status=overdue"' in page
    assert "Garage Petit" not in page


def test_the_banner_speaks_english_to_an_english_speaker(alpha, world, overdue):
    page = signed_in(alpha, world.admin_mine.email, language="en").get(PAGE).content.decode()

    assert "Boulangerie Martin: 2 overdue invoices, 220.00 € to pay." in page


def test_nobody_else_sees_it(alpha, beta, world, overdue):
    for email in (world.collaborator.email, world.accountant.email, alpha.admin_email):
        assert BANNER not in signed_in(alpha, email).get(PAGE).content.decode()
    other_admin = signed_in(alpha, world.admin_other.email).get(PAGE).content.decode()
    assert BANNER in other_admin and "Boulangerie Martin" not in other_admin
    assert BANNER not in signed_in(beta, beta.admin_email).get(PAGE).content.decode()
    assert BANNER not in alpha.client().get("/connexion/").content.decode()


def test_a_company_without_overdue_invoices_shows_no_banner(alpha, world):
    invoice_due(world.mine)

    assert BANNER not in signed_in(alpha, world.admin_mine.email).get(PAGE).content.decode()


def _banner_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return [q["sql"] for q in queries.captured_queries if '"balance_due"' in q["sql"]]


def test_one_query_then_none_while_cached(alpha, world, overdue):
    client = signed_in(alpha, world.admin_mine.email)

    assert len(_banner_queries(client)) == 1
    assert _banner_queries(client) == []


def test_one_query_at_most_per_page(alpha, world, overdue):
    client = signed_in(alpha, world.admin_mine.email)
    with CaptureQueriesContext(connection) as shown:
        client.get(PAGE)
    client.post("/cabinet/relances/bandeau/masquer/", {"next": PAGE})
    with CaptureQueriesContext(connection) as hidden:
        page = client.get(PAGE).content.decode()

    assert BANNER not in page
    # The banner's read, and the session write that keeps it for a few minutes.
    assert len(shown) - len(hidden) <= 2


def test_dismissed_for_the_session_only(alpha, world, overdue):
    client = signed_in(alpha, world.admin_mine.email)

    response = client.post("/cabinet/relances/bandeau/masquer/", {"next": PAGE})

    assert response.status_code == 302 and response["Location"] == PAGE
    assert BANNER not in client.get(PAGE).content.decode()
    assert BANNER in signed_in(alpha, world.admin_mine.email).get(PAGE).content.decode()


def test_dismissal_goes_back_only_to_this_site(alpha, world, overdue):
    client = signed_in(alpha, world.admin_mine.email)

    response = client.post("/cabinet/relances/bandeau/masquer/", {"next": "https://evil.example/"})

    assert response["Location"] == "/"
