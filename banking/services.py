"""Importing bank statements and reconciling their entries with invoices (rapprochement).

A credit naming an invoice number pays it; one without pays the single open invoice of that
amount whose company the payer is; a returned direct debit reverses its collection. What cannot
be told for sure waits in the review list, where the firm matches it by hand or sets it aside.
Bank statements are the firm's own account: firm administrators and API keys only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banking import parsers
from banking.models import BankEntry, BankStatement, CsvMapping, StatementFormat
from clients.rights import is_firm_wide
from invoicing.models import Invoice, Kind
from invoicing.selectors import invoices_with_status
from payments.models import OPEN_STATUSES, Means, PaymentEvent, Source
from payments.services import _amount_clean, payment_record, payment_reverse
from tenants.errors import DomainError, NotFound, PermissionDenied
from tenants.tasks import enqueue

Status = BankEntry.Status
# A statement of up to this many new entries is reconciled within its import (a second or
# two); a longer one by a task, the page and the API following its progress.
INLINE_ENTRIES = 100
RECONCILE_BATCH = 200
# An invoice number as clients write it in a transfer: F-2026-000123, F 2026 123, f2026000123.
INVOICE_NUMBER = re.compile(r"(?<![A-Z0-9])F[\s\-_/.]?(20\d{2})[\s\-_/.]?(\d{1,6})(?!\d)", re.I)
LEGAL_FORMS = frozenset(
    (
        *("SARL", "SAS", "SASU", "SA", "EURL", "SCI", "SNC", "SELARL", "SELAS", "SCP", "SCM"),
        *("EI", "EIRL", "STE", "SOCIETE", "ETS", "ETABLISSEMENTS", "CIE", "ET"),
        *("M", "MR", "MME", "MLLE", "LA", "LE", "LES", "DE", "DU", "DES"),
    )
)
RETURN_REASONS = {
    "AC01": gettext_lazy("incorrect account number"),
    "AC04": gettext_lazy("account closed"),
    "AC06": gettext_lazy("account blocked"),
    "AG01": gettext_lazy("direct debit forbidden on this account"),
    "AM04": gettext_lazy("insufficient funds"),
    "AM05": gettext_lazy("duplicate collection"),
    "MD01": gettext_lazy("no valid mandate"),
    "MD06": gettext_lazy("refund requested by the debtor"),
    "MD07": gettext_lazy("debtor deceased"),
    "MS02": gettext_lazy("refused by the debtor"),
    "MS03": gettext_lazy("reason not specified"),
    "SL01": gettext_lazy("specific service of the debtor's bank"),
}


def _require_firm(actor: Any) -> None:
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators may reconcile bank statements."))


def _person(actor: Any) -> Any:
    person = getattr(actor, "is_authenticated", False) and not hasattr(actor, "key")
    return actor if person else None


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    created: bool  # False: this very file was imported before; nothing changed


def mapping_remembered() -> dict[str, Any]:
    row = CsvMapping.objects.filter(name="default").first()
    return dict(row.mapping) if row else {}


def statement_import(
    *,
    actor: Any,
    content: bytes,
    file_name: str = "",
    fmt: str,
    mapping: Any = None,
) -> ImportResult:
    """Read a statement file and store its new entries, `pending`. A statement of up to
    INLINE_ENTRIES new entries is reconciled at once; a longer one by a task sent once this
    commits. The same file again returns the first import; an entry already brought by an
    overlapping statement is kept once. A file that cannot be read writes nothing."""
    _require_firm(actor)
    if fmt not in StatementFormat.values:
        raise DomainError(_("Choose the format: camt053 or csv."), field="format")
    if not content:
        raise DomainError(_("The file is empty."), field="file")
    if len(content) > parsers.MAX_BYTES:
        raise DomainError(_("The file is larger than 10 MB: split it."), field="file")
    digest = hashlib.sha256(content).hexdigest()
    earlier = BankStatement.objects.filter(sha256=digest).first()
    if earlier is not None:
        return ImportResult(earlier, created=False)
    spec = None
    if fmt == StatementFormat.CSV:
        spec = parsers.mapping_clean(mapping if mapping is not None else mapping_remembered())
        parsed = parsers.parse_csv(content, spec)
    else:
        parsed = parsers.parse_camt053(content)
    with transaction.atomic():
        # One import at a time per firm: two overlapping statements sent at once still add
        # each entry once, and the same file sent twice at once is imported once.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_lock_name()])
        earlier = BankStatement.objects.filter(sha256=digest).first()
        if earlier is not None:
            return ImportResult(earlier, created=False)
        statement = BankStatement.objects.create(
            format=fmt,
            file_name=str(file_name or "")[:200],
            sha256=digest,
            account_iban=parsed.account_iban[:34],
            bank_id=parsed.bank_id[:100],
            period_start=parsed.period_start,
            period_end=parsed.period_end,
            entries_total=len(parsed.entries),
            imported_by=_person(actor),
        )
        fresh = {entry.key: entry for entry in parsed.entries}
        known = set(BankEntry.objects.filter(key__in=fresh).values_list("key", flat=True))
        rows = BankEntry.objects.bulk_create(
            [_row(statement, entry) for key, entry in fresh.items() if key not in known],
            batch_size=1000,
        )
        statement.entries_known = len(parsed.entries) - len(rows)
        statement.save(update_fields=["entries_known"])
        if spec is not None:
            CsvMapping.objects.update_or_create(
                name="default", defaults={"mapping": spec.as_dict()}
            )
        if len(rows) <= INLINE_ENTRIES:
            statement_reconcile(statement_id=statement.pk)
        else:
            from banking.tasks import reconcile

            enqueue(reconcile, statement.pk)
    return ImportResult(statement, created=True)


def _lock_name() -> str:
    return f"{connection.schema_name}:bank-import"


def _row(statement: BankStatement, entry: parsers.Entry) -> BankEntry:
    return BankEntry(
        statement=statement,
        key=entry.key,
        line=entry.line,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        amount=entry.amount,
        currency=entry.currency,
        counterparty=entry.counterparty,
        counterparty_iban=entry.counterparty_iban,
        remittance=entry.remittance,
        end_to_end_id=entry.end_to_end_id,
        bank_reference=entry.bank_reference,
        bank_code=entry.bank_code,
        return_code=entry.return_code,
        status=Status.PENDING,
    )


# --- automatic reconciliation ----------------------------------------------------------------


def statement_reconcile(*, statement_id: int) -> int:
    """Give the statement's pending entries their outcome, RECONCILE_BATCH at a time, each
    batch in one transaction with the payments it records. Safe to run again or twice at once:
    an entry already settled, or held by another run, is skipped. Returns the entries settled."""
    settled = 0
    while True:
        with transaction.atomic():
            batch = list(
                BankEntry.objects.select_for_update(skip_locked=True)
                .filter(statement_id=statement_id, status=Status.PENDING)
                .order_by("booking_date", "id")[:RECONCILE_BATCH]
            )
            if not batch:
                return settled
            books = _books_for(batch)
            for entry in batch:
                _settle(entry, books)
            now = timezone.now()
            for entry in batch:
                entry.updated_at = now
            BankEntry.objects.bulk_update(
                batch, ["status", "note", "invoice", "payment", "updated_at"]
            )
        settled += len(batch)


@dataclass
class _Books:
    """What the entries of one batch are reconciled against, read in a few queries, and what
    the batch itself changed in it since (the reads are not repeated per entry)."""

    named: dict[str, Invoice]  # invoices by number, whatever their status
    by_amount: dict[Decimal, list[Invoice]]  # open invoices by balance due, oldest due first
    paying_from: dict[str, set[int]]  # payer IBAN -> companies it pays for
    collections: dict[str, PaymentEvent]  # direct-debit collections by end-to-end id
    paid: dict[int, Decimal] = field(default_factory=dict)  # invoice id -> paid in this batch
    reversals: set[int] = field(default_factory=set)  # reversals given to an entry

    def balance(self, invoice: Invoice) -> Decimal:
        return invoice.balance_due - self.paid.get(invoice.pk, Decimal("0.00"))


def _numbers_of(entry: BankEntry) -> list[str]:
    return invoice_numbers_in(entry.remittance, entry.bank_reference, entry.end_to_end_id)


def _books_for(batch: list[BankEntry]) -> _Books:
    credits = [entry for entry in batch if entry.currency == "EUR" and entry.amount > 0]
    numbers = {number for entry in credits for number in _numbers_of(entry)}
    named = (
        {invoice.number: invoice for invoice in _invoices().filter(number__in=numbers)}
        if numbers
        else {}
    )
    amounts = {
        entry.amount
        for entry in credits
        if not any(number in named for number in _numbers_of(entry))
    }
    by_amount: dict[Decimal, list[Invoice]] = {}
    if amounts:
        rows = (
            _invoices()
            .filter(total_incl_vat__gte=min(amounts))
            .filter(payment_status__in=OPEN_STATUSES, balance_due__in=amounts)
            .order_by("due_date", "id")
        )
        for invoice in rows:
            by_amount.setdefault(invoice.balance_due, []).append(invoice)
    returns = {entry.end_to_end_id for entry in batch if entry.end_to_end_id and entry.amount < 0}
    collections = (
        {
            event.external_id: event
            for event in PaymentEvent.objects.filter(
                source=Source.DIRECT_DEBIT, kind=PaymentEvent.Kind.PAYMENT, external_id__in=returns
            )
        }
        if returns
        else {}
    )
    payers = {entry.counterparty_iban for entry in credits if entry.amount in amounts}
    return _Books(
        named=named,
        by_amount=by_amount,
        paying_from=_companies_paying_from(payers),
        collections=collections,
    )


def _settle(entry: BankEntry, books: _Books) -> None:
    """Give a pending entry its outcome; any refusal of the payment services leaves it to
    review with the reason (they write nothing when they refuse)."""
    try:
        if entry.currency != "EUR":
            _wait(entry, _("Not in euros (%(currency)s).") % {"currency": entry.currency})
        elif entry.amount > 0:
            _settle_credit(entry, books)
        elif _is_return(entry):
            _settle_return(entry, books)
        else:
            entry.status = Status.IGNORED
            entry.note = _("A debit: not a client payment.")
    except DomainError as error:
        _wait(entry, str(error.message) or _("Refused."))


def _wait(entry: BankEntry, note: str) -> None:
    entry.status = Status.TO_REVIEW
    entry.note = note[:300]
    entry.invoice = None
    entry.payment = None


def _is_return(entry: BankEntry) -> bool:
    family, _sep, sub = entry.bank_code.rpartition("/")
    return bool(entry.return_code) or sub in parsers.RETURN_SUBFAMILIES or family.endswith("RDDT")


def invoice_numbers_in(*texts: str) -> list[str]:
    """The invoice numbers a remittance names, written the firm's way (F-2026-000123)."""
    numbers: list[str] = []
    for text in texts:
        for year, sequence in INVOICE_NUMBER.findall(text or ""):
            number = f"F-{year}-{int(sequence):06d}"
            if number not in numbers:
                numbers.append(number)
    return numbers


