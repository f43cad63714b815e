"""Bulk upserts of companies, people and memberships, keyed by the integrator's identifiers.

The API's `/bulk` endpoints and the back-office import both call these. Each call reads the
rows it may touch in a few queries, checks every record in Python with the same validators as
the single-record services, then writes the valid ones with `bulk_create` / `bulk_update` in
one transaction: an invalid record is reported and skipped, the others are applied.
`apply=False` checks and reports without writing (the import preview).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Company, Membership, User
from clients.rights import is_firm_wide
from clients.services import email_clean, phone_clean
from clients.validators import siren_clean, siret_clean, vat_clean
from tenants.errors import DomainError, PermissionDenied

MAX_RECORDS = 1000

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
ERROR = "error"
STATUSES = (CREATED, UPDATED, UNCHANGED, ERROR)

COMPANY_FIELDS = (
    "external_id",
    "legal_name",
    "siren",
    "siret",
    "vat_number",
    "legal_form",
    "share_capital",
    "address_line",
    "postal_code",
    "city",
    "country",
    "billing_email",
    "phone",
    "status",
    "billing",
    "payment_terms_days",
)
PERSON_FIELDS = ("external_id", "email", "first_name", "last_name", "phone", "language")
MEMBERSHIP_FIELDS = (
    "user_external_id",
    "user_email",
    "company_external_id",
    "company_siren",
    "role",
)
TEXT_LIMITS = {
    "external_id": 100,
    "legal_name": 200,
    "legal_form": 50,
    "address_line": 200,
    "postal_code": 10,
    "city": 100,
    "first_name": 150,
    "last_name": 150,
}


@dataclass
class Outcome:
    """What became of one record, in the order the records came."""

    index: int
    external_id: str | None
    status: str = UNCHANGED
    id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "external_id": self.external_id,
            "status": self.status,
            "id": self.id,
            "errors": {name: str(message) for name, message in self.errors.items()},
        }


def summary(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


class _Invalid(Exception):
    def __init__(self, field_name: str, message: Any):
        self.field = field_name
        self.message = message


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _Invalid(name, _("Enter text."))
    text = str(value).strip()
    limit = TEXT_LIMITS.get(name)
    if limit and len(text) > limit:
        raise _Invalid(
            name,
            _("Ensure this value has at most %(limit)d characters.") % {"limit": limit},
        )
    return text


def _check(errors: dict, name: str, clean: Callable[[], Any]) -> Any:
    """Run one field's check; its message lands in `errors[name]`."""
    try:
        return clean()
    except _Invalid as error:
        errors[error.field] = error.message
    except ValidationError as error:
        errors[name] = error.messages[0]
    except DomainError as error:
        errors[name] = error.message
    return None


def _guard(actor: Any, records: list) -> None:
    if not is_firm_wide(actor):
        raise PermissionDenied(_("Only the firm can import companies and people."))
    if len(records) > MAX_RECORDS:
        raise DomainError(
            _("Send at most %(max)d records per call.") % {"max": MAX_RECORDS},
            field="records",
            code="max_length",
        )


