"""Invoices and credit notes (facts once issued), their numbering series, their documents in S3,
the monthly billing runs and the yearly archives clients download."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Company

# Legal retention of an invoice: 10 years after the end of the financial year it belongs to
# (Code de commerce L123-22; the firm's financial year is the calendar year).
RETENTION_YEARS = 10


def retained_until(issue_date: datetime.date) -> datetime.date:
    return datetime.date(issue_date.year + RETENTION_YEARS, 12, 31)


class Kind(models.TextChoices):
    INVOICE = "invoice", _("invoice")
    CREDIT_NOTE = "credit_note", _("credit note")


class NumberCounter(models.Model):
    """The next number of one series (kind x year). Issuing locks the row, so numbers follow
    the order of commits: no gap even when a transaction aborts (its increment aborts too)."""

    kind = models.CharField(max_length=12, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    next_value = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="number_counter_one_per_series")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.next_value}"


class BillingRun(models.Model):
    """One month's billing for all billable companies, or for one; a preview writes no invoice."""

    class Mode(models.TextChoices):
        PREVIEW = "preview", _("preview")
        ISSUE = "issue", _("issue")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("monthly schedule")
        MANUAL = "manual", _("started by hand")
        API = "api", _("started through the API")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every billable company."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    companies_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("billing run")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["period_start", "mode"])]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m} {self.mode}"


class BillingRunItem(models.Model):
    """What a run did for one company: issued, skipped (with its reason), failed, or the totals
    a preview would issue."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending")
        ISSUED = "issued", _("issued")
        ALREADY_ISSUED = "already_issued", _("already invoiced")
        PREVIEWED = "previewed", _("previewed")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="items")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    invoice = models.ForeignKey(
        "Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total_excl_vat = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    total_incl_vat = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "company"], name="billing_item_one_per_company")
        ]
        indexes = [models.Index(fields=["run", "outcome"])]

    def __str__(self) -> str:
        return f"{self.run_id} {self.company_id} {self.outcome}"


class Invoice(models.Model):
    """An issued invoice or credit note. Append-only: a database trigger refuses any UPDATE or
    DELETE (but the clearing of a deleted author or run). Amounts are exact decimals in EUR;
    credit notes carry positive amounts and the invoice they correct."""

    class Origin(models.TextChoices):
        MONTHLY = "monthly", _("monthly billing")
        MANUAL = "manual", _("issued by hand")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices)
    number = models.CharField(_("number"), max_length=20, unique=True)
    sequence = models.PositiveIntegerField()
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="invoices"
    )
    issue_date = models.DateField(_("date"))
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    currency = models.CharField(max_length=3, default="EUR")
    language = models.CharField(max_length=5, default="fr")
    total_excl_vat = models.DecimalField(_("total excl. VAT"), max_digits=14, decimal_places=2)
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    total_incl_vat = models.DecimalField(_("total incl. VAT"), max_digits=14, decimal_places=2)
    # [{"rate": "20.00", "basis": "100.00", "amount": "20.00"}], one entry per VAT rate
    vat_breakdown = models.JSONField(default=list)
    # Legal identities as they stood at issue: later edits never change an issued document.
    seller = models.JSONField()
    buyer = models.JSONField()
    payment_terms_days = models.PositiveSmallIntegerField()
    late_penalty_rate = models.DecimalField(max_digits=5, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    credited_invoice = models.ForeignKey(
        "self",
        verbose_name=_("corrected invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    billing_run = models.ForeignKey(
        BillingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-sequence"]
        constraints = [
            # Exactly once: one monthly invoice per company and period, whatever is retried.
            models.UniqueConstraint(
                fields=["company", "period_start"],
                condition=Q(kind="invoice", origin="monthly"),
                name="invoice_one_monthly_per_company_period",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credited_invoice__isnull=True)
                | Q(kind="credit_note", credited_invoice__isnull=False),
                name="invoice_credit_note_references_invoice",
            ),
            models.CheckConstraint(
                condition=Q(total_excl_vat__gte=0, total_vat__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_incl_vat=models.F("total_excl_vat") + models.F("total_vat")),
                name="invoice_total_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "-issue_date"]),
            models.Index(fields=["kind", "-issue_date"]),
            # The lists' order (latest first): a page is read off the index, not sorted.
            models.Index(fields=["-issue_date", "-id"], name="invoice_latest_first"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == Kind.CREDIT_NOTE

    @property
    def retained_until(self) -> datetime.date:
        return retained_until(self.issue_date)

    @property
    def type_code(self) -> str:
        """UNTDID 1001: 380 commercial invoice, 381 credit note."""
        return "381" if self.is_credit_note else "380"


class InvoiceLine(models.Model):
    """One line of an invoice; append-only like it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(_("description"), max_length=200)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    subscription = models.ForeignKey(
        "entitlements.Subscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    credited_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credits"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=4)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    total_excl_vat = models.DecimalField(_("total excl. VAT"), max_digits=14, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(
                condition=Q(total_excl_vat__gte=0), name="invoice_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class InvoiceDocument(models.Model):
    """The PDF (Factur-X) and its XML in S3, filled in after the invoice is committed. Once
    ready, a trigger refuses any change: the checksums are those of the stored files."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")

    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, primary_key=True, related_name="document"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    pdf_path = models.CharField(max_length=200, blank=True)
    xml_path = models.CharField(max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["status"], condition=Q(status="pending"), name="document_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.status}"


class InvoiceArchive(models.Model):
    """A calendar year of invoices (PDF and XML) in one ZIP, built by a task for one person:
    for one company or for all theirs."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoice_archives"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.year} {self.status}"

    @property
    def progress(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.files_total:
            return 0
        return int(Decimal(self.files_done * 100) / self.files_total)
