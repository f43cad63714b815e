"""The reminder pages and the overdue banner in a real browser, at 1280 and 375 pixels:
readable, and no horizontal scroll on a phone. Screenshots go to .data/screenshots/."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from clients.models import Membership
from reminders.models import Reminder, ReminderStop
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from tests.payments.factories import invoice_due

pytestmark = pytest.mark.django_db


def _sign_in(view, base: str, email: str) -> None:
    view.goto(f"{base}/connexion/")
    view.fill("#id_username", email)
    view.fill("#id_password", PASSWORD)
    view.locator("form[novalidate] button[type=submit]").click()
    view.wait_for_url(f"{base}/")


def _no_horizontal_scroll(view) -> bool:
    return view.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def dunning(e2e_firm):
    firm = e2e_firm.firm
    with schema_context(firm.schema_name):
        company = CompanyFactory(
            legal_name="Boulangerie Martin et Fils", billing_email="factures@martin.example"
        )
        admin = UserFactory(email="patron@martin.example")
        MembershipFactory(user=admin, company=company, role=Membership.Role.ADMIN)
        invoices = [invoice_due(company, days_overdue=days) for days in (31, 16, 5)]
        for level, days in (("courtesy", 7), ("reminder", 15), ("formal_notice", 30)):
            Reminder.objects.create(
                invoice=invoices[0],
                level=level,
                sent_on=invoices[0].due_date,
                days_late=days,
                balance_due=120,
                penalties="1.18" if days == 30 else 0,
                indemnity=40 if days == 30 else 0,
                recipients=["factures@martin.example", "patron@martin.example"],
            )
        ReminderStop.objects.create(invoice=invoices[1], reason="Échéancier accordé sur 3 mois")
    return (
        firm,
        e2e_firm.admin.email if hasattr(e2e_firm, "admin") else f"admin@{firm.slug}.example",
        invoices,
    )


def test_reminder_pages_and_banner_fit_desktop_and_phone(server, page, phone, dunning):
    firm, admin_email, invoices = dunning
    base = f"http://{firm.slug}.localhost:{server}"
    for view, width in ((page, 1280), (phone, 375)):
        _sign_in(view, base, admin_email)
        for path, name in (
            ("/cabinet/relances/", "relances"),
            ("/cabinet/relances/calendrier/", "relances-calendrier"),
            (f"/cabinet/factures/{invoices[0].pk}/", "relances-facture"),
        ):
            view.goto(base + path)
            screenshot(view, f"{name}-{width}")
            assert _no_horizontal_scroll(view), f"{path} scrolls sideways at {width} px"
        view.context.clear_cookies()
        _sign_in(view, base, "patron@martin.example")
        view.goto(base + "/mon-compte/")
        assert view.locator(".overdue-banner").is_visible()
        screenshot(view, f"relances-bandeau-{width}")
        assert _no_horizontal_scroll(view), f"the banner scrolls sideways at {width} px"
        view.locator(".overdue-banner a[role=button]").first.click()
        view.wait_for_url("**/factures/?status=overdue")
        view.context.clear_cookies()
