"""Who may use what, at size: one firm with 5,000 companies, 50,000 people and 100,000 grants.

Rows are written with INSERT ... SELECT generate_series (the benchmark measures the reads, not
the loading). Each read is timed against the same read with no permission filtering, in the
same process, and its query count is printed.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from clients.models import Company, User
from entitlements.models import USE_SUBSCRIPTION, Subscription
from entitlements.selectors import access_matrix, applications_usable_by, can_use
from tenants.provisioning import firm_provision
from tests.benchmarks.report import figure
from tests.benchmarks.support import PREFIX, timed

COMPANIES = 5_000
PEOPLE = 50_000
BIG_COMPANY_PEOPLE = 500
APPLICATIONS = 20
RUNS = 50


def _load() -> None:
    permission = Permission.objects.get(
        codename=USE_SUBSCRIPTION, content_type__app_label="entitlements"
    ).pk
    statements = [
        f"""INSERT INTO entitlements_application (name, description, icon, category, launch_url,
            is_sensitive, pricing, price_excl_vat, vat_rate, launch_secret, is_active, created_at)
            SELECT 'Application ' || n, '', '', 'other', 'https://app.example/' || n, false,
                   'per_company_month', 10, 20, md5(n::text), true, now()
            FROM generate_series(1, {APPLICATIONS}) n""",
        f"""INSERT INTO clients_company (legal_name, siren, siret, vat_number, legal_form,
            address_line, postal_code, city, country, billing_email, phone, status, billing,
            created_at, updated_at)
            SELECT 'Société ' || n, lpad(n::text, 9, '0'), '', '', '', '', '', '', 'FR', '', '',
                   'active', 'direct', now(), now()
            FROM generate_series(1, {COMPANIES}) n""",
        f"""INSERT INTO clients_user (password, email, first_name, last_name, phone, language,
            firm_role, notify_invoices, notify_access, pending_email, is_active, is_staff,
            is_superuser, date_joined)
            SELECT '!', 'p' || n || '@bench.example', 'Prénom', 'Nom ' || n, '', 'fr', '',
                   true, true, '', true, false, false, now()
            FROM generate_series(1, {PEOPLE}) n""",
        # The first company holds 500 people; the others share the rest, about 9 each.
        f"""INSERT INTO clients_membership (user_id, company_id, role, created_at)
            SELECT u.id, CASE WHEN u.rn <= {BIG_COMPANY_PEOPLE} THEN c.first
                   ELSE c.first + 1 + (u.rn % ({COMPANIES} - 1)) END,
                   CASE WHEN u.rn = 1 THEN 'admin' ELSE 'collaborator' END, now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) rn FROM clients_user) u,
                 (SELECT min(id) first FROM clients_company) c""",
        # Every application on the first company, four on each of the others.
        """INSERT INTO entitlements_subscription (company_id, application_id, start_date,
            status, created_at)
            SELECT c.id, a.id, current_date, 'active', now()
            FROM clients_company c
            JOIN (SELECT id, row_number() OVER (ORDER BY id) rn FROM entitlements_application) a
              ON c.id = (SELECT min(id) FROM clients_company) OR a.rn <= 4""",
        # Two grants a person: 100,000 in all.
        f"""INSERT INTO entitlements_subscriptionuserobjectpermission
            (permission_id, user_id, content_object_id)
            SELECT {permission}, m.user_id, s.id
            FROM clients_membership m
            JOIN LATERAL (SELECT id FROM entitlements_subscription s
                          WHERE s.company_id = m.company_id
                          ORDER BY (s.id + m.user_id) % 7, s.id LIMIT 2) s ON true""",
        "ANALYZE",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _runs_ms(action) -> list[float]:
    action()  # warm the plan and the connection
    return [timed(action) * 1000 for _ in range(RUNS)]


def _queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return sum(1 for query in captured if not query["sql"].startswith("SET search_path"))


@pytest.mark.bench
def test_reads_of_entitlements_at_size(committed):
    firm, _ = firm_provision(
        name="Bench entitlements",
        slug=f"{PREFIX}entitlements",
        siren="732829320",
        populate=lambda firm: _load(),
    )
    with tenant_context(firm):
        counts = {
            "companies": Company.objects.count(),
            "people": User.objects.count(),
            "grants": connection.cursor()
            .execute("SELECT count(*) FROM entitlements_subscriptionuserobjectpermission")
            .fetchone()[0],
        }
        big = Company.objects.order_by("id").first()
        person = User.objects.filter(memberships__company=big).order_by("id")[1]
        subscription = Subscription.objects.filter(company=big).order_by("id").first()

        usable = lambda: applications_usable_by(person)  # noqa: E731
        usable_base = lambda: list(  # noqa: E731
            Subscription.objects.filter(
                company__memberships__user=person, status=Subscription.Status.ACTIVE
            ).select_related("company", "application")
        )
        matrix = lambda: access_matrix(big)  # noqa: E731
        matrix_base = lambda: (  # noqa: E731
            list(User.objects.filter(memberships__company=big)),
            list(Subscription.objects.filter(company=big).select_related("application")),
        )
        check = lambda: can_use(person, subscription)  # noqa: E731
        check_base = lambda: Subscription.objects.filter(pk=subscription.pk).exists()  # noqa: E731

        people, subscriptions, granted = matrix()
        size = (
            f"{counts['companies']} companies, {counts['people']} people, "
            f"{counts['grants']} grants ({len(granted)} in the matrix)"
        )
        for name, action, baseline, goal in (
            ("applications I may use", usable, usable_base, 20),
            (f"matrix {len(people)} people x {len(subscriptions)} apps", matrix, matrix_base, 20),
            ("one permission check", check, check_base, 2),
        ):
            figure(
                "entitlements",
                name,
                _runs_ms(action),
                "ms",
                baseline=("the same read unfiltered", _runs_ms(baseline)),
                note=f"goal <= {goal} ms; {_queries(action)} queries; {size}",
            )

    assert counts == {"companies": COMPANIES, "people": PEOPLE, "grants": 2 * PEOPLE}
    assert len(people) == BIG_COMPANY_PEOPLE and len(subscriptions) == APPLICATIONS
