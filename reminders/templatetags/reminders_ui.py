"""Template tags of the reminder blocks that other pages include."""

from __future__ import annotations

from typing import Any

from django import template

from reminders.selectors import invoice_reminder_log

register = template.Library()


@register.simple_tag
def reminder_log(invoice: Any) -> dict[str, Any]:
    """Reminders sent and stops of an invoice (Cabinet > Factures > invoice)."""
    return invoice_reminder_log(invoice)
