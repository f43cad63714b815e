"""Recording what an invoice's money did: a payment received, a payment returned.

Every writer goes through here: the back-office and the API (a person or a key in charge of the
company), bank statements, direct-debit collections and the card processor (trusted sources,
`actor=None`). Each write locks the invoice row, so two sources crediting the same invoice at
once can never pay it twice over.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clients.rights import manages_company
from invoicing.models import Invoice
from invoicing.pricing import money
from invoicing.selectors import invoices_with_status
from payments.models import Means, PaymentEvent, Source
from tenants.errors import DomainError, NotFound, PermissionDenied
from webhooks import events

PEOPLE_SOURCES = (Source.MANUAL, Source.API)


def _amount_clean(value: Any) -> Decimal:
    try:
        amount = Decimal(
            str(value).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
        )
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount such as 120.50."), field="amount") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("Enter an amount with at most two decimals."), field="amount")
    if amount <= 0:
        raise DomainError(_("The amount must be greater than zero."), field="amount")
    return money(amount)


def _date_clean(value: Any) -> datetime.date:
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise DomainError(_("Enter a date such as 2026-03-31."), field="date") from None
    if not isinstance(value, datetime.date):
        raise DomainError(_("Enter a date such as 2026-03-31."), field="date")
    if value > timezone.localdate():
        raise DomainError(_("A payment cannot be dated in the future."), field="date")
    return value


def _locked(invoice: Invoice | int) -> Invoice:
    """The invoice with its balance, its row locked until the end of the transaction."""
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    try:
        invoices = invoices_with_status(Invoice.objects.filter(pk=pk).select_related("company"))
        return invoices.select_for_update(of=("self",)).get()
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _euros(amount: Decimal) -> str:
    return f"{number_format(amount, 2, force_grouping=True)} €"


def _payment_data(event: PaymentEvent, invoice: Invoice) -> dict[str, Any]:
    return {
        "id": event.pk,
        "invoice": invoice.pk,
        "invoice_number": invoice.number,
        "company": invoice.company_id,
        "kind": event.kind,
        "amount": event.amount,
        "date": event.date,
        "means": event.means,
        "source": event.source,
        "reference": event.reference,
    }


def payment_record(
    *,
    actor: Any,
    invoice: Invoice | int,
    amount: Any,
    date: Any,
    means: str,
    source: str = Source.MANUAL,
    reference: str = "",
    payer: str = "",
    external_id: str = "",
) -> PaymentEvent:
    """Record a payment received on `invoice`. A person or an API key must be in charge of the
    company; other sources are trusted callers. The same (source, external id) recorded twice
    returns the first record and changes nothing. Refused: a credit note, an amount above what
    is left to pay, a date in the future."""
    if means not in Means.values:
        raise DomainError(_("Choose a means of payment from the list."), field="means")
    if source not in Source.values:
        raise DomainError(_("Unknown source."), field="source")
    amount = _amount_clean(amount)
    date = _date_clean(date)
    external_id = str(external_id or "").strip()[:100]
    with transaction.atomic():
        locked = _locked(invoice)
        if source in PEOPLE_SOURCES and not manages_company(actor, locked.company):
            raise PermissionDenied(_("Only the firm's staff in charge may record a payment."))
        if external_id:
            earlier = PaymentEvent.objects.filter(source=source, external_id=external_id).first()
            if earlier is not None:
                return earlier
        if locked.is_credit_note:
            raise DomainError(_("A credit note is not paid: choose an invoice."), field="invoice")
        if amount > locked.balance_due:
            if locked.balance_due <= 0:
                message = _("Invoice %(number)s has nothing left to pay.") % {
                    "number": locked.number
                }
            else:
                message = _("Only %(amount)s is left to pay on invoice %(number)s.") % {
                    "amount": _euros(locked.balance_due),
                    "number": locked.number,
                }
            raise DomainError(message, field="amount")
        row = PaymentEvent(
            invoice_id=locked.pk,
            kind=PaymentEvent.Kind.PAYMENT,
            amount=amount,
            date=date,
            means=means,
            source=source,
            reference=str(reference or "").strip()[:140],
            payer=str(payer or "").strip()[:140],
            external_id=external_id,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        if not external_id:
            row.save()
        else:
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                # Another transaction recorded the same external id between check and insert.
                return PaymentEvent.objects.get(source=source, external_id=external_id)
        event = row
        events.emit("payment.received", _payment_data(event, locked))
        if amount == locked.balance_due:
            events.emit(
                "invoice.paid",
                {
                    "id": locked.pk,
                    "number": locked.number,
                    "company": locked.company_id,
                    "paid_on": date,
                },
            )
    return event


def payment_reverse(
    *,
    actor: Any,
    payment: PaymentEvent | int,
    date: Any,
    reason: str,
    source: str = Source.MANUAL,
    external_id: str = "",
) -> PaymentEvent:
    """Record that a payment came back (a direct debit returned by the bank, a card payment
    disputed, a payment recorded by mistake): its negative, pointing at it. A payment is
    reversed at most once; reversing it again returns the first reversal."""
    if source not in Source.values:
        raise DomainError(_("Unknown source."), field="source")
    date = _date_clean(date)
    pk = payment.pk if isinstance(payment, PaymentEvent) else payment
    with transaction.atomic():
        try:
            original = PaymentEvent.objects.select_related("invoice__company").get(pk=pk)
        except (PaymentEvent.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None
        locked = _locked(original.invoice_id)
        if source in PEOPLE_SOURCES and not manages_company(actor, locked.company):
            raise PermissionDenied(_("Only the firm's staff in charge may reverse a payment."))
        if original.kind != PaymentEvent.Kind.PAYMENT:
            raise DomainError(_("Only a payment can be reversed."), field="payment")
        earlier = PaymentEvent.objects.filter(reverses=original).first()
        if earlier is not None:
            return earlier
        if date < original.date:
            raise DomainError(_("A payment cannot come back before it was made."), field="date")
        event = PaymentEvent.objects.create(
            invoice_id=original.invoice_id,
            kind=PaymentEvent.Kind.REVERSAL,
            amount=-original.amount,
            date=date,
            means=original.means,
            source=source,
            reference=original.reference,
            payer=original.payer,
            external_id=str(external_id or "").strip()[:100],
            reverses=original,
            reason=str(reason or "").strip()[:200],
            recorded_by=actor if getattr(actor, "pk", None) else None,  # an API key: none
        )
        if original.means == Means.DIRECT_DEBIT:
            events.emit("payment.failed", _payment_data(event, locked))
    return event
