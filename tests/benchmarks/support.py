"""Timing and clean-up helpers shared by the benchmarks (figures go through report.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from api.models import APISettings
from api.services import api_key_create
from clients.models import Company, Membership, User
from entitlements.models import Application, Subscription
from firms.services import firm_open
from invoicing import services
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine
from saas.celery import app as celery_app
from tenants.models import Domain, Firm
from tenants.provisioning import host_for
from tenants.routing import hosts_forget
from tests.factories import siren
from tests.invoicing.factories import PERIOD, application, billable_company, firm_profile_complete

PREFIX = "bench-"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def schema_tables(schema: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return cursor.fetchone()[0]


def bench_firms_drop() -> None:
    """Every firm slugged `bench-…`, its domain and its schema."""
    connection.set_schema_to_public()
    firms = Firm.objects.filter(slug__startswith=PREFIX)
    hosts_forget(list(Domain.objects.filter(tenant__in=firms).values_list("domain", flat=True)))
    with connection.cursor() as cursor:
        for schema in firms.values_list("schema_name", flat=True):
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
    firms.delete()


# --- a firm grown to a size --------------------------------------------------------------------

INVOICES_PER_COMPANY = 3
PEOPLE_PER_COMPANY = 2  # an administrator and a collaborator
CLIENT_ADMIN = "gerant@client-00000.bench.example"


def grown_firm_open(slug: str, password: str) -> Firm:
    """A firm whose first company is billed once for real, its invoice the model of the copies
    `firm_grow` makes, and whose administrator (CLIENT_ADMIN) signs in with `password`."""

    firm = firm_open(
        name=f"Cabinet {slug}",
        slug=f"{PREFIX}{slug}",
        siren="552100554",
        admin_email=f"admin@{slug}.bench.example",
        admin_password=password,
    ).firm
    with tenant_context(firm):
        firm_profile_complete()
        company = billable_company(applications=(application(),), siren=siren(0))
        admin = User.objects.create_user(email=CLIENT_ADMIN, password=password)
        Membership.objects.create(user=admin, company=company, role=Membership.Role.ADMIN)
        outcome = services.company_bill(
            company=Company.objects.get(pk=company.pk), period_start=PERIOD
        )
        assert outcome.invoice is not None, outcome.reason
    celery_app.control.purge()  # its document task: no worker runs here, the firm goes after
    connection.set_schema_to_public()
    return firm


def firm_grow(firm: Firm, companies: int) -> None:
    """Companies up to `companies`, each with PEOPLE_PER_COMPANY people and
    INVOICES_PER_COMPANY invoices (copies of the first invoice, earlier months), in bulk."""

    with tenant_context(firm):
        first = Company.objects.order_by("id").first()
        have = Company.objects.count()
        if companies <= have:
            return
        made = Company.objects.bulk_create(
            (
                Company(
                    legal_name=f"Client {n:05d} SARL",
                    siren=siren(n),
                    address_line=f"{n} avenue Jean Jaurès",
                    postal_code="69007",
                    city="Lyon",
                    billing_email=f"compta{n}@client-{n:05d}.bench.example",
                )
                for n in range(have, companies)
            ),
            batch_size=2000,
        )
        app = Application.objects.order_by("id").first()
        Subscription.objects.bulk_create(
            (
                Subscription(company=c, application=app, start_date=first.created_at.date())
                for c in made
            ),
            batch_size=2000,
        )
        people = User.objects.bulk_create(
            (
                User(email=f"p{k}-{c.pk}@bench.example", password="!", last_name=f"Nom {c.pk}")
                for c in made
                for k in range(PEOPLE_PER_COMPANY)
            ),
            batch_size=2000,
        )
        roles = [Membership.Role.ADMIN, Membership.Role.COLLABORATOR]
        Membership.objects.bulk_create(
            (
                Membership(user=person, company=made[n // PEOPLE_PER_COMPANY], role=roles[n % 2])
                for n, person in enumerate(people)
            ),
            batch_size=2000,
        )
        model = Invoice.objects.filter(company=first).order_by("id").first()
        _invoices_copy(model, after_company=made[0].pk - 1)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.set_schema_to_public()


def _invoices_copy(model, *, after_company: int) -> None:
    """INVOICES_PER_COMPANY copies of `model` (its lines and document too) for every company
    past `after_company`, numbered after the last invoice, months before the model's."""

    shifted = {"issue_date", "period_start", "period_end", "due_date"}
    replaced = {
        "number": "'B' || lpad((s.base + s.rn)::text, 9, '0')",
        "sequence": "s.base + s.rn",
        "company_id": "s.company_id",
        **{c: f"(t.{c} - make_interval(months => s.m))::date" for c in shifted},
    }
    columns = [f.column for f in Invoice._meta.concrete_fields if f.column != "id"]
    values = [replaced.get(c, f"t.{c}") for c in columns]
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM invoicing_invoice")
        last_invoice = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO invoicing_invoice ({", ".join(columns)})
            SELECT {", ".join(values)} FROM invoicing_invoice t,
              (SELECT c.id AS company_id, m,
                      row_number() OVER (ORDER BY c.id, m) AS rn,
                      (SELECT max(sequence) FROM invoicing_invoice) AS base
               FROM clients_company c, generate_series(1, %s) m WHERE c.id > %s) s
            WHERE t.id = %s""",
            [INVOICES_PER_COMPANY, after_company, model.pk],
        )
        for table, fields, key in (
            ("invoicing_invoiceline", InvoiceLine._meta.concrete_fields, "invoice_id"),
            ("invoicing_invoicedocument", InvoiceDocument._meta.concrete_fields, "invoice_id"),
        ):
            copied = [f.column for f in fields if f.column not in ("id", key)]
            cursor.execute(
                f"""INSERT INTO {table} ({key}, {", ".join(copied)})
                SELECT i.id, {", ".join(f"t.{c}" for c in copied)}
                FROM {table} t, invoicing_invoice i
                WHERE t.{key} = %s AND i.id > %s""",
                [model.pk, last_invoice],
            )


# --- requests served in this process -------------------------------------------------------


def signed_in(host: str, email: str, password: str) -> Client:
    client = Client(HTTP_HOST=host)
    response = client.post("/connexion/", {"username": email, "password": password})
    assert response.status_code == 302, response.content[:300]
    return client


def api_client(firm: Firm) -> Client:
    """A client with a key of the firm's administrator, and no rate limit in its way."""
    with tenant_context(firm):
        APISettings.objects.update_or_create(pk=1, defaults={"rate_limit_per_minute": 100_000})
        admin = User.objects.filter(firm_role=User.FirmRole.ADMIN).order_by("id").first()
        _row, secret = api_key_create(actor=admin, name="banc d'essai")
    connection.set_schema_to_public()
    return Client(HTTP_HOST=host_for(firm.slug), HTTP_AUTHORIZATION=f"Bearer {secret}")


def get_ms(client: Client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def statements(client: Client, path: str) -> list[str]:
    """The SQL one request sends, its `SET search_path` included."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200, path
    return [query["sql"] for query in captured]
