"""Engine and session factory; migrations applied with Alembic (``countyzero db upgrade``).

SQLite databases run in WAL mode (readers never block the writer, so ``countyzero db backup`` works while the
server writes; a crashed process's last transactions are either in the WAL in full or not at all). A write the
database cannot take — disk full, read-only database, lock held too long — is a :class:`DatabaseUnavailable`
naming the database (see :func:`storage_fault`; docs/operations.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from countyzero.core.errors import CountyZeroError

# SQLite primary result codes (https://www.sqlite.org/rescode.html) and PostgreSQL SQLSTATEs
# (https://www.postgresql.org/docs/current/errcodes-appendix.html) of the faults the platform reports as such.
SQLITE_FAULTS = {13: "full", 8: "read-only", 5: "busy", 6: "busy"}  # SQLITE_FULL, _READONLY, _BUSY, _LOCKED
POSTGRES_FAULTS = {
    "53100": "full",  # disk_full
    "25006": "read-only",  # read_only_sql_transaction
    "55P03": "busy",  # lock_not_available
    "40001": "busy",  # serialization_failure: a retry may succeed
    "40P01": "busy",  # deadlock_detected: a retry may succeed
}
FAULT_MESSAGES = {"full": "database is full", "read-only": "database is read-only", "busy": "database is busy"}


class DatabaseUnavailable(CountyZeroError, OSError):
    """The database cannot take a write now (``reason``: full, read-only or busy); nothing was written."""

    def __init__(self, reason: str, database: str) -> None:
        self.reason = reason
        self.database = database
        super().__init__(f"{FAULT_MESSAGES[reason]}: {database}")


def storage_fault(exc: BaseException) -> str | None:
    """``"full"``, ``"read-only"`` or ``"busy"`` when ``exc`` is that database fault, else None."""
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return SQLITE_FAULTS.get(code & 0xFF)  # extended codes keep the primary code in the low byte
    sqlstate = getattr(original, "sqlstate", None)
    return POSTGRES_FAULTS.get(sqlstate) if isinstance(sqlstate, str) else None


def database_name(bind: Engine | Connection) -> str:
    """The database's URL without its password (for messages)."""
    url = bind.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}" + (f"?{'&'.join(f'{k}={v}' for k, v in url.query.items())}"
                                              if url.query else "")
    return url.render_as_string(hide_password=True)


def make_engine(url: str, *, busy_timeout_ms: int | None = None) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, its folder created, write-ahead logging (readers do not
    block the writer) and a wait of ``busy_timeout_ms`` for the write lock (default: the setting's default)."""
    if busy_timeout_ms is None:
        from countyzero.settings import Settings

        busy_timeout_ms = int(Settings.model_fields["sqlite_busy_timeout_ms"].default)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.query.get("uri"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError as exc:  # a read-only file keeps its journal mode
                    if storage_fault(exc) != "read-only":
                        raise
            cursor.close()
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back (nothing written) when it raises.

    A write the database cannot take raises :class:`DatabaseUnavailable` naming the database.
    """
    with reported_faults(factory.kw["bind"]), factory() as session, session.begin():
        yield session


@contextmanager
def reported_faults(bind: Engine | Connection) -> Iterator[None]:
    """Turn a database fault (:func:`storage_fault`) raised in the block into :class:`DatabaseUnavailable`."""
    try:
        yield
    except DBAPIError as exc:
        reason = storage_fault(exc)
        if reason is None:
            raise
        raise DatabaseUnavailable(reason, database_name(bind)) from exc


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("countyzero.store").joinpath("migrations")))
    return config


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Apply the Alembic migrations to the database (on ``bind``'s transaction when it is a connection)."""
    from alembic import command

    if isinstance(bind, Engine):
        with bind.begin() as connection:
            upgrade(connection, revision)
        return
    config = _alembic_config()
    config.attributes["connection"] = bind
    command.upgrade(config, revision)


def migrate(bind: Connection, revision: str) -> None:
    """Bring the database to ``revision`` in ``bind``'s transaction: upgrade, or downgrade when it is ahead."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    config.attributes["connection"] = bind
    current = current_revision(bind)
    script = ScriptDirectory.from_config(config)
    if current is not None and not known_revision(current):
        raise CountyZeroError(f"{database_name(bind)} is at revision {current!r}, unknown to this CountyZero")
    ahead = current not in (None, revision) and \
        revision in {r.revision for r in script.iterate_revisions(current, "base")}
    (command.downgrade if ahead else command.upgrade)(config, revision)


def current_revision(connection: Connection) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration this software knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False
