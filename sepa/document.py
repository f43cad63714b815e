"""The signed mandate as a PDF: its reference, the account debited, the text signed and the
evidence of the electronic signature."""

from __future__ import annotations

import io

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from invoicing.document import FONT, FONT_BOLD, _wrap
from sepa.models import Mandate

_LEFT, _TOP, _BOTTOM = 56.0, A4[1] - 60.0, 60.0
_WIDTH = A4[0] - 2 * _LEFT


def _grouped(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def mandate_pdf(mandate: Mandate) -> bytes:
    """The mandate in the language it was signed in."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    with translation.override(mandate.language):
        title, *body = mandate.text.splitlines()
        signed = timezone.localtime(mandate.signed_at)
        canvas.setTitle(f"{title} {mandate.reference}")
        canvas.setAuthor(mandate.creditor_name)
        blocks: list[tuple[str, float, str]] = [
            (FONT_BOLD, 16, title),
            (FONT, 10, ""),
            (FONT_BOLD, 11, _("Mandate reference (RUM): %(rum)s") % {"rum": mandate.reference}),
            (FONT, 10, ""),
            *[(FONT, 10, line) for line in body],
            (FONT, 10, ""),
            (FONT_BOLD, 11, _("Account to debit")),
            (FONT, 10, _("Account holder: %(name)s") % {"name": mandate.holder_name}),
            (FONT, 10, _("IBAN: %(iban)s") % {"iban": _grouped(mandate.iban)}),
            (FONT, 10, _("BIC: %(bic)s") % {"bic": mandate.bic}),
            (FONT, 10, ""),
            (FONT_BOLD, 11, _("Electronic signature")),
            (
                FONT,
                10,
                _("Signed in the portal by %(email)s on %(date)s at %(time)s (Paris time).")
                % {
                    "email": mandate.signer_email,
                    "date": date_format(signed, "SHORT_DATE_FORMAT"),
                    "time": date_format(signed, "H:i"),
                },
            ),
            (FONT, 10, _("IP address: %(ip)s") % {"ip": mandate.ip or "-"}),
            (FONT, 10, _("Consent given by ticking the consent box.")),
        ]
        if mandate.status != Mandate.Status.ACTIVE and mandate.ended_at:
            ended = timezone.localtime(mandate.ended_at)
            blocks.append(
                (
                    FONT_BOLD,
                    10,
                    _("Ended on %(date)s (%(status)s).")
                    % {
                        "date": date_format(ended, "SHORT_DATE_FORMAT"),
                        "status": mandate.get_status_display(),
                    },
                )
            )
        top = _TOP
        for font, size, text in blocks:
            for line in _wrap(text, font, size, _WIDTH) if text else [""]:
                if top < _BOTTOM:
                    canvas.showPage()
                    top = _TOP
                canvas.setFont(font, size)
                canvas.drawString(_LEFT, top, line)
                top -= size * 1.45
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
