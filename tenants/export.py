"""One firm as one archive, and back: its rows (one CSV member per table of its schema, read
with COPY), its S3 objects, and a manifest with the checksum of every member.

Import clones the template schema (tables, constraints, indexes, triggers), empties it and
loads the rows, so the archive only moves between installations whose migrations agree.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context, tenant_context

from tenants import storage
from tenants.clone import IDENTITY_COLUMNS, TABLES, clone_schema
from tenants.errors import DomainError, NotFound
from tenants.models import Domain, Firm
from tenants.provisioning import host_for, schema_for, slug_check

FORMAT = "comptoir-firm"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024

COLUMNS = """
    SELECT c.relname, a.attname
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    ORDER BY c.relname, a.attnum
"""


@dataclass(frozen=True)
class Summary:
    firm: Firm
    tables: int
    rows: int
    objects: int


# S3: every key of a firm, and their removal (every version, so nothing of it remains).


def prefix_of(schema: str) -> str:
    return f"firms/{schema}/"


def prefix_keys(prefix: str) -> Iterator[str]:
    paginator = storage.client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=prefix):
        for entry in page.get("Contents", []):
            yield entry["Key"]


def prefix_remove(prefix: str) -> int:
    """Delete every object and version under `prefix`; returns how many were deleted."""
    s3 = storage.client()
    paginator = s3.get_paginator("list_object_versions")
    removed = 0
    for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=prefix):
        entries = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            answer = s3.delete_objects(
                Bucket=settings.S3_BUCKET, Delete={"Objects": batch, "Quiet": True}
            )
            if answer.get("Errors"):
                error = answer["Errors"][0]
                raise RuntimeError(f"S3 refused to delete {error['Key']}: {error['Message']}")
            removed += len(batch)
    return removed


# Export.


def _catalog(schema: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(TABLES, [schema])
        tables: dict[str, list[str]] = {row[0]: [] for row in cursor.fetchall()}
        cursor.execute(COLUMNS, [schema])
        for table, column in cursor.fetchall():
            if table in tables:
                tables[table].append(column)
    return tables


def _migrations(schema: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, name FROM {_q(schema)}.django_migrations ORDER BY app, name"  # noqa: S608 - quoted identifier
        )
        return [list(row) for row in cursor.fetchall()]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(columns: Iterable[str]) -> str:
    return ", ".join(_q(column) for column in columns)


class _Hashing:
    """A file object that hashes and counts what is written to it."""

    def __init__(self, target: IO[bytes]):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)


def _add(tar: tarfile.TarFile, name: str, source: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    source.seek(0)
    tar.addfile(info, source)


def firm_export(*, slug: str, out: Path | str) -> Summary:
    """Write the firm `slug` to the archive `out` (a tar file), replaced only once complete."""
    try:
        firm = Firm.objects.get(slug=slug)
    except Firm.DoesNotExist:
        raise NotFound(_("No firm has this address."), field="slug") from None
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    members: dict[str, dict[str, Any]] = {}
    tables: dict[str, dict[str, Any]] = {}
    objects: dict[str, dict[str, Any]] = {}
    schema = firm.schema_name
    with transaction.atomic():
        if len(connection.atomic_blocks) == 1:
            # The outermost transaction: one snapshot for every table.
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        catalog = _catalog(schema)
        migrations = _migrations(schema)
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            for table, columns in catalog.items():
                name = f"data/{table}.csv"
                with tempfile.TemporaryFile() as scratch:
                    sink = _Hashing(scratch)
                    with connection.cursor() as cursor, connection.wrap_database_errors:
                        raw = cursor.cursor
                        with raw.copy(
                            f"COPY {_q(schema)}.{_q(table)} ({_columns(columns)}) "
                            "TO STDOUT (FORMAT csv, HEADER true)"
                        ) as copy:
                            for block in copy:
                                sink.write(block)
                        rows = raw.rowcount
                    _add(tar, name, scratch, sink.size)
                members[name] = {"sha256": sink.digest.hexdigest(), "size": sink.size}
                tables[table] = {"member": name, "columns": columns, "rows": rows}
            prefix = prefix_of(schema)
            for key in prefix_keys(prefix):
                path = key[len(prefix) :]
                name = f"objects/{path}"
                answer = storage.client().get_object(Bucket=settings.S3_BUCKET, Key=key)
                with tempfile.TemporaryFile() as scratch:
                    sink = _Hashing(scratch)
                    for block in iter(lambda body=answer["Body"]: body.read(CHUNK), b""):
                        sink.write(block)
                    _add(tar, name, scratch, sink.size)
                members[name] = {"sha256": sink.digest.hexdigest(), "size": sink.size}
                retain = answer.get("ObjectLockRetainUntilDate")
                objects[path] = {
                    "content_type": answer.get("ContentType") or "application/octet-stream",
                    "retain_until": retain.isoformat() if retain else None,
                }
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "exported_at": timezone.now().isoformat(),
                "firm": {
                    "name": firm.name,
                    "slug": firm.slug,
                    "siren": firm.siren,
                    "status": firm.status,
                    "created_at": firm.created_at.isoformat(),
                },
                "domains": [
                    {"domain": domain.domain, "is_primary": domain.is_primary}
                    for domain in Domain.objects.filter(tenant=firm).order_by("domain")
                ],
                "schema": schema,
                "migrations": migrations,
                "tables": tables,
                "objects": objects,
                "members": members,
            }
            body = json.dumps(manifest, indent=1, sort_keys=True).encode()
            _add(tar, MANIFEST, io.BytesIO(body), len(body))
    os.replace(partial, out)
    return Summary(
        firm=firm,
        tables=len(tables),
        rows=sum(table["rows"] for table in tables.values()),
        objects=len(objects),
    )


# Import.


def _refuse(message: Any) -> DomainError:
    return DomainError(message, field="archive", code="invalid_archive")


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        source = tar.extractfile(MANIFEST)
        manifest = json.loads(source.read()) if source else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(_("This file is not a firm export."))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _refuse(
            _(
                "Export format version %(found)s is not supported "
                "(this installation reads %(ours)s)."
            )
            % {"found": manifest.get("format_version"), "ours": FORMAT_VERSION}
        )
    return manifest


def _verify(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member is listed, regular, and has its recorded size and SHA-256."""
    listed: dict[str, dict[str, Any]] = manifest["members"]
    present = {member.name: member for member in tar.getmembers() if member.name != MANIFEST}
    unlisted = sorted(set(present) - set(listed))
    missing = sorted(set(listed) - set(present))
    if unlisted or missing:
        raise _refuse(
            _("The archive does not match its manifest: %(name)s.")
            % {"name": (missing or unlisted)[0]}
        )
    for name, expected in listed.items():
        member = present[name]
        source = tar.extractfile(member) if member.isfile() else None
        if source is None:
            raise _refuse(_("The archive does not match its manifest: %(name)s.") % {"name": name})
        digest = hashlib.sha256()
        for block in iter(lambda source=source: source.read(CHUNK), b""):
            digest.update(block)
        if member.size != expected["size"] or digest.hexdigest() != expected["sha256"]:
            raise _refuse(
                _("The archive was altered: %(name)s does not match its checksum.") % {"name": name}
            )
    for table in manifest["tables"].values():
        if table["member"] not in listed:
            raise _refuse(
                _("The archive does not match its manifest: %(name)s.") % {"name": table["member"]}
            )
    for path in manifest["objects"]:
        if f"objects/{path}" not in listed or not _safe_path(path):
            raise _refuse(_("The archive does not match its manifest: %(name)s.") % {"name": path})


