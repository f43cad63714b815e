"""Cabinet › Paiement par carte: the firm's Stripe keys, for its administrators only, secrets
never shown again; and the card a company saved, read from Stripe's objects."""

from __future__ import annotations

from html import unescape

import pytest

from cards.models import CardCustomer, CardSettings
from tests.cards.conftest import client_admin, deliver, event, keys_set, signed_in
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/cabinet/carte/"
KEYS = {
    "publishable_key": "pk_test_51AlphaPublishable0001",
    "secret_key": "sk_test_51AlphaSecretKey00000000WXYZ",
    "webhook_secret": "whsec_test_alpha_signing_0000QRST",
}


def test_a_firm_admin_sets_the_keys_and_sees_only_the_last_four(alpha):
    client = signed_in(alpha, alpha.admin_email)

    response = client.post(PAGE, {"save": "1", **KEYS})

    assert response.status_code == 302
    page = unescape(client.get(PAGE).content.decode())
    assert KEYS["secret_key"] not in page
    assert KEYS["webhook_secret"] not in page
    assert "…WXYZ" in page and "…QRST" in page
    assert "/paiement/carte/webhook/" in page
    with alpha.context():
        assert CardSettings.objects.get().secret_key == KEYS["secret_key"]


def test_empty_secrets_keep_the_saved_ones(alpha):
    with alpha.context():
        keys_set()
    client = signed_in(alpha, alpha.admin_email)

    client.post(PAGE, {"save": "1", "publishable_key": "pk_test_51AnotherPublishable"})

    with alpha.context():
        saved = CardSettings.objects.get()
        assert saved.publishable_key == "pk_test_51AnotherPublishable"
        assert saved.secret_key == "sk_test_51AlphaSecretKey000000009876"


@pytest.mark.parametrize(
    ("field", "value", "french", "english"),
    [
        (
            "publishable_key",
            "sk_test_51Wrong00000",
            "Une clé publiable commence par pk_test_ ou pk_live_.",
            "A publishable key starts with pk_test_ or pk_live_.",
        ),
        (
            "secret_key",
            "pk_test_51Wrong00000",
            "Une clé secrète commence par sk_ ou rk_ (test ou production).",
            "A secret key starts with sk_ or rk_ (test or live).",
        ),
        (
            "webhook_secret",
            "secret_0000000000000",
            "Un secret de signature de webhook commence par whsec_.",
            "A webhook signing secret starts with whsec_.",
        ),
        (
            "secret_key",
            "sk_live_51Live000000000",
            "toutes deux de test ou toutes deux de production",
            "must both be test keys or live keys",
        ),
    ],
)
def test_a_key_with_the_wrong_prefix_is_refused_on_its_field(alpha, field, value, french, english):
    for language, message in (("fr", french), ("en", english)):
        client = signed_in(alpha, alpha.admin_email, language=language)

        response = client.post(PAGE, {"save": "1", **{**KEYS, field: value}})

        assert response.status_code == 400
        body = unescape(response.content.decode())
        assert message in body
        assert f'id="id_{field}_error"' in body
    with alpha.context():
        assert not CardSettings.objects.exists()


def test_removing_the_keys_turns_card_payment_off(alpha):
    with alpha.context():
        keys_set()
    client = signed_in(alpha, alpha.admin_email)

    client.post(PAGE, {"remove": "1"})

    with alpha.context():
        assert not CardSettings.objects.exists()


@pytest.mark.parametrize("who", ["accountant", "client"])
def test_only_firm_administrators_see_the_keys(alpha, who):
    with alpha.context():
        keys_set()
        if who == "accountant":
            person = UserFactory(email="compta-carte@alpha.example", firm_role="accountant")
        else:
            person = client_admin(CompanyFactory(), email="client-carte@alpha.example")
    client = signed_in(alpha, person.email)

    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"remove": "1", **KEYS}).status_code == 404
    with alpha.context():
        assert CardSettings.objects.get().secret_key == "sk_test_51AlphaSecretKey000000009876"
    if who == "accountant":
        assert PAGE not in client.get("/cabinet/factures/").content.decode()


def test_the_firm_admin_menu_links_the_page(alpha):
    client = signed_in(alpha, alpha.admin_email)

    assert f'href="{PAGE}"' in client.get("/cabinet/factures/").content.decode()


def test_another_firm_s_admin_does_not_reach_the_keys(alpha, beta):
    with alpha.context():
        keys_set()
    client = signed_in(beta, beta.admin_email)

    page = client.get(PAGE).content.decode()

    assert "…9876" not in page


def test_a_card_saved_on_stripe_shows_brand_last_four_and_expiry(alpha, cards_on, stripe_api):
    with alpha.context():
        company = CompanyFactory(legal_name="Boulangerie Martin")
        admin = client_admin(company, email="alice-carte@martin.example")
        CardCustomer.objects.create(company=company, stripe_customer_id="cus_test000001")
        metadata = {"company": str(company.pk), "firm": alpha.firm.schema_name}
    data = event(
        "checkout.session.completed.setup",
        metadata=metadata,
        customer="cus_test000001",
        setup_intent="seti_1Mm8s8LkdIwHu7ixJ2tbnOUy",
    )

    assert deliver(alpha, data).status_code == 200

    (call,) = stripe_api.calls
    assert call.path == "/v1/setup_intents/seti_1Mm8s8LkdIwHu7ixJ2tbnOUy"
    with alpha.context():
        saved = CardCustomer.objects.get(company=company)
        assert (saved.brand, saved.last4, saved.exp_month, saved.exp_year) == (
            "visa",
            "4242",
            12,
            2030,
        )
    page = unescape(
        signed_in(alpha, admin.email).get(f"/entreprises/{company.pk}/carte/").content.decode()
    )
    assert "Visa" in page and "•••• 4242" in page and "Expire fin 12/2030" in page
    assert "Remplacer la carte" in page


def test_a_setup_for_another_firm_s_customer_stores_nothing(alpha, cards_on, stripe_api):
    with alpha.context():
        company = CompanyFactory()
        CardCustomer.objects.create(company=company, stripe_customer_id="cus_ours")
    data = event(
        "checkout.session.completed.setup",
        metadata={"company": str(company.pk), "firm": "firm_beta"},
        customer="cus_ours",
    )

    deliver(alpha, data)

    assert stripe_api.calls == []
    with alpha.context():
        assert not CardCustomer.objects.get(company=company).has_card
