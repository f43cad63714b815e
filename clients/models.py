"""The people of a firm's portal, its client companies, and who belongs to which company."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
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
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

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
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    billing = models.CharField(
        _("billing"), max_length=10, choices=Billing.choices, default=Billing.DIRECT
    )
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["legal_name", "id"]

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
