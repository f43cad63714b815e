"""A statement of account as CSV (semicolon, UTF-8 BOM, for French spreadsheets) and as an A4
PDF headed with the firm's identity. Pure functions over a `payments.selectors.Statement`;
labels follow the active language."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import IO, Any

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from invoicing.document import FONT, FONT_BOLD, _safe, format_amount, format_date
from payments.selectors import Statement

BOM = "\ufeff"
_PAGE_W, _PAGE_H = A4
_LEFT, _RIGHT = 42.0, _PAGE_W - 42.0
_TOP, _BOTTOM = _PAGE_H - 40.0, 60.0
_ROW = 14.0
_INK = (0.12, 0.14, 0.18)
_MUTED = (0.42, 0.45, 0.50)
_ACCENT = (0.11, 0.23, 0.40)
_RULE = (0.85, 0.87, 0.90)


def kind_label(kind: str) -> str:
    return {
        "invoice": _("Invoice"),
        "credit_note": _("Credit note"),
        "payment": _("Payment"),
        "reversal": _("Payment returned"),
    }.get(kind, kind)


def aging_labels() -> dict[str, str]:
    return {
        "not_due": _("Not yet due"),
        "0_30": _("1 to 30 days late"),
        "31_60": _("31 to 60 days late"),
        "61_90": _("61 to 90 days late"),
        "90_plus": _("Over 90 days late"),
    }


def _number(value: Decimal, language: str) -> str:
    text = f"{value:.2f}"
    return text if language == "en" else text.replace(".", ",")


def statement_csv_write(statement: Statement, out: IO[str]) -> None:
    """One row per line: date;type;number;reference;due date;debit;credit;balance. Amounts
    with a decimal comma in French, a point in English; dates ISO."""
    language = (translation.get_language() or "fr")[:2]
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Date"),
            _("Type"),
            _("Number"),
            _("Reference"),
            _("Due date"),
            _("Debit"),
            _("Credit"),
            _("Balance"),
        ]
    )
    for line in statement.lines:
        writer.writerow(
            [
                line.date.isoformat(),
                kind_label(line.kind),
                line.number,
                line.reference,
                line.due_date.isoformat() if line.due_date else "",
                _number(line.debit, language) if line.debit else "",
                _number(line.credit, language) if line.credit else "",
                _number(line.balance, language),
            ]
        )


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    statement_csv_write(statement, out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------

# (label, right edge or left x, right-aligned)
_COLUMNS = (
    (lambda: _("Date"), _LEFT, False),
    (lambda: _("Document"), _LEFT + 58, False),
    (lambda: _("Reference"), _LEFT + 178, False),
    (lambda: _("Due date"), _LEFT + 272, False),
    (lambda: _("Debit"), _LEFT + 382, True),
    (lambda: _("Credit"), _LEFT + 446, True),
    (lambda: _("Balance"), _RIGHT, True),
)


class _Pdf:
    def __init__(self, statement: Statement, firm: Any, language: str):
        self.statement, self.firm, self.language = statement, firm, language
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        title = _("Statement of account")
        self.canvas.setTitle(f"{title} · {statement.company.legal_name}")
        self.canvas.setAuthor(firm.legal_name)
        self.canvas.setCreator("Comptoir")
        self.page = 1
        self.y = _TOP

    def text(self, x, y, value, *, size=9.0, bold=False, colour=_INK, right=False) -> None:
        c = self.canvas
        c.setFillColorRGB(*colour)
        c.setFont(FONT_BOLD if bold else FONT, size)
        (c.drawRightString if right else c.drawString)(x, y, _safe(str(value)))

    def money(self, value: Decimal) -> str:
        return format_amount(value, "EUR", self.language)

    def date(self, value) -> str:
        return format_date(value, self.language)

    def rule(self, y: float) -> None:
        self.canvas.setStrokeColorRGB(*_RULE)
        self.canvas.setLineWidth(0.5)
        self.canvas.line(_LEFT, y, _RIGHT, y)

    def header(self) -> None:
        firm, company = self.firm, self.statement.company
        self.text(_LEFT, self.y - 14, firm.legal_name, size=13, bold=True, colour=_ACCENT)
        town = " ".join(filter(None, [firm.postal_code, firm.city]))
        details = [
            ", ".join(filter(None, [firm.address_line, town])),
            " · ".join(
                filter(
                    None,
                    [
                        f"SIREN {firm.siren}" if firm.siren else "",
                        firm.vat_number,
                        firm.email,
                        firm.phone,
                    ],
                )
            ),
        ]
        y = self.y - 28
        for line in filter(None, details):
            self.text(_LEFT, y, line, size=8, colour=_MUTED)
            y -= 11
        self.text(_RIGHT, self.y - 16, _("Statement of account"), size=17, bold=True, right=True)
        self.text(
            _RIGHT,
            self.y - 32,
            _("As of %(date)s") % {"date": self.date(self.statement.until)},
            size=9,
            right=True,
        )
        y = min(y, self.y - 40) - 18
        self.text(_LEFT, y, company.legal_name, size=11, bold=True)
        y -= 13
        address = [
            company.address_line,
            " ".join(filter(None, [company.postal_code, company.city])),
            f"SIREN {company.siren}" if company.siren else "",
        ]
        for line in filter(None, address):
            self.text(_LEFT, y, line, size=9)
            y -= 12
        self.y = y - 14

    def table_header(self) -> None:
        for label, x, right in _COLUMNS:
            self.text(x, self.y - 9, label(), size=8, bold=True, colour=_MUTED, right=right)
        self.y -= 14
        self.rule(self.y)
        self.y -= 2

    def new_page(self) -> None:
        self.footer()
        self.canvas.showPage()
        self.page += 1
        self.y = _TOP
        self.text(_LEFT, self.y - 10, self.statement.company.legal_name, size=9, bold=True)
        self.text(_RIGHT, self.y - 10, _("Statement of account"), size=9, right=True)
        self.y -= 26
        self.table_header()

    def room(self, height: float) -> None:
        if self.y - height < _BOTTOM:
            self.new_page()

    def row(self, line) -> None:
        self.room(_ROW)
        y = self.y - 10
        reference = line.reference[:18]
        values = (
            self.date(line.date),
            f"{kind_label(line.kind)} {line.number}",
            reference,
            self.date(line.due_date) if line.due_date else "",
            self.money(line.debit) if line.debit else "",
            self.money(line.credit) if line.credit else "",
            self.money(line.balance),
        )
        for (_label, x, right), value in zip(_COLUMNS, values, strict=True):
            self.text(x, y, value, size=8, right=right)
        self.y -= _ROW

    def totals(self) -> None:
        statement = self.statement
        self.room(_ROW * 3)
        self.rule(self.y)
        y = self.y - 11
        self.text(_LEFT, y, _("Totals"), size=8.5, bold=True)
        self.text(_COLUMNS[4][1], y, self.money(statement.total_debit), size=8.5, right=True)
        self.text(_COLUMNS[5][1], y, self.money(statement.total_credit), size=8.5, right=True)
        self.y -= 22
        label = _("Balance due") if statement.balance >= 0 else _("Balance in your favour")
        self.text(_COLUMNS[4][1], self.y - 4, label, size=10, bold=True, right=True)
        self.text(
            _RIGHT, self.y - 4, self.money(abs(statement.balance)), size=10, bold=True, right=True
        )
        self.y -= 26

    def aging(self) -> None:
        self.room(_ROW * 8)
        self.text(_LEFT, self.y - 10, _("What is left to pay, by lateness"), size=10, bold=True)
        self.y -= 18
        for key, label in aging_labels().items():
            self.text(_LEFT, self.y - 10, label, size=8.5)
            self.text(
                _LEFT + 260,
                self.y - 10,
                self.money(self.statement.aging[key]),
                size=8.5,
                right=True,
            )
            self.y -= _ROW

    def footer(self) -> None:
        self.rule(48)
        firm = self.firm
        if firm.iban:
            self.text(
                _LEFT,
                36,
                f"IBAN {firm.iban}" + (f" · BIC {firm.bic}" if firm.bic else ""),
                size=7.5,
                colour=_MUTED,
            )
        self.text(
            _RIGHT,
            36,
            _("Page %(page)s") % {"page": self.page},
            size=7.5,
            colour=_MUTED,
            right=True,
        )

    def build(self) -> bytes:
        self.header()
        self.table_header()
        if not self.statement.lines:
            self.text(
                _LEFT, self.y - 12, _("Nothing on this statement yet."), size=9, colour=_MUTED
            )
            self.y -= 24
        for line in self.statement.lines:
            self.row(line)
        self.totals()
        self.aging()
        self.footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def statement_pdf(statement: Statement, firm: Any) -> bytes:
    """The statement on A4 pages: the firm's identity and the company on top, the lines with
    the running balance, the totals, what is left to pay by lateness; IBAN in the footer."""
    language = (translation.get_language() or "fr")[:2]
    return _Pdf(statement, firm, language).build()
