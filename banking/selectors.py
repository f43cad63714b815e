"""Reads of the bank statements and their entries that pages, the API and tests share.
Bank statements are the firm's own account: firm administrators and API keys see them, nobody
else (missing and not yours both raise NotFound)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from banking.models import BankEntry, BankStatement
from clients.rights import is_firm_wide
from invoicing.models import Invoice, Kind
from invoicing.selectors import invoices_with_status
from payments.models import OPEN_STATUSES, Means, PaymentEvent
from tenants.errors import NotFound

Status = BankEntry.Status


def statements_visible_to(actor: Any) -> QuerySet[BankStatement]:
    if not is_firm_wide(actor):
        return BankStatement.objects.none()
    return BankStatement.objects.all()


def statements_counted(statements: QuerySet[BankStatement]) -> QuerySet[BankStatement]:
    """Each statement with its entries counted per status, in the list's one query."""
    return (
        statements.annotate(
            **{
                f"n_{status}": Count("entries", filter=Q(entries__status=status))
                for status in Status.values
            }
        )
        .select_related("imported_by")
        .order_by("-created_at", "-id")
    )


def counts_of(statement: BankStatement) -> dict[str, int]:
    """Entries per outcome; those still being reconciled are `pending_of`."""
    return {
        status: getattr(statement, f"n_{status}", 0)
        for status in Status.values
        if status != Status.PENDING
    }


def pending_of(statement: BankStatement) -> int:
    return getattr(statement, f"n_{Status.PENDING}", 0)


def progress_of(statement: BankStatement) -> dict[str, Any]:
    """How far the automatic reconciliation of a counted statement has gone."""
    pending = pending_of(statement)
    new = statement.entries_total - statement.entries_known
    settled = max(new - pending, 0)
    return {
        "status": "pending" if pending else "done",
        "pending": pending,
        "settled": settled,
        "new": new,
        "percent": int(100 * settled / new) if new else 100,
    }


def access_statement(actor: Any, statement_id: Any) -> BankStatement:
    try:
        return statements_counted(statements_visible_to(actor)).get(pk=int(statement_id))
    except (BankStatement.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def entries_visible_to(actor: Any) -> QuerySet[BankEntry]:
    if not is_firm_wide(actor):
        return BankEntry.objects.none()
    return BankEntry.objects.select_related("invoice", "payment", "statement")


def access_entry(actor: Any, entry_id: Any) -> BankEntry:
    try:
        return entries_visible_to(actor).get(pk=int(entry_id))
    except (BankEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def entries_to_review(actor: Any) -> QuerySet[BankEntry]:
    return entries_visible_to(actor).filter(status=Status.TO_REVIEW).order_by("booking_date", "id")


def invoices_to_match(
    actor: Any, *, text: str = "", amount: Decimal | None = None, limit: int = 20
) -> list[Invoice]:
    """Invoices a firm administrator may match an entry to, by number or company name, else
    by amount: for a credit, open invoices (balance due equal to it); for a returned direct
    debit (a negative amount), invoices with a collection of that amount not yet returned."""
    if not is_firm_wide(actor):
        return []
    invoices = invoices_with_status(
        Invoice.objects.filter(kind=Kind.INVOICE).select_related("company")
    )
    returned = amount is not None and amount < 0
    if returned:
        collected = PaymentEvent.objects.filter(
            invoice=OuterRef("pk"),
            means=Means.DIRECT_DEBIT,
            kind=PaymentEvent.Kind.PAYMENT,
            amount=-amount,
            reversal__isnull=True,
        )
        invoices = invoices.filter(Exists(collected))
    else:
        invoices = invoices.filter(payment_status__in=OPEN_STATUSES)
    text = " ".join(str(text or "").split())
    if text:
        invoices = invoices.filter(
            Q(number__icontains=text) | Q(company__legal_name__icontains=text)
        )
    elif amount is not None and not returned:
        invoices = invoices.filter(balance_due=amount)
    elif amount is None:
        return []
    return list(invoices.order_by("due_date", "id")[:limit])
