"""Cabinet: the firm's back-office. Who may open each page, what each page changes, and the
reasons it gives when the input is wrong."""

from __future__ import annotations

import re
import urllib.request
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from clients.models import Company, Invitation, Membership, ReactivationRequest, User
from clients.validators import vat_for
from firms.models import FirmProfile
from tenants import storage
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory, siren

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _signed_in(firm, email, *, language="fr"):
    """Pages follow the language of the signed-in person's account."""
    with firm.context():
        User.objects.filter(email=email).update(language=language)
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def _invitation(company, email="invitee@example.com"):
    invitation = Invitation.objects.create(
        email=email,
        role=Membership.Role.ADMIN,
        token_hash=uuid.uuid4().hex,
        expires_at=timezone.now() + timedelta(days=7),
    )
    invitation.companies.add(company)
    return invitation


@pytest.fixture
def world(alpha):
    """Alpha's staff and clients: an accountant in charge of `mine`; `other` is nobody's."""
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        accountant = UserFactory(email="compta@alpha.example", firm_role="accountant")
        colleague = UserFactory(email="collegue@alpha.example", firm_role="accountant")
        mine = CompanyFactory(legal_name="Boulangerie Mienne", accountant=accountant)
        other = CompanyFactory(
            legal_name="Garage Autre", status=Company.Status.CANCELLED, city="Nantes"
        )
        client_admin = MembershipFactory(
            company=other, role=Membership.Role.ADMIN, user__email="patron@garage.example"
        ).user
        collaborator = MembershipFactory(company=other, user__email="salarie@garage.example").user
        invitation = _invitation(other)
        reactivation = ReactivationRequest.objects.create(company=other, requested_by=client_admin)
    return SimpleNamespace(
        admin=admin,
        accountant=accountant,
        colleague=colleague,
        mine=mine,
        other=other,
        client_admin=client_admin,
        collaborator=collaborator,
        invitation=invitation,
        reactivation=reactivation,
    )


def _snapshot(firm):
    with firm.context():
        return (
            list(Company.objects.order_by("pk").values()),
            list(User.objects.order_by("pk").values("pk", "is_active", "firm_role", "email")),
            list(Invitation.objects.order_by("pk").values()),
            list(Membership.objects.order_by("pk").values("pk", "role")),
            list(ReactivationRequest.objects.order_by("pk").values()),
            list(FirmProfile.objects.values()),
            storage.list_paths("branding/"),
        )


def _pages(w):
    """(method, path, data) of every page and action, aimed at `other` and its people."""
    company = f"/cabinet/entreprises/{w.other.pk}/"
    return [
        ("get", "/cabinet/", None),
        ("get", "/cabinet/entreprises/", None),
        ("get", "/cabinet/entreprises/nouvelle/", None),
        ("post", "/cabinet/entreprises/nouvelle/", {"legal_name": "Intrus", "siren": siren(900)}),
        ("get", company, None),
        ("get", company + "modifier/", None),
        ("post", company + "modifier/", {"legal_name": "Piraté", "siren": w.other.siren}),
        ("get", company + "archiver/", None),
        ("post", company + "archiver/", {"confirm": "on"}),
        ("post", company + "inviter/", {"email": "intrus@example.com", "role": "admin"}),
        ("post", company + f"invitations/{w.invitation.pk}/renvoyer/", {}),
        ("post", company + f"invitations/{w.invitation.pk}/annuler/", {}),
        ("post", company + f"personnes/{w.client_admin.pk}/acces/", {"active": "0"}),
        ("get", "/cabinet/equipe/", None),
        (
            "post",
            "/cabinet/equipe/",
            {"email": "x@example.com", "first_name": "X", "last_name": "Y", "firm_role": "admin"},
        ),
        ("post", f"/cabinet/equipe/{w.colleague.pk}/role/", {"firm_role": "admin"}),
        ("post", f"/cabinet/equipe/{w.colleague.pk}/acces/", {"active": "0"}),
        ("get", "/cabinet/identite/", None),
        (
            "post",
            "/cabinet/identite/",
            {
                "profile-legal_name": "Piraté",
                "profile-siren": "732829320",
                "profile-primary_colour": "#000000",
            },
        ),
        ("post", "/cabinet/identite/logo/", {"logo": _upload(PNG, "logo.png")}),
        ("get", "/cabinet/reactivations/", None),
        ("post", f"/cabinet/reactivations/{w.reactivation.pk}/decision/", {"approve": "1"}),
    ]


