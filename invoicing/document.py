"""The invoice document: its EN 16931 CII XML (Factur-X) and the PDF/A-3 that carries it.

Everything but `document_data()` is pure and Django-free, so it can run from any process."""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import facturx
from lxml import etree
from PIL import Image, ImageCms
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont
from reportlab.pdfgen.canvas import Canvas

if TYPE_CHECKING:
    from invoicing.models import Invoice

INVOICE = "380"
CREDIT_NOTE = "381"
RECOVERY_INDEMNITY = Decimal("40")  # Code de commerce, art. L441-10 and D441-5
XML_FILENAME = "factur-x.xml"


@dataclass(frozen=True)
class LineData:
    label: str
    detail: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    total_excl_vat: Decimal
    vat_amount: Decimal


@dataclass(frozen=True)
class DocumentData:
    type_code: str  # "380" invoice, "381" credit note
    number: str
    issue_date: date
    due_date: date
    period_start: date | None
    period_end: date | None
    currency: str
    language: str  # "fr" or "en"
    seller: dict
    buyer: dict
    lines: tuple[LineData, ...]
    vat_breakdown: tuple[dict, ...]  # {"rate": Decimal, "basis": Decimal, "amount": Decimal}
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    payment_terms_days: int
    late_penalty_rate: Decimal
    credited_number: str | None = None
    credited_issue_date: date | None = None
    note: str = ""
    logo: bytes | None = None
    mandate_reference: str | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE


def document_build(data: DocumentData) -> tuple[bytes, bytes]:
    """The PDF/A-3 and its XML, both ready to store."""
    xml = xml_build(data)
    return pdf_build(data, xml), xml


# --------------------------------------------------------------------------------------------
# Words and numbers, in the document's language (no gettext: this module has no Django)

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "380": "Facture",
        "381": "Avoir",
        "number": "N° {number}",
        "date": "Date : {date}",
        "due": "Date d'échéance : {date}",
        "seller": "Émetteur",
        "buyer": "Client",
        "siren": "SIREN {siren}",
        "rcs": "RCS {city}",
        "vat_id": "N° TVA intracommunautaire : {vat}",
        "vat_short": "TVA {vat}",
        "capital": "{form} au capital de {capital}",
        "period": "Période du {start} au {end}",
        "operation": "Nature de l'opération : Prestation de services",
        "credited": "Avoir sur la facture N° {number} du {date}",
        "credited_undated": "Avoir sur la facture N° {number}",
        "col_label": "Désignation",
        "col_qty": "Qté",
        "col_price": "P.U. HT",
        "col_vat": "TVA",
        "col_total": "Total HT",
        "vat_rate": "Taux de TVA",
        "vat_basis": "Base HT",
        "vat_amount": "Montant TVA",
        "total_excl": "Total HT",
        "total_vat": "Total TVA",
        "total_incl": "Total TTC",
        "payment": "Règlement",
        "pay_before": "À payer avant le {date}",
        "terms_days": "Paiement à {days} jours date de facture",
        "terms_now": "Paiement à réception de la facture",
        "transfer": "Virement SEPA",
        "iban": "IBAN : {iban}",
        "bic": "BIC : {bic}",
        "remittance": "Référence à rappeler : {number}",
        "direct_debit": "Prélèvement SEPA, mandat {rum}",
        "credit_settlement": "Montant remboursé ou déduit d'un prochain règlement",
        "penalties": "Pénalités de retard : {rate} l'an",
        "indemnity": (
            "Indemnité forfaitaire pour frais de recouvrement : {amount} "
            "(art. L441-10 du Code de commerce)"
        ),
        "no_discount": "Pas d'escompte pour paiement anticipé",
        "exempt": "Exonération de TVA",
        "continued": "{title} N° {number} (suite)",
        "page": "Page {page}/{pages}",
        "subject": "{title} N° {number} du {date} émise par {seller}",
    },
    "en": {
        "380": "Invoice",
        "381": "Credit note",
        "number": "No. {number}",
        "date": "Date: {date}",
        "due": "Due date: {date}",
        "seller": "From",
        "buyer": "Bill to",
        "siren": "SIREN {siren}",
        "rcs": "RCS {city}",
        "vat_id": "VAT number: {vat}",
        "vat_short": "VAT {vat}",
        "capital": "{form} with a share capital of {capital}",
        "period": "Period from {start} to {end}",
        "operation": "Type of transaction: supply of services",
        "credited": "Credit note for invoice No. {number} dated {date}",
        "credited_undated": "Credit note for invoice No. {number}",
        "col_label": "Description",
        "col_qty": "Qty",
        "col_price": "Unit price excl. VAT",
        "col_vat": "VAT",
        "col_total": "Total excl. VAT",
        "vat_rate": "VAT rate",
        "vat_basis": "Taxable amount",
        "vat_amount": "VAT amount",
        "total_excl": "Total excl. VAT",
        "total_vat": "Total VAT",
        "total_incl": "Total incl. VAT",
        "payment": "Payment",
        "pay_before": "Payment due by {date}",
        "terms_days": "Payment within {days} days of the invoice date",
        "terms_now": "Payment on receipt of the invoice",
        "transfer": "SEPA credit transfer",
        "iban": "IBAN: {iban}",
        "bic": "BIC: {bic}",
        "remittance": "Payment reference: {number}",
        "direct_debit": "SEPA direct debit, mandate {rum}",
        "credit_settlement": "Amount refunded or deducted from a future payment",
        "penalties": "Late payment penalties: {rate} per year",
        "indemnity": (
            "Fixed compensation for recovery costs: {amount} "
            "(art. L441-10 of the French Commercial Code)"
        ),
        "no_discount": "No discount for early payment",
        "exempt": "Exempt from VAT",
        "continued": "{title} No. {number} (continued)",
        "page": "Page {page}/{pages}",
        "subject": "{title} No. {number} dated {date} issued by {seller}",
    },
}
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_NBSP = "\u00a0"
_CURRENCY_SIGNS = {"EUR": "€"}