def _safe_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and all(part not in ("", ".", "..") for part in parts)


def _compatible(manifest: dict[str, Any], template: str) -> None:
    """Same migrations, same tables and columns as this installation's template."""
    ours = {tuple(row) for row in _migrations(template)}
    theirs = {tuple(row) for row in manifest["migrations"]}
    if ours != theirs:
        only_theirs = sorted(theirs - ours)
        only_ours = sorted(ours - theirs)
        parts = []
        if only_theirs:
            parts.append(
                str(_("only in the archive: %(names)s"))
                % {"names": ", ".join(f"{app}.{name}" for app, name in only_theirs[:5])}
            )
        if only_ours:
            parts.append(
                str(_("only here: %(names)s"))
                % {"names": ", ".join(f"{app}.{name}" for app, name in only_ours[:5])}
            )
        raise DomainError(
            _("The archive's migrations differ from this installation's (%(diff)s).")
            % {"diff": "; ".join(parts)},
            field="archive",
            code="migrations",
        )
    catalog = _catalog(template)
    for table, described in manifest["tables"].items():
        if set(catalog.get(table, ())) != set(described["columns"]):
            raise DomainError(
                _("The table %(table)s differs from this installation's.") % {"table": table},
                field="archive",
                code="migrations",
            )
    absent = sorted(set(catalog) - set(manifest["tables"]))
    if absent:
        raise DomainError(
            _("The table %(table)s differs from this installation's.") % {"table": absent[0]},
            field="archive",
            code="migrations",
        )


