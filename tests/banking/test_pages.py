"""Cabinet > Rapprochement: firm administrators import, see each statement's outcome and
settle the entries to review; accountants, clients and another firm see nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from banking.models import BankEntry, BankStatement
from clients.models import User
from payments.models import PaymentEvent
from tests.banking.support import MONTH, ledger, sample
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
HOME = "/cabinet/rapprochement/"


def signed_in(firm, email: str, **headers):
    client = firm.client(**headers)
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def camt(name: str = MONTH) -> dict:
    return {"file": SimpleUploadedFile(name, sample(name)), "format": "camt053"}


def test_an_administrator_imports_a_statement_and_sees_its_outcome(
    alpha, django_assert_max_num_queries
):
    with alpha.context():
        ledger()
    client = signed_in(alpha, alpha.admin_email, HTTP_ACCEPT_LANGUAGE="fr")

    response = client.post(HOME, camt())

    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "Prélèvement rejeté" in text and "À traiter" in text
    assert text.count('data-status="matched"') == 3
    with django_assert_max_num_queries(20):
        home = client.get(HOME)
    assert MONTH in home.content.decode()
    assert 'aria-current="page">Rapprochement' in home.content.decode()


def test_the_same_file_through_the_page_changes_nothing(alpha):
    with alpha.context():
        ledger()
    client = signed_in(alpha, alpha.admin_email)
    client.post(HOME, camt())
    with alpha.context():
        events = PaymentEvent.objects.count()

    again = client.post(HOME, camt(), follow=True)

    assert "déjà été importé" in again.content.decode()
    with alpha.context():
        assert PaymentEvent.objects.count() == events
        assert BankStatement.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "n’est pas un relevé CAMT.053"), ("en", "not a CAMT.053")]
)
def test_a_wrong_file_is_refused_on_the_file_field(alpha, language, words):
    with alpha.context():
        User.objects.filter(email=alpha.admin_email).update(language=language)
    client = signed_in(alpha, alpha.admin_email, HTTP_ACCEPT_LANGUAGE=language)

    response = client.post(HOME, camt("pain.008.001.02.xml"))

    assert response.status_code == 400
    assert words in response.content.decode()
    assert 'id="id_file_error"' in response.content.decode()
    with alpha.context():
        assert not BankStatement.objects.exists()


def test_an_entry_to_review_is_matched_by_hand_from_its_page(alpha):
    with alpha.context():
        books = ledger()
    client = signed_in(alpha, alpha.admin_email)
    client.post(HOME, camt())
    with alpha.context():
        entry = BankEntry.objects.get(amount=Decimal("60.00"))

    review = client.get(f"{HOME}a-traiter/")
    page = client.get(f"{HOME}operations/{entry.pk}/")
    matched = client.post(
        f"{HOME}operations/{entry.pk}/rapprocher/", {"invoice": books.durand_b.pk}
    )

    assert f"operations/{entry.pk}/" in review.content.decode()
    assert "F-2026-000106" in page.content.decode() and "F-2026-000107" in page.content.decode()
    assert matched.status_code == 302
    with alpha.context():
        entry.refresh_from_db()
        assert (entry.status, entry.invoice_id) == ("matched", books.durand_b.pk)


def test_setting_aside_needs_a_reason_and_can_be_undone(alpha):
    with alpha.context():
        ledger()
    client = signed_in(alpha, alpha.admin_email, HTTP_ACCEPT_LANGUAGE="fr")
    client.post(HOME, camt())
    with alpha.context():
        entry = BankEntry.objects.get(currency="USD")

    empty = client.post(f"{HOME}operations/{entry.pk}/ignorer/", {"reason": ""})
    ignored = client.post(f"{HOME}operations/{entry.pk}/ignorer/", {"reason": "Client US"})
    with alpha.context():
        entry.refresh_from_db()
        assert entry.status == "ignored"
    restored = client.post(f"{HOME}operations/{entry.pk}/reprendre/")

    assert empty.status_code == 400
    assert ignored.status_code == restored.status_code == 302
    with alpha.context():
        entry.refresh_from_db()
        assert entry.status == "to_review"


def test_accountants_and_clients_are_told_nothing(alpha):
    with alpha.context():
        books = ledger()
        UserFactory(email="compta@alpha.example", firm_role=User.FirmRole.ACCOUNTANT)
        UserFactory(email="client@alpha.example")
    signed_in(alpha, alpha.admin_email).post(HOME, camt())
    with alpha.context():
        entry = BankEntry.objects.get(amount=Decimal("60.00"))

    for email in ("compta@alpha.example", "client@alpha.example"):
        client = signed_in(alpha, email)
        answers = [
            client.get(HOME).status_code,
            client.get(f"{HOME}a-traiter/").status_code,
            client.get(f"{HOME}releves/{entry.statement_id}/avancement/").status_code,
            client.get(f"{HOME}operations/{entry.pk}/").status_code,
            client.post(
                f"{HOME}operations/{entry.pk}/rapprocher/", {"invoice": books.durand_a.pk}
            ).status_code,
            client.post(HOME, camt()).status_code,
        ]
        assert set(answers) == {404}, email
        assert "rapprochement" not in client.get("/cabinet/").content.decode()
    with alpha.context():
        entry.refresh_from_db()
        assert entry.status == "to_review"
        assert BankStatement.objects.count() == 1


def test_another_firms_administrator_reaches_nothing(alpha, beta):
    with alpha.context():
        ledger()
    signed_in(alpha, alpha.admin_email).post(HOME, camt())
    with alpha.context():
        entry = BankEntry.objects.get(amount=Decimal("60.00"))
        statement = BankStatement.objects.get()
    client = signed_in(beta, beta.admin_email)

    answers = [
        client.get(f"{HOME}operations/{entry.pk}/").status_code,
        client.get(f"{HOME}releves/{statement.pk}/").status_code,
        client.post(f"{HOME}operations/{entry.pk}/ignorer/", {"reason": "x"}).status_code,
    ]

    assert set(answers) == {404}
    with alpha.context():
        entry.refresh_from_db()
        assert entry.status == "to_review"
