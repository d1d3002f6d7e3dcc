"""`countyzero db backup` / `db restore`: consistent while the database is written, verified, all-or-nothing.

SQLite always; PostgreSQL (and SQLite ⇄ PostgreSQL) when $COUNTYZERO_TEST_POSTGRES_URL is set (``make test``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from countyzero.cli import app
from countyzero.core.errors import InputError
from countyzero.services import audit
from countyzero.store.backup import MANIFEST, _data_tables, _table_lines, backup, read_archive, restore
from countyzero.store.db import head_revision, make_engine, session_factory
from countyzero.store.models import Assessment, AuditEntry, Organisation
from tests.reliability.conftest import add_inventory, analyst, filled

Url = Callable[[str], str]


def tables_of(engine: Engine) -> dict[str, bytes]:
    """Every data table of the database as its backup lines (what the checksums cover)."""
    with engine.connect() as connection:
        return {table.name: _table_lines(connection, table)[0] for table in _data_tables(connection)}


def rewrite(archive: Path, member: str, change: Callable[[bytes], bytes], *, fix_checksum: bool = False) -> None:
    """Change one member of an archive (and, to forge a consistent archive, its checksum in the manifest)."""
    with zipfile.ZipFile(archive) as old:
        members = {name: old.read(name) for name in old.namelist()}
    members[member] = change(members[member])
    if fix_checksum:
        manifest = json.loads(members[MANIFEST])
        for entry in manifest["tables"].values():
            if entry["member"] == member:
                entry["sha256"] = hashlib.sha256(members[member]).hexdigest()
        members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(archive, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)


def round_trip(source_url: str, target_url: str, tmp_path: Path, dispose: Callable[[Any], Any]) -> None:
    sessions = dispose(filled(source_url))
    source = sessions.kw["bind"]
    manifest = backup(source, tmp_path / "backup.zip")
    assert manifest["tables"]["assessment"]["rows"] == 2 and manifest["audit_chain"]["length"] == 5
    target = dispose(make_engine(target_url))
    restore(target, tmp_path / "backup.zip")
    assert tables_of(target) == tables_of(source)
    restored = session_factory(target)
    with restored() as session:
        assert audit.verify_chain(session) == []
    # ids and sequences continue after the restored rows, and the chain grows from the restored head
    new_id = add_inventory(restored, analyst(restored), "after restore")
    assert new_id == 3
    with restored() as session:
        assert audit.verify_chain(session) == [] and audit.count(session) == 6


def test_sqlite_round_trip(sqlite_url: Url, tmp_path: Path, dispose: Callable[[Any], Any]) -> None:
    round_trip(sqlite_url("source"), sqlite_url("target"), tmp_path, dispose)


def test_sqlite_to_postgresql(sqlite_url: Url, postgres_url: str, tmp_path: Path,
                              dispose: Callable[[Any], Any]) -> None:
    round_trip(sqlite_url("source"), postgres_url, tmp_path, dispose)


def test_postgresql_to_sqlite(sqlite_url: Url, postgres_url: str, tmp_path: Path,
                              dispose: Callable[[Any], Any]) -> None:
    round_trip(postgres_url, sqlite_url("target"), tmp_path, dispose)


def test_archive_is_checked_before_the_database_is_touched(sqlite_url: Url, tmp_path: Path,
                                                           dispose: Callable[[Any], Any]) -> None:
    archive = tmp_path / "backup.zip"
    backup(dispose(filled(sqlite_url("source"))).kw["bind"], archive)
    rewrite(archive, "tables/assessment.jsonl", lambda data: data.replace(b"inventory 1", b"inventory 9"))
    target = dispose(make_engine(sqlite_url("target")))
    with pytest.raises(InputError, match=r"backup.zip:tables/assessment.jsonl.*checksum"):
        restore(target, archive)
    assert inspect(target).get_table_names() == []  # not even migrated

    archive.write_bytes(archive.read_bytes()[:-200])  # truncated: the ZIP directory is gone
    with pytest.raises(InputError, match="not a readable backup archive"):
        read_archive(archive)


def test_restore_refuses_a_non_empty_database_unless_forced(sqlite_url: Url, tmp_path: Path,
                                                            dispose: Callable[[Any], Any]) -> None:
    archive = tmp_path / "backup.zip"
    source = dispose(filled(sqlite_url("source"))).kw["bind"]
    backup(source, archive)
    target_sessions = dispose(filled(sqlite_url("target"), inventories=5))
    target = target_sessions.kw["bind"]
    before = tables_of(target)
    with pytest.raises(InputError, match=r"not empty: .*assessment \(5 rows\).*--force"):
        restore(target, archive)
    assert tables_of(target) == before
    restore(target, archive, force=True)
    assert tables_of(target) == tables_of(source)


def test_a_failed_check_after_loading_rolls_everything_back(sqlite_url: Url, tmp_path: Path,
                                                            dispose: Callable[[Any], Any]) -> None:
    """A forged archive (consistent checksums, edited audit entry) is loaded, found out, and rolled back."""
    archive = tmp_path / "backup.zip"
    backup(dispose(filled(sqlite_url("source"))).kw["bind"], archive)
    rewrite(archive, "tables/audit_entry.jsonl", lambda data: data.replace(b"inventory 1", b"inventory X"),
            fix_checksum=True)
    empty = dispose(make_engine(sqlite_url("empty")))
    with pytest.raises(InputError, match="audit chain differs"):
        restore(empty, archive)
    assert inspect(empty).get_table_names() == []  # the migration was rolled back with the rows
    target = dispose(filled(sqlite_url("target"), inventories=1)).kw["bind"]
    before = tables_of(target)
    with pytest.raises(InputError, match="audit chain differs"):
        restore(target, archive, force=True)
    assert tables_of(target) == before


def test_archive_of_an_unknown_revision_is_refused(sqlite_url: Url, tmp_path: Path,
                                                   dispose: Callable[[Any], Any]) -> None:
    archive = tmp_path / "backup.zip"
    backup(dispose(filled(sqlite_url("source"))).kw["bind"], archive)
    head = f'"revision": "{head_revision()}"'.encode()
    rewrite(archive, MANIFEST, lambda data: data.replace(head, b'"revision": "9999"'))
    with pytest.raises(InputError, match=r"manifest.json, field 'revision': .*'9999'"):
        restore(dispose(make_engine(sqlite_url("target"))), archive)


def _backups_while_writing(sessions: sessionmaker[Session], tmp_path: Path, scratch: Url,
                           dispose: Callable[[Any], Any]) -> None:
    """Take backups while another thread stores inventories; every archive is one consistent state."""
    who = analyst(sessions)
    stop = threading.Event()
    errors: list[BaseException] = []
    written = [0]

    def writer() -> None:
        try:
            while not stop.is_set():
                add_inventory(sessions, who, f"concurrent {written[0]}")
                written[0] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    counts = []
    try:
        for number in range(4):
            seen = written[0]
            deadline = time.monotonic() + 10
            while written[0] == seen and time.monotonic() < deadline and not errors:
                time.sleep(0.005)  # at least one write between two backups
            manifest = backup(sessions.kw["bind"], tmp_path / f"during-{number}.zip")
            counts.append(manifest["tables"]["assessment"]["rows"])
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert counts == sorted(counts) and counts[-1] > counts[0], "the writer did not run during the backups"
    for number in range(4):
        manifest, rows = read_archive(tmp_path / f"during-{number}.zip")
        audited = {row["entity_id"] for row in rows["audit_entry"] if row["action"] == "assess"}
        assert {str(row["id"]) for row in rows["assessment"]} == audited  # no assessment without its entry
        target = dispose(make_engine(scratch(f"check-{number}")))
        restore(target, tmp_path / f"during-{number}.zip")  # verifies the restored audit chain
        with Session(target) as session:
            assert session.scalar(select(AuditEntry.hash).order_by(AuditEntry.sequence.desc()).limit(1)) == \
                manifest["audit_chain"]["head"]
            assert len(session.scalars(select(Assessment)).all()) == counts[number]


def test_sqlite_backup_while_another_thread_writes(sqlite_url: Url, tmp_path: Path,
                                                   dispose: Callable[[Any], Any]) -> None:
    _backups_while_writing(dispose(filled(sqlite_url("live"))), tmp_path, sqlite_url, dispose)


def test_postgresql_backup_while_another_thread_writes(postgres_url: str, sqlite_url: Url, tmp_path: Path,
                                                       dispose: Callable[[Any], Any]) -> None:
    _backups_while_writing(dispose(filled(postgres_url)), tmp_path, sqlite_url, dispose)


def test_cli_backup_and_restore(sqlite_url: Url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                dispose: Callable[[Any], Any]) -> None:
    runner = CliRunner()
    dispose(filled(sqlite_url("source")))
    monkeypatch.setenv("COUNTYZERO_DATABASE_URL", sqlite_url("source"))
    made = runner.invoke(app, ["db", "backup", str(tmp_path / "b.zip")])
    assert made.exit_code == 0 and f"revision {head_revision()}, audit chain 5 entries" in made.output
    monkeypatch.setenv("COUNTYZERO_DATABASE_URL", sqlite_url("target"))
    restored = runner.invoke(app, ["db", "restore", str(tmp_path / "b.zip")])
    assert restored.exit_code == 0 and "checksums and audit chain verified" in restored.output, restored.output
    assert "intact: 5 entries" in runner.invoke(app, ["audit", "verify"]).output
    again = runner.invoke(app, ["db", "restore", str(tmp_path / "b.zip")])
    assert again.exit_code == 2 and "target.db: the target database is not empty" in again.output
    assert runner.invoke(app, ["db", "restore", "--force", str(tmp_path / "b.zip")]).exit_code == 0
    rewrite(tmp_path / "b.zip", "tables/organisation.jsonl", lambda data: data + b"{}\n")
    corrupt = runner.invoke(app, ["db", "restore", "--force", str(tmp_path / "b.zip")])
    assert corrupt.exit_code == 2 and "b.zip:tables/organisation.jsonl" in corrupt.output
    with Session(dispose(make_engine(sqlite_url("target")))) as session:
        assert len(session.scalars(select(Organisation)).all()) == 2
    monkeypatch.setenv("COUNTYZERO_DATABASE_URL", sqlite_url("missing"))
    missing = runner.invoke(app, ["db", "backup", str(tmp_path / "m.zip")])
    assert missing.exit_code == 2 and "missing.db: no such database file" in missing.output
    assert not (tmp_path / "missing.db").exists() and not (tmp_path / "m.zip").exists()
