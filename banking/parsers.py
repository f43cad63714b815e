"""Reading bank statement files: CAMT.053 (camt.053.001.02 to .08) and CSV exports through a
column mapping. Pure functions: bytes in, entries out, or a DomainError naming what is wrong."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from tenants.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_ENTRIES = 20_000
CAMT_NS = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])$")
CENT = Decimal("0.01")
# SEPA direct-debit returns and rejects: ISO 20022 bank transaction codes (PMNT family RDDT,
# sub-families of an unpaid or returned collection).
RETURN_SUBFAMILIES = {"UPDD", "RRTN", "PRDD", "RCDD"}
# The reason codes of SEPA returns, as a CSV export writes them in the label of the debit.
RETURN_CODE = re.compile(
    r"\b(AC0[1-6]|AC13|AG0[12]|AM0[45]|MD0[1-7]|MS0[23]|RR0[1-4]|SL01|BE05|FF05|RC01|TM01)\b"
)


@dataclass
class Entry:
    line: int
    booking_date: datetime.date
    amount: Decimal
    currency: str = "EUR"
    value_date: datetime.date | None = None
    counterparty: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    end_to_end_id: str = ""
    bank_reference: str = ""
    bank_code: str = ""
    return_code: str = ""
    key: str = ""

    @property
    def is_return(self) -> bool:
        family, _sep, sub = self.bank_code.rpartition("/")
        return self.amount < 0 and (
            bool(self.return_code) or sub in RETURN_SUBFAMILIES or family.endswith("RDDT")
        )


@dataclass
class Statement:
    account_iban: str = ""
    bank_id: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    entries: list[Entry] = field(default_factory=list)

    def close(self) -> Statement:
        days = [entry.booking_date for entry in self.entries]
        if days:
            self.period_start = self.period_start or min(days)
            self.period_end = self.period_end or max(days)
        return self


def _hashed(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:40]


def _money(text: str) -> Decimal:
    return Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)


# --- CAMT.053 ------------------------------------------------------------------------------


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_camt053(data: bytes) -> Statement:
    try:
        root = etree.fromstring(data, parser=_safe_parser())
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        raise DomainError(
            _("This file is not valid XML (line %(line)s): not a CAMT.053 statement.")
            % {"line": line},
            field="file",
        ) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or not CAMT_NS.match(namespace):
        found = namespace.rsplit(":", 1)[-1] or etree.QName(root).localname
        raise DomainError(
            _(
                "This file is not a CAMT.053 bank statement (camt.053.001.02 to .08); it is "
                "%(found)s."
            )
            % {"found": found},
            field="file",
        )
    reader = _Camt(namespace)
    statement = Statement()
    stmts = root.findall("ns:BkToCstmrStmt/ns:Stmt", reader.ns)
    if not stmts:
        raise DomainError(_("This CAMT.053 file holds no statement (Stmt)."), field="file")
    for stmt in stmts:
        iban = reader.text(stmt, "Acct/Id/IBAN")
        statement.account_iban = statement.account_iban or iban
        statement.bank_id = statement.bank_id or reader.text(stmt, "Id")
        start = reader.date(stmt, "FrToDt/FrDtTm")
        end = reader.date(stmt, "FrToDt/ToDtTm")
        if start and (statement.period_start is None or start < statement.period_start):
            statement.period_start = start
        if end and (statement.period_end is None or end > statement.period_end):
            statement.period_end = end
        for ntry in stmt.findall("ns:Ntry", reader.ns):
            statement.entries.extend(reader.entries(ntry, iban))
            if len(statement.entries) > MAX_ENTRIES:
                raise DomainError(
                    _("The file has more than %(max)d entries: split it.") % {"max": MAX_ENTRIES},
                    field="file",
                )
    seen: Counter[str] = Counter()
    for entry in statement.entries:
        if not entry.key:  # no bank reference at all: the entry's fields, ranked
            identity = _hashed(
                "camt",
                statement.account_iban,
                entry.booking_date,
                entry.amount,
                entry.counterparty,
                entry.remittance,
            )
            seen[identity] += 1
            entry.key = _hashed(identity, seen[identity])
    return statement.close()


class _Camt:
    def __init__(self, namespace: str):
        self.ns = {"ns": namespace}

    def _path(self, path: str) -> str:
        return "/".join(f"ns:{step}" for step in path.split("/"))

    def find(self, element, path: str):
        return element.find(self._path(path), self.ns)

    def text(self, element, *paths: str) -> str:
        for path in paths:
            found = self.find(element, path)
            if found is not None and (found.text or "").strip():
                return " ".join(found.text.split())
        return ""

    def date(self, element, *paths: str) -> datetime.date | None:
        text = self.text(element, *paths)
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError:
            raise DomainError(
                _("Line %(line)s: %(value)s is not a date.")
                % {"line": element.sourceline, "value": text},
                field="file",
            ) from None

    def amount(self, element, path: str) -> tuple[Decimal, str] | None:
        found = self.find(element, path)
        if found is None:
            return None
        try:
            value = _money((found.text or "").strip())
        except InvalidOperation:
            raise DomainError(
                _("Line %(line)s: %(value)s is not an amount.")
                % {"line": found.sourceline, "value": found.text},
                field="file",
            ) from None
        return value, (found.get("Ccy") or "EUR").upper()[:3]

    def entries(self, ntry, iban: str) -> list[Entry]:
        status = self.text(ntry, "Sts/Cd", "Sts")
        if status and status != "BOOK":
            return []  # pending or information only: not on the account yet
        amount = self.amount(ntry, "Amt")
        booking = self.date(ntry, "BookgDt/Dt", "BookgDt/DtTm")
        if amount is None or booking is None:
            raise DomainError(
                _("Line %(line)s: an entry (Ntry) without amount or booking date.")
                % {"line": ntry.sourceline},
                field="file",
            )
        debit = self.text(ntry, "CdtDbtInd") == "DBIT"
        if self.text(ntry, "RvslInd").lower() == "true":
            debit = not debit
        code = "/".join(
            part
            for part in (
                self.text(ntry, "BkTxCd/Domn/Cd"),
                self.text(ntry, "BkTxCd/Domn/Fmly/Cd"),
                self.text(ntry, "BkTxCd/Domn/Fmly/SubFmlyCd"),
            )
            if part
        ) or self.text(ntry, "BkTxCd/Prtry/Cd")
        common = {
            "booking_date": booking,
            "value_date": self.date(ntry, "ValDt/Dt", "ValDt/DtTm"),
            "bank_code": code[:40],
        }
        ntry_ref = self.text(ntry, "AcctSvcrRef") or self.text(ntry, "NtryRef")
        details = ntry.findall(self._path("NtryDtls/TxDtls"), self.ns)
        # A batch booked as one entry (several transfers received at once) is split into its
        # transactions when each carries its own amount: each one pays its own invoice.
        split = len(details) > 1 and all(
            self.amount(tx, "AmtDtls/TxAmt/Amt") or self.amount(tx, "Amt") for tx in details
        )
        rows = details if split else details[:1] or [None]
        entries = []
        for index, tx in enumerate(rows):
            value, currency = amount
            if split:
                value, currency = self.amount(tx, "AmtDtls/TxAmt/Amt") or self.amount(tx, "Amt")
            entry = Entry(
                line=(tx if tx is not None else ntry).sourceline or 0,
                amount=-value if debit else value,
                currency=currency,
                **common,
            )
            if tx is not None:
                self._details(entry, tx, debit)
            if not entry.remittance:
                entry.remittance = self.text(ntry, "AddtlNtryInf")[:500]
            tx_ref = self.text(tx, "Refs/AcctSvcrRef") if tx is not None else ""
            entry.bank_reference = (tx_ref or ntry_ref)[:100]
            if tx_ref:
                entry.key = _hashed("camt", iban, tx_ref)
            elif ntry_ref:
                entry.key = _hashed("camt", iban, ntry_ref, index if split else "")
            elif entry.end_to_end_id:
                entry.key = _hashed("camt", iban, entry.end_to_end_id, entry.amount)
            entries.append(entry)
        return entries

    def _details(self, entry: Entry, tx, debit: bool) -> None:
        e2e = self.text(tx, "Refs/EndToEndId")
        entry.end_to_end_id = "" if e2e == "NOTPROVIDED" else e2e[:35]
        reason = self.text(tx, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry")
        entry.return_code = reason[:8]
        sub = entry.bank_code.split("/")[-1]
        returned = bool(reason) or (debit and sub in RETURN_SUBFAMILIES)
        # The other party: who paid us, or whom we paid; a returned collection names our
        # client as debtor.
        party = "Dbtr" if not debit or returned else "Cdtr"
        entry.counterparty = self.text(tx, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm")[
            :140
        ]
        entry.counterparty_iban = self.text(tx, f"RltdPties/{party}Acct/Id/IBAN")[:34]
        parts = [
            element.text.strip()
            for element in tx.findall(self._path("RmtInf/Ustrd"), self.ns)
            if element.text and element.text.strip()
        ]
        parts += [
            element.text.strip()
            for element in tx.findall(self._path("RmtInf/Strd/CdtrRefInf/Ref"), self.ns)
            if element.text and element.text.strip()
        ]
        additional = self.text(tx, "AddtlTxInf")
        if additional:
            parts.append(additional)
        entry.remittance = " ".join(parts)[:500]


# --- CSV -----------------------------------------------------------------------------------

DATE_FORMATS = {
    "dd/mm/yyyy": "%d/%m/%Y",
    "dd/mm/yy": "%d/%m/%y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "yyyy-mm-dd": "%Y-%m-%d",
    "mm/dd/yyyy": "%m/%d/%Y",
}
COLUMNS = (
    "date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "label",
    "reference",
    "payer",
    "payer_iban",
    "currency",
)
DELIMITERS = (";", ",", "\t", "|")


@dataclass
class CsvMappingSpec:
    columns: dict[str, str]
    delimiter: str = ";"
    decimal_comma: bool = True
    date_format: str = "dd/mm/yyyy"
    header: bool = True
    skip_lines: int = 0
    account_iban: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "delimiter": self.delimiter,
            "decimal_comma": self.decimal_comma,
            "date_format": self.date_format,
            "header": self.header,
            "skip_lines": self.skip_lines,
            "account_iban": self.account_iban,
        }


def _error(message: str, name: str) -> DomainError:
    return DomainError(message, field=f"mapping.{name}" if name else "mapping")


def mapping_clean(raw: Any) -> CsvMappingSpec:
    """The mapping as given (a dict, from JSON or a form), checked field by field."""
    if not isinstance(raw, dict):
        raise _error(_("Give the CSV mapping as a JSON object."), "")
    columns = raw.get("columns")
    if not isinstance(columns, dict):
        raise _error(_("Name the columns: date, amount (or debit and credit), label..."), "columns")
    columns = {
        name: str(value).strip()
        for name, value in columns.items()
        if value is not None and str(value).strip()
    }
    unknown = sorted(set(columns) - set(COLUMNS))
    if unknown:
        raise _error(
            _("Unknown column role %(name)s; use: %(known)s.")
            % {"name": unknown[0], "known": ", ".join(COLUMNS)},
            f"columns.{unknown[0]}",
        )
    if "date" not in columns:
        raise _error(_("Which column holds the date?"), "columns.date")
    if "amount" not in columns and not ("debit" in columns and "credit" in columns):
        raise _error(
            _("Which column holds the amount (or which two hold the debit and the credit)?"),
            "columns.amount",
        )
    if "label" not in columns and "reference" not in columns:
        raise _error(_("Which column holds the label (remittance information)?"), "columns.label")
    delimiter = str(raw.get("delimiter", ";"))
    delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
    if delimiter not in DELIMITERS:
        raise _error(_("The delimiter must be ; , | or a tab."), "delimiter")
    date_format = str(raw.get("date_format", "dd/mm/yyyy")).strip().lower()
    if date_format not in DATE_FORMATS:
        raise _error(
            _("Choose a date format among: %(formats)s.") % {"formats": ", ".join(DATE_FORMATS)},
            "date_format",
        )
    try:
        skip = int(raw.get("skip_lines") or 0)
    except (TypeError, ValueError):
        skip = -1
    if not 0 <= skip <= 50:
        raise _error(_("Lines to skip: a whole number from 0 to 50."), "skip_lines")
    return CsvMappingSpec(
        columns=columns,
        delimiter=delimiter,
        decimal_comma=_boolean(raw.get("decimal_comma", True)),
        date_format=date_format,
        header=_boolean(raw.get("header", True)),
        skip_lines=skip,
        account_iban=re.sub(r"\s", "", str(raw.get("account_iban") or "")).upper()[:34],
    )


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "oui")
    return bool(value)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # French banks still export Windows-1252
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise DomainError(_("This file is not a text (CSV) file."), field="file")


def parse_csv(data: bytes, spec: CsvMappingSpec) -> Statement:
    text = _decode(data)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter))
    first = spec.skip_lines
    index: dict[str, int] = {}
    if spec.header:
        if len(rows) <= first:
            raise DomainError(_("The file has no header line."), field="file")
        header = [cell.strip().lower() for cell in rows[first]]
        if len(header) < 2:
            raise _error(
                _("Line %(line)s has a single column: is the delimiter right?")
                % {"line": first + 1},
                "delimiter",
            )
        for role, column in spec.columns.items():
            if column.lower() in header:
                index[role] = header.index(column.lower())
            elif column.isdigit() and 0 < int(column) <= len(header):
                index[role] = int(column) - 1
            else:
                raise _error(
                    _("Column “%(column)s” is not in the header; found: %(found)s.")
                    % {"column": column, "found": ", ".join(rows[first])},
                    f"columns.{role}",
                )
        first += 1
    else:
        for role, column in spec.columns.items():
            if not column.isdigit() or int(column) < 1:
                raise _error(
                    _("Without a header line, give the column's number (1 for the first)."),
                    f"columns.{role}",
                )
            index[role] = int(column) - 1
    statement = Statement(account_iban=spec.account_iban)
    seen: Counter[str] = Counter()
    for number, cells in enumerate(rows[first:], start=first + 1):
        if not any(cell.strip() for cell in cells):
            continue
        entry = _csv_entry(number, cells, index, spec)
        identity = _hashed(
            "csv",
            spec.account_iban,
            entry.booking_date,
            entry.amount,
            entry.remittance,
            entry.bank_reference,
            entry.counterparty,
        )
        seen[identity] += 1
        # Two identical rows in one export are two movements: the n-th of them keeps its rank.
        entry.key = _hashed(identity, seen[identity])
        statement.entries.append(entry)
        if len(statement.entries) > MAX_ENTRIES:
            raise DomainError(
                _("The file has more than %(max)d entries: split it.") % {"max": MAX_ENTRIES},
                field="file",
            )
    if not statement.entries:
        raise DomainError(_("The file has no entries under its header."), field="file")
    return statement.close()


def _csv_entry(number: int, cells: list[str], index: dict[str, int], spec) -> Entry:
    def cell(role: str) -> str:
        position = index.get(role)
        if position is None:
            return ""
        if position >= len(cells):
            raise DomainError(
                _("Line %(line)s has %(count)s columns: column %(role)s is missing.")
                % {"line": number, "count": len(cells), "role": spec.columns[role]},
                field="file",
            )
        return " ".join(cells[position].split())

    def amount(role: str) -> Decimal:
        raw = cell(role)
        if not raw:
            return Decimal("0.00")
        text = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        text = text.replace("€", "").replace("EUR", "")
        if spec.decimal_comma:
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            value = Decimal(text)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise DomainError(
                _("Line %(line)s, column %(column)s: “%(value)s” is not an amount.")
                % {"line": number, "column": spec.columns[role], "value": raw},
                field="file",
            ) from None
        return _money(str(value))

    def day(role: str) -> datetime.date | None:
        raw = cell(role)
        if not raw:
            return None
        try:
            return datetime.datetime.strptime(raw, DATE_FORMATS[spec.date_format]).date()
        except ValueError:
            raise DomainError(
                _("Line %(line)s, column %(column)s: “%(value)s” is not a date as %(format)s.")
                % {
                    "line": number,
                    "column": spec.columns[role],
                    "value": raw,
                    "format": spec.date_format,
                },
                field="file",
            ) from None

    booking = day("date")
    if booking is None:
        raise DomainError(
            _("Line %(line)s, column %(column)s: the date is empty.")
            % {"line": number, "column": spec.columns["date"]},
            field="file",
        )
    if "amount" in index:
        value = amount("amount")
    else:
        value = amount("credit").copy_abs() - amount("debit").copy_abs()
    if value == 0:
        raise DomainError(
            _("Line %(line)s: the amount is empty or zero.") % {"line": number}, field="file"
        )
    label, reference = cell("label"), cell("reference")
    returned = RETURN_CODE.search(label) if value < 0 else None
    return Entry(
        line=number,
        booking_date=booking,
        value_date=day("value_date"),
        amount=value,
        currency=(cell("currency") or "EUR").upper()[:3],
        counterparty=cell("payer")[:140],
        counterparty_iban=re.sub(r"\s", "", cell("payer_iban")).upper()[:34],
        remittance=label[:500],
        bank_reference=reference[:100],
        return_code=returned[1] if returned else "",
        end_to_end_id=reference[:35] if returned else "",
    )