def _labels(data: DocumentData) -> dict[str, str]:
    return LABELS.get(data.language[:2], LABELS["fr"])


def _is_en(data: DocumentData) -> bool:
    return data.language[:2] == "en"


def format_date(value: date, language: str) -> str:
    if language[:2] == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value:%d/%m/%Y}"


def format_number(value: Decimal, language: str, places: int | None = 2) -> str:
    """1 234,56 in French, 1,234.56 in English; places=None keeps up to 4 significant
    decimals without trailing zeros (quantities)."""
    if places is None:
        text = f"{value.quantize(Decimal('0.0001')):,.4f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{places}f}"
    if language[:2] == "en":
        return text
    return text.replace(",", _NBSP).replace(".", ",")


def format_amount(value: Decimal, currency: str, language: str, places: int = 2) -> str:
    number = format_number(value, language, places)
    sign = _CURRENCY_SIGNS.get(currency, currency)
    if language[:2] == "en":
        return f"{sign}{number}" if sign == "€" else f"{sign}{_NBSP}{number}"
    return f"{number}{_NBSP}{sign}"


def format_percent(value: Decimal, language: str, places: int | None = 2) -> str:
    number = format_number(value, language, places)
    return f"{number}%" if language[:2] == "en" else f"{number}{_NBSP}%"


def _grouped(text: str, size: int, sep: str = " ") -> str:
    text = text.replace(" ", "")
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def _siren(value: str) -> str:
    return _grouped(value, 3, _NBSP) if len(value) == 9 and value.isdigit() else value


# --------------------------------------------------------------------------------------------
# XML (Factur-X EN 16931 profile, CII syntax)


def _dec(value: Decimal, places: int = 2) -> str:
    return f"{value:.{places}f}"


