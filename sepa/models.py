"""SEPA direct debit: the firm's creditor settings, the mandates its client companies sign, the
collection files it exports and each debit they instruct, and the pre-notifications sent."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Company
from invoicing.models import Invoice

PRENOTICE_DEFAULT = 14
PRENOTICE_MIN = 2
PRENOTICE_MAX = 30


class CreditorSettings(models.Model):
    """One row per firm schema: its SEPA creditor identifier (ICS) and how many days ahead it
    tells a company of each debit. The creditor account is the IBAN/BIC of the firm's identity."""

    creditor_id = models.CharField(_("SEPA creditor identifier (ICS)"), max_length=35, blank=True)
    prenotice_days = models.PositiveSmallIntegerField(
        _("pre-notification delay (days)"),
        default=PRENOTICE_DEFAULT,
        validators=[MinValueValidator(PRENOTICE_MIN), MaxValueValidator(PRENOTICE_MAX)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("direct-debit settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="sepa_settings_single_row"),
            models.CheckConstraint(
                condition=Q(prenotice_days__gte=PRENOTICE_MIN, prenotice_days__lte=PRENOTICE_MAX),
                name="sepa_prenotice_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.creditor_id


class Mandate(models.Model):
    """A SEPA core mandate signed in the portal by a client administrator: what the debtor
    agreed to (`text`, in `language`) and the evidence of it (when, from where, by whom)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        REVOKED = "revoked", _("revoked")
        REPLACED = "replaced", _("replaced")
        LAPSED = "lapsed", _("lapsed")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="mandates"
    )
    reference = models.CharField(_("mandate reference (RUM)"), max_length=35, unique=True)
    sequence = models.PositiveIntegerField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    holder_name = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11)
    creditor_id = models.CharField(_("SEPA creditor identifier (ICS)"), max_length=35)
    creditor_name = models.CharField(max_length=200)
    text = models.TextField(_("text signed"))
    language = models.CharField(_("language"), max_length=2)
    signed_at = models.DateTimeField(_("signed on"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    signer_email = models.EmailField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    last_debit = models.DateField(_("last debit"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended on"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(status="active"),
                name="sepa_one_active_mandate_per_company",
            ),
            models.UniqueConstraint(
                fields=["company", "sequence"], name="sepa_mandate_sequence_per_company"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def iban_masked(self) -> str:
        return mask_iban(self.iban)


def mask_iban(iban: str) -> str:
    """Only the last four characters show: `•••• •••• 0189`."""
    if not iban:
        return ""
    return "•••• " + iban[-4:]


class Collection(models.Model):
    """One pain.008 file exported by the firm, stored in S3."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    due_by = models.DateField(_("invoices due by"))
    message_id = models.CharField(max_length=35)
    file_path = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    count = models.PositiveIntegerField(_("debits"))

    class Meta:
        verbose_name = _("collection")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message_id


class Instruction(models.Model):
    """One debit of a collection: an invoice's balance taken under a mandate on a date. It
    becomes a payment once its date has come."""

    class Sequence(models.TextChoices):
        FIRST = "FRST", _("first debit")
        RECURRENT = "RCUR", _("recurrent debit")

    class Status(models.TextChoices):
        PENDING = "pending", _("to be debited")
        COLLECTED = "collected", _("debited")
        FAILED = "failed", _("not recorded")

    collection = models.ForeignKey(
        Collection, on_delete=models.PROTECT, related_name="instructions"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="+"
    )
    mandate = models.ForeignKey(
        Mandate, verbose_name=_("mandate"), on_delete=models.PROTECT, related_name="instructions"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    collection_date = models.DateField(_("debit date"))
    sequence_type = models.CharField(max_length=4, choices=Sequence.choices)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment = models.OneToOneField(
        "payments.PaymentEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sepa_instruction",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["collection_date", "id"]
        constraints = [
            # An invoice is in at most one collection still to be debited.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="pending"),
                name="sepa_one_pending_debit_per_invoice",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="sepa_instruction_positive"),
        ]
        indexes = [models.Index(fields=["status", "collection_date"])]

    def __str__(self) -> str:
        return self.end_to_end_id


class PreNotification(models.Model):
    """The e-mail telling a company of a coming debit: once per invoice and debit date."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    debit_date = models.DateField()
    instruction = models.ForeignKey(
        Instruction, on_delete=models.PROTECT, related_name="prenotifications"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "debit_date"], name="sepa_prenotify_once_per_debit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.debit_date}"
