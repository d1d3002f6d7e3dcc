"""Online, consistent backup and verified restore of the platform database (``countyzero db backup/restore``).

An archive is a ZIP file holding

* ``tables/<table>.jsonl`` — every table of the database's current schema (reflected, so tables that later
  migrations add are included without a change here), one JSON object per row, keys sorted, rows in primary-key
  order; dates as ISO 8601 text, binary as base64;
* ``manifest.json`` — format and version, the Alembic revision, the software version, when it was made, and per
  table its member, columns, row count and SHA-256; the audit chain's length, head hash and any problems found.

:func:`backup` reads everything in ONE read-only snapshot (SQLite: one read transaction on a WAL database;
PostgreSQL: one REPEATABLE READ READ ONLY transaction), so the server may keep writing, and writes the archive
all-or-nothing (:func:`countyzero.core.io.write_files`). :func:`restore` checks every member against the manifest
before touching the database, then in ONE transaction migrates the target to the archive's revision, loads every
table, resets PostgreSQL sequences and checks that the restored tables hash to the archive's checksums and that
the audit chain is the one backed up; any failure rolls everything back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text, types
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from countyzero import __version__
from countyzero.core.errors import InputError
from countyzero.core.io import write_files
from countyzero.store.db import (
    current_revision,
    database_name,
    head_revision,
    known_revision,
    migrate,
    reported_faults,
)

FORMAT = "countyzero-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
NOT_DATA = frozenset({"alembic_version"})  # the revision is in the manifest; the target's own table is migrated
INSERT_BATCH = 500


# values ------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A column value as JSON (the reverse is :func:`_typed`, led by the target column's type)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _typed(column_type: types.TypeEngine[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, types.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, types.Date):
        return date.fromisoformat(value)
    if isinstance(column_type, types.Time):
        return time.fromisoformat(value)
    if isinstance(column_type, types.Numeric) and not isinstance(column_type, types.Float):
        return Decimal(str(value))
    if isinstance(column_type, types.LargeBinary):
        return base64.b64decode(value)
    return value


def _table_lines(connection: Connection, table: Table) -> tuple[bytes, int]:
    """The table as JSON lines in primary-key order, and its row count."""
    order = list(table.primary_key.columns) or list(table.columns)
    out = io.BytesIO()
    rows = 0
    for row in connection.execute(select(table).order_by(*order)).mappings():
        line = json.dumps({key: _plain(value) for key, value in row.items()}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        out.write(line.encode("utf-8") + b"\n")
        rows += 1
    return out.getvalue(), rows


def _data_tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name not in NOT_DATA]


def _audit_chain(connection: Connection) -> dict[str, Any]:
    from countyzero.services import audit
    from countyzero.store.models import AuditEntry

    with Session(bind=connection) as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(1)).first()
        return {"length": audit.count(session), "head": last.hash if last else audit.GENESIS,
                "problems": audit.verify_chain(session)}


# backup ------------------------------------------------------------------------------------------
@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection reading one consistent state of the database, writing nothing."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                                postgresql_readonly=True) as connection:
            try:
                yield connection
            finally:
                connection.rollback()
    elif engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN")  # deferred: the first read below fixes the snapshot (WAL mode)
            try:
                yield connection
            finally:
                connection.rollback()
    else:
        raise InputError(f"backup supports SQLite and PostgreSQL, not {engine.dialect.name}",
                         file=database_name(engine))


def backup(engine: Engine, output: Path) -> dict[str, Any]:
    """Write a backup archive of ``engine``'s database to ``output`` (atomically) and return its manifest."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not url.query.get("uri") and not Path(str(url.database)).exists():
        raise InputError("no such database file", file=database_name(engine))  # connecting would create it
    members: dict[str, bytes] = {}
    with reported_faults(engine), _snapshot(engine) as connection:
        revision = current_revision(connection)
        if revision is None:
            raise InputError("the database has no schema to back up (run `countyzero db upgrade`)",
                             file=database_name(engine))
        tables: dict[str, Any] = {}
        for table in _data_tables(connection):
            data, rows = _table_lines(connection, table)
            member = f"tables/{table.name}.jsonl"
            members[member] = data
            tables[table.name] = {"member": member, "columns": [c.name for c in table.columns], "rows": rows,
                                  "sha256": hashlib.sha256(data).hexdigest()}
        chain = _audit_chain(connection) if "audit_entry" in tables else None
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "revision": revision,
                "software_version": __version__, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "dialect": engine.dialect.name, "tables": tables, "audit_chain": chain}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    write_files({output: buffer.getvalue()})
    return manifest