def _lock(name: str) -> None:
    """One bulk write of a kind at a time per firm: two calls creating the same key would
    otherwise both try to insert it."""
    key = zlib.crc32(f"{connection.schema_name}:{name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


# Companies


def _company_values(record: dict, errors: dict) -> dict[str, Any]:
    """The fields present in `record`, cleaned as `company_create` / `company_update` do."""
    values: dict[str, Any] = {}
    present = [name for name in COMPANY_FIELDS if name in record and name != "external_id"]
    for name in present:
        text = _check(errors, name, lambda name=name: _text(record, name))
        if name not in errors:
            values[name] = text
    if "legal_name" in values and not values["legal_name"]:
        errors["legal_name"] = _("This field is required.")
    if "siren" in values:
        values["siren"] = _check(errors, "siren", lambda: siren_clean(values["siren"]))
    siren = values.get("siren")
    if values.get("siret"):
        values["siret"] = _check(errors, "siret", lambda: siret_clean(values["siret"], siren=siren))
    if values.get("vat_number"):
        values["vat_number"] = _check(
            errors, "vat_number", lambda: vat_clean(values["vat_number"], siren=siren)
        )
    if values.get("billing_email"):
        values["billing_email"] = _check(
            errors,
            "billing_email",
            lambda: email_clean(values["billing_email"], field="billing_email"),
        )
    if "phone" in values:
        values["phone"] = _check(errors, "phone", lambda: phone_clean(values["phone"]))
    if "share_capital" in values:
        values["share_capital"] = _check(
            errors, "share_capital", lambda: _decimal(values["share_capital"])
        )
    if "payment_terms_days" in values:
        values["payment_terms_days"] = _check(
            errors, "payment_terms_days", lambda: _terms(values["payment_terms_days"])
        )
    if "country" in values:
        values["country"] = values["country"].upper() or "FR"
        if len(values["country"]) != 2 or not values["country"].isalpha():
            errors["country"] = _("Enter a two-letter country code, such as FR.")
    for name, choices, message in (
        ("status", Company.Status.values, _("Choose a valid status.")),
        ("billing", Company.Billing.values, _("Choose a valid billing mode.")),
    ):
        if name in values:
            values[name] = values[name] or Company._meta.get_field(name).default
            if values[name] not in choices:
                errors[name] = message
    return {name: value for name, value in values.items() if name not in errors}


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise _Invalid("share_capital", _("Enter a number.")) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise _Invalid("share_capital", _("Enter a number."))
    return value.quantize(Decimal("0.01"))


def _terms(text: str) -> int | None:
    if text == "":
        return None
    if not text.isdigit() or int(text) > 60:
        raise _Invalid("payment_terms_days", _("French law caps payment terms at 60 days."))
    return int(text)


def companies_upsert(*, actor: Any, records: list, apply: bool = True) -> list[Outcome]:
    """Create or update companies by `external_id`, or by SIREN when a record has none.

    A company the firm already has under that SIREN and without an external id is adopted.
    """
    _guard(actor, records)
    outcomes, parsed = _parse(records, _company_values)
    with transaction.atomic():
        if apply:
            _lock("companies")
        _companies_upsert(parsed, apply=apply)
    return outcomes


Parsed = list[tuple[Outcome, str, dict]]


def _parse(records: list, values_of: Callable[[dict, dict], dict]) -> tuple[list[Outcome], Parsed]:
    """Every record checked on its own, before any lock is taken: the costly part of a call."""
    outcomes: list[Outcome] = []
    parsed: Parsed = []
    for index, record in enumerate(records):
        errors: dict[str, Any] = {}
        if not isinstance(record, dict):
            outcomes.append(Outcome(index, None, ERROR, errors={"": _("Expected an object.")}))
            continue
        external_id = _check(errors, "external_id", lambda r=record: _text(r, "external_id"))
        values = values_of(record, errors)
        outcome = Outcome(index, external_id or None, errors=errors)
        outcomes.append(outcome)
        parsed.append((outcome, external_id or "", values))
    return outcomes, parsed


def _companies_upsert(parsed: Parsed, *, apply: bool) -> None:
    external_ids = {key for _o, key, _v in parsed if key}
    sirens = {values["siren"] for _o, _k, values in parsed if values.get("siren")}
    existing = list(Company.objects.filter(Q(external_id__in=external_ids) | Q(siren__in=sirens)))
    by_external = {company.external_id: company for company in existing if company.external_id}
    by_siren = {company.siren: company for company in existing}

    to_create: list[tuple[Outcome, Company]] = []
    to_update: dict[int, Company] = {}
    changed_fields: set[str] = set()
    seen_keys: set[str] = set()
    claimed_sirens: dict[str, int | None] = {}  # SIREN -> the company (pk) it ends up on
    now = timezone.now()
    for outcome, external_id, values in parsed:
        errors = outcome.errors
        key = external_id or values.get("siren") or ""
        if key and key in seen_keys:
            errors["external_id" if external_id else "siren"] = _(
                "This record appears twice in the same batch."
            )
        if not external_id and "siren" not in values and "siren" not in errors:
            errors["siren"] = _("Give an external_id or a SIREN.")
        if errors:
            outcome.status = ERROR
            continue
        seen_keys.add(key)
        company = by_external.get(external_id) if external_id else None
        if company is None:
            adopted = by_siren.get(values.get("siren", ""))
            if adopted is not None and (
                not external_id or adopted.external_id in (None, "", external_id)
            ):
                company = adopted
        siren = values.get("siren", company.siren if company else "")
        holder = by_siren.get(siren)
        if siren in claimed_sirens or (
            holder is not None and (company is None or holder.pk != company.pk)
        ):
            errors["siren"] = _("A company with this SIREN already exists in the firm.")
            outcome.status = ERROR
            continue
        claimed_sirens[siren] = company.pk if company else None
        if company is None:
            missing = [name for name in ("legal_name", "siren") if name not in values]
            for name in missing:
                errors[name] = _("This field is required.")
            if missing:
                outcome.status = ERROR
                continue
            company = Company(external_id=external_id or None, **values)
            outcome.status = CREATED
            to_create.append((outcome, company))
            continue
        outcome.id = company.pk
        changes = {name: value for name, value in values.items() if getattr(company, name) != value}
        if external_id and company.external_id != external_id:
            changes["external_id"] = external_id
        # identifiers checked against the SIREN the company will have
        vat = values.get("vat_number", company.vat_number)
        if vat and ("siren" in changes or "vat_number" in changes):
            changes["vat_number"] = _check(
                errors, "vat_number", lambda vat=vat, siren=siren: vat_clean(vat, siren=siren)
            )
        siret = values.get("siret", company.siret)
        if siret and ("siren" in changes or "siret" in changes):
            changes["siret"] = _check(
                errors, "siret", lambda siret=siret, siren=siren: siret_clean(siret, siren=siren)
            )
        if errors:
            outcome.status = ERROR
            continue
        changes = {name: new for name, new in changes.items() if getattr(company, name) != new}
        if not changes:
            continue
        for name, value in changes.items():
            setattr(company, name, value)
        company.updated_at = now
        changed_fields.update(changes)
        to_update[company.pk] = company
        outcome.status = UPDATED

    if apply:
        if to_update:
            Company.objects.bulk_update(
                list(to_update.values()), [*sorted(changed_fields), "updated_at"]
            )
        created = Company.objects.bulk_create([company for _o, company in to_create])
        for (outcome, _c), company in zip(to_create, created, strict=True):
            outcome.id = company.pk


# People


def _person_values(record: dict, errors: dict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        if name in record and name != "external_id":
            text = _check(errors, name, lambda name=name: _text(record, name))
            if name not in errors:
                values[name] = text
    if "email" in values:
        values["email"] = _check(errors, "email", lambda: email_clean(values["email"]))
    if "phone" in values:
        values["phone"] = _check(errors, "phone", lambda: phone_clean(values["phone"]))
    if "language" in values:
        values["language"] = values["language"].lower() or User.Language.FR
        if values["language"] not in User.Language.values:
            errors["language"] = _("Choose fr or en.")
    return {name: value for name, value in values.items() if name not in errors}


def users_upsert(*, actor: Any, records: list, apply: bool = True) -> list[Outcome]:
    """Create or update the firm's client people by `external_id`, or by e-mail when a
    record has none. New people have no password and receive no e-mail."""
    _guard(actor, records)
    outcomes, parsed = _parse(records, _person_values)
    with transaction.atomic():
        if apply:
            _lock("users")
        _users_upsert(parsed, apply=apply)
    return outcomes


def _users_upsert(parsed: Parsed, *, apply: bool) -> None:
    external_ids = {key for _o, key, _v in parsed if key}
    emails = {values["email"] for _o, _k, values in parsed if values.get("email")}
    existing = list(
        User.objects.filter(Q(external_id__in=external_ids) | Q(email__in=emails)).only(
            "pk",
            "external_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "language",
            "firm_role",
        )
    )
    by_external = {person.external_id: person for person in existing if person.external_id}
    by_email = {person.email: person for person in existing}

    to_create: list[tuple[Outcome, User]] = []
    to_update: dict[int, User] = {}
    changed_fields: set[str] = set()
    seen_keys: set[str] = set()
    claimed_emails: set[str] = set()
    unusable = make_password(None)
    for outcome, external_id, values in parsed:
        errors = outcome.errors
        key = external_id or values.get("email") or ""
        if key and key in seen_keys:
            errors["external_id" if external_id else "email"] = _(
                "This record appears twice in the same batch."
            )
        if not external_id and "email" not in values and "email" not in errors:
            errors["email"] = _("Give an external_id or an e-mail address.")
        if errors:
            outcome.status = ERROR
            continue
        seen_keys.add(key)
        person = by_external.get(external_id) if external_id else None
        if person is None:
            adopted = by_email.get(values.get("email", ""))
            if adopted is not None and (
                not external_id or adopted.external_id in (None, "", external_id)
            ):
                person = adopted
        email = values.get("email", person.email if person else "")
        holder = by_email.get(email)
        if email in claimed_emails or (
            holder is not None and (person is None or holder.pk != person.pk)
        ):
            errors["email"] = _("A person with this e-mail address already exists.")
            outcome.status = ERROR
            continue
        claimed_emails.add(email)
        if person is not None and person.firm_role:
            errors["email"] = _("This person is on the firm's staff: change them in Cabinet.")
            outcome.status = ERROR
            continue
        if person is None:
            if "email" not in values:
                errors["email"] = _("This field is required.")
                outcome.status = ERROR
                continue
            person = User(external_id=external_id or None, password=unusable, **values)
            outcome.status = CREATED
            to_create.append((outcome, person))
            continue
        outcome.id = person.pk
        changes = {name: value for name, value in values.items() if getattr(person, name) != value}
        if external_id and person.external_id != external_id:
            changes["external_id"] = external_id
        if not changes:
            continue
        for name, value in changes.items():
            setattr(person, name, value)
        changed_fields.update(changes)
        to_update[person.pk] = person
        outcome.status = UPDATED

    if apply:
        if to_update:
            User.objects.bulk_update(list(to_update.values()), sorted(changed_fields))
        created = User.objects.bulk_create([person for _o, person in to_create])
        for (outcome, _p), person in zip(to_create, created, strict=True):
            outcome.id = person.pk


# Memberships


def memberships_upsert(*, actor: Any, records: list, apply: bool = True) -> list[Outcome]:
    """Give people a role in companies: the person by `user_external_id` or `user_email`, the
    company by `company_external_id` or `company_siren`. Every company keeps at least one
    active client administrator."""
    _guard(actor, records)
    with transaction.atomic():
        if apply:
            _lock("memberships")
        return _memberships_upsert(records, apply=apply)


def _memberships_upsert(records: list, *, apply: bool) -> list[Outcome]:
    outcomes: list[Outcome] = []
    parsed: list[tuple[Outcome, dict]] = []
    for index, record in enumerate(records):
        errors: dict[str, Any] = {}
        if not isinstance(record, dict):
            outcomes.append(Outcome(index, None, ERROR, errors={"": _("Expected an object.")}))
            continue
        values = {
            name: _check(errors, name, lambda name=name, r=record: _text(r, name))
            for name in MEMBERSHIP_FIELDS
        }
        if values.get("user_email"):
            values["user_email"] = _check(
                errors, "user_email", lambda v=values: email_clean(v["user_email"])
            )
        if not values.get("user_external_id") and not values.get("user_email"):
            errors.setdefault("user_external_id", _("Give user_external_id or user_email."))
        if not values.get("company_external_id") and not values.get("company_siren"):
            errors.setdefault(
                "company_external_id", _("Give company_external_id or company_siren.")
            )
        if values.get("role") not in Membership.Role.values:
            errors.setdefault("role", _("Choose a valid role."))
        outcome = Outcome(index, None, errors=errors)
        outcomes.append(outcome)
        parsed.append((outcome, values))

    def wanted(name: str) -> set[str]:
        return {values[name] for _o, values in parsed if values.get(name)}

    people = list(
        User.objects.filter(
            Q(external_id__in=wanted("user_external_id")) | Q(email__in=wanted("user_email"))
        ).only("pk", "external_id", "email", "is_active")
    )
    companies = list(
        Company.objects.filter(
            Q(external_id__in=wanted("company_external_id")) | Q(siren__in=wanted("company_siren"))
        ).only("pk", "external_id", "siren")
    )
    person_by = {("x", p.external_id): p for p in people if p.external_id} | {
        ("e", p.email): p for p in people
    }
    company_by = {("x", c.external_id): c for c in companies if c.external_id} | {
        ("s", c.siren): c for c in companies
    }
    current = {
        (m.user_id, m.company_id): m
        for m in Membership.objects.filter(company__in=companies).only(
            "pk", "user_id", "company_id", "role"
        )
    }
    active = set(
        User.objects.filter(is_active=True, memberships__company__in=companies).values_list(
            "pk", flat=True
        )
    )

    resolved: list[tuple[Outcome, User, Company, str]] = []
    seen: set[tuple[int, int]] = set()
    for outcome, values in parsed:
        errors = outcome.errors
        if errors:
            outcome.status = ERROR
            continue
        person = (
            person_by.get(("x", values["user_external_id"]))
            if values["user_external_id"]
            else person_by.get(("e", values["user_email"]))
        )
        company = (
            company_by.get(("x", values["company_external_id"]))
            if values["company_external_id"]
            else company_by.get(("s", values["company_siren"]))
        )
        if person is None:
            errors["user_external_id" if values["user_external_id"] else "user_email"] = _(
                "No such person."
            )
        if company is None:
            errors["company_external_id" if values["company_external_id"] else "company_siren"] = _(
                "No such company."
            )
        if person is not None and company is not None and (person.pk, company.pk) in seen:
            errors["user_external_id"] = _("This record appears twice in the same batch.")
        if errors:
            outcome.status = ERROR
            continue
        seen.add((person.pk, company.pk))
        resolved.append((outcome, person, company, values["role"]))

    # the administrators each company will have once the batch is applied
    admins: dict[int, set[int]] = {}
    for (user_id, company_id), membership in current.items():
        if membership.role == Membership.Role.ADMIN and user_id in active:
            admins.setdefault(company_id, set()).add(user_id)
    for _o, person, company, role in resolved:
        team = admins.setdefault(company.pk, set())
        if role == Membership.Role.ADMIN and person.is_active:
            team.add(person.pk)
        else:
            team.discard(person.pk)

    to_create: list[tuple[Outcome, Membership]] = []
    to_update: list[Membership] = []
    for outcome, person, company, role in resolved:
        membership = current.get((person.pk, company.pk))
        if membership is None:
            outcome.status = CREATED
            to_create.append(
                (outcome, Membership(user_id=person.pk, company_id=company.pk, role=role))
            )
            continue
        outcome.id = membership.pk
        if membership.role == role:
            continue
        if membership.role == Membership.Role.ADMIN and not admins.get(company.pk):
            outcome.status = ERROR
            outcome.errors["role"] = _("A company keeps at least one client administrator.")
            continue
        membership.role = role
        to_update.append(membership)
        outcome.status = UPDATED

    if apply:
        if to_update:
            Membership.objects.bulk_update(to_update, ["role"])
        created = Membership.objects.bulk_create([m for _o, m in to_create])
        for (outcome, _m), membership in zip(to_create, created, strict=True):
            outcome.id = membership.pk
    return outcomes


# The back-office import and export: a person's companies travel in one column,
# "SIREN:role" entries separated by "|".

PEOPLE_COLUMNS = (*PERSON_FIELDS, "companies")


def people_import(*, actor: Any, records: list, apply: bool = True) -> list[Outcome]:
    """People and their roles in companies, as the import file gives them: roles are added or
    changed, never removed. With `apply=False` everything is done and rolled back, so the
    preview is exactly what applying would do."""
    with transaction.atomic():
        people = [
            {name: value for name, value in record.items() if name != "companies"}
            if isinstance(record, dict)
            else record
            for record in records
        ]
        outcomes = users_upsert(actor=actor, records=people)
        roles: list[dict] = []
        owners: list[Outcome] = []
        for outcome, record in zip(outcomes, records, strict=True):
            if outcome.status == ERROR:
                continue
            person = {"user_external_id": outcome.external_id or ""}
            if not outcome.external_id:
                person["user_email"] = _text(record, "email")
            for entry in _entries(record.get("companies")):
                siren, _sep, role = entry.partition(":")
                roles.append(person | {"company_siren": siren.strip(), "role": role.strip()})
                owners.append(outcome)
        for start in range(0, len(roles), MAX_RECORDS):
            chunk = roles[start : start + MAX_RECORDS]
            done = memberships_upsert(actor=actor, records=chunk)
            for membership, owner in zip(done, owners[start : start + MAX_RECORDS], strict=True):
                if membership.status == ERROR:
                    owner.status = ERROR
                    owner.errors["companies"] = next(iter(membership.errors.values()))
                elif membership.status != UNCHANGED and owner.status == UNCHANGED:
                    owner.status = UPDATED
        if not apply or any(outcome.status == ERROR for outcome in outcomes):
            # a row whose roles failed must not leave its person half-written: redo without it
            transaction.set_rollback(True)
    if apply and any(outcome.status == ERROR for outcome in outcomes):
        good = [
            record if outcome.status != ERROR else None
            for outcome, record in zip(outcomes, records, strict=True)
        ]
        kept = people_import(actor=actor, records=[r for r in good if r is not None])
        replayed = iter(kept)
        outcomes = [
            outcome if record is None else _renumbered(next(replayed), outcome.index)
            for outcome, record in zip(outcomes, good, strict=True)
        ]
    return outcomes


def _renumbered(outcome: Outcome, index: int) -> Outcome:
    outcome.index = index
    return outcome


def _entries(value: Any) -> list[str]:
    if not isinstance(value, str):
        return []
    return [entry.strip() for entry in value.split("|") if entry.strip()]


def companies_export_rows() -> Iterable[list[str]]:
    """Every company, in the columns `companies_upsert` reads back unchanged."""
    yield list(COMPANY_FIELDS)
    for company in Company.objects.order_by("legal_name", "id").iterator(chunk_size=2000):
        yield [_cell(getattr(company, name)) for name in COMPANY_FIELDS]


def people_export_rows() -> Iterable[list[str]]:
    """Every client person (not the firm's staff) and their roles, as `people_import` reads."""
    yield list(PEOPLE_COLUMNS)
    roles: dict[int, list[str]] = {}
    for user_id, siren, role in Membership.objects.order_by("company__siren").values_list(
        "user_id", "company__siren", "role"
    ):
        roles.setdefault(user_id, []).append(f"{siren}:{role}")
    people = User.objects.filter(firm_role=User.FirmRole.NONE).order_by("email")
    for person in people.iterator(chunk_size=2000):
        row = [_cell(getattr(person, name)) for name in PERSON_FIELDS]
        yield [*row, "|".join(roles.get(person.pk, []))]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
