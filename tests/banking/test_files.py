"""Reading statement files: CAMT.053 versions 02 and 08, a French CSV export through its
mapping, and files that are not what they claim, refused with the line at fault."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from banking import parsers
from tenants.errors import DomainError
from tests.banking.support import CSV, CSV_MAPPING, MID_MONTH, MONTH, sample


def test_a_camt053_v02_statement_gives_its_booked_entries_signed():
    statement = parsers.parse_camt053(sample(MONTH))

    assert statement.account_iban == "FR7630006000011234567890189"
    assert (statement.period_start, statement.period_end) == (
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 27),
    )
    amounts = [(entry.amount, entry.currency) for entry in statement.entries]
    assert amounts == [
        (Decimal("58.80"), "EUR"),
        (Decimal("30.00"), "EUR"),
        (Decimal("240.00"), "EUR"),
        (Decimal("60.00"), "EUR"),
        (Decimal("-58.80"), "EUR"),
        (Decimal("100.00"), "USD"),
        (Decimal("-1200.00"), "EUR"),
    ]  # the pending entry is left out
    first = statement.entries[0]
    assert first.counterparty == "BOULANGERIE MARTIN SARL"
    assert first.counterparty_iban == "FR7610107001011234567890129"
    assert first.remittance == "FACTURE F-2026-000101 NOVEMBRE"
    assert first.end_to_end_id == ""  # NOTPROVIDED


def test_a_returned_direct_debit_carries_its_reason_and_original_end_to_end_id():
    returned = parsers.parse_camt053(sample(MONTH)).entries[4]

    assert returned.is_return
    assert returned.return_code == "AM04"
    assert returned.end_to_end_id == "F-2026-000103-0001"
    assert returned.bank_code == "PMNT/RDDT/UPDD"
    assert returned.counterparty == "BOULANGERIE MARTIN SARL"


def test_a_camt053_v08_batch_is_split_and_shares_keys_with_the_overlapping_statement():
    month = parsers.parse_camt053(sample(MONTH))
    mid = parsers.parse_camt053(sample(MID_MONTH))

    assert [entry.amount for entry in mid.entries] == [
        Decimal("30.00"),
        Decimal("60.00"),
        Decimal("120.00"),
    ]
    assert mid.entries[1].remittance == "F-2026-000106"
    assert mid.entries[1].counterparty == "STE DURAND"
    assert mid.entries[0].key == month.entries[1].key
    keys = [entry.key for entry in month.entries + mid.entries[1:]]
    assert len(set(keys)) == len(keys)


def test_the_french_csv_export_is_read_through_its_mapping():
    statement = parsers.parse_csv(sample(CSV), parsers.mapping_clean(CSV_MAPPING))

    assert [entry.amount for entry in statement.entries] == [
        Decimal("58.80"),
        Decimal("240.00"),
        Decimal("-58.80"),
        Decimal("-1200.00"),
        Decimal("1015.50"),
    ]
    assert statement.entries[0].booking_date == datetime.date(2026, 11, 3)
    assert statement.entries[0].counterparty == "BOULANGERIE MARTIN SARL"
    assert statement.entries[0].line == 4
    returned = statement.entries[2]
    assert (returned.return_code, returned.end_to_end_id) == ("AM04", "F-2026-000103-0001")
    assert statement.entries[3].return_code == ""


def test_csv_keys_are_stable_and_two_identical_rows_stay_two():
    spec = parsers.mapping_clean(CSV_MAPPING)
    data = sample(CSV)
    doubled = data + data.splitlines(keepends=True)[-1]

    once = parsers.parse_csv(data, spec)
    twice = parsers.parse_csv(doubled, spec)

    assert [entry.key for entry in twice.entries[:5]] == [entry.key for entry in once.entries]
    assert twice.entries[5].key != twice.entries[4].key


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "n’est pas un relevé CAMT.053"), ("en", "not a CAMT.053")]
)
def test_another_iso_20022_message_is_refused_by_name(language, words):
    with translation.override(language), pytest.raises(DomainError) as refused:
        parsers.parse_camt053(sample("pain.008.001.02.xml"))

    assert refused.value.field == "file"
    assert words in str(refused.value.message)
    assert "pain.008.001.02" in str(refused.value.message)


def test_broken_xml_is_refused_with_its_line():
    broken = sample(MONTH).replace(b"</Ntry>", b"</Ntri>", 1)

    with translation.override("en"), pytest.raises(DomainError) as refused:
        parsers.parse_camt053(broken)

    assert refused.value.field == "file"
    assert "(line 58)" in str(refused.value.message)  # the first </Ntry>


def test_external_entities_are_never_read():
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        b"<Stmt><Id>&x;</Id><Acct><Id><IBAN>FR76</IBAN></Id></Acct></Stmt>"
        b"</BkToCstmrStmt></Document>"
    )

    statement = parsers.parse_camt053(hostile)

    assert statement.bank_id == ""
    assert statement.entries == []


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "ligne 8, colonne Crédit"), ("en", "Line 8, column Crédit")],
)
def test_an_unreadable_amount_names_its_line_and_column(language, words):
    spec = parsers.mapping_clean(CSV_MAPPING)

    with translation.override(language), pytest.raises(DomainError) as refused:
        parsers.parse_csv(sample("releve_montant_illisible.csv"), spec)

    assert refused.value.field == "file"
    assert words.lower() in str(refused.value.message).lower()
    assert "1 O15,50" in str(refused.value.message)


def test_a_mapping_naming_a_missing_column_says_which_and_what_the_header_holds():
    mapping = {**CSV_MAPPING, "columns": {**CSV_MAPPING["columns"], "credit": "Montant"}}

    with translation.override("en"), pytest.raises(DomainError) as refused:
        parsers.parse_csv(sample(CSV), parsers.mapping_clean(mapping))

    assert refused.value.field == "mapping.columns.credit"
    assert "Montant" in str(refused.value.message)
    assert "Libellé" in str(refused.value.message)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"columns": {"label": "Libellé"}}, "mapping.columns.date"),
        ({"columns": {"date": "Date", "label": "Libellé"}}, "mapping.columns.amount"),
        ({"delimiter": "#"}, "mapping.delimiter"),
        ({"date_format": "jj/mm/aaaa"}, "mapping.date_format"),
        ({"skip_lines": "deux"}, "mapping.skip_lines"),
        ({"columns": {**CSV_MAPPING["columns"], "montant": "X"}}, "mapping.columns.montant"),
    ],
)
def test_a_mapping_that_does_not_fit_names_its_field(change, field):
    with pytest.raises(DomainError) as refused:
        parsers.mapping_clean({**CSV_MAPPING, **change})

    assert refused.value.field == field


def test_the_wrong_delimiter_is_told():
    mapping = {**CSV_MAPPING, "delimiter": ","}

    with pytest.raises(DomainError) as refused:
        parsers.parse_csv(sample(CSV), parsers.mapping_clean(mapping))

    assert refused.value.field == "mapping.delimiter"
