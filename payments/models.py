"""What happened to an invoice's money: payments received and payments reversed, each one a
recorded fact. An invoice's status (issued, partially paid, paid, overdue, credited, reversed)
is read from them and from its credit notes (payments.selectors), never written on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from invoicing.models import Invoice


class Means(models.TextChoices):
    TRANSFER = "transfer", _("bank transfer")
    DIRECT_DEBIT = "direct_debit", _("direct debit")
    CARD = "card", _("card")
    CHEQUE = "cheque", _("cheque")
    CASH = "cash", _("cash")
    OTHER = "other", _("other")


class Source(models.TextChoices):
    """Who recorded the event: a person in the back-office, an API key, a bank statement, a
    direct-debit collection or the card processor."""

    MANUAL = "manual", _("recorded by hand")
    API = "api", _("API")
    BANK = "bank", _("bank statement")
    DIRECT_DEBIT = "direct_debit", _("direct-debit collection")
    CARD = "card", _("card processor")


class PaymentEvent(models.Model):
    """One payment received (a positive amount) or the reversal of one (its negative, e.g. a
    direct debit returned by the bank). Append-only: a database trigger refuses any UPDATE or
    DELETE but the clearing of a deleted author. `external_id` is the source's own identifier
    (a bank entry, a card payment): the same one is never recorded twice."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REVERSAL = "reversal", _("reversal")

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="payment_events",
    )
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    date = models.DateField(_("date"))
    means = models.CharField(_("means of payment"), max_length=12, choices=Means.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    payer = models.CharField(_("payer"), max_length=140, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reversed payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="payment_event_once_per_source_id",
            ),
            models.CheckConstraint(
                condition=Q(kind="payment", amount__gt=0, reverses__isnull=True)
                | Q(kind="reversal", amount__lt=0, reverses__isnull=False),
                name="payment_event_sign_follows_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "date"]),
            models.Index(fields=["-date"]),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.kind} {self.amount}"


class PaymentStatus(models.TextChoices):
    """Where an invoice stands, read from its payments and credit notes (never stored)."""

    ISSUED = "issued", _("To pay")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    CREDITED = "credited", _("Credited")
    REVERSED = "reversed", _("Payment returned")


# A filter value, not a status: every invoice with something left to pay.
OPEN = "open"
OPEN_STATUSES = (
    PaymentStatus.ISSUED,
    PaymentStatus.PARTIALLY_PAID,
    PaymentStatus.OVERDUE,
    PaymentStatus.REVERSED,
)


def status_filter_choices() -> list[tuple[str, str]]:
    return [(OPEN, _("Not fully paid")), *PaymentStatus.choices]
