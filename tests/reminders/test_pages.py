"""Cabinet > Relances: the schedule (firm administrators), reminders sent and coming, stops per
invoice and per company; and the reminders block of Cabinet > Factures > invoice."""

from __future__ import annotations

import pytest
from django.db import connection

from clients.models import User
from reminders.models import Reminder, ReminderSchedule, ReminderStop
from reminders.selectors import schedule_current
from tests.payments.factories import invoice_due
from tests.reminders.conftest import signed_in

pytestmark = pytest.mark.django_db

SCHEDULE = "/cabinet/relances/calendrier/"
INDEX = "/cabinet/relances/"


def schedule_post(client, **changes):
    data = {"enabled": "on", "courtesy_days": 5, "reminder_days": 12, "notice_days": 40}
    return client.post(SCHEDULE, {**data, **changes})


def test_an_administrator_changes_the_schedule(alpha, world):
    client = signed_in(alpha, alpha.admin_email)

    assert client.get(SCHEDULE).status_code == 200
    response = schedule_post(client)

    assert response.status_code == 302
    saved = ReminderSchedule.objects.get()
    assert (saved.courtesy_days, saved.reminder_days, saved.notice_days) == (5, 12, 40)
    assert saved.updated_by == world.firm_admin


@pytest.mark.parametrize(
    ("changes", "field", "french", "english"),
    [
        (
            {"reminder_days": 5},
            "reminder_days",
            "La relance ferme doit venir après la relance amiable.",
            "The firm reminder must come after the courtesy reminder.",
        ),
        (
            {"notice_days": 12},
            "notice_days",
            "La mise en demeure doit venir après la relance ferme.",
            "The formal notice must come after the firm reminder.",
        ),
        (
            {"notice_days": 181},
            "notice_days",
            "Saisissez un nombre de jours entre 1 et 180.",
            "Enter a number of days between 1 and 180.",
        ),
        (
            {"courtesy_days": 0},
            "courtesy_days",
            "Saisissez un nombre de jours entre 1 et 180.",
            "Enter a number of days between 1 and 180.",
        ),
        (
            {"courtesy_days": "sept"},
            "courtesy_days",
            "Saisissez un nombre entier.",
            "Enter a whole number.",
        ),
    ],
)
def test_a_wrong_schedule_is_refused_on_its_field_in_the_user_s_language(
    alpha, world, changes, field, french, english
):
    for language, message in (("fr", french), ("en", english)):
        client = signed_in(alpha, alpha.admin_email, language=language)

        response = schedule_post(client, **changes)

        assert response.status_code == 400
        assert message in response.context["form"].errors[field]
        assert message.replace("'", "&#x27;") in response.content.decode()
    with alpha.context():
        assert not ReminderSchedule.objects.exists()
        assert schedule_current().courtesy_days == 7


def test_only_firm_administrators_open_the_schedule(alpha, beta, world):
    for email in (world.accountant.email, world.admin_mine.email):
        client = signed_in(alpha, email)
        assert client.get(SCHEDULE).status_code == 404
        assert schedule_post(client).status_code == 404
    beta_admin = signed_in(beta, beta.admin_email)
    assert beta_admin.get(SCHEDULE, HTTP_HOST=alpha.host).status_code in (302, 404)
    with alpha.context():
        assert not ReminderSchedule.objects.exists()


def test_the_list_shows_sent_and_coming_reminders_of_the_companies_in_charge(alpha, world):
    sent = invoice_due(world.mine, days_overdue=10)
    Reminder.objects.create(
        invoice=sent,
        level="courtesy",
        sent_on=sent.due_date,
        days_late=7,
        balance_due=120,
        recipients=["factures@martin.example"],
    )
    coming_mine = invoice_due(world.mine, days_overdue=3)  # courtesy in 4 days
    coming_other = invoice_due(world.other, days_overdue=7)  # today
    not_yet = invoice_due(world.other, days_overdue=1)  # in 6 days
    far = invoice_due(world.other, due_date=None)  # due in 30 days

    admin = signed_in(alpha, alpha.admin_email).get(INDEX)
    accountant = signed_in(alpha, world.accountant.email).get(INDEX)

    admin_page = admin.content.decode()
    assert admin.status_code == 200
    for invoice in (sent, coming_mine, coming_other, not_yet):
        assert invoice.number in admin_page
    assert far.number not in admin_page
    assert "factures@martin.example" in admin_page
    accountant_page = accountant.content.decode()
    assert sent.number in accountant_page and coming_mine.number in accountant_page
    assert coming_other.number not in accountant_page and world.other.legal_name not in (
        accountant_page
    )


def test_clients_and_another_firm_do_not_open_the_list(alpha, beta, world):
    for email in (world.admin_mine.email, world.collaborator.email):
        assert signed_in(alpha, email).get(INDEX).status_code == 404
    with beta.context():
        response = signed_in(beta, beta.admin_email).get(INDEX)
        assert response.status_code == 200 and "Boulangerie Martin" not in response.content.decode()


