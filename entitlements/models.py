"""The firm's application catalogue, the subscriptions of its companies, who may use them
(django-guardian object permissions on direct foreign keys) and the append-only audit trail."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from clients.models import Company

# Company-level rights (created by migration 0002 on the Company content type). Client
# administrators hold them by role; anybody else only through an explicit grant.
COMPANY_RIGHTS = {
    "manage_accesses": "Can manage the accesses of the company",
    "view_invoices": "Can view the invoices of the company",
    "download_invoices": "Can download the invoices of the company",
}
USE_SUBSCRIPTION = "use_subscription"


def launch_secret_new() -> str:
    return secrets.token_urlsafe(48)


class Application(models.Model):
    """An item of the firm's catalogue: an application, or one of the firm's recurring fees
    (no launch URL), billed the same way."""

    class Category(models.TextChoices):
        BOOKKEEPING = "bookkeeping", _("bookkeeping")
        EXPENSE_REPORTS = "expense_reports", _("expense reports")
        BANK = "bank", _("bank")
        PAYROLL = "payroll", _("payroll")
        DOCUMENTS = "documents", _("documents")
        INVOICING = "invoicing", _("invoicing")
        FEES = "fees", _("fees")
        OTHER = "other", _("other")

    class Pricing(models.TextChoices):
        PER_COMPANY_MONTH = "per_company_month", _("per company per month")
        PER_USER_MONTH = "per_user_month", _("per user per month")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(_("icon"), max_length=50, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.OTHER
    )
    launch_url = models.URLField(_("launch URL"), blank=True)
    is_sensitive = models.BooleanField(
        _("sensitive (never granted to a collaborator by default)"), default=False
    )
    pricing = models.CharField(
        _("pricing"), max_length=20, choices=Pricing.choices, default=Pricing.PER_COMPANY_MONTH
    )
    price_excl_vat = models.DecimalField(
        _("price excl. VAT"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2, default=20)
    launch_secret = models.CharField(max_length=100, default=launch_secret_new, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_excl_vat__gte=0), name="application_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="application_vat_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """An application configured on a company ("application configurée sur le dossier")."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        ENDED = "ended", _("ended")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="subscriptions")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="subscriptions"
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    price_override = models.DecimalField(
        _("price override excl. VAT"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    seat_limit = models.PositiveIntegerField(_("seat limit"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["company_id", "application__name", "id"]
        permissions = [(USE_SUBSCRIPTION, "Can use the application")]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "application"],
                condition=~Q(status="ended"),
                name="subscription_one_open_per_company_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} / {self.company}"


class SubscriptionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Subscription, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class SubscriptionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Subscription, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class CompanyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass


class CompanyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass


class AuditEventChangeRefused(Exception):
    """The audit trail is append-only."""


class AuditEvent(models.Model):
    """Who changed a subscription or an access, when, from where. Append-only: the model
    refuses updates and deletes, and a database trigger refuses them too (only the nullable
    references may be cleared when the row they point to is deleted)."""

    class Action(models.TextChoices):
        SUBSCRIPTION_CREATED = "subscription_created", _("subscription created")
        SUBSCRIPTION_CHANGED = "subscription_changed", _("subscription changed")
        SUBSCRIPTION_ENDED = "subscription_ended", _("subscription ended")
        GRANT_CREATED = "grant_created", _("access granted")
        GRANT_REVOKED = "grant_revoked", _("access revoked")
        COMPANY_RIGHT_GRANTED = "company_right_granted", _("company right granted")
        COMPANY_RIGHT_REVOKED = "company_right_revoked", _("company right revoked")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events_done",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="audit_events")
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events_about",
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} by {self.actor_label}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditEventChangeRefused("An audit event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditEventChangeRefused("An audit event cannot be deleted.")
