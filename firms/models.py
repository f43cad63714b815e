"""The firm's legal identity, inside its own schema: the issuer of its invoices."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class FirmProfile(models.Model):
    """One row per firm schema."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9)
    vat_number = models.CharField(_("VAT number"), max_length=13, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=50, blank=True)
    share_capital = models.DecimalField(
        _("share capital"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    rcs_city = models.CharField(
        _("RCS registry city"), max_length=100, blank=True, help_text=_("RCS Paris: Paris")
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(60)]
    )
    late_penalty_rate = models.DecimalField(
        _("late-payment penalty rate (% a year)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("12.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    logo_path = models.CharField(_("logo"), max_length=200, blank=True)
    primary_colour = models.CharField(_("main colour"), max_length=7, default="#1d4ed8")
    require_2fa = models.BooleanField(
        _("require two-factor authentication for staff and client administrators"),
        default=False,
    )

    class Meta:
        verbose_name = _("firm identity")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="firm_profile_single_row")
        ]

    def __str__(self) -> str:
        return self.legal_name
