"""The payments block of the back-office invoice page: its payments and reversals, the balance,
and the forms to record a payment or reverse one (for the staff in charge of the company)."""

from __future__ import annotations

from typing import Any

from clients.rights import manages_company
from frontend.payments.forms import PaymentForm, ReverseForm
from invoicing.models import Invoice
from payments.selectors import invoice_payments


def invoice_payments_section(
    user: Any,
    invoice: Invoice,
    *,
    form: PaymentForm | None = None,
    reverse_form: ReverseForm | None = None,
    reverse_id: int | None = None,
) -> dict[str, Any]:
    """`invoice` annotated by invoices_with_status; a form given is one that failed."""
    events = invoice_payments(invoice)
    may_record = manages_company(user, invoice.company)
    rows = [
        {
            "event": event,
            "reversed": event.kind == event.Kind.PAYMENT and hasattr(event, "reversal"),
            "reverse_form": reverse_form
            if reverse_form is not None and event.pk == reverse_id
            else None,
        }
        for event in events
    ]
    return {
        "rows": rows,
        "may_record": may_record,
        "form": form or (PaymentForm.for_balance(invoice.balance_due) if may_record else None),
        "blank_reverse": ReverseForm.blank() if may_record else None,
        "reverse_id": reverse_id,
    }
