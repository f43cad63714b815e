"""The invoice document: EN 16931 XML valid against the Factur-X schema, and a PDF/A-3 that
carries it and shows every mention a French invoice must bear, in French or in English."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal

import facturx
import pytest
from lxml import etree
from PIL import Image, ImageDraw
from pypdf import PdfReader

from invoicing.document import (
    FONT,
    DocumentData,
    LineData,
    _wrap,
    document_build,
    document_data,
    format_amount,
    format_date,
    format_number,
    pdf_build,
    xml_build,
)

SELLER = {
    "legal_name": "Cabinet Alpha Expertise Comptable",
    "legal_form": "SAS",
    "share_capital": "10000.00",
    "siren": "732829320",
    "rcs_city": "Lyon",
    "vat_number": "FR44732829320",
    "address_line": "12 rue de la République",
    "postal_code": "69002",
    "city": "Lyon",
    "country": "FR",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "email": "facturation@alpha.example",
    "phone": "04 78 00 00 00",
}
BUYER = {
    "legal_name": "Boulangerie Martin",
    "siren": "404833048",
    "vat_number": "FR83404833048",
    "address_line": "3 place Bellecour",
    "postal_code": "69002",
    "city": "Lyon",
    "country": "FR",
    "billing_email": "compta@martin.example",
}
ONE_LINE = [("Tenue comptable", "Abonnement mensuel", "1", "450.00", "20.00")]
MANY_LINES = [
    ("Tenue comptable", "Abonnement mensuel", "1", "1450.00", "20.00"),
    ("Bulletins de paie", "12 salariés", "12", "18.50", "20.00"),
    ("Notes de frais", "Du 10/11 au 30/11", "0.7000", "29.00", "20.00"),
]
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
CENT = Decimal("0.01")


def document(lines=ONE_LINE, **changes) -> DocumentData:
    """A consistent document: line totals, VAT per rate and totals computed as EN 16931 does."""
    items = []
    for label, detail, quantity, price, rate in lines:
        total = (Decimal(quantity) * Decimal(price)).quantize(CENT, ROUND_HALF_UP)
        vat = (total * Decimal(rate) / 100).quantize(CENT, ROUND_HALF_UP)
        items.append(
            LineData(label, detail, Decimal(quantity), Decimal(price), Decimal(rate), total, vat)
        )
    bases: dict[Decimal, Decimal] = {}
    for item in items:
        bases[item.vat_rate] = bases.get(item.vat_rate, Decimal(0)) + item.total_excl_vat
    breakdown = tuple(
        {"rate": rate, "basis": basis, "amount": (basis * rate / 100).quantize(CENT, ROUND_HALF_UP)}
        for rate, basis in sorted(bases.items(), reverse=True)
    )
    excl = sum((item.total_excl_vat for item in items), Decimal(0))
    vat = sum((entry["amount"] for entry in breakdown), Decimal(0))
    values = {
        "type_code": "380",
        "number": "F2026-000123",
        "issue_date": datetime.date(2026, 12, 1),
        "due_date": datetime.date(2026, 12, 31),
        "period_start": datetime.date(2026, 11, 1),
        "period_end": datetime.date(2026, 11, 30),
        "currency": "EUR",
        "language": "fr",
        "seller": dict(SELLER),
        "buyer": dict(BUYER),
        "lines": tuple(items),
        "vat_breakdown": breakdown,
        "total_excl_vat": excl,
        "total_vat": vat,
        "total_incl_vat": excl + vat,
        "payment_terms_days": 30,
        "late_penalty_rate": Decimal("12.00"),
        **changes,
    }
    return DocumentData(**values)


def credit_note(**changes) -> DocumentData:
    return document(
        type_code="381",
        number="A2026-000004",
        credited_number="F2026-000123",
        credited_issue_date=datetime.date(2026, 12, 1),
        **changes,
    )


def png_logo() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 90, 90), fill=(29, 78, 216, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def xpath(xml: bytes, path: str) -> list[str]:
    return [
        node if isinstance(node, str) else node.text
        for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"


# --- XML -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(document(), id="one line"),
        pytest.param(document(MANY_LINES), id="many lines"),
        pytest.param(
            document([*MANY_LINES, ("Formation", "Session du 12/11", "1", "300.00", "10.00")]),
            id="two VAT rates",
        ),
        pytest.param(credit_note(), id="credit note"),
        pytest.param(document(buyer={**BUYER, "vat_number": ""}), id="buyer without VAT number"),
        pytest.param(
            document(
                [
                    ("Licence", "11 jours sur 30", "0.3667", "49.90", "20.00"),
                    ("Sièges", "", "2.3333", "12.35", "20.00"),
                ]
            ),
            id="prorated quantities",
        ),
        pytest.param(
            document([*ONE_LINE, ("Débours", "Frais de greffe", "1", "39.42", "0.00")]),
            id="exempt line",
        ),
        pytest.param(document(mandate_reference="RUM-000042"), id="direct debit"),
        pytest.param(document(MANY_LINES, language="en"), id="english"),
        pytest.param(
            document(period_start=None, period_end=None, seller={**SELLER, "bic": ""}),
            id="no period, no BIC",
        ),
    ],
)
def test_xml_is_valid_against_the_factur_x_en16931_schema(data):
    xml = xml_build(data)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"


def test_xml_carries_the_invoice_identity_parties_period_and_payment():
    xml = xml_build(document(MANY_LINES))

    assert xpath(xml, "//rsm:ExchangedDocument/ram:ID") == ["F2026-000123"]
    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "732829320"
    ]
    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == [
        "0002"
    ]
    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        "FR44732829320"
    ]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "404833048"
    ]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        "FR83404833048"
    ]
    assert xpath(xml, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod//udt:DateTimeString") == [
        "20261101",
        "20261130",
    ]
    assert xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/*") == ["20261231"]
    terms = xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:Description")[0]
    assert "Pénalités de retard : 12,00\u00a0% l'an" in terms
    assert "40\u00a0€" in terms
    assert xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["58"]
    assert xpath(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "FR7630006000011234567890189"
    ]
    assert xpath(xml, "//ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == ["AGRIFRPP"]
    assert xpath(xml, "//ram:GrandTotalAmount") == ["2030.76"]
    assert xpath(xml, "//ram:BilledQuantity") == ["1", "12", "0.7"]


def test_direct_debit_xml_has_code_59_and_the_mandate_reference():
    xml = xml_build(document(mandate_reference="RUM-000042"))

    assert xpath(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == ["59"]
    assert xpath(xml, "//ram:DirectDebitMandateID") == ["RUM-000042"]
    assert xpath(xml, "//ram:IBANID") == []


def test_credit_note_xml_references_the_invoice_it_corrects():
    xml = xml_build(credit_note())

    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [
        "F2026-000123"
    ]
    assert xpath(xml, f"{SETTLEMENT}/ram:InvoiceReferencedDocument//qdt:DateTimeString") == [
        "20261201"
    ]
    assert xpath(xml, "//ram:GrandTotalAmount") == ["540.00"]


def test_a_zero_rate_is_exempt_with_its_reason():
    xml = xml_build(document([*ONE_LINE, ("Débours", "", "1", "39.42", "0.00")]))

    assert xpath(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode") == ["S", "E"]
    assert xpath(xml, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReason") == [
        "Exonération de TVA"
    ]


def test_buyer_without_vat_number_has_no_tax_registration():
    xml = xml_build(document(buyer={**BUYER, "vat_number": ""}))

    assert xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration") == []


# --- PDF/A-3 ---------------------------------------------------------------------------------


def test_pdf_embeds_the_xml_unchanged_as_factur_x_xml():
    pdf, xml = document_build(document(MANY_LINES))

    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert (filename, embedded) == ("factur-x.xml", xml)
    assert PdfReader(io.BytesIO(pdf)).attachments == {"factur-x.xml": [xml]}


def test_pdf_is_marked_pdfa3_with_an_srgb_output_intent_and_embedded_fonts():
    pdf, _ = document_build(document(MANY_LINES, logo=png_logo()))
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]

    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert f"<xmp:CreatorTool>{reader.metadata['/Creator']}</xmp:CreatorTool>" in xmp
    assert f"<pdf:Producer>{reader.metadata['/Producer']}</pdf:Producer>" in xmp
    (intent,) = root["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    assert intent["/DestOutputProfile"].get_object().get_data()[36:40] == b"acsp"
    (filespec,) = root["/AF"]
    filespec = filespec.get_object()
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert reader.trailer["/ID"]
    assert pdf.startswith(b"%PDF-1.7\n%")
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/Subtype"] == "/TrueType"
            assert "/FontFile2" in font["/FontDescriptor"].get_object()
        for image in page["/Resources"].get("/XObject", {}).values():
            assert image.get_object()["/ColorSpace"] == "/DeviceRGB"
    assert b"Helvetica" not in pdf


def test_french_pdf_shows_every_mandatory_mention():
    text = text_of(pdf_build(data := document(MANY_LINES), xml_build(data)))

    for mention in [
        "Facture",
        "N° F2026-000123",
        "Date : 01/12/2026",
        "Cabinet Alpha Expertise Comptable",
        "SAS au capital de 10 000,00 €",
        "SIREN 732 829 320 · RCS Lyon",
        "N° TVA intracommunautaire : FR44732829320",
        "12 rue de la République",
        "Boulangerie Martin",
        "3 place Bellecour",
        "SIREN 404 833 048",
        "N° TVA intracommunautaire : FR83404833048",
        "Période du 01/11/2026 au 30/11/2026",
        "Nature de l'opération : Prestation de services",
        "Désignation",
        "P.U. HT",
        "Total HT",
        "Bulletins de paie",
        "12 salariés",
        "Taux de TVA",
        "Total TVA",
        "Total TTC",
        "2 030,76 €",
        "Date d'échéance : 31/12/2026",
        "À payer avant le 31/12/2026",
        "Pénalités de retard : 12,00 % l'an",
        "Indemnité forfaitaire pour frais de recouvrement : 40 €",
        "(art. L441-10 du Code de commerce)",
        "Pas d'escompte pour paiement anticipé",
        "Virement SEPA",
        "IBAN : FR76 3000 6000 0112 3456 7890 189",
        "BIC : AGRIFRPP",
    ]:
        assert mention in " ".join(text.split()), mention


def test_english_pdf_shows_every_mandatory_mention_in_english():
    text = " ".join(text_of(document_build(document(MANY_LINES, language="en"))[0]).split())

    for mention in [
        "Invoice",
        "No. F2026-000123",
        "Date: 1 Dec 2026",
        "SAS with a share capital of €10,000.00",
        "SIREN 732 829 320 · RCS Lyon",
        "VAT number: FR44732829320",
        "Period from 1 Nov 2026 to 30 Nov 2026",
        "Type of transaction: supply of services",
        "Total excl. VAT",
        "Total incl. VAT",
        "€2,030.76",
        "€1,450.00",
        "Due date: 31 Dec 2026",
        "Payment due by 31 Dec 2026",
        "Late payment penalties: 12.00% per year",
        "Fixed compensation for recovery costs: €40",
        "No discount for early payment",
        "SEPA credit transfer",
    ]:
        assert mention in text, mention
    assert "Facture" not in text
    assert "TTC" not in text


def test_credit_note_pdf_says_avoir_and_names_the_corrected_invoice():
    text = " ".join(text_of(document_build(credit_note())[0]).split())

    assert "Avoir N° A2026-000004" in text
    assert "Facture" not in text
    assert "Avoir sur la facture N° F2026-000123 du 01/12/2026" in text
    assert "À payer avant" not in text


def test_direct_debit_pdf_names_the_mandate_instead_of_the_iban():
    text = " ".join(text_of(document_build(document(mandate_reference="RUM-000042"))[0]).split())

    assert "Prélèvement SEPA, mandat RUM-000042" in text
    assert "IBAN" not in text


def test_sixty_lines_flow_onto_numbered_pages():
    lines = [
        (f"Application {n}", f"Utilisateur {n}", "1", f"{10 + n}.00", "20.00") for n in range(60)
    ]
    pdf, _ = document_build(document(lines))
    pages = PdfReader(io.BytesIO(pdf)).pages
    texts = [" ".join(page.extract_text().split()) for page in pages]

    assert len(pages) >= 2
    for number, text in enumerate(texts, start=1):
        assert f"Page {number}/{len(pages)}" in text
        assert "Désignation" in text
    for n in range(60):
        assert sum(f"Application {n} " in text for text in texts) == 1
    assert "Total TTC" in texts[-1]
    assert "Total TTC" not in texts[0]


def test_one_page_invoice_has_no_page_number():
    text = text_of(document_build(document())[0])

    assert "Page 1/1" not in text


def test_logo_is_drawn_when_given_and_the_firm_name_otherwise():
    with_logo = PdfReader(io.BytesIO(document_build(document(logo=png_logo()))[0])).pages[0]
    without = PdfReader(io.BytesIO(document_build(document())[0])).pages[0]
    broken = PdfReader(io.BytesIO(document_build(document(logo=b"not an image"))[0])).pages[0]

    assert len(with_logo["/Resources"]["/XObject"]) == 1
    assert "/XObject" not in without["/Resources"]
    assert "/XObject" not in broken["/Resources"]


def test_characters_the_font_lacks_become_question_marks():
    buyer = {**BUYER, "legal_name": "Café 東京 🍞"}
    pdf, xml = document_build(document(buyer=buyer))

    assert "Café ?? ?" in text_of(pdf)
    assert xpath(xml, "//ram:BuyerTradeParty/ram:Name") == ["Café 東京 🍞"]


# --- formatting and layout -------------------------------------------------------------------


def test_amounts_dates_and_quantities_are_formatted_per_language():
    assert format_amount(Decimal("1234567.5"), "EUR", "fr") == "1\u00a0234\u00a0567,50\u00a0€"
    assert format_amount(Decimal("1234567.5"), "EUR", "en") == "€1,234,567.50"
    assert format_amount(Decimal("12"), "USD", "fr") == "12,00\u00a0USD"
    assert format_number(Decimal("0.3333"), "fr", None) == "0,3333"
    assert format_number(Decimal("2.5000"), "en", None) == "2.5"
    assert format_number(Decimal("1000.0000"), "fr", None) == "1\u00a0000"
    assert format_date(datetime.date(2026, 3, 9), "fr") == "09/03/2026"
    assert format_date(datetime.date(2026, 3, 9), "en") == "9 Mar 2026"


def test_long_words_are_cut_to_fit_their_column():
    lines = _wrap("Société " + "X" * 120 + " Lyon", FONT, 9, 100)

    assert len(lines) > 3
    assert lines[0] == "Société"
    assert lines[-1].endswith("Lyon")


def test_the_rendering_core_runs_without_django():
    code = (
        "import sys, datetime; sys.path.insert(0, '.');"
        "from tests.invoicing.test_document import document;"
        "from invoicing.document import document_build;"
        "pdf, xml = document_build(document());"
        "assert pdf.startswith(b'%PDF') and xml.startswith(b'<?xml');"
        "assert 'django.conf' not in sys.modules, 'django imported'"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr


# --- from an issued invoice ------------------------------------------------------------------


@pytest.mark.django_db
def test_document_data_reads_an_issued_invoice_and_its_credit_note(alpha):
    from invoicing.models import Invoice, InvoiceLine, Kind
    from tests.factories import CompanyFactory

    with alpha.context():
        company = CompanyFactory(legal_name="Boulangerie Martin")
        common = {
            "origin": Invoice.Origin.MANUAL,
            "company": company,
            "issue_date": datetime.date(2026, 12, 1),
            "due_date": datetime.date(2026, 12, 31),
            "period_start": datetime.date(2026, 11, 1),
            "period_end": datetime.date(2026, 11, 30),
            "language": "en",
            "seller": {**SELLER, "country": "FR"},
            "buyer": {**BUYER, "siren": company.siren, "vat_number": ""},
            "payment_terms_days": 30,
            "late_penalty_rate": Decimal("12.00"),
        }
        invoice = Invoice.objects.create(
            kind=Kind.INVOICE,
            number="F2026-900001",
            sequence=900001,
            total_excl_vat=Decimal("66.30"),
            total_vat=Decimal("13.26"),
            total_incl_vat=Decimal("79.56"),
            vat_breakdown=[{"rate": "20.00", "basis": "66.30", "amount": "13.26"}],
            **common,
        )
        for position, (label, quantity, price, total, vat) in enumerate(
            [
                ("Paie", "2.0000", "18.50", "37.00", "7.40"),
                ("Licence", "0.7000", "41.86", "29.30", "5.86"),
            ],
            start=1,
        ):
            InvoiceLine.objects.create(
                invoice=invoice,
                position=position,
                label=label,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                vat_rate=Decimal("20.00"),
                total_excl_vat=Decimal(total),
                vat_amount=Decimal(vat),
            )
        note = Invoice.objects.create(
            kind=Kind.CREDIT_NOTE,
            number="A2026-900001",
            sequence=900001,
            credited_invoice=invoice,
            total_excl_vat=Decimal("37.00"),
            total_vat=Decimal("7.40"),
            total_incl_vat=Decimal("44.40"),
            vat_breakdown=[{"rate": "20.00", "basis": "37.00", "amount": "7.40"}],
            **common,
        )
        InvoiceLine.objects.create(
            invoice=note,
            position=1,
            label="Paie",
            quantity=Decimal("2"),
            unit_price=Decimal("18.50"),
            vat_rate=Decimal("20.00"),
            total_excl_vat=Decimal("37.00"),
            vat_amount=Decimal("7.40"),
        )

        data = document_data(Invoice.objects.get(pk=invoice.pk), logo=png_logo())
        credit = document_data(Invoice.objects.get(pk=note.pk))

    assert (data.type_code, data.number, data.language) == ("380", "F2026-900001", "en")
    assert [line.label for line in data.lines] == ["Paie", "Licence"]
    assert data.lines[1].quantity == Decimal("0.7000")
    assert data.vat_breakdown == (
        {"rate": Decimal("20.00"), "basis": Decimal("66.30"), "amount": Decimal("13.26")},
    )
    assert data.buyer["vat_number"] == "" and data.buyer["siren"] == company.siren
    assert data.logo is not None and data.credited_number is None
    assert (credit.type_code, credit.credited_number, credit.credited_issue_date) == (
        "381",
        "F2026-900001",
        datetime.date(2026, 12, 1),
    )
    for built in (data, credit):
        pdf, xml = document_build(built)
        assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        assert facturx.get_xml_from_pdf(pdf, check_xsd=False)[1] == xml
