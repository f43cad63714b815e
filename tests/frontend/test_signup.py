"""The public site: a firm signs up and lands on its own portal."""

import pytest
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from clients.models import User
from tenants.models import Firm

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Cabinet Rivière",
    "siren": "732 829 320",
    "slug": "riviere",
    "first_name": "Anne",
    "last_name": "Rivière",
    "email": "anne@riviere.example",
    "password": "Un-Mot-De-Passe-Solide-7",
}


def _public() -> Client:
    return Client(HTTP_HOST="localhost")


def test_landing_page_invites_firms_to_sign_up():
    response = _public().get("/")

    assert response.status_code == 200
    assert "/inscription/" in response.content.decode()


def test_a_firm_signs_up_and_is_sent_to_its_portal():
    response = _public().post("/inscription/", VALID)

    assert response.status_code == 302
    assert response["Location"].startswith("http://riviere.localhost/connexion/?email=anne")
    firm = Firm.objects.get(slug="riviere")
    with tenant_context(firm):
        admin = User.objects.get()
        assert admin.check_password(VALID["password"])
        assert admin.is_firm_admin
    signed_in = Client(HTTP_HOST="riviere.localhost").post(
        "/connexion/", {"username": VALID["email"], "password": VALID["password"]}
    )
    assert signed_in.status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "123456789", "Saisissez un SIREN valide"),
        ("slug", "www", "Cette adresse est réservée"),
        ("slug", "Mon Cabinet", "lettres minuscules"),
        ("email", "anne@", "adresse e-mail valide"),
        ("password", "123", "trop court"),
    ],
)
def test_bad_input_gets_a_field_message_in_french_and_creates_nothing(field, value, message):
    response = _public().post("/inscription/", VALID | {field: value})

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Firm.objects.filter(slug=VALID["slug"] if field != "slug" else value).exists()
    assert not schema_exists("firm_riviere")


def test_an_existing_address_is_refused(alpha):
    response = _public().post("/inscription/", VALID | {"slug": "alpha"})

    assert response.status_code == 400
    assert "déjà utilisée" in " ".join(response.context["form"].errors["slug"])


def test_english_speakers_get_english_messages():
    response = _public().post(
        "/inscription/", VALID | {"siren": "123456789"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Enter a valid SIREN" in " ".join(response.context["form"].errors["siren"])
