"""Provisioning: a firm's schema is cloned from the migrated template schema, in one transaction
with its `Firm` and `Domain` rows, so a failure anywhere leaves nothing behind."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_exists, tenant_context

from tenants.clone import clone_schema
from tenants.errors import DomainError
from tenants.models import Domain, Firm
from tenants.routing import hosts_forget

T = TypeVar("T")

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def schema_for(slug: str) -> str:
    return "firm_" + slug.replace("-", "_")


def host_for(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def firm_url(firm: Firm, path: str = "/") -> str:
    scheme = "https" if settings.HTTPS else "http"
    port = f":{settings.PORTAL_PORT}" if settings.PORTAL_PORT else ""
    return f"{scheme}://{host_for(firm.slug)}{port}{path}"


def slug_check(slug: str) -> str:
    """The normalised slug, or a DomainError on the `slug` field."""
    slug = slug.strip().lower()
    if not SLUG.match(slug) or "--" in slug:
        raise DomainError(
            _(
                "Use 1 to 40 lowercase letters, digits or hyphens, starting and ending "
                "with a letter or a digit."
            ),
            field="slug",
        )
    if slug in settings.RESERVED_SLUGS:
        raise DomainError(_("This address is reserved, choose another one."), field="slug")
    if Firm.objects.filter(slug=slug).exists() or schema_exists(schema_for(slug)):
        raise DomainError(_("This address is already taken."), field="slug", code="taken")
    return slug


def firm_provision(
    *, name: str, slug: str, siren: str, populate: Callable[[Firm], T]
) -> tuple[Firm, T]:
    """Create the firm, its domain and its schema, then run `populate` inside that schema.

    Everything happens in one transaction: PostgreSQL's DDL is transactional, so an error
    in `populate` drops the schema along with the rows.
    """
    slug = slug_check(slug)
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        raise RuntimeError(f"The template schema {template!r} is missing: run `portal migrate`.")
    with transaction.atomic():
        firm = Firm.objects.create(
            schema_name=schema_for(slug), name=name.strip(), slug=slug, siren=siren
        )
        Domain.objects.create(domain=host_for(slug), tenant=firm, is_primary=True)
        # A firm of the same address may have been deleted, and its row still be cached.
        hosts_forget([host_for(slug)])
        clone_schema(template, firm.schema_name)
        with tenant_context(firm):
            populated = populate(firm)
    connection.set_schema_to_public()
    return firm, populated