def _load_rows(tar: tarfile.TarFile, manifest: dict[str, Any], schema: str) -> None:
    """Empty the cloned tables and load the archive's rows. Django's foreign keys are
    deferrable: they are checked all at once at the end, whatever the order of the tables."""
    tables = manifest["tables"]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "TRUNCATE " + ", ".join(f"{_q(schema)}.{_q(table)}" for table in sorted(tables))
        )
        raw = cursor.cursor
        for table, described in sorted(tables.items()):
            source = tar.extractfile(described["member"])
            assert source is not None
            with raw.copy(
                f"COPY {_q(schema)}.{_q(table)} ({_columns(described['columns'])}) "
                "FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy:
                for block in iter(lambda source=source: source.read(CHUNK), b""):
                    copy.write(block)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(IDENTITY_COLUMNS, [schema])
        for table, column in cursor.fetchall():
            highest = f"SELECT max({_q(column)}) FROM {_q(schema)}.{_q(table)}"  # noqa: S608 - quoted identifiers
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"COALESCE(({highest}), 0) + 1, false)",
                [f"{_q(schema)}.{_q(table)}", column],
            )


def _put_objects(tar: tarfile.TarFile, manifest: dict[str, Any], written: list[str]) -> None:
    s3 = storage.client()
    for path, described in sorted(manifest["objects"].items()):
        source = tar.extractfile(f"objects/{path}")
        assert source is not None
        key = storage.key_for(path)
        s3.upload_fileobj(
            source,
            settings.S3_BUCKET,
            key,
            ExtraArgs={"ContentType": described["content_type"]},
        )
        written.append(key)


def _lock_objects(manifest: dict[str, Any], schema: str) -> None:
    """Put back each object's retention; after the commit, since a locked object stays."""
    if not settings.S3_OBJECT_LOCK:
        return
    s3 = storage.client()
    for path, described in manifest["objects"].items():
        if described.get("retain_until"):
            s3.put_object_retention(
                Bucket=settings.S3_BUCKET,
                Key=prefix_of(schema) + path,
                Retention={
                    "Mode": "COMPLIANCE",
                    "RetainUntilDate": datetime.datetime.fromisoformat(described["retain_until"]),
                },
            )


def firm_import(*, archive: Path | str, slug: str | None = None) -> Summary:
    """Create the firm of `archive` here, under `slug` (by default its own). Everything is
    checked before anything is written; a failure afterwards leaves nothing."""
    try:
        tar = tarfile.open(archive, "r:")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError):
        raise _refuse(_("This file is not a firm export.")) from None
    with tar:
        manifest = _manifest(tar)
        _verify(tar, manifest)
        slug = slug_check(slug or manifest["firm"]["slug"])
        template = settings.TENANT_BASE_SCHEMA
        _compatible(manifest, template)
        schema = schema_for(slug)
        if next(prefix_keys(prefix_of(schema)), None) is not None:
            raise DomainError(
                _("Objects are already stored for this address: remove them first."),
                field="slug",
                code="taken",
            )
        written: list[str] = []
        try:
            with transaction.atomic():
                described = manifest["firm"]
                firm = Firm.objects.create(
                    schema_name=schema,
                    name=described["name"],
                    slug=slug,
                    siren=described["siren"],
                    status=described.get("status", Firm.Status.ACTIVE),
                )
                Firm.objects.filter(pk=firm.pk).update(
                    created_at=datetime.datetime.fromisoformat(described["created_at"])
                )
                Domain.objects.create(domain=host_for(slug), tenant=firm, is_primary=True)
                clone_schema(template, schema)
                _load_rows(tar, manifest, schema)
                with tenant_context(firm):
                    _put_objects(tar, manifest, written)
        except BaseException:
            _forget(written)
            raise
        finally:
            connection.set_schema_to_public()
    _lock_objects(manifest, schema)
    firm.refresh_from_db()
    tables = manifest["tables"].values()
    return Summary(
        firm=firm,
        tables=len(manifest["tables"]),
        rows=sum(table["rows"] for table in tables),
        objects=len(manifest["objects"]),
    )


def _forget(keys: list[str]) -> None:
    s3 = storage.client()
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=settings.S3_BUCKET,
            Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
        )


def schema_row_counts(schema: str) -> dict[str, int]:
    """Rows of every table of `schema` (exact counts, for checks after an import)."""
    with schema_context(schema), connection.cursor() as cursor:
        counts = {}
        for table in _catalog(schema):
            cursor.execute(f"SELECT count(*) FROM {_q(schema)}.{_q(table)}")  # noqa: S608 - quoted identifier
            counts[table] = cursor.fetchone()[0]
    return counts