def test_the_list_holds_its_query_count(alpha, world, django_assert_max_num_queries):
    for i in range(30):
        invoice = invoice_due(world.mine if i % 2 else world.other, days_overdue=8 + i)
        Reminder.objects.create(
            invoice=invoice,
            level="courtesy",
            sent_on=invoice.due_date,
            days_late=7,
            balance_due=120,
        )
        if i % 5 == 0:
            ReminderStop.objects.create(
                invoice=invoice, reason="Litige", stopped_by=world.firm_admin
            )
    client = signed_in(alpha, alpha.admin_email)

    with django_assert_max_num_queries(30):
        response = client.get(INDEX)

    assert response.status_code == 200
    connection.set_tenant(alpha.firm)


def test_the_invoice_page_shows_its_reminders_and_stops_them(alpha, world):
    invoice = invoice_due(world.mine, days_overdue=20)
    Reminder.objects.create(
        invoice=invoice,
        level="courtesy",
        sent_on=invoice.due_date,
        days_late=7,
        balance_due=120,
        recipients=["factures@martin.example", "patron@martin.example"],
    )
    client = signed_in(alpha, world.accountant.email)
    page = f"/cabinet/factures/{invoice.pk}/"

    shown = client.get(page).content.decode()
    assert "Relance amiable" in shown and "patron@martin.example" in shown
    assert f"/cabinet/relances/factures/{invoice.pk}/arreter/" in shown

    response = client.post(
        f"/cabinet/relances/factures/{invoice.pk}/arreter/", {"reason": "Échéancier accordé"}
    )
    assert response.status_code == 302 and response["Location"] == page
    stop = ReminderStop.objects.get(invoice=invoice)
    assert (stop.stopped_by, stop.reason, stop.active) == (
        world.accountant,
        "Échéancier accordé",
        True,
    )
    shown = client.get(page).content.decode()
    assert "Échéancier accordé" in shown and "Reprendre les relances" in shown

    response = client.post(f"/cabinet/relances/arrets/{stop.pk}/reprendre/", {"back": "invoice"})
    assert response.status_code == 302
    stop.refresh_from_db()
    assert stop.resumed_by == world.accountant and stop.resumed_at is not None


@pytest.mark.parametrize(
    ("language", "message"),
    [("fr", "Ce champ est obligatoire."), ("en", "This field is required.")],
)
def test_a_stop_without_reason_is_refused(alpha, world, language, message):
    invoice = invoice_due(world.mine, days_overdue=20)
    client = signed_in(alpha, world.accountant.email, language=language)

    response = client.post(f"/cabinet/relances/factures/{invoice.pk}/arreter/", {"reason": " "})

    assert response.status_code == 400
    assert message in response.context["form"].errors["reason"]
    assert not ReminderStop.objects.exists()


def test_stops_from_the_wrong_side_change_nothing(alpha, beta, world):
    other_invoice = invoice_due(world.other, days_overdue=20)
    company_stop = ReminderStop.objects.create(
        company=world.other, reason="Litige", stopped_by=world.firm_admin
    )
    accountant = signed_in(alpha, world.accountant.email)
    client_admin = signed_in(alpha, world.admin_other.email)

    assert (
        accountant.post(
            f"/cabinet/relances/factures/{other_invoice.pk}/arreter/", {"reason": "x"}
        ).status_code
        == 404
    )
    assert (
        accountant.post(
            "/cabinet/relances/entreprises/arreter/", {"company": world.other.pk, "reason": "x"}
        ).status_code
        == 400
    )
    assert accountant.post(
        f"/cabinet/relances/arrets/{company_stop.pk}/reprendre/"
    ).status_code == (404)
    assert (
        client_admin.post(
            f"/cabinet/relances/factures/{other_invoice.pk}/arreter/", {"reason": "x"}
        ).status_code
        == 404
    )
    beta_admin = signed_in(beta, beta.admin_email)
    assert (
        beta_admin.post(
            f"/cabinet/relances/factures/{other_invoice.pk}/arreter/", {"reason": "x"}
        ).status_code
        == 404
    )
    assert beta_admin.post(
        f"/cabinet/relances/arrets/{company_stop.pk}/reprendre/"
    ).status_code == (404)
    with alpha.context():
        assert list(ReminderStop.objects.values_list("pk", "resumed_at")) == [
            (company_stop.pk, None)
        ]


def test_an_administrator_stops_a_company_from_the_list(alpha, world):
    client = signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/relances/entreprises/arreter/",
        {"company": world.other.pk, "reason": "Redressement judiciaire"},
    )

    assert response.status_code == 302
    stop = ReminderStop.objects.get(company=world.other)
    assert stop.stopped_by == User.objects.get(email=alpha.admin_email)
    assert "Redressement judiciaire" in client.get(INDEX).content.decode()