def _quantity(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001')):f}".rstrip("0").rstrip(".") or "0"


def _price(value: Decimal) -> str:
    """Item net price: 2 decimals, up to 4 when the price has them."""
    text = _dec(value, 4)
    return text[:-2] if text.endswith("00") else text.rstrip("0")


def _vat_category(rate: Decimal) -> str:
    return "S" if rate else "E"


def _address(party: dict) -> dict:
    return {
        "addr_l1": party.get("address_line") or "",
        "postcode": party.get("postal_code") or "",
        "city": party.get("city") or "",
        "country_code": (party.get("country") or "FR").upper(),
    }


def _legal_mentions(data: DocumentData) -> dict[str, str]:
    labels = _labels(data)
    lang = data.language
    return {
        "penalties": labels["penalties"].format(rate=format_percent(data.late_penalty_rate, lang)),
        "indemnity": labels["indemnity"].format(
            amount=format_amount(RECOVERY_INDEMNITY, "EUR", lang, places=0)
        ),
        "no_discount": labels["no_discount"],
    }


def _terms(data: DocumentData) -> str:
    labels = _labels(data)
    if data.is_credit_note:
        return labels["credit_settlement"]
    if data.payment_terms_days:
        return labels["terms_days"].format(days=data.payment_terms_days)
    return labels["terms_now"]


_SEP = " · "


def _capital(data: DocumentData) -> str:
    """The legal form with the share capital (SAS au capital de 10 000,00 €), or alone."""
    seller = data.seller
    if not seller.get("legal_form") or not seller.get("share_capital"):
        return seller.get("legal_form") or ""
    capital = format_amount(Decimal(seller["share_capital"]), "EUR", data.language)
    return _labels(data)["capital"].format(form=seller["legal_form"], capital=capital)


def _registration(data: DocumentData, party: dict) -> str:
    """SIREN and, for the seller, the city of its trade register (RCS)."""
    labels = _labels(data)
    parts = []
    if party.get("siren"):
        parts.append(labels["siren"].format(siren=_siren(party["siren"])))
    if party.get("rcs_city"):
        parts.append(labels["rcs"].format(city=party["rcs_city"]))
    return _SEP.join(parts)


def _seller_legal_info(data: DocumentData) -> str:
    rcs = data.seller.get("rcs_city")
    rcs_text = _labels(data)["rcs"].format(city=rcs) if rcs else ""
    return _SEP.join(filter(None, [_capital(data), rcs_text]))


def _xml_data(data: DocumentData) -> dict[str, Any]:
    seller, buyer = data.seller, data.buyer
    mentions = _legal_mentions(data)
    seller_party: dict[str, Any] = {
        "name": seller["legal_name"],
        "legal_identifier": seller["siren"],
        "legal_identifier_schemeid": "0002",
        **_address(seller),
    }
    if seller.get("vat_number"):
        seller_party["vat_identifier"] = seller["vat_number"]
    if legal_info := _seller_legal_info(data):
        seller_party["legal_info"] = legal_info
    if seller.get("email"):
        seller_party["einvoicing_addr"] = seller["email"]
        seller_party["einvoicing_addr_schemeid"] = "EM"
    if seller.get("email") or seller.get("phone"):
        seller_party["contacts"] = [
            {"email": seller.get("email") or "", "phone": seller.get("phone") or ""}
        ]
    buyer_party: dict[str, Any] = {"name": buyer["legal_name"], **_address(buyer)}
    if buyer.get("siren"):
        buyer_party["legal_identifier"] = buyer["siren"]
        buyer_party["legal_identifier_schemeid"] = "0002"
    if buyer.get("vat_number"):
        buyer_party["vat_identifier"] = buyer["vat_number"]
    if buyer.get("billing_email"):
        buyer_party["einvoicing_addr"] = buyer["billing_email"]
        buyer_party["einvoicing_addr_schemeid"] = "EM"

    exempt = _labels(data)["exempt"]
    breakdown = []
    for entry in data.vat_breakdown:
        item = {
            "BT-116": _dec(entry["basis"]),
            "BT-117": _dec(entry["amount"]),
            "BT-118": _vat_category(entry["rate"]),
            "BT-119": _dec(entry["rate"]),
        }
        if not entry["rate"]:
            item["BT-120"] = exempt
        breakdown.append(item)

    notes = [{"BT-22": data.note}] if data.note else []
    notes += [
        {"BT-21": "PMD", "BT-22": mentions["penalties"]},
        {"BT-21": "PMT", "BT-22": mentions["indemnity"]},
        {"BT-21": "AAB", "BT-22": mentions["no_discount"]},
    ]
    values: dict[str, Any] = {
        "BT-1": data.number,
        "BT-2": data.issue_date,
        "BT-3": data.type_code,
        "BT-5": data.currency,
        "BT-9": data.due_date,
        "BT-20": ". ".join([_terms(data), *mentions.values()]),
        "BG-1": notes,
        "BG-4": seller_party,
        "BG-7": buyer_party,
        "BG-23": breakdown,
        "BG-25": [
            {
                "BT-126": str(position),
                "BT-153": line.label,
                **({"BT-154": line.detail} if line.detail else {}),
                "BT-129": _quantity(line.quantity),
                "BT-130": "C62",
                "BT-131": _dec(line.total_excl_vat),
                "BT-146": _price(line.unit_price),
                "BT-151": _vat_category(line.vat_rate),
                "BT-152": _dec(line.vat_rate),
            }
            for position, line in enumerate(data.lines, start=1)
        ],
        "BT-106": _dec(sum((line.total_excl_vat for line in data.lines), Decimal(0))),
        "BT-109": _dec(data.total_excl_vat),
        "BT-110": _dec(data.total_vat),
        "BT-112": _dec(data.total_incl_vat),
        "BT-115": _dec(data.total_incl_vat),
    }
    if data.period_start:
        values["BT-73"] = data.period_start
    if data.period_end:
        values["BT-74"] = data.period_end
        # The services of the period are complete at its end: the date of the supply.
        values["BT-72"] = data.period_end
    if data.is_credit_note:
        if data.credited_number:
            reference: dict[str, Any] = {"BT-25": data.credited_number}
            if data.credited_issue_date:
                reference["BT-26"] = data.credited_issue_date
            values["BG-3"] = [reference]
    elif data.mandate_reference:
        values["BT-81"] = "59"
        values["BT-89"] = data.mandate_reference
    elif seller.get("iban"):
        values["BT-81"] = "58"
        values["BT-84"] = seller["iban"].replace(" ", "")
        values["BT-83"] = data.number
        if seller.get("bic"):
            values["BT-86"] = seller["bic"]
    return values


def xml_build(data: DocumentData) -> bytes:
    """The CII XML of the EN 16931 profile. Not validated here (the tests do it against the
    XSD): validation costs more than building."""
    xml = facturx.generate_xml(
        _xml_data(data),
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        check_schematron=False,
    )
    # Services carry no delivery information: factur-x then writes the mandatory (empty)
    # delivery element as nil, which the schema refuses.
    return xml.replace(_NIL_DELIVERY, _EMPTY_DELIVERY)


_NIL_DELIVERY = b'<ram:ApplicableHeaderTradeDelivery xsi:nil="true"/>'
_EMPTY_DELIVERY = b"<ram:ApplicableHeaderTradeDelivery/>"


# --------------------------------------------------------------------------------------------
# PDF: fonts, colour profile and logos are prepared once per process

# Page streams compressed only, not also ASCII85-armoured: smaller files, less work.
rl_config.useA85 = 0

_FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "ComptoirSans"
FONT_BOLD = "ComptoirSans-Bold"
# Reserved first in every document, in this order, so that documents written with these
# characters embed the very same font subsets, built once per process (_cache_font_programs).
_PRELOAD = "éèêëàâäîïôöùûüçÉÈÊÀÂÎÔÛÇœŒæ€°«»’“”–—…·×ñß"


def _cache_font_programs(font: TTFont) -> None:
    """Subsetting and compressing a font program costs more than drawing a page; the subset
    of one document is usually that of the previous one, so keep its compressed program.
    Same objects as ReportLab's TTFontFace.addSubsetObjects, but for the cache."""
    face = font.face
    programs: dict[tuple[int, ...], tuple[int, bytes]] = {}

    def add_subset_objects(doc, fontname, subset):
        key = tuple(subset)
        program = programs.get(key)
        if program is None:
            raw = face.makeSubset(subset)
            program = (len(raw), zlib.compress(raw))
            if len(programs) < 64:
                programs[key] = program
        length, compressed = program
        stream = pdfdoc.PDFStream(
            pdfdoc.PDFDictionary({"Length1": length, "Filter": pdfdoc.PDFName("FlateDecode")}),
            compressed,
        )
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": doc.Reference(stream, f"fontFile:{face.filename}({fontname})"),
                "MissingWidth": face.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)

    face.addSubsetObjects = add_subset_objects


