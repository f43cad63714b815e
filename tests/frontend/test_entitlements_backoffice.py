"""Cabinet: the application catalogue, the applications of a company and the audit trail.
Who may open each page, what it changes, the reasons it gives, and the CSV export."""

from __future__ import annotations

import csv
import datetime
import io
from types import SimpleNamespace

import factory
import pytest
from django.db import connection

from clients.models import Membership, User
from entitlements.audit_export import HEADER, audit_csv_write
from entitlements.models import Application, AuditEvent, Subscription
from entitlements.selectors import access_matrix
from entitlements.services import grant_access, subscription_create
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 1)


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"Appli {n:04d}")
    category = Application.Category.BOOKKEEPING
    launch_url = "https://app.example/launch"
    price_excl_vat = "10.00"
    vat_rate = "20.00"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    company = factory.SubFactory(CompanyFactory)
    application = factory.SubFactory(ApplicationFactory)
    start_date = TODAY


def _signed_in(firm, email, *, language="fr"):
    with firm.context():
        User.objects.filter(email=email).update(language=language)
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


@pytest.fixture
def world(alpha):
    with alpha.context():
        admin = User.objects.get(email=alpha.admin_email)
        accountant = UserFactory(email="compta-ent@alpha.example", firm_role="accountant")
        mine = CompanyFactory(legal_name="Boulangerie Mienne", accountant=accountant)
        other = CompanyFactory(legal_name="Garage Autre")
        client_admin = MembershipFactory(
            company=mine, role=Membership.Role.ADMIN, user__email="patron-ent@mienne.example"
        ).user
        collaborator = MembershipFactory(
            company=mine, user__email="salarie-ent@mienne.example"
        ).user
        other_person = MembershipFactory(company=other, user__email="x-ent@autre.example").user
        application = ApplicationFactory(name="Pennylane")
        subscription = SubscriptionFactory(company=mine, application=application)
        other_subscription = SubscriptionFactory(company=other, application=application)
    return SimpleNamespace(
        admin=admin,
        accountant=accountant,
        mine=mine,
        other=other,
        client_admin=client_admin,
        collaborator=collaborator,
        other_person=other_person,
        application=application,
        subscription=subscription,
        other_subscription=other_subscription,
    )


def _application_data(**changes):
    data = {
        "name": "Dext",
        "description": "Notes de frais",
        "icon": "receipt",
        "category": "expense_reports",
        "launch_url": "https://dext.example/launch",
        "pricing": "per_user_month",
        "price_excl_vat": "12.50",
        "vat_rate": "20",
        "is_active": "on",
    }
    data.update(changes)
    return data


# --- catalogue -----------------------------------------------------------------------------


def test_firm_admin_creates_and_edits_an_application(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    assert client.get("/cabinet/applications/nouvelle/").status_code == 200
    response = client.post("/cabinet/applications/nouvelle/", _application_data())
    assert response.status_code == 302
    with alpha.context():
        application = Application.objects.get(name="Dext")
        assert application.pricing == "per_user_month"
        assert str(application.price_excl_vat) == "12.50"
        assert application.is_active and not application.is_sensitive
    response = client.post(
        f"/cabinet/applications/{application.pk}/modifier/",
        _application_data(name="Dext Prepare", is_sensitive="on", is_active=""),
    )
    assert response.status_code == 302
    with alpha.context():
        application.refresh_from_db()
        assert application.name == "Dext Prepare"
        assert application.is_sensitive and not application.is_active
    page = client.get("/cabinet/applications/")
    assert page.status_code == 200
    assert "Dext Prepare" in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price_excl_vat": "-1"}, "price_excl_vat", "Saisissez un montant positif."),
        ({"vat_rate": "120"}, "vat_rate", "Saisissez un taux compris entre 0 et 100."),
        ({"vat_rate": "-5"}, "vat_rate", "Saisissez un montant positif."),
        ({"launch_url": "ftp://x.example"}, "launch_url", "Saisissez une adresse en https://."),
        ({"launch_url": "javascript:alert(1)"}, "launch_url", "Saisissez une adresse en https://."),
    ],
)
def test_catalogue_bad_input_is_refused_in_french(alpha, world, changes, field, message):
    client = _signed_in(alpha, alpha.admin_email)
    response = client.post("/cabinet/applications/nouvelle/", _application_data(**changes))
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    with alpha.context():
        assert not Application.objects.filter(name="Dext").exists()


