"""Cabinet > Entreprises > Importer / Exporter: companies and people as CSV or XLSX files.

An upload is read, checked and shown as a preview (what each row would create or change, and
why a row is refused) before anything is written; "Appliquer" then applies the valid rows.
The rows wait in the firm's cache for an hour, under a key only their uploader knows.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clients import bulk
from frontend.access import firm_admin_required

KINDS = {"companies": gettext_lazy("Companies"), "people": gettext_lazy("People")}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
KEEP_SECONDS = 3600
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel drops the leading zeros of numbers: identifiers typed as numbers get them back.
WIDTHS = {"siren": 9, "siret": 14, "company_siren": 9}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=KINDS.items())
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (separated by ; or ,) or Excel (.xlsx), with the columns of the export."
        ),
    )


class ImportFileError(Exception):
    pass


def _upsert(kind: str):
    return bulk.companies_upsert if kind == "companies" else bulk.people_import


def _run(actor: Any, kind: str, records: list[dict], *, apply: bool) -> list[bulk.Outcome]:
    outcomes: list[bulk.Outcome] = []
    for start in range(0, len(records), bulk.MAX_RECORDS):
        chunk = records[start : start + bulk.MAX_RECORDS]
        for outcome in _upsert(kind)(actor=actor, records=chunk, apply=apply):
            outcome.index += start
            outcomes.append(outcome)
    return outcomes


def read_rows(upload) -> list[dict[str, str]]:
    """The rows of an uploaded CSV or XLSX file, as {column: text}."""
    if upload.size > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 5 MB: split it."))
    data = upload.read()
    table = _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    header = [str(cell or "").strip().lower() for cell in next(table, [])]
    known = set(bulk.COMPANY_FIELDS) | set(bulk.PEOPLE_COLUMNS)
    if not header or not known.intersection(header):
        raise ImportFileError(
            _("The first line must name the columns, as in an export (legal_name, siren...).")
        )
    rows = []
    for cells in table:
        values = {name: _text(name, cell) for name, cell in zip(header, cells, strict=False)}
        if not any(values.values()):
            continue
        rows.append({name: value for name, value in values.items() if name in known})
        if len(rows) > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS}
            )
    if not rows:
        raise ImportFileError(_("The file has no rows under its header."))
    return rows


def _csv_rows(data: bytes) -> Iterable[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):  # French Excel saves CSV in Windows-1252
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly every byte
        raise ImportFileError(_("The file is neither UTF-8 nor Windows text."))
    if "\x00" in text:
        raise ImportFileError(_("This is not a CSV or XLSX file."))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return iter(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _xlsx_rows(data: bytes) -> Iterable[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise ImportFileError(_("This Excel file cannot be read.")) from None
    sheet = book.worksheets[0]
    return (list(row) for row in sheet.iter_rows(values_only=True))


def _text(name: str, cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if isinstance(cell, int) and name in WIDTHS:
        text = text.zfill(WIDTHS[name])
    return text


def _key(request, token: str) -> str:
    return f"bulk-import:{request.user.pk}:{token}"


@firm_admin_required
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_rows(form.cleaned_data["file"])
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            token = secrets.token_urlsafe(16)
            cache.set(
                _key(request, token),
                {"kind": form.cleaned_data["kind"], "rows": rows},
                KEEP_SECONDS,
            )
            return redirect("backoffice:import_preview", token=token)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "frontend/backoffice/imports/start.html",
        {"form": form, "kinds": KINDS},
        status=status,
    )


def _stored(request, token: str) -> dict:
    stored = cache.get(_key(request, token))
    if stored is None:
        raise Http404()
    return stored


@firm_admin_required
@require_GET
def import_preview(request, token):
    stored = _stored(request, token)
    outcomes = _run(request.user, stored["kind"], stored["rows"], apply=False)
    rows = [
        {
            "line": outcome.index + 2,
            "label": _label(stored["rows"][outcome.index]),
            "outcome": outcome,
        }
        for outcome in outcomes
    ]
    return render(
        request,
        "frontend/backoffice/imports/preview.html",
        {
            "token": token,
            "kind": stored["kind"],
            "kind_label": KINDS[stored["kind"]],
            "rows": rows,
            "summary": bulk.summary(outcomes),
        },
    )


def _label(row: dict[str, str]) -> str:
    """What a person recognises a row by."""
    names = ("legal_name", "siren") if "legal_name" in row or "siren" in row else ("email",)
    return " ".join(row[name] for name in names if row.get(name)) or row.get("external_id", "")


@firm_admin_required
@require_POST
def import_apply(request, token):
    stored = _stored(request, token)
    outcomes = _run(request.user, stored["kind"], stored["rows"], apply=True)
    cache.delete(_key(request, token))
    counts = bulk.summary(outcomes)
    messages.success(
        request,
        _(
            "Import applied: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(error)d rows refused."
        )
        % counts,
    )
    return redirect("backoffice:companies")


@firm_admin_required
@require_GET
def export(request, kind, fmt):
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise Http404()
    rows = bulk.companies_export_rows() if kind == "companies" else bulk.people_export_rows()
    name = {"companies": "entreprises", "people": "personnes"}[kind]
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8
        csv.writer(response, delimiter=";", lineterminator="\r\n").writerows(rows)
    else:
        response = HttpResponse(_xlsx(rows, name), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _xlsx(rows: Iterable[list[str]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