for _name, _file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
    _font = TTFont(_name, str(_FONTS_DIR / _file))
    _cache_font_programs(_font)
    pdfmetrics.registerFont(_font)
_GLYPHS = frozenset(pdfmetrics.getFont(FONT).face.charToGlyph) & frozenset(
    pdfmetrics.getFont(FONT_BOLD).face.charToGlyph
)
_string_width = pdfmetrics.stringWidth

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
_SRGB_FLATE = zlib.compress(_SRGB)
_CREATOR = "Comptoir"
_PRODUCER = "ReportLab PDF Library"

_PAGE_W, _PAGE_H = A4
_LEFT = 42.0
_RIGHT = _PAGE_W - 42.0
_WIDTH = _RIGHT - _LEFT
_TOP = _PAGE_H - 40.0
_BODY_BOTTOM = 62.0  # the footer lives below

_INK = (0.12, 0.14, 0.18)
_MUTED = (0.42, 0.45, 0.50)
_ACCENT = (0.11, 0.23, 0.40)
_RULE = (0.85, 0.87, 0.90)
_FILL = (0.95, 0.96, 0.97)
_WHITE = (1.0, 1.0, 1.0)
_WHITE_255 = (255, 255, 255)


def _safe(text: str) -> str:
    """Characters the embedded fonts lack become "?": a missing glyph breaks PDF/A."""
    if text.isascii():
        return text
    return "".join(ch if ord(ch) in _GLYPHS or ch in "\n\t" else "?" for ch in text)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points, breaking at spaces (never at a no-break space), or
    inside a word too long for a line."""
    text = _safe(text)
    if "\n" not in text and _string_width(text, font, size) <= width:
        return [text]
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in filter(None, paragraph.split(" ")):
            candidate = f"{line} {word}" if line else word
            if _string_width(candidate, font, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while _string_width(word, font, size) > width:
                cut = len(word) - 1
                while cut > 1 and _string_width(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


_LOGOS: dict[bytes, tuple[ImageReader, int, int] | None] = {}


def _logo(logo: bytes) -> tuple[ImageReader, int, int] | None:
    """The logo ready to draw, prepared once per process for the same bytes; None when they
    are not an image (the firm's name is shown instead)."""
    key = hashlib.sha256(logo).digest()
    if key not in _LOGOS:
        if len(_LOGOS) >= 64:
            _LOGOS.clear()
        _LOGOS[key] = _logo_prepare(logo)
    return _LOGOS[key]


def _logo_prepare(logo: bytes) -> tuple[ImageReader, int, int] | None:
    """Flattened on white in RGB (PDF/A: no CMYK under an sRGB intent), reduced to about
    twice what the header shows, and kept as a JPEG that ReportLab embeds as it is instead of
    compressing the pixels again for every document."""
    try:
        image = Image.open(io.BytesIO(logo))
        image.load()
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, _WHITE_255)
            background.paste(image, mask=image.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        image.thumbnail((600, 200))
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=92, subsampling=0)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    jpeg.seek(0)
    return ImageReader(jpeg), image.width, image.height


# A block is measured first (its height), then drawn at a position: pages are laid out before
# anything is drawn, so every page knows how many there are.
Draw = Callable[[Canvas, float], None]


@dataclass
class _Block:
    height: float
    draw: Draw


class _Text:
    """A few lines of one font and size; `width` wraps them."""

    def __init__(self, text: str, font: str, size: float, width: float, leading: float = 0):
        self.font, self.size = font, size
        self.leading = leading or size * 1.32
        self.lines = _wrap(text, font, size, width) if text else []

    @property
    def height(self) -> float:
        return len(self.lines) * self.leading

    def draw(self, c: Canvas, x: float, top: float, colour=_INK, align: str = "left") -> float:
        c.setFillColorRGB(*colour)
        c.setFont(self.font, self.size)
        y = top - self.size
        for line in self.lines:
            if align == "right":
                c.drawRightString(x, y, line)
            else:
                c.drawString(x, y, line)
            y -= self.leading
        return top - self.height


def _party_lines(data: DocumentData, party: dict, *, seller: bool) -> list[str]:
    labels = _labels(data)
    lines = [party.get("address_line") or ""]
    lines.append(" ".join(filter(None, [party.get("postal_code"), party.get("city")])))
    country = (party.get("country") or "FR").upper()
    if country != "FR":
        lines.append(country)
    lines.append(_registration(data, party))
    if party.get("vat_number"):
        lines.append(labels["vat_id"].format(vat=party["vat_number"]))
    if seller:
        lines.append(_SEP.join(filter(None, [party.get("email"), party.get("phone")])))
    return [line for line in lines if line]


