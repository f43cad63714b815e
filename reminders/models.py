"""Payment reminders (relances): the firm's schedule, each reminder sent (once per invoice and
level) and the stops the firm puts on an invoice or a whole company."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.models import Company
from invoicing.models import Invoice


class Level(models.TextChoices):
    """In the order they are sent."""

    COURTESY = "courtesy", _("courtesy reminder")
    REMINDER = "reminder", _("firm reminder")
    FORMAL_NOTICE = "formal_notice", _("formal notice")


LEVELS = tuple(Level)


class ReminderSchedule(models.Model):
    """The firm's schedule, one row (pk=1): days after the due date for each level."""

    enabled = models.BooleanField(_("send payment reminders"), default=True)
    courtesy_days = models.PositiveSmallIntegerField(_("courtesy reminder (days)"), default=7)
    reminder_days = models.PositiveSmallIntegerField(_("firm reminder (days)"), default=15)
    notice_days = models.PositiveSmallIntegerField(_("formal notice (days)"), default=30)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="reminder_schedule_single_row"),
            models.CheckConstraint(
                condition=Q(courtesy_days__gte=1, notice_days__lte=180)
                & Q(courtesy_days__lt=models.F("reminder_days"))
                & Q(reminder_days__lt=models.F("notice_days")),
                name="reminder_schedule_increasing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.courtesy_days}/{self.reminder_days}/{self.notice_days}"

    def days_of(self, level: str) -> int:
        return {
            Level.COURTESY: self.courtesy_days,
            Level.REMINDER: self.reminder_days,
            Level.FORMAL_NOTICE: self.notice_days,
        }[Level(level)]


class Reminder(models.Model):
    """One reminder sent for one invoice: what it claimed and to whom. Never sent twice."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="reminders"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    sent_on = models.DateField(_("date"))
    days_late = models.PositiveSmallIntegerField()
    balance_due = models.DecimalField(max_digits=14, decimal_places=2)
    penalties = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    indemnity = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    recipients = models.JSONField(_("recipients"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment reminder")
        verbose_name_plural = _("payment reminders")
        ordering = ["-sent_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="reminder_once_per_level")
        ]
        indexes = [models.Index(fields=["-sent_on"])]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.level}"


class ReminderStop(models.Model):
    """Reminders stopped on one invoice or on every invoice of one company, until resumed."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="reminder_stops"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_stops"
    )
    reason = models.CharField(_("reason"), max_length=200)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    stopped_at = models.DateTimeField(auto_now_add=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-stopped_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invoice__isnull=True, company__isnull=False)
                | Q(invoice__isnull=False, company__isnull=True),
                name="reminder_stop_invoice_or_company",
            ),
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(resumed_at__isnull=True, invoice__isnull=False),
                name="reminder_stop_one_active_per_invoice",
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(resumed_at__isnull=True, company__isnull=False),
                name="reminder_stop_one_active_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"stop {self.invoice_id or ''}{self.company_id or ''}"

    @property
    def active(self) -> bool:
        return self.resumed_at is None