# reading an archive ------------------------------------------------------------------------------
def read_archive(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The manifest and every table's rows, after checking each member against the manifest.

    Raises
    ------
    InputError
        Naming the archive and the member that is missing, unexpected, corrupted or unreadable.
    """
    where = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"not a readable backup archive ({exc})", file=where) from None
    with archive:
        manifest = _manifest(archive, where)
        expected = {MANIFEST} | {entry["member"] for entry in manifest["tables"].values()}
        for name in archive.namelist():
            if name not in expected:
                raise InputError("member not listed in the manifest", file=f"{where}:{name}")
        rows: dict[str, list[dict[str, Any]]] = {}
        for table, entry in manifest["tables"].items():
            member = entry["member"]
            try:
                data = archive.read(member)
            except KeyError:
                raise InputError("member missing from the archive", file=f"{where}:{member}") from None
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # CRC errors and truncated data
                raise InputError(f"member corrupted ({exc})", file=f"{where}:{member}") from None
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise InputError("checksum does not match the manifest", file=f"{where}:{member}", field="sha256")
            rows[table] = _json_lines(data, f"{where}:{member}")
            if len(rows[table]) != entry["rows"]:
                raise InputError(f"{len(rows[table])} rows, the manifest says {entry['rows']}",
                                 file=f"{where}:{member}", field="rows")
    return manifest, rows


def _manifest(archive: zipfile.ZipFile, where: str) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise InputError("no manifest.json: not a CountyZero backup archive", file=where) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(f"manifest unreadable ({exc})", file=f"{where}:{MANIFEST}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError("not a CountyZero backup manifest", file=f"{where}:{MANIFEST}", field="format")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(f"format version {manifest.get('format_version')!r}; this CountyZero reads "
                         f"{FORMAT_VERSION}", file=f"{where}:{MANIFEST}", field="format_version")
    for key in ("revision", "tables", "audit_chain"):
        if key not in manifest:
            raise InputError("required field is missing", file=f"{where}:{MANIFEST}", field=key)
    tables = manifest["tables"]
    if not isinstance(tables, dict):
        raise InputError("must be a mapping of table names", file=f"{where}:{MANIFEST}", field="tables")
    for name, entry in tables.items():
        if not isinstance(entry, dict) or not {"member", "columns", "rows", "sha256"} <= set(entry):
            raise InputError("needs member, columns, rows and sha256", file=f"{where}:{MANIFEST}",
                             field=f"tables.{name}")
    return manifest


def _json_lines(data: bytes, where: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"not JSON ({exc})", file=where, row=number) from None
        if not isinstance(row, dict):
            raise InputError("not a JSON object", file=where, row=number)
        rows.append(row)
    return rows


# restore -----------------------------------------------------------------------------------------
@contextmanager
def _write_transaction(engine: Engine) -> Iterator[Connection]:
    """ONE transaction that includes the schema changes (SQLite: an explicit BEGIN IMMEDIATE)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()


def restore(engine: Engine, path: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the database's contents with the archive at ``path``; returns its manifest.

    Nothing changes unless every check passes: the archive's checksums, an empty target (or ``force``), a
    revision this software knows, the columns of every table, and after loading, the restored tables' checksums
    and audit chain.
    """
    manifest, rows = read_archive(path)
    where = str(path)
    revision = manifest["revision"]
    if not known_revision(revision):
        raise InputError(f"made at database revision {revision!r}, which CountyZero {__version__} does not know "
                         f"(its newest is {head_revision()!r}); restore it with a newer CountyZero",
                         file=f"{where}:{MANIFEST}", field="revision")
    database = database_name(engine)
    with reported_faults(engine), _write_transaction(engine) as connection:
        if not force:
            filled = [f"{table.name} ({count} rows)" for table in _data_tables(connection)
                      if (count := connection.scalar(select(func.count()).select_from(table)))]
            if filled:
                raise InputError(f"the target database is not empty: {', '.join(filled)}; restore into an empty "
                                 "database or pass --force to replace its contents", file=database)
        migrate(connection, revision)
        tables = {table.name: table for table in _data_tables(connection)}
        if set(tables) != set(manifest["tables"]):
            raise InputError(f"tables {sorted(manifest['tables'])} do not match the schema of revision {revision} "
                             f"({sorted(tables)})", file=f"{where}:{MANIFEST}", field="tables")
        for name, table in tables.items():
            columns = [c.name for c in table.columns]
            if sorted(manifest["tables"][name]["columns"]) != sorted(columns):
                raise InputError(f"columns do not match revision {revision} ({', '.join(columns)})",
                                 file=f"{where}:{MANIFEST}", field=f"tables.{name}.columns")
        with _triggers_suspended(connection, list(tables.values())):  # the ledger's refuse deleting its journal
            for table in reversed(tables.values()):
                connection.execute(table.delete())
            for name, table in tables.items():
                _load(connection, table, rows[name], f"{where}:{manifest['tables'][name]['member']}")
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, list(tables.values()))
        for name, table in tables.items():
            data, _ = _table_lines(connection, table)
            if hashlib.sha256(data).hexdigest() != manifest["tables"][name]["sha256"]:
                raise InputError("restored rows differ from the archive (checksum)", file=database, field=name)
        if manifest["audit_chain"] is not None and _audit_chain(connection) != manifest["audit_chain"]:
            raise InputError("the restored audit chain differs from the one backed up", file=database,
                             field="audit_entry")
    return manifest


@contextmanager
def _triggers_suspended(connection: Connection, tables: list[Table]) -> Iterator[None]:
    """The schema's own triggers (the ledger's append-only rules) off while a restore replaces every row, and back
    on before the same transaction ends: SQLite's are dropped and created again from their stored SQL; PostgreSQL's
    user triggers are disabled and enabled again."""
    if connection.dialect.name == "sqlite":
        saved = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL").all()
        for name, _ in saved:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        for _, sql in saved:
            connection.exec_driver_sql(sql)
    elif connection.dialect.name == "postgresql":
        quote = connection.dialect.identifier_preparer.quote
        for table in tables:
            connection.execute(text(f"ALTER TABLE {quote(table.name)} DISABLE TRIGGER USER"))
        yield
        for table in tables:
            connection.execute(text(f"ALTER TABLE {quote(table.name)} ENABLE TRIGGER USER"))
    else:
        yield


def _load(connection: Connection, table: Table, rows: list[dict[str, Any]], where: str) -> None:
    kinds = {column.name: column.type for column in table.columns}
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start:start + INSERT_BATCH]
        try:
            values = [{key: _typed(kinds[key], value) for key, value in row.items()} for row in batch]
        except (KeyError, ValueError, TypeError) as exc:
            raise InputError(f"value does not fit the column ({exc!r})", file=where, row=start + 1) from None
        try:
            connection.execute(table.insert(), values)
        except DBAPIError as exc:
            from countyzero.store.db import storage_fault

            if storage_fault(exc):
                raise
            raise InputError(f"cannot load rows {start + 1}-{start + len(batch)}: {exc.orig}", file=where) from None


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Point every serial/identity sequence past the restored ids (PostgreSQL keeps them apart from the rows)."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, types.Integer):
                continue
            sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": quote(table.name), "c": column.name})
            if sequence:
                connection.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({quote(column.name)}) FROM "
                                        f"{quote(table.name)}), 0) + 1, false)"), {"s": sequence})