def _header_block(data: DocumentData) -> _Block:
    labels, lang = _labels(data), data.language
    title = _Text(labels[data.type_code], FONT_BOLD, 20, 240)
    meta = [
        _Text(labels["number"].format(number=data.number), FONT_BOLD, 10.5, 240),
        _Text(labels["date"].format(date=format_date(data.issue_date, lang)), FONT, 9, 240),
        _Text(labels["due"].format(date=format_date(data.due_date, lang)), FONT, 9, 240),
    ]
    right_height = title.height + 4 + sum(t.height for t in meta)
    logo = _logo(data.logo) if data.logo else None
    if logo:
        reader, width, height = logo
        scale = min(190 / width, 62 / height)
        logo_w, logo_h = width * scale, height * scale
        left_height = logo_h
    else:
        name = _Text(data.seller["legal_name"], FONT_BOLD, 15, 260)
        left_height = name.height

    legal = _capital(data)
    seller_texts = [
        _Text(labels["seller"], FONT, 7.5, 240),
        _Text(data.seller["legal_name"], FONT_BOLD, 9.5, 240),
        *([_Text(legal, FONT, 8.5, 240)] if legal else []),
        *[_Text(line, FONT, 8.5, 240) for line in _party_lines(data, data.seller, seller=True)],
    ]
    buyer_w = 236.0
    buyer_texts = [
        _Text(labels["buyer"], FONT, 7.5, buyer_w - 24),
        _Text(data.buyer["legal_name"], FONT_BOLD, 10.5, buyer_w - 24),
        *[
            _Text(line, FONT, 8.5, buyer_w - 24)
            for line in _party_lines(data, data.buyer, seller=False)
        ],
    ]
    seller_h = sum(t.height for t in seller_texts) + 2
    buyer_h = sum(t.height for t in buyer_texts) + 24
    top_h = max(left_height, right_height) + 22
    parties_h = max(seller_h, buyer_h)

    info = []
    if data.is_credit_note and data.credited_number:
        if data.credited_issue_date:
            credited = labels["credited"].format(
                number=data.credited_number, date=format_date(data.credited_issue_date, lang)
            )
        else:
            credited = labels["credited_undated"].format(number=data.credited_number)
        info.append(_Text(credited, FONT_BOLD, 9, _WIDTH))
    if data.period_start and data.period_end:
        period = labels["period"].format(
            start=format_date(data.period_start, lang), end=format_date(data.period_end, lang)
        )
        info.append(_Text(period, FONT, 9, _WIDTH))
    info.append(_Text(labels["operation"], FONT, 9, _WIDTH))
    if data.note:
        info.append(_Text(data.note, FONT, 8.5, _WIDTH))
    info_h = sum(t.height for t in info)
    height = top_h + parties_h + 16 + info_h + 14

    def draw(c: Canvas, top: float) -> None:
        if logo:
            c.drawImage(reader, _LEFT, top - logo_h, logo_w, logo_h)
        else:
            name.draw(c, _LEFT, top, _ACCENT)
        y = title.draw(c, _RIGHT, top + 2, _ACCENT, "right") - 4
        for text in meta:
            y = text.draw(c, _RIGHT, y, _INK, "right")

        y = top - top_h
        seller_y = y
        for i, text in enumerate(seller_texts):
            seller_y = text.draw(c, _LEFT, seller_y, _MUTED if i == 0 else _INK)
        box_x = _RIGHT - buyer_w
        c.setFillColorRGB(*_FILL)
        c.roundRect(box_x, y - buyer_h + 6, buyer_w, buyer_h, 4, stroke=0, fill=1)
        buyer_y = y - 6
        for i, text in enumerate(buyer_texts):
            buyer_y = text.draw(c, box_x + 12, buyer_y, _MUTED if i == 0 else _INK)

        y -= parties_h + 16
        for text in info:
            y = text.draw(c, _LEFT, y)

    return _Block(height, draw)


def _continued_block(data: DocumentData) -> _Block:
    labels = _labels(data)
    name = _Text(data.seller["legal_name"], FONT_BOLD, 10, 300)
    title = _Text(
        labels["continued"].format(title=labels[data.type_code], number=data.number),
        FONT,
        9,
        220,
    )

    def draw(c: Canvas, top: float) -> None:
        name.draw(c, _LEFT, top, _ACCENT)
        title.draw(c, _RIGHT, top, _INK, "right")

    return _Block(max(name.height, title.height) + 14, draw)


# Lines table: (label key, width, right-aligned)
_COLUMNS = (("col_label", 247.0, False), ("col_qty", 46.0, True), ("col_price", 80.0, True),
            ("col_vat", 48.0, True), ("col_total", 90.0, True))  # fmt: skip
_PAD = 5.0


def _column_edges() -> list[tuple[float, float]]:
    edges, x = [], _LEFT
    for _, width, _ in _COLUMNS:
        edges.append((x, x + width))
        x += width
    return edges


_EDGES = _column_edges()


def _table_header(data: DocumentData) -> _Block:
    labels = _labels(data)
    cells = [_Text(labels[key], FONT_BOLD, 7.5, width - 2 * _PAD) for key, width, _ in _COLUMNS]
    height = max(cell.height for cell in cells) + 10

    def draw(c: Canvas, top: float) -> None:
        c.setFillColorRGB(*_ACCENT)
        c.rect(_LEFT, top - height, _WIDTH, height, stroke=0, fill=1)
        for cell, (_, _, right), (x0, x1) in zip(cells, _COLUMNS, _EDGES, strict=True):
            if right:
                cell.draw(c, x1 - _PAD, top - 5, _WHITE, "right")
            else:
                cell.draw(c, x0 + _PAD, top - 5, _WHITE)

    return _Block(height, draw)


