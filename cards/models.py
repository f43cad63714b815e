"""Card payments through the firm's own Stripe account: its keys, a Stripe customer per company
(with the brand, last 4 digits and expiry of the card saved there, never its number), the
Checkout sessions opened and every signed event Stripe sent, each one handled once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.models import Company
from invoicing.models import Invoice
from payments.models import PaymentEvent


class CardSettings(models.Model):
    """The firm's Stripe keys: one row (pk=1) when card payment is offered, none otherwise."""

    publishable_key = models.CharField(_("publishable key"), max_length=255)
    secret_key = models.CharField(_("secret key"), max_length=255)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=255)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("card payment settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="card_settings_one")]

    def __str__(self) -> str:
        return f"Stripe …{self.secret_key[-4:]}"


class CardCustomer(models.Model):
    """A company's customer in the firm's Stripe account and the card saved on it, as Stripe
    describes it."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="card_customer", verbose_name=_("company")
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    brand = models.CharField(_("card"), max_length=30, blank=True)
    last4 = models.CharField(_("last 4 digits"), max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    card_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("card customer")

    def __str__(self) -> str:
        return f"{self.company_id} {self.stripe_customer_id}"

    @property
    def has_card(self) -> bool:
        return bool(self.payment_method_id and self.last4)


class CheckoutSession(models.Model):
    """A Checkout session we opened: to pay an invoice, or to save a company's card."""

    class Mode(models.TextChoices):
        PAYMENT = "payment", _("payment")
        SETUP = "setup", _("card saved")

    session_id = models.CharField(max_length=255, unique=True)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.session_id


class StripeEvent(models.Model):
    """One event Stripe sent, stored once: its id is unique, so a second delivery of it finds
    the row and changes nothing. An event about a payment not yet known (a refund before the
    payment) waits here and is replayed once that payment is recorded."""

    class Status(models.TextChoices):
        DONE = "done", _("Taken into account")
        PENDING = "pending", _("Waiting for its payment")
        FAILED = "failed", _("Payment failed")
        ATTENTION = "attention", _("To check")
        IGNORED = "ignored", _("Not for this portal")

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(_("event"), max_length=100)
    occurred_at = models.DateTimeField(_("date"))
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # The PaymentIntent a pending event waits for.
    waits_for = models.CharField(max_length=255, blank=True, db_index=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        PaymentEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    payload = models.JSONField()

    class Meta:
        verbose_name = _("card processor event")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["-received_at"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} {self.status}"
