"""French identifiers, checked with python-stdnum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number
from stdnum.fr import tva


def siren_clean(value: str) -> str:
    try:
        return siren_number.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Enter a valid SIREN: 9 digits with a correct check digit."), code="siren"
        ) from None


def siret_clean(value: str, *, siren: str | None = None) -> str:
    try:
        siret = siret_number.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Enter a valid SIRET: 14 digits with a correct check digit."), code="siret"
        ) from None
    if siren and siret[:9] != siren:
        raise ValidationError(_("The SIRET must start with the company's SIREN."), code="siret")
    return siret


def vat_clean(value: str, *, siren: str | None = None) -> str:
    """A French intra-community VAT number whose key matches `siren` when one is given."""
    try:
        vat = tva.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Enter a valid French VAT number, such as FR40303265045."), code="vat"
        ) from None
    vat = "FR" + vat if not vat.startswith("FR") else vat
    if siren and vat[4:] != siren:
        raise ValidationError(
            _("This VAT number does not belong to SIREN %(siren)s."),
            code="vat_siren",
            params={"siren": siren},
        )
    return vat


def vat_for(siren: str) -> str:
    """The French VAT number of a SIREN (key = (12 + 3 x (SIREN mod 97)) mod 97)."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