def _line_block(data: DocumentData, line: LineData) -> _Block:
    lang = data.language
    label = _Text(line.label, FONT, 8.8, _COLUMNS[0][1] - 2 * _PAD)
    detail = (
        _Text(line.detail, FONT, 7.4, _COLUMNS[0][1] - 2 * _PAD, leading=9.0)
        if line.detail
        else None
    )
    figures = [
        format_number(line.quantity, lang, None),
        format_amount(line.unit_price, data.currency, lang),
        format_percent(line.vat_rate, lang, None),
        format_amount(line.total_excl_vat, data.currency, lang),
    ]
    height = label.height + (detail.height if detail else 0) + 7

    def draw(c: Canvas, top: float) -> None:
        y = label.draw(c, _LEFT + _PAD, top - 4)
        if detail:
            detail.draw(c, _LEFT + _PAD, y, _MUTED)
        c.setFillColorRGB(*_INK)
        c.setFont(FONT, 8.8)
        for text, (_, x1) in zip(figures, _EDGES[1:], strict=True):
            c.drawRightString(x1 - _PAD, top - 4 - 8.8, text)
        c.setStrokeColorRGB(*_RULE)
        c.setLineWidth(0.5)
        c.line(_LEFT, top - height, _RIGHT, top - height)

    return _Block(height, draw)


def _summary_block(data: DocumentData) -> _Block:
    labels, lang, cur = _labels(data), data.language, data.currency
    mentions = _legal_mentions(data)

    vat_rows = [
        (
            format_percent(entry["rate"], lang, None) if entry["rate"] else labels["exempt"],
            format_amount(entry["basis"], cur, lang),
            format_amount(entry["amount"], cur, lang),
        )
        for entry in data.vat_breakdown
    ]
    vat_h = 16 + 13 * len(vat_rows)
    totals = [
        (labels["total_excl"], format_amount(data.total_excl_vat, cur, lang)),
        (labels["total_vat"], format_amount(data.total_vat, cur, lang)),
    ]
    grand = (labels["total_incl"], format_amount(data.total_incl_vat, cur, lang))
    totals_h = 15 * len(totals) + 24
    figures_h = max(vat_h, totals_h)

    payment: list[_Text] = [_Text(labels["payment"], FONT_BOLD, 9, _WIDTH)]
    if data.is_credit_note:
        payment.append(_Text(labels["credit_settlement"], FONT, 8.5, _WIDTH))
    else:
        payment.append(
            _Text(
                labels["pay_before"].format(date=format_date(data.due_date, lang))
                + f"{_SEP}{_terms(data)}",
                FONT_BOLD,
                8.5,
                _WIDTH,
            )
        )
        if data.mandate_reference:
            payment.append(
                _Text(
                    labels["direct_debit"].format(rum=data.mandate_reference),
                    FONT,
                    8.5,
                    _WIDTH,
                )
            )
        elif data.seller.get("iban"):
            means = [
                labels["transfer"],
                labels["iban"].format(iban=_grouped(data.seller["iban"], 4)),
            ]
            if data.seller.get("bic"):
                means.append(labels["bic"].format(bic=data.seller["bic"]))
            payment.append(_Text(_SEP.join(means), FONT, 8.5, _WIDTH))
            payment.append(
                _Text(labels["remittance"].format(number=data.number), FONT, 8.5, _WIDTH)
            )
    legal = _Text(
        ". ".join(mentions.values()) + ".",
        FONT,
        7.5,
        _WIDTH,
    )
    payment_h = sum(t.height for t in payment)
    height = figures_h + 18 + payment_h + 8 + legal.height + 4

    def draw(c: Canvas, top: float) -> None:
        # VAT breakdown, left
        x = [_LEFT, _LEFT + 100, _LEFT + 190, _LEFT + 270]
        c.setFont(FONT_BOLD, 7.5)
        c.setFillColorRGB(*_MUTED)
        y = top - 16 + 5
        c.drawString(x[0], y, _safe(labels["vat_rate"]))
        c.drawRightString(x[2], y, _safe(labels["vat_basis"]))
        c.drawRightString(x[3], y, _safe(labels["vat_amount"]))
        c.setStrokeColorRGB(*_RULE)
        c.setLineWidth(0.5)
        c.line(x[0], top - 16 + 1, x[3], top - 16 + 1)
        c.setFont(FONT, 8.5)
        c.setFillColorRGB(*_INK)
        for rate, basis, amount in vat_rows:
            y -= 13
            c.drawString(x[0], y, rate)
            c.drawRightString(x[2], y, basis)
            c.drawRightString(x[3], y, amount)

        # totals, right
        x0 = _RIGHT - 200
        y = top - 11
        c.setFont(FONT, 9)
        for label, amount in totals:
            c.drawString(x0 + 8, y, _safe(label))
            c.drawRightString(_RIGHT - 8, y, amount)
            y -= 15
        c.setFillColorRGB(*_ACCENT)
        c.rect(x0, y - 9, 200, 22, stroke=0, fill=1)
        c.setFillColorRGB(*_WHITE)
        c.setFont(FONT_BOLD, 10.5)
        c.drawString(x0 + 8, y - 1, _safe(grand[0]))
        c.drawRightString(_RIGHT - 8, y - 1, grand[1])

        y = top - figures_h - 18
        for text in payment:
            y = text.draw(c, _LEFT, y)
        legal.draw(c, _LEFT, y - 8, _MUTED)

    return _Block(height, draw)


