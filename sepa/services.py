"""Every write of direct debit: the creditor settings, mandates signed, revoked and lapsing, the
collection files exported, their debits turned into payments once their date has come, and the
pre-notifications that announce them."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError
from stdnum import bic as bic_number
from stdnum import iban as iban_number
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError

from clients.models import Company, Membership, User
from clients.rights import administers_company, is_firm_wide
from invoicing.pricing import money
from payments.models import Means, Source
from payments.services import payment_record
from sepa import selectors
from sepa.models import (
    PRENOTICE_MAX,
    PRENOTICE_MIN,
    Collection,
    CreditorSettings,
    Instruction,
    Mandate,
    PreNotification,
)
from sepa.text import mandate_text, text_digest
from tenants import storage
from tenants.errors import DomainError, PermissionDenied
from webhooks import events

log = logging.getLogger(__name__)
LAPSE_AFTER = relativedelta(months=36)
# Countries of the SEPA scheme (EPC list): an IBAN from elsewhere cannot be debited.
SEPA_COUNTRIES = frozenset(
    [
        "AD",
        "AT",
        "BE",
        "BG",
        "CH",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GI",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MC",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "SM",
        "VA",
        "AX",
        "BL",
        "GF",
        "GP",
        "MF",
        "MQ",
        "NC",
        "PF",
        "PM",
        "RE",
        "TF",
        "WF",
        "YT",
    ]
)


# --- settings ----------------------------------------------------------------------------------


def creditor_id_clean(value: Any) -> str:
    text = str(value or "").strip()
    try:
        creditor_id = at_02.validate(text)
    except StdnumError:
        creditor_id = ""
    if not creditor_id:
        raise DomainError(
            _("Enter a valid SEPA creditor identifier (ICS), such as FR72ZZZ123456."),
            field="creditor_id",
        )
    return creditor_id


def creditor_settings_update(
    *, actor: Any, creditor_id: Any, prenotice_days: Any
) -> CreditorSettings:
    """Record the firm's creditor identifier and its pre-notification delay (firm
    administrators and API keys)."""
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators may change these settings."))
    creditor_id = creditor_id_clean(creditor_id)
    try:
        days = int(str(prenotice_days).strip())
    except (TypeError, ValueError):
        days = 0
    if not PRENOTICE_MIN <= days <= PRENOTICE_MAX:
        raise DomainError(
            _("Enter a number of days between %(min)s and %(max)s.")
            % {"min": PRENOTICE_MIN, "max": PRENOTICE_MAX},
            field="prenotice_days",
        )
    with transaction.atomic():
        row, _created = CreditorSettings.objects.update_or_create(
            pk=1, defaults={"creditor_id": creditor_id, "prenotice_days": days}
        )
    return row


# --- mandates ----------------------------------------------------------------------------------


def iban_clean(value: Any) -> str:
    try:
        iban = iban_number.validate(str(value or ""))
    except StdnumError:
        iban = ""
    if not iban:
        raise DomainError(
            _("Enter a valid IBAN, such as FR76 3000 6000 0112 3456 7890 189."), field="iban"
        )
    if iban[:2] not in SEPA_COUNTRIES:
        raise DomainError(_("This IBAN is not from a country of the SEPA area."), field="iban")
    return iban


def bic_clean(value: Any) -> str:
    try:
        bic = bic_number.validate(str(value or ""))
    except StdnumError:
        bic = ""
    if not bic:
        raise DomainError(_("Enter a valid BIC, such as BNPAFRPPXXX."), field="bic")
    return bic


def _mandate_data(mandate: Mandate) -> dict[str, Any]:
    return {
        "id": mandate.pk,
        "reference": mandate.reference,
        "company": mandate.company_id,
        "status": mandate.status,
        "iban": mandate.iban_masked,
        "bic": mandate.bic,
        "signed_at": mandate.signed_at,
        "ended_at": mandate.ended_at,
    }


def _mandate_end(mandate: Mandate, *, status: str, actor: Any) -> None:
    """End `mandate` (its row locked by the caller); its debits not yet taken are withdrawn."""
    mandate.status = status
    mandate.ended_at = timezone.now()
    mandate.ended_by = actor if isinstance(actor, User) else None
    mandate.save(update_fields=["status", "ended_at", "ended_by"])
    Instruction.objects.filter(mandate=mandate, status=Instruction.Status.PENDING).update(
        status=Instruction.Status.FAILED,
        note=_("mandate ended before the debit date: withdraw it from the bank"),
    )
    events.emit("mandate.revoked", {**_mandate_data(mandate), "reason": status})


def mandate_sign(
    *,
    actor: Any,
    company: Company,
    holder_name: Any,
    iban: Any,
    bic: Any,
    consent: bool,
    language: str,
    shown_digest: str = "",
    ip: str | None = None,
    user_agent: str = "",
) -> Mandate:
    """A client administrator of `company` signs a mandate: it gets its reference (RUM) and
    replaces the active one, if any. The text signed, its language, when, from which address
    and browser are kept as evidence."""
    # The debtor signs: a client administrator, never the firm on its client's behalf.
    if not (
        isinstance(actor, User)
        and actor.is_active
        and Membership.objects.filter(
            user=actor, company=company, role=Membership.Role.ADMIN
        ).exists()
    ):
        raise PermissionDenied(_("Only a client administrator of the company may sign a mandate."))
    holder = " ".join(str(holder_name or "").split())
    if not holder:
        raise DomainError(_("Enter the name of the account holder."), field="holder_name")
    if len(holder) > 70:
        raise DomainError(_("At most 70 characters."), field="holder_name")
    iban = iban_clean(iban)
    bic = bic_clean(bic)
    if not consent:
        raise DomainError(_("Tick the box to give your consent to the mandate."), field="consent")
    language = language if language in ("fr", "en") else "fr"
    with transaction.atomic():
        Company.objects.select_for_update().only("pk").get(pk=company.pk)
        parties = selectors.mandate_parties(company)
        if parties is None:
            raise DomainError(_("Your firm does not offer direct debit yet."))
        text = mandate_text(parties, language)
        if shown_digest and shown_digest != text_digest(text):
            raise DomainError(
                _("The mandate text has changed since you opened the page: read it again."),
                field="consent",
            )
        previous = (
            Mandate.objects.select_for_update()
            .filter(company=company, status=Mandate.Status.ACTIVE)
            .first()
        )
        if previous is not None:
            _mandate_end(previous, status=Mandate.Status.REPLACED, actor=actor)
        sequence = (
            Mandate.objects.filter(company=company).aggregate(last=Max("sequence"))["last"] or 0
        ) + 1
        mandate = Mandate.objects.create(
            company=company,
            reference=f"RUM-{company.pk}-{sequence}",
            sequence=sequence,
            holder_name=holder,
            iban=iban,
            bic=bic,
            creditor_id=parties.creditor_id,
            creditor_name=parties.creditor_name,
            text=text,
            language=language,
            signed_at=timezone.now(),
            signed_by=actor,
            signer_email=actor.email,
            ip=ip or None,
            user_agent=str(user_agent or "")[:300],
        )
        events.emit("mandate.created", _mandate_data(mandate))
    return mandate


def mandate_revoke(*, actor: Any, mandate: Mandate) -> Mandate:
    """A client administrator of the company, or the firm's staff in charge of it, revokes an
    active mandate. Revoking it again changes nothing."""
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().select_related("company").get(pk=mandate.pk)
        if not administers_company(actor, locked.company):
            raise PermissionDenied(_("Only the company's administrators or its firm may do this."))
        if locked.status == Mandate.Status.ACTIVE:
            _mandate_end(locked, status=Mandate.Status.REVOKED, actor=actor)
    return locked


def mandates_lapse(*, today: datetime.date | None = None) -> int:
    """A mandate with no debit for 36 months lapses (EPC rulebook); returns how many did."""
    today = today or timezone.localdate()
    limit = today - LAPSE_AFTER
    lapsed = 0
    candidates = Mandate.objects.filter(status=Mandate.Status.ACTIVE).values_list(
        "pk", "last_debit", "signed_at"
    )
    for pk, last_debit, signed_at in candidates:
        since = last_debit or timezone.localtime(signed_at).date()
        if since >= limit:
            continue
        with transaction.atomic():
            mandate = (
                Mandate.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Mandate.Status.ACTIVE)
                .first()
            )
            if mandate is not None:
                _mandate_end(mandate, status=Mandate.Status.LAPSED, actor=None)
                lapsed += 1
    return lapsed


# --- collections -------------------------------------------------------------------------------


def _next_instruction_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('sepa_instruction', 'id'))")
        return int(cursor.fetchone()[0])


def _sequence_types(mandate_ids: set[int]) -> dict[int, str]:
    """FRST for a mandate never debited yet, RCUR once it has been (or is about to be)."""
    used = set(
        Instruction.objects.filter(
            mandate_id__in=mandate_ids,
            status__in=[Instruction.Status.PENDING, Instruction.Status.COLLECTED],
        ).values_list("mandate_id", flat=True)
    )
    return {
        pk: Instruction.Sequence.RECURRENT if pk in used else Instruction.Sequence.FIRST
        for pk in mandate_ids
    }


def _cents(amount: Decimal) -> int:
    return int(money(amount) * 100)


def collection_export(*, actor: Any, due_by: Any) -> Collection:
    """Export one pain.008.001.02 file debiting every open invoice due by `due_by` whose
    company has an active mandate: its balance, on its due date or the first bank day the
    pre-notification delay allows. The file is validated against its XSD and stored; the
    companies are told on commit."""
    from sepa.tasks import firm_prenotify
    from tenants.tasks import enqueue

    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm's administrators may export collections."))
    if isinstance(due_by, str):
        try:
            due_by = datetime.date.fromisoformat(due_by.strip())
        except ValueError:
            due_by = None
    if not isinstance(due_by, datetime.date):
        raise DomainError(_("Enter a date such as 2026-03-31."), field="due_by")
    creditor, profile = selectors.creditor_settings(), selectors.firm_profile()
    if not creditor.creditor_id:
        raise DomainError(
            _("Record the firm's SEPA creditor identifier (ICS) first."), code="settings"
        )
    if profile is None or not profile.iban or not profile.bic:
        raise DomainError(
            _("Record the firm's IBAN and BIC in its identity first: they receive the debits."),
            code="settings",
        )
    today = timezone.localdate()
    earliest = today + datetime.timedelta(days=creditor.prenotice_days)
    try:
        with transaction.atomic():
            return _export(actor, due_by, creditor, profile, earliest, enqueue, firm_prenotify)
    except IntegrityError:
        raise DomainError(
            _("Another export took some of these invoices at the same time: try again."),
            field="due_by",
        ) from None


def _export(actor, due_by, creditor, profile, earliest, enqueue, firm_prenotify) -> Collection:
    invoices = list(selectors.collectable_invoices(due_by).select_for_update(of=("self",)))
    if not invoices:
        raise DomainError(
            _("No open invoice due by this date has a company with an active mandate."),
            field="due_by",
        )
    mandates = {
        m.company_id: m
        for m in Mandate.objects.select_for_update().filter(
            company_id__in={i.company_id for i in invoices}, status=Mandate.Status.ACTIVE
        )
    }
    types = _sequence_types({m.pk for m in mandates.values()})
    sepa = SepaDD(
        {
            "name": profile.legal_name,
            "IBAN": profile.iban,
            "BIC": profile.bic,
            "batch": True,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
        },
        schema="pain.008.001.02",
    )
    rows = []
    for invoice in invoices:
        mandate = mandates[invoice.company_id]
        pk = _next_instruction_id()
        row = Instruction(
            pk=pk,
            invoice=invoice,
            mandate=mandate,
            amount=money(invoice.balance_due),
            collection_date=selectors.debit_date(invoice.due_date, earliest),
            sequence_type=types[mandate.pk],
            end_to_end_id=f"{invoice.number}-{pk}",
        )
        sepa.add_payment(
            {
                "name": mandate.holder_name,
                "IBAN": mandate.iban,
                "BIC": mandate.bic,
                "amount": _cents(row.amount),
                "type": row.sequence_type,
                "collection_date": row.collection_date,
                "mandate_id": mandate.reference,
                "mandate_date": timezone.localtime(mandate.signed_at).date(),
                "description": _invoice_label(invoice.number, invoice.language),
                "endtoend_id": row.end_to_end_id,
            }
        )
        rows.append(row)
    try:
        xml = sepa.export(validate=True)
    except SepaValidationError as error:
        log.error("pain.008 refused by its schema", exc_info=error)
        raise DomainError(
            _("The collection file could not be built: no file was exported.")
        ) from None
    total = sum((row.amount for row in rows), Decimal("0.00"))
    path = f"sepa/collections/{timezone.localdate():%Y}/{sepa.msg_id}.xml"
    collection = Collection.objects.create(
        created_by=actor if isinstance(actor, User) else None,
        due_by=due_by,
        message_id=sepa.msg_id,
        file_path=path,
        sha256="",
        total=total,
        count=len(rows),
    )
    for row in rows:
        row.collection = collection
    Instruction.objects.bulk_create(rows)
    collection.sha256 = storage.put(path, xml, content_type="application/xml")
    collection.save(update_fields=["sha256"])
    enqueue(firm_prenotify)
    return collection


def _invoice_label(number: str, language: str) -> str:
    with translation.override(language or "fr"):
        return _("Invoice %(number)s") % {"number": number}


def collection_file(collection: Collection) -> bytes:
    return storage.get(collection.file_path)


def instructions_collect(*, today: datetime.date | None = None) -> int:
    """Each debit whose date has come becomes a payment of its invoice (once: the EndToEndId is
    the payment's external id) and moves its mandate's last debit. Returns how many did."""
    today = today or timezone.localdate()
    collected = 0
    due = Instruction.objects.filter(
        status=Instruction.Status.PENDING, collection_date__lte=today
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            row = (
                Instruction.objects.select_for_update(skip_locked=True)
                .select_related("mandate")
                .filter(pk=pk, status=Instruction.Status.PENDING)
                .first()
            )
            if row is None:
                continue
            try:
                with transaction.atomic():
                    payment = payment_record(
                        actor=None,
                        invoice=row.invoice_id,
                        amount=row.amount,
                        date=row.collection_date,
                        means=Means.DIRECT_DEBIT,
                        source=Source.DIRECT_DEBIT,
                        reference=row.mandate.reference,
                        payer=row.mandate.holder_name,
                        external_id=row.end_to_end_id,
                    )
            except DomainError as error:
                row.status = Instruction.Status.FAILED
                row.note = str(error.message)[:200]
                row.save(update_fields=["status", "note"])
                log.warning("direct debit %s not recorded: %s", row.end_to_end_id, error.message)
                continue
            row.status = Instruction.Status.COLLECTED
            row.payment = payment
            row.save(update_fields=["status", "payment"])
            # PostgreSQL's GREATEST skips NULL: the first debit sets it.
            Mandate.objects.filter(pk=row.mandate_id).update(
                last_debit=Greatest(F("last_debit"), Value(row.collection_date))
            )
            collected += 1
    return collected


# --- pre-notifications -------------------------------------------------------------------------


def _recipients(company_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """(address, language) per company: its client administrators, and its billing address."""
    people: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    admins = Membership.objects.filter(
        company_id__in=company_ids, role=Membership.Role.ADMIN, user__is_active=True
    ).values_list("company_id", "user__email", "user__language")
    for company_id, email, language in admins:
        people[company_id][email.lower()] = (email, language)
    for company_id, email in Company.objects.filter(pk__in=company_ids).values_list(
        "pk", "billing_email"
    ):
        if email and email.lower() not in people[company_id]:
            people[company_id][email.lower()] = (email, "fr")
    return {company_id: list(found.values()) for company_id, found in people.items()}


def prenotifications_send(*, site_url: str) -> int:
    """Tell each company of its coming debits (ICS, RUM, amount, date): one e-mail per person
    and run, each debit announced once (per invoice and date). Returns the debits announced."""
    from django.core.mail import EmailMessage, get_connection

    creditor = selectors.creditor_settings()
    profile = selectors.firm_profile()
    today = timezone.localdate()
    with transaction.atomic():
        rows = list(
            selectors.pending_without_notice()
            .filter(collection_date__gt=today)
            .select_related("invoice__company", "mandate")
            .select_for_update(of=("self",), skip_locked=True)
        )
        if not rows:
            return 0
        people = _recipients({row.invoice.company_id for row in rows})
        by_company: dict[int, list[Instruction]] = defaultdict(list)
        for row in rows:
            late = (row.collection_date - today).days < creditor.prenotice_days
            if late:
                log.warning("pre-notification of %s sent late", row.end_to_end_id)
            PreNotification.objects.create(
                invoice_id=row.invoice_id,
                debit_date=row.collection_date,
                instruction=row,
                amount=row.amount,
                recipients=[email for email, _lang in people.get(row.invoice.company_id, [])],
            )
            by_company[row.invoice.company_id].append(row)
        creditor_name = profile.legal_name if profile else ""
        messages = []
        for company_id, debits in by_company.items():
            company = debits[0].invoice.company
            for address, language in people.get(company_id, []):
                subject, body = _prenotice_text(
                    company, debits, creditor_name, creditor.creditor_id, language, site_url
                )
                messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
        log.info("direct debits announced: %s debits, %s e-mails", len(rows), len(messages))
    if messages:
        get_connection().send_messages(messages)
    return len(rows)


def _prenotice_text(
    company: Company,
    debits: list[Instruction],
    creditor_name: str,
    creditor_id: str,
    language: str,
    site_url: str,
) -> tuple[str, str]:
    with translation.override(language or "fr"):
        lines = [
            _("- %(date)s: %(amount)s EUR, invoice %(number)s, mandate %(rum)s")
            % {
                "date": date_format(debit.collection_date, "SHORT_DATE_FORMAT"),
                "amount": number_format(debit.amount, 2, force_grouping=True),
                "number": debit.invoice.number,
                "rum": debit.mandate.reference,
            }
            for debit in debits
        ]
        values = {
            "creditor": creditor_name,
            "ics": creditor_id,
            "company": company.legal_name,
            "debits": "\n".join(lines),
            "url": f"{site_url}/entreprises/{company.pk}/prelevement/",
        }
        subject = _("Coming direct debit from %(creditor)s") % values
        body = (
            _(
                "Hello,\n\n%(creditor)s (SEPA creditor identifier %(ics)s) will debit the "
                "account of %(company)s:\n\n%(debits)s\n\n"
                "See your coming debits and your mandate in your space:\n%(url)s\n"
            )
            % values
        )
    return subject, body