def _invoices():
    return invoices_with_status(Invoice.objects.filter(kind=Kind.INVOICE).select_related("company"))


def _settle_credit(entry: BankEntry, books: _Books) -> None:
    named = [books.named[number] for number in _numbers_of(entry) if number in books.named]
    if len(named) > 1:
        _wait(
            entry,
            _("Several invoices named (%(numbers)s): split the amount by hand.")
            % {"numbers": ", ".join(invoice.number for invoice in named)},
        )
        return
    if len(named) == 1:
        invoice = named[0]
        balance = books.balance(invoice)
        if balance <= 0:
            _wait(entry, _("Invoice %(number)s is already paid.") % {"number": invoice.number})
        elif entry.amount > balance:
            _wait(
                entry,
                _("More than the %(amount)s left to pay on invoice %(number)s.")
                % {"amount": balance, "number": invoice.number},
            )
        else:
            _pay(entry, invoice, entry.amount, actor=None, books=books)
        return
    candidates = _by_amount_and_payer(entry, books)
    if len(candidates) == 1:
        _pay(entry, candidates[0], entry.amount, actor=None, books=books)
    elif candidates:
        _wait(
            entry,
            _("Several open invoices of this amount for this payer (%(numbers)s).")
            % {"numbers": ", ".join(invoice.number for invoice in candidates[:5])},
        )
    else:
        _wait(entry, _("No invoice number, and no single open invoice of this amount and payer."))