def _footer(data: DocumentData) -> _Text:
    seller, labels = data.seller, _labels(data)
    identity = [seller["legal_name"], _capital(data), _registration(data, seller)]
    if seller.get("vat_number"):
        identity.append(labels["vat_short"].format(vat=seller["vat_number"]))
    town = " ".join(filter(None, [seller.get("postal_code"), seller.get("city")]))
    address = ", ".join(filter(None, [seller.get("address_line"), town]))
    contact = [address, seller.get("email"), seller.get("phone")]
    # Lines break between the mentions, not inside one.
    text = "\n".join(
        _SEP.join(item.replace(" ", _NBSP) for item in part if item) for part in (identity, contact)
    )
    return _Text(text, FONT, 6.8, _WIDTH)


def _paginate(data: DocumentData) -> list[list[tuple[float, _Block]]]:
    """Pages as lists of (top, block): the header on page 1, the lines table (its header
    repeated on each page), then the totals and mentions, kept together."""
    header = _header_block(data)
    table_header = _table_header(data)
    continued = _continued_block(data)
    pages: list[list[tuple[float, _Block]]] = [[(_TOP, header)]]
    y = _TOP - header.height

    def new_page() -> None:
        nonlocal y
        pages.append([(_TOP, continued)])
        y = _TOP - continued.height

    def place(block: _Block) -> None:
        nonlocal y
        pages[-1].append((y, block))
        y -= block.height

    place(table_header)
    for line in data.lines:
        block = _line_block(data, line)
        if y - block.height < _BODY_BOTTOM:
            new_page()
            place(table_header)
        place(block)
    summary = _summary_block(data)
    y -= 16
    if y - summary.height < _BODY_BOTTOM:
        new_page()
    place(summary)
    return pages


def _render(data: DocumentData, canvas: Canvas) -> None:
    pages = _paginate(data)
    footer = _footer(data)
    labels = _labels(data)
    for number, blocks in enumerate(pages, start=1):
        for top, block in blocks:
            block.draw(canvas, top)
        canvas.setStrokeColorRGB(*_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(_LEFT, 48, _RIGHT, 48)
        footer.draw(canvas, _LEFT, 44, _MUTED)
        if len(pages) > 1:
            canvas.setFont(FONT, 7.5)
            canvas.setFillColorRGB(*_MUTED)
            canvas.drawRightString(_RIGHT, 52, labels["page"].format(page=number, pages=len(pages)))
        canvas.showPage()


# --------------------------------------------------------------------------------------------
# PDF/A-3: the XML attached as factur-x.xml, XMP metadata, sRGB output intent, all written by
# ReportLab in the same pass as the pages (no second parse and rewrite of the file).


class _Info(pdfdoc.PDFInfo):
    """The document information dictionary, word for word what the XMP packet says."""

    def __init__(self, values: dict[str, str]):
        super().__init__()
        self.values = values
        self.title, self.author, self.subject = values["Title"], values["Author"], ""

    def format(self, document):
        entries = {key: pdfdoc.PDFString(value) for key, value in self.values.items()}
        return pdfdoc.PDFDictionary(entries).format(document)


def _pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def _xmp(title: str, author: str, subject: str, moment: datetime) -> bytes:
    root = facturx.generate_xmp_object(
        {
            "pdfa3_flavor": "B",
            "title": title,
            "author": author,
            "subject": subject,
            "producer": _PRODUCER,
            "creator_tool": _CREATOR,
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "version": "1.0",
            "documenttype": "INVOICE",
            "xml_filename": XML_FILENAME,
            "xmp_level": "EN 16931",
            "urn": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
        }
    )
    return b"".join(
        [
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'.encode(),
            etree.tostring(root, encoding="UTF-8", xml_declaration=False),
            b'\n<?xpacket end="w"?>',
        ]
    )


def _flate_stream(entries: dict[str, Any], content: bytes) -> pdfdoc.PDFStream:
    dictionary = pdfdoc.PDFDictionary({**entries, "Filter": pdfdoc.PDFName("FlateDecode")})
    return pdfdoc.PDFStream(dictionary, zlib.compress(content))


def _make_pdfa(canvas: Canvas, data: DocumentData, xml: bytes) -> None:
    doc = canvas._doc
    labels = _labels(data)
    moment = datetime.now(UTC).replace(microsecond=0)
    title = f"{labels[data.type_code]} {data.number}"
    author = data.seller["legal_name"]
    subject = labels["subject"].format(
        title=labels[data.type_code],
        number=data.number,
        date=format_date(data.issue_date, data.language),
        seller=author,
    )
    doc.info = _Info(
        {
            "Title": title,
            "Author": author,
            "Subject": subject,
            "Creator": _CREATOR,
            "Producer": _PRODUCER,
            "CreationDate": _pdf_date(moment),
            "ModDate": _pdf_date(moment),
        }
    )

    embedded = _flate_stream(
        {
            "Type": pdfdoc.PDFName("EmbeddedFile"),
            "Subtype": "/text#2Fxml",
            "Params": pdfdoc.PDFDictionary(
                {
                    "ModDate": pdfdoc.PDFString(_pdf_date(moment)),
                    "Size": len(xml),
                    "CheckSum": pdfdoc.PDFString(
                        hashlib.md5(xml, usedforsecurity=False).digest(), enc="raw"
                    ),
                }
            ),
        },
        xml,
    )
    embedded_ref = doc.Reference(embedded)
    filespec = doc.Reference(
        pdfdoc.PDFDictionary(
            {
                "Type": pdfdoc.PDFName("Filespec"),
                "F": pdfdoc.PDFString(XML_FILENAME),
                "UF": pdfdoc.PDFString(XML_FILENAME),
                "Desc": pdfdoc.PDFString("Factur-X XML file"),
                "AFRelationship": pdfdoc.PDFName("Data"),
                "EF": pdfdoc.PDFDictionary({"F": embedded_ref, "UF": embedded_ref}),
            }
        )
    )
    profile = doc.Reference(
        pdfdoc.PDFStream(
            pdfdoc.PDFDictionary({"N": 3, "Filter": pdfdoc.PDFName("FlateDecode")}),
            _SRGB_FLATE,
        )
    )
    metadata = pdfdoc.PDFStream(
        pdfdoc.PDFDictionary(
            {"Type": pdfdoc.PDFName("Metadata"), "Subtype": pdfdoc.PDFName("XML")}
        ),
        _xmp(title, author, subject, moment),
    )
    catalog = doc.Catalog
    # The catalog writes only the keys it lists: add the PDF/A ones for this document.
    catalog.__NoDefault__ = [*pdfdoc.PDFCatalog.__NoDefault__, "OutputIntents", "AF"]
    catalog.Metadata = metadata
    catalog.Names = pdfdoc.PDFDictionary(
        {
            "EmbeddedFiles": pdfdoc.PDFDictionary(
                {"Names": pdfdoc.PDFArray([pdfdoc.PDFString(XML_FILENAME), filespec])}
            )
        }
    )
    catalog.AF = pdfdoc.PDFArray([filespec])
    catalog.OutputIntents = pdfdoc.PDFArray(
        [
            pdfdoc.PDFDictionary(
                {
                    "Type": pdfdoc.PDFName("OutputIntent"),
                    "S": pdfdoc.PDFName("GTS_PDFA1"),
                    "OutputConditionIdentifier": pdfdoc.PDFString("sRGB IEC61966-2.1"),
                    "Info": pdfdoc.PDFString("sRGB IEC61966-2.1"),
                    "DestOutputProfile": profile,
                }
            )
        ]
    )


def pdf_build(data: DocumentData, xml: bytes) -> bytes:
    """The PDF/A-3 (level B) of the document, with `xml` embedded as factur-x.xml."""
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        pageCompression=1,
        pdfVersion=(1, 7),
        enforceColorSpace="rgb",
        initialFontName=FONT,
        initialFontSize=9,
        lang="en-GB" if _is_en(data) else "fr-FR",
    )
    for name in (FONT, FONT_BOLD):
        pdfmetrics.getFont(name).splitString(_PRELOAD, canvas._doc)
    _render(data, canvas)
    _make_pdfa(canvas, data, xml)
    canvas.save()
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The one Django-side function