def _upload(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _call(client, method, path, data):
    if method == "get":
        return client.get(path)
    return client.post(path, data)


# Who may open what


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(alpha, world):
    before = _snapshot(alpha)
    client = alpha.client()

    for method, path, data in _pages(world):
        response = _call(client, method, path, data)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/connexion/"), path

    assert _snapshot(alpha) == before


@pytest.mark.parametrize("who", ["client_admin", "collaborator"])
def test_clients_are_told_nothing_exists_and_nothing_changes(alpha, world, who):
    client = _signed_in(alpha, getattr(world, who).email)
    before = _snapshot(alpha)

    for method, path, data in _pages(world):
        assert _call(client, method, path, data).status_code == 404, path

    assert _snapshot(alpha) == before


def test_accountant_cannot_reach_companies_not_assigned_nor_team_nor_identity(alpha, world):
    client = _signed_in(alpha, world.accountant.email)
    before = _snapshot(alpha)
    open_to_all_staff = {
        "/cabinet/",
        "/cabinet/entreprises/",
        "/cabinet/entreprises/nouvelle/",
        "/cabinet/reactivations/",
    }

    for method, path, data in _pages(world):
        if path in open_to_all_staff:
            continue
        assert _call(client, method, path, data).status_code == 404, path

    assert _snapshot(alpha) == before


def test_accountant_lists_only_assigned_companies_and_requests(alpha, world):
    client = _signed_in(alpha, world.accountant.email)

    listed = client.get("/cabinet/entreprises/").content.decode()
    requests = client.get("/cabinet/reactivations/").content.decode()
    home = client.get("/cabinet/").content.decode()

    assert "Boulangerie Mienne" in listed
    assert "Garage Autre" not in listed
    assert "Garage Autre" not in requests
    assert "/cabinet/equipe/" not in home
    assert client.get(f"/cabinet/entreprises/{world.mine.pk}/").status_code == 200


def test_staff_of_another_firm_gets_404_on_alpha_ids(alpha, beta, world):
    with beta.context():
        assert not Company.objects.filter(pk=world.other.pk).exists()
        assert not ReactivationRequest.objects.filter(pk=world.reactivation.pk).exists()
        assert not User.objects.filter(pk=world.colleague.pk).exists()
    client = _signed_in(beta, beta.admin_email)
    before = _snapshot(alpha)

    for method, path, data in _pages(world):
        if not re.search(r"/\d+/", path):
            continue  # beta's own pages, not alpha's ids
        assert _call(client, method, path, data).status_code == 404, path

    assert _snapshot(alpha) == before


def test_alpha_admin_session_is_not_valid_on_beta(alpha, beta):
    alpha_client = _signed_in(alpha, alpha.admin_email)
    beta_client = beta.client()
    beta_client.cookies["sessionid"] = alpha_client.cookies["sessionid"].value

    response = beta_client.get("/cabinet/")

    assert response.status_code == 302


# Dossiers clients


def test_admin_sees_every_company_with_counts_on_the_landing(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get("/cabinet/")

    assert response.status_code == 200
    assert response.context["company_total"] >= 2
    assert response.context["pending_invitations"] >= 1
    assert response.context["pending_reactivations"] >= 1


def test_search_by_name_siren_and_city(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    by_name = client.get("/cabinet/entreprises/", {"q": "garage"})
    by_siren = client.get("/cabinet/entreprises/", {"q": world.mine.siren[:6]})
    by_city = client.get("/cabinet/entreprises/", {"q": "nantes"})

    assert [c.legal_name for c in by_name.context["page"]] == ["Garage Autre"]
    assert "Boulangerie Mienne" in [c.legal_name for c in by_siren.context["page"]]
    assert [c.legal_name for c in by_city.context["page"]] == ["Garage Autre"]


def test_filters_by_status_and_accountant(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    cancelled = client.get("/cabinet/entreprises/", {"status": "cancelled"})
    assigned = client.get("/cabinet/entreprises/", {"accountant": world.accountant.pk})
    nobody = client.get("/cabinet/entreprises/", {"accountant": "none"})

    assert [c.legal_name for c in cancelled.context["page"]] == ["Garage Autre"]
    assert [c.legal_name for c in assigned.context["page"]] == ["Boulangerie Mienne"]
    assert "Boulangerie Mienne" not in [c.legal_name for c in nobody.context["page"]]


def test_htmx_search_returns_only_the_results(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get("/cabinet/entreprises/", {"q": "garage"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Garage Autre" in body
    assert "<html" not in body
    assert "<form" not in body


def test_list_is_paginated_by_50_with_a_constant_number_of_queries(
    alpha, world, django_assert_max_num_queries
):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        for n in range(60):
            company = CompanyFactory(legal_name=f"Zz Dossier {n:02d}", accountant=world.accountant)
            MembershipFactory(company=company)

    # 12 queries (session, user, firm profile, count, page...), each after a SET search_path.
    with django_assert_max_num_queries(24):
        first = client.get("/cabinet/entreprises/", {"q": "Zz Dossier"})
    with django_assert_max_num_queries(24):
        second = client.get("/cabinet/entreprises/", {"q": "Zz Dossier", "page": 2})

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 10
    assert first.context["page"][0].member_count == 1
    assert "page=2" in first.content.decode()


def test_admin_creates_a_company_and_assigns_it(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    new_siren = siren(901)

    response = client.post(
        "/cabinet/entreprises/nouvelle/",
        {
            "legal_name": "Menuiserie Neuve",
            "siren": new_siren[:3] + " " + new_siren[3:6] + " " + new_siren[6:],
            "vat_number": vat_for(new_siren),
            "city": "Lille",
            "phone": "06 12 34 56 78",
            "country": "FR",
            "billing": "elsewhere",
            "accountant": world.accountant.pk,
        },
    )

    assert response.status_code == 302
    with alpha.context():
        company = Company.objects.get(siren=new_siren)
        assert company.accountant == world.accountant
        assert company.billing == Company.Billing.ELSEWHERE
        assert company.phone == "+33612345678"
    assert response["Location"] == f"/cabinet/entreprises/{company.pk}/"


def test_accountant_creates_a_company_assigned_to_them(alpha, world):
    client = _signed_in(alpha, world.accountant.email)

    response = client.post(
        "/cabinet/entreprises/nouvelle/",
        {"legal_name": "Fleuriste", "siren": siren(902), "country": "FR", "billing": "direct"},
    )

    assert response.status_code == 302
    with alpha.context():
        assert Company.objects.get(siren=siren(902)).accountant_id == world.accountant.pk


def test_invalid_siren_is_refused_in_french(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/entreprises/nouvelle/",
        {"legal_name": "Mauvais", "siren": "123456789", "country": "FR", "billing": "direct"},
    )

    assert response.status_code == 400
    assert "Saisissez un SIREN valide" in response.content.decode()
    assert response.context["form"].errors["siren"]
    with alpha.context():
        assert not Company.objects.filter(legal_name="Mauvais").exists()


def test_invalid_siren_is_refused_in_english(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")

    response = client.post(
        "/cabinet/entreprises/nouvelle/",
        {"legal_name": "Mauvais", "siren": "123456789", "country": "FR", "billing": "direct"},
    )

    assert response.status_code == 400
    assert "Enter a valid SIREN" in response.content.decode()


def test_vat_number_of_another_siren_is_refused(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/entreprises/nouvelle/",
        {
            "legal_name": "TVA Fausse",
            "siren": siren(903),
            "vat_number": vat_for(siren(904)),
            "country": "FR",
            "billing": "direct",
        },
    )

    assert response.status_code == 400
    assert f"TVA n’appartient pas au SIREN {siren(903)}" in str(
        response.context["form"].errors["vat_number"]
    )
    with alpha.context():
        assert not Company.objects.filter(siren=siren(903)).exists()


def test_duplicate_siren_is_refused_on_edit(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/modifier/",
        {
            "legal_name": "Garage Autre",
            "siren": world.mine.siren,
            "country": "FR",
            "status": "cancelled",
            "billing": "direct",
        },
    )

    assert response.status_code == 400
    assert "existe déjà" in str(response.context["form"].errors["siren"])
    assert _snapshot(alpha) == before


def test_admin_edits_only_the_changed_fields(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/modifier/",
        {
            "legal_name": "Garage Renommé",
            "siren": world.other.siren,
            "vat_number": world.other.vat_number,
            "city": "Nantes",
            "country": "FR",
            "status": "active",
            "billing": "direct",
            "accountant": world.colleague.pk,
        },
    )

    assert response.status_code == 302
    with alpha.context():
        company = Company.objects.get(pk=world.other.pk)
        assert (company.legal_name, company.status) == ("Garage Renommé", "active")
        assert company.accountant_id == world.colleague.pk


def test_accountant_cannot_reassign_a_company(alpha, world):
    client = _signed_in(alpha, world.accountant.email)

    form = client.get(f"/cabinet/entreprises/{world.mine.pk}/modifier/").context["form"]

    assert "accountant" not in form.fields


def test_archive_asks_for_confirmation(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    path = f"/cabinet/entreprises/{world.mine.pk}/archiver/"

    unconfirmed = client.post(path, {})
    with alpha.context():
        assert Company.objects.get(pk=world.mine.pk).status == Company.Status.ACTIVE
    confirmed = client.post(path, {"confirm": "on"})

    assert unconfirmed.status_code == 400
    assert confirmed.status_code == 302
    with alpha.context():
        assert Company.objects.get(pk=world.mine.pk).status == Company.Status.ARCHIVED


# People of a company


def test_staff_invites_the_first_client_administrator(
    alpha, world, mailoutbox, django_capture_on_commit_callbacks
):
    client = _signed_in(alpha, world.accountant.email)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cabinet/entreprises/{world.mine.pk}/inviter/",
            {"email": "Gerante@Boulangerie.example", "first_name": "Léa", "role": "admin"},
        )

    assert response.status_code == 302
    with alpha.context():
        invitation = Invitation.objects.get(email="gerante@boulangerie.example")
        assert list(invitation.companies.all()) == [world.mine]
        assert invitation.role == Membership.Role.ADMIN
    assert mailoutbox[-1].to == ["gerante@boulangerie.example"]


def test_invite_with_a_bad_email_is_refused(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/entreprises/{world.mine.pk}/inviter/", {"email": "pas-un-email", "role": "admin"}
    )

    assert response.status_code == 400
    assert response.context["invite_form"].errors["email"]


def test_pending_invitation_is_listed_and_sent_again(
    alpha, world, mailoutbox, django_capture_on_commit_callbacks
):
    client = _signed_in(alpha, alpha.admin_email)
    page = client.get(f"/cabinet/entreprises/{world.other.pk}/").content.decode()
    old_hash = world.invitation.token_hash

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cabinet/entreprises/{world.other.pk}/invitations/{world.invitation.pk}/renvoyer/"
        )

    assert "invitee@example.com" in page
    assert "Renvoyer l’invitation" in page or "Renvoyer l'invitation" in page
    assert response.status_code == 302
    with alpha.context():
        assert Invitation.objects.get(pk=world.invitation.pk).token_hash != old_hash
    assert mailoutbox[-1].to == ["invitee@example.com"]


def test_pending_invitation_is_cancelled(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/invitations/{world.invitation.pk}/annuler/"
    )

    assert response.status_code == 302
    with alpha.context():
        assert Invitation.objects.get(pk=world.invitation.pk).revoked_at is not None


def test_invitation_of_another_company_is_404(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/entreprises/{world.mine.pk}/invitations/{world.invitation.pk}/annuler/"
    )

    assert response.status_code == 404
    with alpha.context():
        assert Invitation.objects.get(pk=world.invitation.pk).revoked_at is None


def test_staff_deactivates_and_reactivates_a_person(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    path = f"/cabinet/entreprises/{world.other.pk}/personnes/{world.collaborator.pk}/acces/"

    off = client.post(path, {"active": "0"})
    with alpha.context():
        assert not User.objects.get(pk=world.collaborator.pk).is_active
    on = client.post(path, {"active": "1"})

    assert (off.status_code, on.status_code) == (302, 302)
    with alpha.context():
        assert User.objects.get(pk=world.collaborator.pk).is_active


def test_person_of_another_company_is_404(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/entreprises/{world.mine.pk}/personnes/{world.collaborator.pk}/acces/",
        {"active": "0"},
    )

    assert response.status_code == 404
    with alpha.context():
        assert User.objects.get(pk=world.collaborator.pk).is_active


# Équipe du cabinet


def test_admin_adds_a_staff_member_who_gets_a_password_link(
    alpha, world, mailoutbox, django_capture_on_commit_callbacks
):
    client = _signed_in(alpha, alpha.admin_email)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/cabinet/equipe/",
            {
                "email": "nouvelle@alpha.example",
                "first_name": "Inès",
                "last_name": "Martin",
                "firm_role": "accountant",
            },
        )

    assert response.status_code == 302
    with alpha.context():
        member = User.objects.get(email="nouvelle@alpha.example")
        assert member.firm_role == User.FirmRole.ACCOUNTANT
        assert not member.has_usable_password()
    assert mailoutbox[-1].to == ["nouvelle@alpha.example"]
    assert f"http://{alpha.host}" in mailoutbox[-1].body
    assert "/mot-de-passe/definir/" in mailoutbox[-1].body


def test_adding_a_staff_member_with_a_taken_email_is_refused(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/equipe/",
        {
            "email": world.client_admin.email,
            "first_name": "A",
            "last_name": "B",
            "firm_role": "admin",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    with alpha.context():
        assert User.objects.get(pk=world.client_admin.pk).firm_role == ""


def test_admin_changes_a_role_and_deactivates_a_member(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    promoted = client.post(f"/cabinet/equipe/{world.colleague.pk}/role/", {"firm_role": "admin"})
    deactivated = client.post(f"/cabinet/equipe/{world.colleague.pk}/acces/", {"active": "0"})

    assert (promoted.status_code, deactivated.status_code) == (302, 302)
    with alpha.context():
        colleague = User.objects.get(pk=world.colleague.pk)
        assert (colleague.firm_role, colleague.is_active) == ("admin", False)


def test_the_last_admin_cannot_demote_themselves(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(f"/cabinet/equipe/{world.admin.pk}/role/", {"firm_role": "accountant"})

    assert response.status_code == 400
    assert "votre propre rôle" in response.content.decode()
    with alpha.context():
        assert User.objects.get(pk=world.admin.pk).firm_role == "admin"


def test_an_admin_cannot_deactivate_themselves(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")

    response = client.post(f"/cabinet/equipe/{world.admin.pk}/acces/", {"active": "0"})

    assert response.status_code == 400
    assert "You cannot deactivate your own account." in response.content.decode()
    with alpha.context():
        assert User.objects.get(pk=world.admin.pk).is_active


def test_client_cannot_be_changed_through_the_team_page(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(f"/cabinet/equipe/{world.client_admin.pk}/role/", {"firm_role": "admin"})

    assert response.status_code == 404
    with alpha.context():
        assert User.objects.get(pk=world.client_admin.pk).firm_role == ""


# Identité du cabinet


def _identity(**changes):
    data = {
        "legal_name": "Cabinet Alpha",
        "siren": "732829320",
        "vat_number": vat_for("732829320"),
        "primary_colour": "#1d4ed8",
    } | changes
    return {f"profile-{key}": value for key, value in data.items()}


def test_admin_saves_the_identity(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/identite/",
        _identity(
            iban="fr76 3000 6000 0112 3456 7890 189",
            phone="01 42 68 53 00",
            primary_colour="#AA3300",
            require_2fa="on",
            share_capital="10000.00",
        ),
    )

    assert response.status_code == 302
    with alpha.context():
        profile = FirmProfile.objects.get()
        assert profile.iban == "FR7630006000011234567890189"
        assert profile.phone == "+33142685300"
        assert profile.primary_colour == "#aa3300"
        assert profile.require_2fa


@pytest.mark.parametrize(
    ("field", "value", "french"),
    [
        ("iban", "FR76 1234", "IBAN valide"),
        ("primary_colour", "rouge", "#rrggbb"),
        ("siren", "123456789", "Saisissez un SIREN valide"),
        ("vat_number", vat_for("404833048"), "pas au SIREN 732829320"),
    ],
)
def test_bad_identity_input_is_refused_in_french(alpha, world, field, value, french):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post("/cabinet/identite/", _identity(**{field: value}))

    assert response.status_code == 400
    assert french in str(response.context["form"].errors[field])
    assert _snapshot(alpha) == before


def test_bad_iban_is_refused_in_english(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")

    response = client.post("/cabinet/identite/", _identity(iban="FR76 1234"))

    assert response.status_code == 400
    assert "Enter a valid IBAN" in str(response.context["form"].errors["iban"])


def test_logo_is_stored_in_the_firm_prefix_and_served_publicly(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post("/cabinet/identite/logo/", {"logo": _upload(PNG, "logo.png")})
    served = alpha.client().get("/cabinet/logo/")

    assert response.status_code == 302
    with alpha.context():
        assert FirmProfile.objects.get().logo_path == "branding/logo.png"
        assert "branding/logo.png" in storage.list_paths("branding/")
    keys = storage.client().list_objects_v2(
        Bucket=settings.S3_BUCKET, Prefix=f"firms/{alpha.firm.schema_name}/branding/"
    )
    assert f"firms/{alpha.firm.schema_name}/branding/logo.png" in [
        entry["Key"] for entry in keys["Contents"]
    ]
    assert served.status_code == 302
    with urllib.request.urlopen(served["Location"]) as downloaded:  # noqa: S310 (loopback S3)
        assert downloaded.read() == PNG


def test_svg_logo_without_script_is_accepted(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#123456"/></svg>'  # noqa: E501

    response = client.post("/cabinet/identite/logo/", {"logo": _upload(svg, "logo.svg")})

    assert response.status_code == 302
    with alpha.context():
        assert FirmProfile.objects.get().logo_path == "branding/logo.svg"


@pytest.mark.parametrize(
    ("content", "french"),
    [
        (PNG + b"\0" * (1024 * 1024), "1 Mo"),
        (b"%PDF-1.7 not an image", "PNG, JPEG ou SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    ],
)
def test_bad_logo_is_refused(alpha, world, content, french):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post("/cabinet/identite/logo/", {"logo": _upload(content, "logo.png")})

    assert response.status_code == 400
    assert french in str(response.context["logo_form"].errors["logo"])
    assert _snapshot(alpha) == before


def test_logo_page_is_404_without_a_logo(beta):
    with beta.context():
        if FirmProfile.objects.get().logo_path:
            pytest.skip("beta has a logo")

    assert beta.client().get("/cabinet/logo/").status_code == 404


# Demandes de réactivation


def test_admin_approves_a_reactivation_request(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    listed = client.get("/cabinet/reactivations/").content.decode()

    response = client.post(
        f"/cabinet/reactivations/{world.reactivation.pk}/decision/", {"approve": "1"}
    )

    assert "Garage Autre" in listed
    assert response.status_code == 302
    with alpha.context():
        request = ReactivationRequest.objects.get(pk=world.reactivation.pk)
        assert request.status == ReactivationRequest.Status.APPROVED
        assert request.decided_by_id == world.admin.pk


def test_admin_refuses_a_reactivation_request(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/reactivations/{world.reactivation.pk}/decision/", {"approve": "0"}
    )

    assert response.status_code == 302
    with alpha.context():
        request = ReactivationRequest.objects.get(pk=world.reactivation.pk)
        assert request.status == ReactivationRequest.Status.REFUSED
        assert Company.objects.get(pk=world.other.pk).status == Company.Status.CANCELLED