def _name_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().upper()
    words = [word for word in re.split(r"[^A-Z0-9]+", text) if word and word not in LEGAL_FORMS]
    return " ".join(words)


def names_match(payer: str, company_name: str) -> bool:
    """Banks shorten and upper-case names and add legal forms: BOULANGERIE MARTIN SARL is
    Boulangerie Martin."""
    left, right = _name_key(payer), _name_key(company_name)
    if len(left) < 4 or len(right) < 4:
        return left == right and bool(left)
    return left == right or f" {left} " in f" {right} " or f" {right} " in f" {left} "


def _iban_key(iban: str) -> str:
    return re.sub(r"\s", "", iban or "").upper()


def _companies_paying_from(ibans: set[str]) -> dict[str, set[int]]:
    """The companies each account pays for: those whose invoices earlier entries from it
    were matched to, and those whose SEPA mandate (any, even ended) names it."""
    keys = {_iban_key(iban) for iban in ibans} - {""}
    found: dict[str, set[int]] = {key: set() for key in keys}
    if not keys:
        return found
    matched = (
        BankEntry.objects.filter(counterparty_iban__in=keys | set(ibans), invoice__isnull=False)
        .order_by()
        .values_list("counterparty_iban", "invoice__company_id")
        .distinct()
    )
    for iban, company_id in matched:
        found.setdefault(_iban_key(iban), set()).add(company_id)
    for iban, company_id in _mandate_accounts(keys):
        found.setdefault(_iban_key(iban), set()).add(company_id)
    return found