SELLER_KEYS = (
    "legal_name", "legal_form", "share_capital", "siren", "rcs_city", "vat_number",
    "address_line", "postal_code", "city", "country", "iban", "bic", "email", "phone",
)  # fmt: skip
BUYER_KEYS = (
    "legal_name", "siren", "vat_number", "address_line", "postal_code", "city", "country",
    "billing_email",
)  # fmt: skip


def _party(values: dict, keys: tuple[str, ...]) -> dict:
    party = {key: str(values.get(key) or "") for key in keys}
    party["country"] = party["country"] or "FR"
    return party


def document_data(
    invoice: Invoice, *, logo: bytes | None = None, mandate_reference: str | None = None
) -> DocumentData:
    """What the document shows, taken from an issued invoice or credit note (with its lines
    and, for a credit note, the invoice it corrects)."""
    credited = invoice.credited_invoice if invoice.credited_invoice_id else None
    lines = sorted(invoice.lines.all(), key=lambda line: line.position)
    return DocumentData(
        type_code=invoice.type_code,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        currency=invoice.currency,
        language="en" if (invoice.language or "").startswith("en") else "fr",
        seller=_party(invoice.seller, SELLER_KEYS),
        buyer=_party(invoice.buyer, BUYER_KEYS),
        lines=tuple(
            LineData(
                label=line.label,
                detail=line.detail,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                total_excl_vat=line.total_excl_vat,
                vat_amount=line.vat_amount,
            )
            for line in lines
        ),
        vat_breakdown=tuple(
            {
                "rate": Decimal(entry["rate"]),
                "basis": Decimal(entry["basis"]),
                "amount": Decimal(entry["amount"]),
            }
            for entry in invoice.vat_breakdown
        ),
        total_excl_vat=invoice.total_excl_vat,
        total_vat=invoice.total_vat,
        total_incl_vat=invoice.total_incl_vat,
        payment_terms_days=invoice.payment_terms_days,
        late_penalty_rate=invoice.late_penalty_rate,
        credited_number=credited.number if credited else None,
        credited_issue_date=credited.issue_date if credited else None,
        note=invoice.note,
        logo=logo,
        mandate_reference=mandate_reference or None,
    )
