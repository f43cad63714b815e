"""The people of a firm's portal, its client companies, who belongs to which company,
invitations, reactivation requests and the sessions people hold."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True, firm_role=User.FirmRole.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person and per firm: it lives in the firm's schema."""

    class FirmRole(models.TextChoices):
        NONE = "", _("client")
        ADMIN = "admin", _("firm administrator")
        ACCOUNTANT = "accountant", _("accountant")

    class Language(models.TextChoices):
        FR = "fr", "Français"
        EN = "en", "English"

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FR
    )
    firm_role = models.CharField(
        _("firm role"), max_length=20, choices=FirmRole.choices, default=FirmRole.NONE, blank=True
    )
    notify_invoices = models.BooleanField(_("e-mail me when an invoice is issued"), default=True)
    notify_access = models.BooleanField(
        _("e-mail me when my access to an application changes"), default=True
    )
    pending_email = models.EmailField(_("new e-mail address to confirm"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # the integrator's own key for this person (bulk upserts, imports)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_firm_staff(self) -> bool:
        return bool(self.firm_role)

    @property
    def is_firm_admin(self) -> bool:
        return self.firm_role == self.FirmRole.ADMIN


class Company(models.Model):
    """A client company of the firm (dossier client)."""

    class Status(models.TextChoices):
        TRIAL = "trial", _("trial")
        ACTIVE = "active", _("active")
        CANCELLED = "cancelled", _("cancelled")
        ARCHIVED = "archived", _("archived")

    class Billing(models.TextChoices):
        DIRECT = "direct", _("billed by the firm")
        ELSEWHERE = "elsewhere", _("billed elsewhere")

    legal_name = models.CharField(_("legal name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, unique=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=13, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=50, blank=True)
    share_capital = models.DecimalField(
        _("share capital"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60)],
        help_text=_("Empty: the firm's terms."),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    billing = models.CharField(
        _("billing"), max_length=10, choices=Billing.choices, default=Billing.DIRECT
    )
    accountant = models.ForeignKey(
        "User",
        verbose_name=_("assigned accountant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_companies",
        limit_choices_to={"firm_role__in": ["admin", "accountant"]},
    )
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name", "id"]
        # The lists' order: a page of a large firm is read off the index, not sorted.
        indexes = [models.Index(fields=["legal_name", "id"], name="company_by_name")]

    def __str__(self) -> str:
        return self.legal_name


class Membership(models.Model):
    """A person's role in one company."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("client administrator")
        COLLABORATOR = "collaborator", _("collaborator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.company} ({self.role})"


class Invitation(models.Model):
    """A person invited to one or more companies; the link is valid 7 days and used once."""

    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    companies = models.ManyToManyField(Company, related_name="invitations")
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email


class ReactivationRequest(models.Model):
    """A paying company asks its firm to reopen its cancelled account."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="reactivation_requests"
    )
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(status="pending"),
                name="one_pending_reactivation_per_company",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.status})"


class UserSession(AbstractBaseSession):
    """Django's database session, with whose it is and where it was opened from, so a person
    can see their sessions and end them (`clients.sessions` is the engine)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    last_activity = models.DateTimeField(auto_now=True)

    @classmethod
    def get_session_store_class(cls):
        from clients.sessions import SessionStore

        return SessionStore