def _mandate_accounts(ibans: set[str]) -> list[tuple[str, int]]:
    """(IBAN, company) of the SEPA mandates naming these accounts, when direct debit exists."""
    try:
        mandate = apps.get_model("sepa", "Mandate")
    except LookupError:
        return []
    return list(mandate.objects.filter(iban__in=ibans).values_list("iban", "company_id"))


def _by_amount_and_payer(entry: BankEntry, books: _Books) -> list[Invoice]:
    known = books.paying_from.get(_iban_key(entry.counterparty_iban), set())
    return [
        invoice
        for invoice in books.by_amount.get(entry.amount, [])
        if books.balance(invoice) == entry.amount
        and (
            invoice.company_id in known
            or names_match(entry.counterparty, invoice.company.legal_name)
        )
    ]


def _pay(
    entry: BankEntry,
    invoice: Invoice,
    amount: Decimal,
    *,
    actor: Any,
    books: _Books | None = None,
) -> None:
    payment = payment_record(
        actor=actor,
        invoice=invoice,
        amount=amount,
        date=entry.booking_date,
        means=Means.TRANSFER,
        source=Source.BANK,
        reference=entry.remittance[:140] or entry.bank_reference,
        payer=entry.counterparty,
        external_id=entry.key,
    )
    entry.status = Status.MATCHED
    entry.invoice_id = invoice.pk
    entry.payment = payment
    entry.note = ""
    if books is not None:
        books.paid[invoice.pk] = books.paid.get(invoice.pk, Decimal("0.00")) + amount
        iban = _iban_key(entry.counterparty_iban)
        if iban:
            books.paying_from.setdefault(iban, set()).add(invoice.company_id)


def return_reason(code: str) -> str:
    label = RETURN_REASONS.get(code)
    return f"{code} {label}" if label else code


def _settle_return(entry: BankEntry, books: _Books) -> None:
    original = books.collections.get(entry.end_to_end_id) if entry.end_to_end_id else None
    if original is None:
        _wait(
            entry,
            _("A returned direct debit (%(code)s) whose collection is not found.")
            % {"code": entry.return_code or entry.bank_code},
        )
        return
    _reverse(entry, original, claimed=books.reversals)


