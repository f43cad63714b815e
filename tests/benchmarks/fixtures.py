"""Firms filled for the load and many-firm benchmarks, and counts read across many schemas."""

from __future__ import annotations

import datetime

from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company
from entitlements.models import Subscription
from firms.services import firm_open
from tests.benchmarks.support import PREFIX
from tests.factories import siren
from tests.invoicing.factories import application, firm_profile_complete

# Statements over many schemas at once take a lock per table and index read: batches keep
# them far below max_locks_per_transaction.
SCHEMAS_PER_STATEMENT = 100


def bench_firm_open(name: str) -> str:
    """A firm as sign-up makes it (rows, schema cloned, administrator); returns its schema."""
    return firm_open(
        name=f"Cabinet {name}",
        slug=f"{PREFIX}{name}",
        siren="552100554",
        admin_email=f"admin@{name}.bench.example",
    ).firm.schema_name


def firm_fill(schema: str, companies: int) -> list[Company]:
    """The firm's identity complete, and `companies` billable companies each subscribed to two
    applications since January."""
    with schema_context(schema):
        firm_profile_complete()
        apps = (
            application(),
            application("Honoraires de tenue", price_excl_vat=180, launch_url=""),
        )
        made = Company.objects.bulk_create(
            Company(
                legal_name=f"Client {n:05d} SARL",
                siren=siren(20_000 + n),
                address_line=f"{n} avenue Jean Jaurès",
                postal_code="69007",
                city="Lyon",
                billing_email=f"compta{n}@client.example",
            )
            for n in range(companies)
        )
        Subscription.objects.bulk_create(
            Subscription(company=c, application=a, start_date=datetime.date(2026, 1, 1))
            for c in made
            for a in apps
        )
    return made


def count_across(schemas: list[str], table: str, where: str = "TRUE") -> int:
    """Rows of `table` matching `where`, summed over `schemas`, a batch of schemas a statement;
    `{schema}` in `where` stands for the schema of the row counted."""
    total = 0
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), SCHEMAS_PER_STATEMENT):
            parts = []
            for schema in schemas[start : start + SCHEMAS_PER_STATEMENT]:
                quoted = connection.ops.quote_name(schema)
                condition = where.format(schema=quoted)
                parts.append(f"SELECT count(*) AS n FROM {quoted}.{table} WHERE {condition}")
            cursor.execute(f"SELECT sum(n) FROM ({' UNION ALL '.join(parts)}) AS counts")
            total += cursor.fetchone()[0] or 0
    return int(total)
