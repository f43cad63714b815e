"""The end of a firm: closing its portal (nothing deleted), then, once no invoice of it is
still under its legal retention, deleting its schema, its files and its row."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import tenant_context

from tenants.errors import DomainError, NotFound
from tenants.export import prefix_of, prefix_remove
from tenants.models import Domain, Firm
from tenants.routing import firm_hosts_forget


def _firm(slug: str, *, lock: bool = False) -> Firm:
    firms = Firm.objects.select_for_update() if lock else Firm.objects
    try:
        return firms.exclude(schema_name="public").get(slug=slug)
    except Firm.DoesNotExist:
        raise NotFound(_("No firm has this address."), field="slug") from None


@transaction.atomic
def firm_close(*, slug: str) -> Firm:
    """Its hosts answer "closed" from now on; every row and file stays."""
    firm = _firm(slug, lock=True)
    if firm.status != Firm.Status.CLOSED:
        firm.status = Firm.Status.CLOSED
        firm.save(update_fields=["status"])
        firm_hosts_forget(firm)
    return firm


def firm_retained_until(firm: Firm) -> datetime.date | None:
    """The last day an invoice of `firm` must still be kept, or None without invoices."""
    from invoicing.models import Invoice, retained_until

    with tenant_context(firm):
        latest = Invoice.objects.order_by("-issue_date").values_list("issue_date", flat=True)
        issued = latest.first()
    connection.set_schema_to_public()
    return retained_until(issued) if issued else None


def firm_delete(*, slug: str, today: datetime.date | None = None) -> str:
    """Drop the schema, remove the files and the firm. Refused while the firm is open or one
    of its invoices is still within its retention. Returns the firm's name. Safe to run again
    after a failure: the files go first, then the rows in one transaction."""
    firm = _firm(slug)
    if firm.status != Firm.Status.CLOSED:
        raise DomainError(_("Close the firm before deleting it."), field="slug", code="not_closed")
    today = today or timezone.localdate()
    until = firm_retained_until(firm)
    if until is not None and until >= today:
        raise DomainError(
            _("Its invoices must be kept until %(date)s: the firm cannot be deleted before.")
            % {"date": date_format(until, "SHORT_DATE_FORMAT")},
            field="slug",
            code="retained",
        )
    prefix_remove(prefix_of(firm.schema_name))
    with transaction.atomic():
        firm = _firm(slug, lock=True)
        with connection.cursor() as cursor:
            # A table with deferred foreign key checks still pending cannot be dropped.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(firm.schema_name)} CASCADE"
            )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        firm_hosts_forget(firm)
        Domain.objects.filter(tenant=firm).delete()
        name = firm.name
        firm.delete()
    return name


CLOSED_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{message}</p></main></body></html>
"""


def closed_response(request: HttpRequest, firm: Firm) -> HttpResponse:
    """What a closed firm's host answers: 410, a page for people, JSON for the API."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        title = gettext("This portal is closed")
        message = gettext(
            "%(firm)s no longer offers this client portal. Contact the firm directly."
        ) % {"firm": firm.name}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": title, "code": "firm_closed"}, status=410)
        page = format_html(CLOSED_PAGE, lang=language, title=title, message=message)
    return HttpResponse(page, status=410)