def _reverse(entry: BankEntry, original: PaymentEvent, *, claimed: set[int] | None = None) -> None:
    if original.amount != -entry.amount:
        _wait(
            entry,
            _("The return (%(returned)s) is not the amount collected (%(collected)s).")
            % {"returned": -entry.amount, "collected": original.amount},
        )
        return
    reversal = payment_reverse(
        actor=None,
        payment=original,
        date=entry.booking_date,
        reason=return_reason(entry.return_code) or _("returned by the bank"),
        source=Source.BANK,
        external_id=entry.key,
    )
    # Entries of the batch being settled are not saved yet: `claimed` holds their reversals.
    if (claimed is not None and reversal.pk in claimed) or BankEntry.objects.filter(
        payment=reversal
    ).exclude(pk=entry.pk).exists():
        _wait(entry, _("This direct debit was already returned by another entry."))
        return
    if claimed is not None:
        claimed.add(reversal.pk)
    entry.status = Status.REVERSED
    entry.invoice_id = original.invoice_id
    entry.payment = reversal
    entry.note = ""


# --- by hand ---------------------------------------------------------------------------------


def _locked_entry(entry: BankEntry | int) -> BankEntry:
    pk = entry.pk if isinstance(entry, BankEntry) else entry
    try:
        return BankEntry.objects.select_for_update().get(pk=pk)
    except (BankEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def entry_match(
    *, actor: Any, entry: BankEntry | int, invoice: Invoice | int, amount: Any = None
) -> BankEntry:
    """Match an entry waiting for review to an invoice: a credit pays it (all of the entry's
    amount, or part), a returned direct debit reverses that invoice's collection."""
    _require_firm(actor)
    invoice_pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.status != Status.TO_REVIEW:
            raise DomainError(_("This entry is no longer waiting for review."), field="entry")
        if locked.currency != "EUR":
            raise DomainError(_("Only entries in euros can be matched."), field="entry")
        target = Invoice.objects.filter(pk=invoice_pk, kind=Kind.INVOICE).first()
        if target is None:
            raise DomainError(_("Choose an invoice (not a credit note)."), field="invoice")
        if locked.amount > 0:
            paid = locked.amount if amount in (None, "") else _amount_clean(amount)
            if paid > locked.amount:
                raise DomainError(
                    _("At most the entry's amount, %(amount)s.") % {"amount": locked.amount},
                    field="amount",
                )
            _pay(locked, target, paid, actor=actor)
        else:
            original = (
                PaymentEvent.objects.filter(
                    invoice=target,
                    means=Means.DIRECT_DEBIT,
                    kind=PaymentEvent.Kind.PAYMENT,
                    amount=-locked.amount,
                    reversal__isnull=True,
                )
                .order_by("-date", "-id")
                .first()
            )
            if original is None:
                raise DomainError(
                    _("Invoice %(number)s has no direct debit of this amount to return.")
                    % {"number": target.number},
                    field="invoice",
                )
            _reverse(locked, original)
            if locked.status != Status.REVERSED:
                raise DomainError(locked.note, field="invoice")
        locked.handled_by = _person(actor)
        locked.save()
    return locked


def entry_ignore(*, actor: Any, entry: BankEntry | int, reason: str) -> BankEntry:
    """Set an entry aside (a supplier refund, an internal transfer...), with why."""
    _require_firm(actor)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise DomainError(_("Say why this entry is set aside."), field="reason")
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.status != Status.TO_REVIEW:
            raise DomainError(_("This entry is no longer waiting for review."), field="entry")
        locked.status = Status.IGNORED
        locked.note = reason[:300]
        locked.handled_by = _person(actor)
        locked.save(update_fields=["status", "note", "handled_by", "updated_at"])
    return locked


def entry_restore(*, actor: Any, entry: BankEntry | int) -> BankEntry:
    """Undo "set aside": the entry waits for review again."""
    _require_firm(actor)
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.status != Status.IGNORED:
            raise DomainError(_("Only an entry set aside can be put back."), field="entry")
        locked.status = Status.TO_REVIEW
        locked.note = ""
        locked.handled_by = _person(actor)
        locked.save(update_fields=["status", "note", "handled_by", "updated_at"])
    return locked
