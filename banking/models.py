"""The firm's bank statements (CAMT.053 or CSV), their entries, and what each entry became: a
payment on an invoice, the reversal of a returned direct debit, or a line to review by hand."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from invoicing.models import Invoice
from payments.models import PaymentEvent


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", _("CAMT.053 (XML)")
    CSV = "csv", _("CSV")


class BankStatement(models.Model):
    """One imported file. The same file (same sha256) is imported once."""

    format = models.CharField(_("format"), max_length=8, choices=StatementFormat.choices)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)
    account_iban = models.CharField(_("account IBAN"), max_length=34, blank=True)
    bank_id = models.CharField(_("statement id"), max_length=100, blank=True)
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    entries_total = models.PositiveIntegerField(_("entries in the file"), default=0)
    entries_known = models.PositiveIntegerField(_("entries already imported"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("imported on"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name or self.sha256[:12]


class BankEntry(models.Model):
    """One booked movement on the account. `key` is stable across files (the bank's own
    reference, else a hash of its fields), so an entry in two overlapping statements counts
    once: it belongs to the first statement that brought it. It is stored `pending` and the
    automatic reconciliation gives it its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being reconciled")
        MATCHED = "matched", _("Matched")
        REVERSED = "reversed", _("Direct debit returned")
        TO_REVIEW = "to_review", _("To review")
        IGNORED = "ignored", _("Set aside")

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=64, unique=True)
    line = models.PositiveIntegerField(_("line in the file"), default=0)
    booking_date = models.DateField(_("date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    counterparty = models.CharField(_("counterparty"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    bank_code = models.CharField(_("bank transaction code"), max_length=40, blank=True)
    return_code = models.CharField(_("return code"), max_length=8, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TO_REVIEW
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.OneToOneField(
        PaymentEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_entry"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank entry")
        verbose_name_plural = _("bank entries")
        ordering = ["booking_date", "id"]
        indexes = [
            models.Index(fields=["status", "booking_date"]),
            models.Index(fields=["counterparty_iban"]),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.counterparty}"

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    @property
    def magnitude(self):
        """The amount without its sign, for display next to a − or a +."""
        return abs(self.amount)


class CsvMapping(models.Model):
    """The last CSV column mapping used, offered again on the next import."""

    name = models.CharField(max_length=40, unique=True, default="default")
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