def test_catalogue_bad_input_in_english(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")
    response = client.post(
        f"/cabinet/applications/{world.application.pk}/modifier/",
        _application_data(price_excl_vat="-3"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Enter a positive amount." in response.context["form"].errors["price_excl_vat"]
    with alpha.context():
        world.application.refresh_from_db()
        assert world.application.name == "Pennylane"


def test_accountant_reads_the_catalogue_but_cannot_edit(alpha, world):
    client = _signed_in(alpha, world.accountant.email)
    page = client.get("/cabinet/applications/")
    assert page.status_code == 200
    assert "Pennylane" in page.content.decode()
    assert "/cabinet/applications/nouvelle/" not in page.content.decode()
    assert client.post("/cabinet/applications/nouvelle/", _application_data()).status_code == 404
    url = f"/cabinet/applications/{world.application.pk}/modifier/"
    assert client.post(url, _application_data()).status_code == 404
    with alpha.context():
        assert not Application.objects.filter(name="Dext").exists()
        world.application.refresh_from_db()
        assert world.application.name == "Pennylane"


@pytest.mark.parametrize("who", ["anonymous", "client_admin", "collaborator"])
def test_clients_and_anonymous_never_see_the_catalogue(alpha, world, who):
    client = alpha.client() if who == "anonymous" else _signed_in(alpha, getattr(world, who).email)
    edit = f"/cabinet/applications/{world.application.pk}/modifier/"
    for url in ("/cabinet/applications/", "/cabinet/applications/nouvelle/", edit):
        response = client.get(url)
        assert response.status_code == (302 if who == "anonymous" else 404), url
    response = client.post(edit, _application_data())
    assert response.status_code in (302, 404)
    with alpha.context():
        world.application.refresh_from_db()
        assert world.application.name == "Pennylane"


def test_beta_admin_cannot_edit_alphas_application(alpha, beta, world):
    client = _signed_in(beta, beta.admin_email)
    with beta.context():
        exists_in_beta = Application.objects.filter(pk=world.application.pk).exists()
    response = client.post(
        f"/cabinet/applications/{world.application.pk}/modifier/", _application_data()
    )
    if not exists_in_beta:
        assert response.status_code == 404
    with alpha.context():
        world.application.refresh_from_db()
        assert world.application.name == "Pennylane"


def test_catalogue_list_query_count(alpha, world, django_assert_max_num_queries):
    with alpha.context():
        ApplicationFactory.create_batch(15)
    client = _signed_in(alpha, alpha.admin_email)
    with django_assert_max_num_queries(30):
        assert client.get("/cabinet/applications/").status_code == 200


# --- applications of a company -------------------------------------------------------------


def test_accountant_configures_changes_and_ends_a_subscription(alpha, world):
    with alpha.context():
        dext = ApplicationFactory(name="Dext")
    client = _signed_in(alpha, world.accountant.email)
    url = f"/cabinet/entreprises/{world.mine.pk}/applications/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "application": dext.pk,
            "start_date": "2026-02-01",
            "seat_limit": "2",
            "price_override": "",
        },
    )
    assert response.status_code == 302
    with alpha.context():
        subscription = Subscription.objects.get(company=world.mine, application=dext)
        assert subscription.seat_limit == 2
        assert subscription.start_date == datetime.date(2026, 2, 1)
    change = f"{url}{subscription.pk}/modifier/"
    response = client.post(
        change,
        {
            "status": "suspended",
            "start_date": "2026-02-01",
            "seat_limit": "",
            "price_override": "5",
        },
    )
    assert response.status_code == 302
    with alpha.context():
        subscription.refresh_from_db()
        assert subscription.status == "suspended"
        assert subscription.seat_limit is None
        assert str(subscription.price_override) == "5.00"
    end = f"{url}{subscription.pk}/arreter/"
    confirmation = client.get(end)
    assert confirmation.status_code == 200
    response = client.post(end, {"end_date": "2026-03-31"})
    assert response.status_code == 302
    with alpha.context():
        subscription.refresh_from_db()
        assert subscription.status == "ended"
        assert subscription.end_date == datetime.date(2026, 3, 31)
        actions = list(
            AuditEvent.objects.filter(subscription=subscription).values_list("action", flat=True)
        )
        assert sorted(actions) == [
            "subscription_changed",
            "subscription_created",
            "subscription_ended",
        ]


def test_subscription_bad_input(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    url = f"/cabinet/entreprises/{world.mine.pk}/applications/"
    response = client.post(url, {"application": world.application.pk, "start_date": "2026-02-01"})
    assert response.status_code == 400
    assert (
        "Cette application est déjà configurée sur ce dossier."
        in (response.context["form"].errors["application"])
    )
    response = client.post(f"{url}{world.subscription.pk}/arreter/", {"end_date": "2025-01-01"})
    assert response.status_code == 400
    assert response.context["form"].errors["end_date"]
    response = client.post(
        f"{url}{world.subscription.pk}/modifier/",
        {"status": "active", "start_date": "2026-01-01", "price_override": "-2"},
    )
    assert response.status_code == 400
    assert "Saisissez un montant positif." in response.context["form"].errors["price_override"]
    with alpha.context():
        world.subscription.refresh_from_db()
        assert world.subscription.status == "active"
        assert world.subscription.price_override is None
        assert Subscription.objects.filter(company=world.mine).count() == 1


def test_staff_switches_accesses_in_the_matrix(alpha, world):
    client = _signed_in(alpha, world.accountant.email)
    base = f"/cabinet/entreprises/{world.mine.pk}/applications/{world.subscription.pk}/acces/"
    response = client.post(f"{base}{world.collaborator.pk}/ouvrir/")
    assert response.status_code == 302
    with alpha.context():
        assert (world.collaborator.pk, world.subscription.pk) in access_matrix(world.mine)[2]
    page = client.get(f"/cabinet/entreprises/{world.mine.pk}/applications/")
    assert f"{base}{world.collaborator.pk}/retirer/" in page.content.decode()
    assert client.post(f"{base}{world.collaborator.pk}/retirer/").status_code == 302
    with alpha.context():
        assert (world.collaborator.pk, world.subscription.pk) not in access_matrix(world.mine)[2]
    # Somebody of another company: not a person of this one.
    assert client.post(f"{base}{world.other_person.pk}/ouvrir/").status_code == 404
    with alpha.context():
        assert not access_matrix(world.mine)[2]


def _company_urls(world, company, subscription, person):
    base = f"/cabinet/entreprises/{company.pk}/applications/"
    return {
        "list": base,
        "change": f"{base}{subscription.pk}/modifier/",
        "end": f"{base}{subscription.pk}/arreter/",
        "grant": f"{base}{subscription.pk}/acces/{person.pk}/ouvrir/",
    }


def _snapshot(firm):
    with firm.context():
        return (
            list(Subscription.objects.order_by("pk").values()),
            AuditEvent.objects.count(),
        )


@pytest.mark.parametrize("who", ["anonymous", "client_admin", "collaborator", "accountant"])
def test_company_applications_refusals(alpha, world, who):
    if who == "accountant":
        # The accountant is not assigned to `other`.
        company, subscription, person = world.other, world.other_subscription, world.other_person
    else:
        company, subscription, person = world.mine, world.subscription, world.collaborator
    client = alpha.client() if who == "anonymous" else _signed_in(alpha, getattr(world, who).email)
    before = _snapshot(alpha)
    urls = _company_urls(world, company, subscription, person)
    expected = 302 if who == "anonymous" else 404
    assert client.get(urls["list"]).status_code == expected
    assert client.get(urls["change"]).status_code == expected
    with alpha.context():
        dext = ApplicationFactory(name="Dext")
    assert (
        client.post(urls["list"], {"application": dext.pk, "start_date": "2026-02-01"}).status_code
        == expected
    )
    response = client.post(urls["change"], {"status": "suspended", "start_date": "2026-01-01"})
    assert response.status_code == expected
    assert client.post(urls["end"], {"end_date": "2026-03-01"}).status_code == expected
    assert client.post(urls["grant"]).status_code == expected
    assert _snapshot(alpha) == before


def test_subscription_of_another_company_is_404(alpha, world):
    client = _signed_in(alpha, world.accountant.email)
    before = _snapshot(alpha)
    base = f"/cabinet/entreprises/{world.mine.pk}/applications/{world.other_subscription.pk}/"
    assert client.get(f"{base}modifier/").status_code == 404
    assert client.post(f"{base}arreter/", {"end_date": "2026-03-01"}).status_code == 404
    assert client.post(f"{base}acces/{world.collaborator.pk}/ouvrir/").status_code == 404
    assert _snapshot(alpha) == before


def test_beta_staff_with_alphas_ids_gets_404(alpha, beta, world):
    with beta.context():
        accountant = UserFactory(email="compta-ent@beta.example", firm_role="accountant")
    before = _snapshot(alpha)
    for email in (accountant.email, beta.admin_email):
        client = _signed_in(beta, email)
        with beta.context():
            if Subscription.objects.filter(pk=world.subscription.pk).exists():
                continue  # same id by chance in beta's own schema: not alpha's row anyway
        urls = _company_urls(world, world.mine, world.subscription, world.collaborator)
        assert client.post(urls["end"], {"end_date": "2026-03-01"}).status_code == 404
        assert client.post(urls["grant"]).status_code == 404
    client = _signed_in(beta, accountant.email)
    assert client.get(f"/cabinet/entreprises/{world.mine.pk}/applications/").status_code == 404
    assert _snapshot(alpha) == before


def test_company_applications_query_count(alpha, world, django_assert_max_num_queries):
    with alpha.context():
        for _ in range(6):
            subscription = SubscriptionFactory(company=world.mine)
            for _ in range(3):
                person = MembershipFactory(company=world.mine).user
                grant_access(actor=world.admin, user=person, subscription=subscription)
    client = _signed_in(alpha, world.accountant.email)
    with django_assert_max_num_queries(40):
        assert client.get(f"/cabinet/entreprises/{world.mine.pk}/applications/").status_code == 200


# --- audit trail ---------------------------------------------------------------------------


@pytest.fixture
def events(alpha, world):
    """Events in `mine` (the accountant's) and in `other`."""
    with alpha.context():
        dext = ApplicationFactory(name="Dext")
        mine_sub = subscription_create(
            actor=world.admin, company=world.mine, application=dext, start_date=TODAY, ip="10.0.0.1"
        )
        grant_access(
            actor=world.admin, user=world.collaborator, subscription=mine_sub, ip="10.0.0.2"
        )
        other_sub = subscription_create(
            actor=world.admin, company=world.other, application=dext, start_date=TODAY
        )
        grant_access(actor=world.admin, user=world.other_person, subscription=other_sub)
    return SimpleNamespace(mine_sub=mine_sub, other_sub=other_sub)


def test_journal_lists_and_filters(alpha, world, events):
    client = _signed_in(alpha, alpha.admin_email)
    page = client.get("/cabinet/journal/")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 4
    page = client.get("/cabinet/journal/", {"company": world.mine.pk, "action": "grant_created"})
    rows = list(page.context["page"].object_list)
    assert [(e.company_id, e.target_user_id) for e in rows] == [
        (world.mine.pk, world.collaborator.pk)
    ]
    page = client.get("/cabinet/journal/", {"person": world.other_person.email.upper()})
    assert [e.company_id for e in page.context["page"].object_list] == [world.other.pk]
    page = client.get("/cabinet/journal/", {"start": "2000-01-01", "end": "2000-01-02"})
    assert page.context["page"].paginator.count == 0
    # A wrong value ignores that filter only.
    page = client.get("/cabinet/journal/", {"start": "demain", "action": "subscription_created"})
    assert page.context["page"].paginator.count == 2
    assert "Exporter en CSV" in client.get("/cabinet/journal/").content.decode()


def test_accountant_sees_only_the_journal_of_their_companies(alpha, world, events):
    client = _signed_in(alpha, world.accountant.email)
    page = client.get("/cabinet/journal/")
    assert {e.company_id for e in page.context["page"].object_list} == {world.mine.pk}
    page = client.get("/cabinet/journal/", {"company": world.other.pk})
    assert world.other.pk not in {e.company_id for e in page.context["page"].object_list}
    export = client.get("/cabinet/journal/export/")
    assert "Garage Autre" not in export.content.decode("utf-8-sig")


@pytest.mark.parametrize("who", ["anonymous", "client_admin", "collaborator"])
def test_journal_refusals(alpha, world, events, who):
    client = alpha.client() if who == "anonymous" else _signed_in(alpha, getattr(world, who).email)
    for url in ("/cabinet/journal/", "/cabinet/journal/export/"):
        assert client.get(url).status_code == (302 if who == "anonymous" else 404)


def test_journal_query_count_is_constant(alpha, world, events, django_assert_max_num_queries):
    with alpha.context():
        for _ in range(30):
            person = MembershipFactory(company=world.mine).user
            grant_access(actor=world.admin, user=person, subscription=events.mine_sub)
    client = _signed_in(alpha, alpha.admin_email)
    connection.queries_log.clear()
    with django_assert_max_num_queries(30) as small:
        client.get("/cabinet/journal/", {"action": "grant_created"})
    with alpha.context():
        for _ in range(40):
            person = MembershipFactory(company=world.mine).user
            grant_access(actor=world.admin, user=person, subscription=events.mine_sub)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/cabinet/journal/")
    assert len(page.context["page"].object_list) == 50


def _csv(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_journal_export_csv(alpha, beta, world, events):
    with beta.context():
        beta_company = CompanyFactory(legal_name="Beta Seule")
        beta_admin = User.objects.get(email=beta.admin_email)
        subscription_create(
            actor=beta_admin,
            company=beta_company,
            application=ApplicationFactory(name="BetaApp"),
            start_date=TODAY,
        )
    client = _signed_in(alpha, alpha.admin_email)
    response = client.get("/cabinet/journal/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == HEADER
    assert len(rows) == 5
    assert "Beta Seule" not in response.content.decode()
    granted = [
        row for row in rows[1:] if row[3] == "grant_created" and row[4] == world.mine.legal_name
    ]
    assert granted == [
        [
            granted[0][0],
            world.admin.email,
            "10.0.0.2",
            "grant_created",
            "Boulangerie Mienne",
            "Dext",
            world.collaborator.email,
            '{"application": "Dext"}',
        ]
    ]
    filtered = _csv(
        client.get(
            "/cabinet/journal/export/", {"company": world.other.pk, "action": "grant_created"}
        )
    )
    assert len(filtered) == 2
    assert filtered[1][4] == "Garage Autre" and filtered[1][6] == world.other_person.email


def test_audit_csv_write_is_reusable(alpha, world, events, django_assert_max_num_queries):
    out = io.StringIO()
    with alpha.context(), django_assert_max_num_queries(4):
        audit_csv_write(AuditEvent.objects.filter(company=world.mine), out)
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == HEADER
    assert [row[3] for row in rows[1:]] == ["grant_created", "subscription_created"]
