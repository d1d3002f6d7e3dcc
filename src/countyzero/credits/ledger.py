"""The credit ledger: serial-numbered blocks per project and vintage, with no double counting.

One piece of ledger logic on SQLAlchemy Core, for the command line's file ledger (``sqlite:///FILE``, or
``":memory:"``) and for the platform database (SQLite or PostgreSQL, tables created by the Alembic migration
``0002_ledger``; :mod:`countyzero.services.ledger` runs it on the request's connection, scoped to an
organisation).

Data model (tables on :data:`METADATA`)
---------------------------------------
* ``ledger_event`` — the journal, append-only (triggers refuse UPDATE and DELETE) and hash-chained: each event's
  ``hash`` = SHA-256(previous hash ‖ canonical JSON of its sequence number, time, kind and payload), so an edit
  made behind the triggers' back is detected by :meth:`Ledger.verify`. ``ledger_head`` holds the last sequence
  number and hash: every operation first updates (locks) this one row, so operations run one after the other
  (SQLite: ``BEGIN IMMEDIATE`` on a file ledger; PostgreSQL: the row lock, held to the end of the transaction).
* ``ledger_issuance`` — serial ranges issued per (standard, project, vintage); ranges never overlap (trigger).
* ``ledger_block`` — where every issued serial is now: ``held`` by an account (of an organisation, on the
  platform), ``retired`` or ``cancelled`` (to the buffer). Blocks of one vintage never overlap (trigger; and no
  two blocks start at one serial — a unique constraint), so **no serial is ever in two places**; a retired or
  cancelled block can never be updated or deleted (trigger), and a retired block carries its certificate (check
  constraint; one block per certificate — unique), so **a tonne is retired once and only once**.
* ``ledger_retirement`` — one row per retirement certificate; ranges never overlap (trigger, unique start).

Every operation is one transaction: it is applied whole or, on any error, not at all (the ledger unchanged). On
a connection the caller passes (the platform), the caller's transaction is that unit: the caller commits or rolls
back. :meth:`Ledger.verify` replays the whole journal from nothing and checks the chain, the head, the state and,
per vintage, issued = held + retired + cancelled.

Example
-------
>>> led = Ledger(":memory:")
>>> block = led.issue("ccer", "bt-arr-1", 2025, 1000, "owner")
>>> cert = led.retire("owner", "ccer", "bt-arr-1", 2025, 400, beneficiary="Hotel A", purpose="2025 neutrality")
>>> [(b.account, b.status, b.quantity) for b in led.balance()]
[('owner', 'held', 600), ('owner', 'retired', 400)]
>>> led.verify().ok
True
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of

GENESIS = "0" * 64
STATUSES = ("held", "retired", "cancelled")
KINDS = ("issue", "transfer", "retire", "cancel")

METADATA = MetaData()
"""The ledger's tables; :mod:`countyzero.store.models` copies them into the platform's metadata."""


def _range_columns() -> list[Any]:
    return [Column("standard", String(40), nullable=False), Column("project", String(200), nullable=False),
            Column("vintage", Integer, nullable=False), Column("first_serial", Integer, nullable=False),
            Column("last_serial", Integer, nullable=False)]


def _range_checks(table: str) -> list[Any]:
    return [CheckConstraint("first_serial >= 1", name=f"ck_{table}_first_serial"),
            CheckConstraint("last_serial >= first_serial", name=f"ck_{table}_last_serial"),
            UniqueConstraint("standard", "project", "vintage", "first_serial", name=f"uq_{table}_first_serial")]


HEAD = Table(
    "ledger_head", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="ck_ledger_head_one_row"),
)
EVENT = Table(
    "ledger_event", METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("organisation_id", Integer, nullable=True, index=True),
    Column("counterparty_id", Integer, nullable=True, index=True),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    CheckConstraint("kind IN ('issue', 'transfer', 'retire', 'cancel')", name="ck_ledger_event_kind"),
)
ISSUANCE = Table(
    "ledger_issuance", METADATA,
    Column("id", Integer, primary_key=True),
    Column("event_seq", Integer, ForeignKey("ledger_event.seq"), nullable=False),
    Column("organisation_id", Integer, nullable=True),
    *_range_columns(),
    Column("account", String(200), nullable=False),
    *_range_checks("ledger_issuance"),
)
RETIREMENT = Table(
    "ledger_retirement", METADATA,
    Column("certificate", String(20), primary_key=True),
    Column("event_seq", Integer, ForeignKey("ledger_event.seq"), nullable=False),
    Column("organisation_id", Integer, nullable=True, index=True),
    *_range_columns(),
    Column("account", String(200), nullable=False),
    Column("beneficiary", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("retired_at", String(40), nullable=False),
    *_range_checks("ledger_retirement"),
)
BLOCK = Table(
    "ledger_block", METADATA,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, nullable=True),
    *_range_columns(),
    Column("account", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("certificate", String(20), ForeignKey("ledger_retirement.certificate"), nullable=True, unique=True),
    Column("event_seq", Integer, ForeignKey("ledger_event.seq"), nullable=False),
    *_range_checks("ledger_block"),
    CheckConstraint("status IN ('held', 'retired', 'cancelled')", name="ck_ledger_block_status"),
    CheckConstraint("(status = 'retired' AND certificate IS NOT NULL) OR (status <> 'retired' AND certificate IS NULL)",
                    name="ck_ledger_block_certificate"),
    Index("ix_ledger_block_holder", "organisation_id", "account", "status"),
)

# Schema rules a unique or check constraint cannot say (ranges that must not overlap, rows that must not change),
# as triggers. The migration 0002_ledger and ``create_schema`` both run these statements.
_SQLITE_OVERLAP = """CREATE TRIGGER IF NOT EXISTS {table}_{name} BEFORE INSERT ON {table}
WHEN EXISTS (SELECT 1 FROM {table} t WHERE t.standard = NEW.standard AND t.project = NEW.project
             AND t.vintage = NEW.vintage AND t.first_serial <= NEW.last_serial AND NEW.first_serial <= t.last_serial)
BEGIN SELECT RAISE(ABORT, '{message}'); END"""
_SQLITE_FROZEN = """CREATE TRIGGER IF NOT EXISTS {table}_{name}_{op} BEFORE {verb} ON {table}{when}
BEGIN SELECT RAISE(ABORT, '{message}'); END"""
_APPEND_ONLY = (("ledger_event", "ledger events are append-only"),
                ("ledger_issuance", "issuances are append-only"),
                ("ledger_retirement", "retirements are append-only"))
_NO_OVERLAP = (("ledger_issuance", "no_overlap", "serials issued twice"),
               ("ledger_block", "one_place", "a serial cannot be in two places"),
               ("ledger_retirement", "once", "a serial can be retired only once"))
_FINAL = "retired and cancelled blocks are final"

SQLITE_DDL = (
    [_SQLITE_OVERLAP.format(table=t, name=n, message=m) for t, n, m in _NO_OVERLAP]
    + [_SQLITE_FROZEN.format(table=t, name="append_only", op=op, verb=verb, when="", message=m)
       for t, m in _APPEND_ONLY for op, verb in (("u", "UPDATE"), ("d", "DELETE"))]
    + [_SQLITE_FROZEN.format(table="ledger_block", name="final", op=op, verb=verb,
                             when=" WHEN OLD.status != 'held'", message=_FINAL)
       for op, verb in (("u", "UPDATE"), ("d", "DELETE"))]
)
POSTGRESQL_DDL = [
    """CREATE OR REPLACE FUNCTION ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clash boolean;
BEGIN
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM ' || quote_ident(TG_TABLE_NAME) || ' t WHERE t.standard = $1 AND '
       || 't.project = $2 AND t.vintage = $3 AND t.first_serial <= $5 AND $4 <= t.last_serial)'
    INTO clash USING NEW.standard, NEW.project, NEW.vintage, NEW.first_serial, NEW.last_serial;
  IF clash THEN
    RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
    *[f"CREATE OR REPLACE TRIGGER {t}_{n} BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION ledger_no_overlap('{m}')"
      for t, n, m in _NO_OVERLAP],
    *[f"CREATE OR REPLACE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW "
      f"EXECUTE FUNCTION ledger_refuse('{m}')" for t, m in _APPEND_ONLY],
    "CREATE OR REPLACE TRIGGER ledger_block_final BEFORE UPDATE OR DELETE ON ledger_block FOR EACH ROW "
    f"WHEN (OLD.status <> 'held') EXECUTE FUNCTION ledger_refuse('{_FINAL}')",
]


def schema_ddl(dialect: str) -> list[str]:
    """The trigger statements of the ledger schema for ``dialect`` (``sqlite`` or ``postgresql``)."""
    if dialect == "sqlite":
        return list(SQLITE_DDL)
    if dialect == "postgresql":
        return list(POSTGRESQL_DDL)
    raise InputError(f"the ledger runs on SQLite or PostgreSQL, not {dialect}", field="database_url")


def create_schema(connection: Connection) -> None:
    """Create the ledger's tables, triggers and head row on ``connection`` (for a file or in-memory ledger)."""
    METADATA.create_all(connection)
    for statement in schema_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
    if connection.execute(select(HEAD.c.id)).first() is None:
        connection.execute(insert(HEAD).values(id=1, seq=0, hash=GENESIS))


@dataclass(frozen=True)
class Block:
    """A contiguous range of serials of one vintage and where it is."""

    standard: str
    project: str
    vintage: int
    first_serial: int
    last_serial: int
    account: str
    status: str
    certificate: str | None = None
    organisation_id: int | None = None

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    @property
    def serials(self) -> str:
        """Human-readable serial range, e.g. ``CCER-bt-arr-1-2025-000000001…000001000``."""
        return f"{serial(self.standard, self.project, self.vintage, self.first_serial)}…{self.last_serial:09d}"

    def to_dict(self) -> dict[str, Any]:
        return {"standard": self.standard, "project": self.project, "vintage": self.vintage,
                "first_serial": self.first_serial, "last_serial": self.last_serial, "quantity": self.quantity,
                "account": self.account, "status": self.status, "certificate": self.certificate,
                "organisation_id": self.organisation_id, "serials": self.serials}


def serial(standard: str, project: str, vintage: int, number: int) -> str:
    """The printed serial number of one tonne."""
    return f"{standard.upper()}-{project}-{vintage}-{number:09d}"


@dataclass(frozen=True)
class Balance:
    account: str
    standard: str
    project: str
    vintage: int
    status: str
    quantity: int
    organisation_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "standard": self.standard, "project": self.project,
                "vintage": self.vintage, "status": self.status, "quantity": self.quantity,
                "organisation_id": self.organisation_id}


@dataclass(frozen=True)
class Certificate:
    """A retirement certificate (退出/注销证明): which serials were retired, for whom and why."""

    certificate: str
    standard: str
    project: str
    vintage: int
    first_serial: int
    last_serial: int
    account: str
    beneficiary: str
    purpose: str
    retired_at: str
    event_hash: str
    organisation_id: int | None = None

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    def to_dict(self) -> dict[str, Any]:
        return {"certificate": self.certificate, "standard": self.standard, "project": self.project,
                "vintage": self.vintage, "first_serial": self.first_serial, "last_serial": self.last_serial,
                "quantity": self.quantity, "account": self.account, "beneficiary": self.beneficiary,
                "purpose": self.purpose, "retired_at": self.retired_at, "event_hash": self.event_hash,
                "organisation_id": self.organisation_id,
                "serials": f"{serial(self.standard, self.project, self.vintage, self.first_serial)}…"
                           f"{self.last_serial:09d}"}


@dataclass(frozen=True)
class Event:
    """One journal entry, its payload parsed."""

    seq: int
    at: str
    kind: str
    organisation_id: int | None
    counterparty_id: int | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "kind": self.kind, "organisation_id": self.organisation_id,
                "counterparty_id": self.counterparty_id, "payload": self.payload, "prev_hash": self.prev_hash,
                "hash": self.hash}


@dataclass
class VerifyReport:
    ok: bool
    events: int
    head_hash: str
    problems: list[str] = field(default_factory=list)
    vintages: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "head_hash": self.head_hash, "problems": list(self.problems),
                "vintages": self.vintages}


Key = tuple[str, str, int]
Owner = tuple[int | None, str]
"""(organisation id, account): who holds a block."""


def _check_text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be a non-empty text", field=name)
    return value.strip()


def _check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InputError(f"quantity must be a positive whole number of tonnes, not {quantity!r}", field="quantity")
    return quantity


def _check_vintage(vintage: int) -> int:
    if isinstance(vintage, bool) or not isinstance(vintage, int):
        raise InputError(f"vintage must be a year, not {vintage!r}", field="vintage")
    return vintage


def _event_hash(prev: str, seq: int, at: str, kind: str, payload: str) -> str:
    return sha256_of(prev + json.dumps([seq, at, kind, payload], ensure_ascii=False))


def _engine(where: str | Path) -> Engine:
    """An engine for a ledger file (or ``":memory:"``, or a database URL) whose transactions take the write lock
    at once (SQLite ``BEGIN IMMEDIATE``) and check foreign keys."""
    text = str(where)
    if text == ":memory:":
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif "://" in text:
        engine = create_engine(text)
    else:
        engine = create_engine(f"sqlite:///{text}")
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver's own BEGIN off: ours below
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


class Ledger:
    """A credit ledger in an SQLite file (``":memory:"`` for a throw-away one), a database URL, or on a
    connection whose transaction the caller owns (the platform).

    ``organisation_id`` scopes the ledger to one organisation: its operations act on that organisation's
    accounts and its queries show that organisation's blocks, certificates and events. Serials are numbered per
    (standard, project, vintage) across the whole database, and a project's credits are issued by one
    organisation only.

    Raises
    ------
    InputError
        From every operation that cannot be done as asked (the ledger is then unchanged).
    """

    def __init__(self, where: str | Path | Connection, *, organisation_id: int | None = None) -> None:
        self.organisation_id = organisation_id
        self._active: Connection | None = None
        self._connection: Connection | None = None
        self._engine: Engine | None = None
        if isinstance(where, Connection):
            self.path = str(where.engine.url)
            self._connection = where
            return
        self.path = str(where)
        engine = _engine(where)
        try:
            with engine.begin() as connection:
                if "events" in inspect(connection).get_table_names():
                    raise InputError("a ledger file of an earlier CountyZero (table 'events'); start a new file",
                                     file=self.path)
                create_schema(connection)
        except DBAPIError as exc:
            engine.dispose()
            raise InputError(f"not a usable ledger database: {exc.orig}", file=self.path) from None
        except InputError:
            engine.dispose()
            raise
        self._engine = engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions and the journal ----------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._active is not None or self._connection is not None:
            yield self._active or self._connection  # type: ignore[misc]
            return
        assert self._engine is not None
        with self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One write: the head row locked first (every write waits for the one before it), refusals of the
        schema (constraints, triggers) as :class:`InputError`."""
        try:
            if self._connection is not None:
                self._lock(self._connection)
                yield self._connection
            else:
                assert self._engine is not None
                with self._engine.begin() as connection:
                    self._lock(connection)
                    self._active = connection
                    yield connection
        except IntegrityError as exc:
            raise InputError(f"refused by the ledger: {exc.orig}") from None
        finally:
            self._active = None

    @staticmethod
    def _lock(connection: Connection) -> None:
        if connection.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq)).rowcount == 0:
            connection.execute(insert(HEAD).values(id=1, seq=0, hash=GENESIS))

    def _append(self, conn: Connection, kind: str, payload: dict[str, Any], at: str,
                counterparty: int | None = None) -> tuple[int, str]:
        head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
        seq, prev = head.seq + 1, head.hash
        if self.organisation_id is not None:
            payload = {**payload, "organisation_id": self.organisation_id}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        digest = _event_hash(prev, seq, at, kind, text)
        conn.execute(insert(EVENT).values(seq=seq, at=at, kind=kind, organisation_id=self.organisation_id,
                                          counterparty_id=counterparty, payload=text, prev_hash=prev, hash=digest))
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=seq, hash=digest))
        return seq, digest

    @staticmethod
    def _now(at: datetime | None) -> str:
        return (at or datetime.now(UTC)).isoformat(timespec="seconds")

    def _mine(self, column: Any) -> Any:
        """A filter on the ledger's organisation (none for an unscoped ledger)."""
        return true() if self.organisation_id is None else column == self.organisation_id

    # --- operations --------------------------------------------------------------------------------------------
    def issue(self, standard: str, project: str, vintage: int, quantity: int, account: str, *,
              max_total: float | None = None, at: datetime | None = None) -> Block:
        """Issue ``quantity`` credits (1 tCO2e each) of a vintage to ``account``, with the next serials.

        ``max_total`` caps the vintage's cumulative issuance (e.g. the issuable tonnes of the estimate, rounded
        down): issuing beyond it is refused. A project whose credits another organisation issued is refused.
        """
        standard, project, account = (_check_text(standard, "standard"), _check_text(project, "project"),
                                      _check_text(account, "account"))
        vintage, quantity = _check_vintage(vintage), _check_quantity(quantity)
        when = self._now(at)
        with self._transaction() as conn:
            other = conn.execute(select(ISSUANCE.c.id).where(
                ISSUANCE.c.standard == standard, ISSUANCE.c.project == project,
                ISSUANCE.c.organisation_id.is_distinct_from(self.organisation_id)).limit(1)).first()
            if other is not None:
                raise InputError(f"credits of {standard} project {project!r} are issued by another organisation",
                                 field="project")
            issued = conn.execute(select(func.coalesce(func.max(ISSUANCE.c.last_serial), 0)).where(
                ISSUANCE.c.standard == standard, ISSUANCE.c.project == project,
                ISSUANCE.c.vintage == vintage)).scalar_one()
            if max_total is not None and issued + quantity > max_total:
                raise InputError(f"issuing {quantity} would bring vintage {vintage} of {project} to "
                                 f"{issued + quantity} t, above the issuable {max_total:g} t", field="quantity")
            first, last = issued + 1, issued + quantity
            payload = {"standard": standard, "project": project, "vintage": vintage, "first_serial": first,
                       "last_serial": last, "account": account}
            seq, _ = self._append(conn, "issue", payload, when)
            values = {"standard": standard, "project": project, "vintage": vintage, "first_serial": first,
                      "last_serial": last, "account": account, "organisation_id": self.organisation_id,
                      "event_seq": seq}
            conn.execute(insert(ISSUANCE).values(**values))
            conn.execute(insert(BLOCK).values(**values, status="held"))
        return Block(standard, project, vintage, first, last, account, "held", None, self.organisation_id)

    def _take(self, conn: Connection, account: str, key: Key, quantity: int | None,
              serials: tuple[int, int] | None, account_field: str) -> list[tuple[int, int]]:
        """Remove held serials from ``account`` (lowest first, or an exact range); return the ranges taken."""
        standard, project, vintage = key
        mine = (BLOCK.c.account == account, self._mine(BLOCK.c.organisation_id))
        rows = [(r.id, r.first_serial, r.last_serial) for r in conn.execute(
            select(BLOCK.c.id, BLOCK.c.first_serial, BLOCK.c.last_serial).where(
                *mine, BLOCK.c.status == "held", BLOCK.c.standard == standard, BLOCK.c.project == project,
                BLOCK.c.vintage == vintage).order_by(BLOCK.c.first_serial).with_for_update())]
        if not rows and conn.execute(select(BLOCK.c.id).where(*mine).limit(1)).first() is None:
            raise InputError(f"unknown account {account!r} (it has never held credits here)", field=account_field)
        if serials is not None:
            lo, hi = serials
            if lo < 1 or hi < lo:
                raise InputError(f"bad serial range {lo}–{hi}", field="serials")
            wanted = [(lo, hi)]
            covered = sum(min(hi, b) - max(lo, a) + 1 for _, a, b in rows if a <= hi and lo <= b)
            if covered != hi - lo + 1:
                self._explain_missing(conn, account, key, lo, hi)
        else:
            assert quantity is not None
            held = sum(b - a + 1 for _, a, b in rows)
            if held < quantity:
                raise InputError(f"account {account!r} holds {held} t of {standard} {project} vintage {vintage}, "
                                 f"fewer than the {quantity} t asked", field="quantity")
            wanted, need = [], quantity
            for _, a, b in rows:
                if need == 0:
                    break
                n = min(need, b - a + 1)
                wanted.append((a, a + n - 1))
                need -= n
        seq = conn.execute(select(HEAD.c.seq).where(HEAD.c.id == 1)).scalar_one()
        taken: list[tuple[int, int]] = []
        for start, end in wanted:
            for block_id, a, b in rows:
                if b < start or a > end:
                    continue
                lo, hi = max(a, start), min(b, end)
                gone = conn.execute(delete(BLOCK).where(  # exactly the block read (ids can be reused)
                    BLOCK.c.id == block_id, BLOCK.c.status == "held", BLOCK.c.first_serial == a,
                    BLOCK.c.last_serial == b, *mine))
                if gone.rowcount != 1:
                    raise InputError("the ledger changed during this operation; try again", field=account_field)
                for ra, rb in ((a, lo - 1), (hi + 1, b)):
                    if ra <= rb:
                        conn.execute(insert(BLOCK).values(
                            standard=standard, project=project, vintage=vintage, first_serial=ra, last_serial=rb,
                            account=account, organisation_id=self.organisation_id, status="held", event_seq=seq))
                taken.append((lo, hi))
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(taken):
            if merged and merged[-1][1] + 1 == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return merged

    def _explain_missing(self, conn: Connection, account: str, key: Key, lo: int, hi: int) -> None:
        standard, project, vintage = key
        retired = conn.execute(select(RETIREMENT.c.certificate, RETIREMENT.c.first_serial, RETIREMENT.c.last_serial)
                               .where(RETIREMENT.c.standard == standard, RETIREMENT.c.project == project,
                                      RETIREMENT.c.vintage == vintage, RETIREMENT.c.first_serial <= hi,
                                      RETIREMENT.c.last_serial >= lo)).first()
        if retired:
            raise InputError(f"serials {lo}–{hi} of {standard} {project} vintage {vintage} include serials already "
                             f"retired (certificate {retired[0]}, serials {retired[1]}–{retired[2]})", field="serials")
        raise InputError(f"account {account!r} does not hold all serials {lo}–{hi} of {standard} {project} "
                         f"vintage {vintage}", field="serials")

    def transfer(self, from_account: str, to_account: str, standard: str, project: str, vintage: int,
                 quantity: int, *, to_organisation_id: int | None = None, at: datetime | None = None) -> list[Block]:
        """Move ``quantity`` held credits of a vintage (lowest serials first) from one account to another — of
        this organisation, or of ``to_organisation_id``."""
        from_account, to_account = _check_text(from_account, "from_account"), _check_text(to_account, "to_account")
        to_org = self.organisation_id if to_organisation_id is None else to_organisation_id
        if (from_account, self.organisation_id) == (to_account, to_org):
            raise InputError("transfer to the same account", field="to_account")
        key = (_check_text(standard, "standard"), _check_text(project, "project"), _check_vintage(vintage))
        extra: dict[str, Any] = {"to_account": to_account}
        if to_org != self.organisation_id:
            extra["to_organisation_id"] = to_org
        ranges = self._apply("transfer", from_account, key, _check_quantity(quantity), None, at, extra,
                             (to_org, to_account), "held", account_field="from_account")
        return [Block(*key, lo, hi, to_account, "held", None, to_org) for lo, hi in ranges[0]]

    def cancel_to_buffer(self, account: str, standard: str, project: str, vintage: int, quantity: int,
                         reason: str, *, buffer_account: str | None = None, at: datetime | None = None) -> list[Block]:
        """Cancel held credits into the buffer (e.g. to compensate a reversal); they can never be used again."""
        account, reason = _check_text(account, "account"), _check_text(reason, "reason")
        key = (_check_text(standard, "standard"), _check_text(project, "project"), _check_vintage(vintage))
        buffer = buffer_account or f"buffer:{key[0]}"
        ranges = self._apply("cancel", account, key, _check_quantity(quantity), None, at,
                             {"reason": reason, "buffer_account": buffer}, (self.organisation_id, buffer),
                             "cancelled")
        return [Block(*key, lo, hi, buffer, "cancelled", None, self.organisation_id) for lo, hi in ranges[0]]

    def retire(self, account: str, standard: str, project: str, vintage: int, quantity: int | None = None, *,
               beneficiary: str, purpose: str, serials: tuple[int, int] | None = None,
               at: datetime | None = None, retired_on: date | None = None) -> Certificate:
        """Retire credits for a beneficiary and purpose, and return the retirement certificate.

        Give ``quantity`` (the account's lowest held serials, which must be contiguous) or an exact serial range
        ``serials=(first, last)``. A serial already retired is refused, naming its certificate. ``retired_on``
        is the retirement date the certificate states (default: the time of the act, ``at`` or now).
        """
        account = _check_text(account, "account")
        beneficiary, purpose = _check_text(beneficiary, "beneficiary"), _check_text(purpose, "purpose")
        key = (_check_text(standard, "standard"), _check_text(project, "project"), _check_vintage(vintage))
        if (quantity is None) == (serials is None):
            raise InputError("give a quantity or a serial range, not both", field="quantity")
        if quantity is not None:
            _check_quantity(quantity)
        extra = {"beneficiary": beneficiary, "purpose": purpose}
        if retired_on is not None:
            extra["retired_on"] = retired_on.isoformat()
        _, seq, _, _ = self._apply("retire", account, key, quantity, serials, at, extra,
                                   (self.organisation_id, account), "retired", certificate=True)
        return self.certificate(f"RC-{seq:08d}")

    def _apply(self, kind: str, account: str, key: Key, quantity: int | None, serials: tuple[int, int] | None,
               at: datetime | None, extra: dict[str, Any], new_owner: Owner, status: str,
               certificate: bool = False, account_field: str = "account"
               ) -> tuple[list[tuple[int, int]], int, str, str]:
        when = self._now(at)
        with self._transaction() as conn:
            taken = self._take(conn, account, key, quantity, serials, account_field)
            if certificate and len(taken) != 1:
                raise InputError("a retirement certificate covers one contiguous serial range; retire the ranges "
                                 "one by one (balance shows them)", field="quantity")
            payload = {"standard": key[0], "project": key[1], "vintage": key[2], "account": account,
                       "ranges": [list(r) for r in taken], **extra}
            counterparty = new_owner[0] if new_owner[0] != self.organisation_id else None
            seq, digest = self._append(conn, kind, payload, when, counterparty)
            cert = f"RC-{seq:08d}" if certificate else None
            if cert is not None:
                lo, hi = taken[0]
                conn.execute(insert(RETIREMENT).values(
                    certificate=cert, event_seq=seq, standard=key[0], project=key[1], vintage=key[2],
                    first_serial=lo, last_serial=hi, account=account, organisation_id=self.organisation_id,
                    beneficiary=extra["beneficiary"], purpose=extra["purpose"],
                    retired_at=extra.get("retired_on", when)))
            for lo, hi in taken:
                conn.execute(insert(BLOCK).values(
                    standard=key[0], project=key[1], vintage=key[2], first_serial=lo, last_serial=hi,
                    organisation_id=new_owner[0], account=new_owner[1], status=status, certificate=cert,
                    event_seq=seq))
        return taken, seq, digest, when

    # --- queries ---------------------------------------------------------------------------------------------
    def blocks(self) -> list[Block]:
        """The organisation's blocks (every block of an unscoped ledger)."""
        return self._blocks(self._mine(BLOCK.c.organisation_id))

    def _blocks(self, where: Any = None) -> list[Block]:
        query = select(BLOCK.c.standard, BLOCK.c.project, BLOCK.c.vintage, BLOCK.c.first_serial, BLOCK.c.last_serial,
                       BLOCK.c.account, BLOCK.c.status, BLOCK.c.certificate, BLOCK.c.organisation_id).where(
            true() if where is None else where)
        with self._read() as conn:
            rows = conn.execute(query.order_by(BLOCK.c.standard, BLOCK.c.project, BLOCK.c.vintage,
                                               BLOCK.c.first_serial)).all()
        return [Block(*row) for row in rows]

    def balance(self, account: str | None = None) -> list[Balance]:
        """Quantities per account, standard, project, vintage and status (held, retired, cancelled)."""
        quantity = func.sum(BLOCK.c.last_serial - BLOCK.c.first_serial + 1)
        keys = (BLOCK.c.account, BLOCK.c.standard, BLOCK.c.project, BLOCK.c.vintage, BLOCK.c.status,
                BLOCK.c.organisation_id)
        query = select(*keys[:5], quantity, keys[5]).where(self._mine(BLOCK.c.organisation_id))
        if account:
            query = query.where(BLOCK.c.account == account)
        with self._read() as conn:
            rows = conn.execute(query.group_by(*keys).order_by(*keys)).all()
        return [Balance(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in rows]

    def certificate(self, certificate: str) -> Certificate:
        """A retirement certificate by its id, whichever organisation retired it (certificates are public)."""
        found = self._certificates(RETIREMENT.c.certificate == certificate)
        if not found:
            raise InputError(f"no retirement certificate {certificate!r}", field="certificate")
        return found[0]

    def certificates(self) -> list[Certificate]:
        """The organisation's retirement certificates, oldest first."""
        return self._certificates(self._mine(RETIREMENT.c.organisation_id))

    def _certificates(self, where: Any) -> list[Certificate]:
        r = RETIREMENT
        query = (select(r.c.certificate, r.c.standard, r.c.project, r.c.vintage, r.c.first_serial, r.c.last_serial,
                        r.c.account, r.c.beneficiary, r.c.purpose, r.c.retired_at, EVENT.c.hash, r.c.organisation_id)
                 .join(EVENT, EVENT.c.seq == r.c.event_seq).where(where).order_by(r.c.event_seq))
        with self._read() as conn:
            return [Certificate(*row) for row in conn.execute(query)]

    def events(self, limit: int | None = None) -> list[Event]:
        """The organisation's journal (its own events and transfers it received), newest first."""
        where = true() if self.organisation_id is None else (
            (EVENT.c.organisation_id == self.organisation_id) | (EVENT.c.counterparty_id == self.organisation_id))
        return self._events(where, descending=True, limit=limit)

    def _events(self, where: Any, *, descending: bool = False, limit: int | None = None) -> list[Event]:
        query = select(EVENT).where(where).order_by(EVENT.c.seq.desc() if descending else EVENT.c.seq)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [Event(r.seq, r.at, r.kind, r.organisation_id, r.counterparty_id, json.loads(r.payload),
                          r.prev_hash, r.hash) for r in conn.execute(query)]

    def issued_by_vintage(self) -> dict[Key, int]:
        """Credits issued per (standard, project, vintage), every organisation's."""
        query = select(ISSUANCE.c.standard, ISSUANCE.c.project, ISSUANCE.c.vintage,
                       func.sum(ISSUANCE.c.last_serial - ISSUANCE.c.first_serial + 1)).group_by(
            ISSUANCE.c.standard, ISSUANCE.c.project, ISSUANCE.c.vintage)
        with self._read() as conn:
            return {(s, p, v): int(n) for s, p, v, n in conn.execute(query)}

    # --- verification ------------------------------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Reconcile the whole ledger (every organisation's): hash chain and head, replay of the journal against
        the stored state, no serial in two places, each retirement matching a retired block, and
        issued = held + retired + cancelled per vintage."""
        with self._transaction():  # writers wait: one consistent state is read
            return self._verify()

    def _verify(self) -> VerifyReport:
        problems: list[str] = []
        with self._read() as conn:
            events = conn.execute(select(EVENT).order_by(EVENT.c.seq)).all()
            head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).first()
        prev = GENESIS
        state: dict[Key, list[list[Any]]] = {}
        issued: dict[Key, int] = {}
        for expected_seq, row in enumerate(events, start=1):
            seq, kind = row.seq, row.kind
            if seq != expected_seq:
                problems.append(f"event sequence has a gap at {expected_seq} (found {seq})")
            if row.prev_hash != prev or _event_hash(prev, seq, row.at, kind, row.payload) != row.hash:
                problems.append(f"hash chain broken at event {seq} (the journal was altered)")
            prev = row.hash
            try:
                payload = json.loads(row.payload)
                if payload.get("organisation_id") != row.organisation_id:
                    problems.append(f"event {seq}: organisation column differs from the hashed payload")
                self._replay(state, issued, kind, payload)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                problems.append(f"event {seq} ({kind}) cannot be replayed: {exc}")
        if head is None or (head.seq, head.hash) != (len(events) and events[-1].seq, prev):
            problems.append("the head does not match the last event (events were removed or added)")
        stored: dict[Key, list[list[Any]]] = {}
        all_blocks = self._blocks()
        for b in all_blocks:
            stored.setdefault((b.standard, b.project, b.vintage), []).append(
                [b.first_serial, b.last_serial, b.organisation_id, b.account, b.status])
        if _normalise(state) != _normalise(stored):
            problems.append("stored blocks differ from the replayed journal")
        vintages = []
        issued_now = self.issued_by_vintage()
        for key in sorted(set(stored) | set(issued)):
            ranges = sorted(stored.get(key, []), key=lambda r: (r[0], r[1]))
            for left, right in itertools.pairwise(ranges):
                if right[0] <= left[1]:
                    problems.append(f"{key}: serial {right[0]} is in two places")
            totals = {s: sum(r[1] - r[0] + 1 for r in ranges if r[4] == s) for s in STATUSES}
            n_issued = issued_now.get(key, 0)
            balanced = n_issued == sum(totals.values()) == issued.get(key, 0)
            if not balanced:
                problems.append(f"{key}: issued {n_issued} ≠ held {totals['held']} + retired {totals['retired']} "
                                f"+ cancelled {totals['cancelled']}")
            vintages.append({"standard": key[0], "project": key[1], "vintage": key[2], "issued": n_issued,
                             **totals, "balanced": balanced})
        retired_blocks = {(b.certificate, b.first_serial, b.last_serial) for b in all_blocks if b.status == "retired"}
        for c in self._certificates(true()):
            if (c.certificate, c.first_serial, c.last_serial) not in retired_blocks:
                problems.append(f"certificate {c.certificate} has no matching retired block")
        return VerifyReport(ok=not problems, events=len(events), head_hash=prev, problems=problems, vintages=vintages)

    @staticmethod
    def _replay(state: dict[Key, list[list[Any]]], issued: dict[Key, int], kind: str, p: dict[str, Any]) -> None:
        key = (p["standard"], p["project"], int(p["vintage"]))
        blocks = state.setdefault(key, [])
        org = p.get("organisation_id")
        if kind == "issue":
            blocks.append([p["first_serial"], p["last_serial"], org, p["account"], "held"])
            issued[key] = issued.get(key, 0) + p["last_serial"] - p["first_serial"] + 1
            return
        target = {"transfer": (p.get("to_organisation_id", org), p.get("to_account"), "held"),
                  "retire": (org, p["account"], "retired"),
                  "cancel": (org, p.get("buffer_account"), "cancelled")}[kind]
        for lo, hi in p["ranges"]:
            owner = [b for b in blocks if b[0] <= hi and lo <= b[1] and b[2] == org and b[3] == p["account"]
                     and b[4] == "held"]
            if sum(min(hi, b[1]) - max(lo, b[0]) + 1 for b in owner) != hi - lo + 1:
                raise ValueError(f"serials {lo}–{hi} were not held by {p['account']!r}")
            for b in owner:
                blocks.remove(b)
                for ra, rb in ((b[0], lo - 1), (hi + 1, b[1])):
                    if ra <= rb:
                        blocks.append([ra, rb, b[2], b[3], "held"])
            blocks.append([lo, hi, *target])


def _normalise(state: dict[Key, list[list[Any]]]) -> dict[Key, list[tuple[int, int, str, str, str]]]:
    """Sorted ranges with adjacent ranges of the same holder and status merged (splits are not meaningful)."""
    out: dict[Key, list[tuple[int, int, str, str, str]]] = {}
    for key, ranges in state.items():
        merged: list[list[Any]] = []
        for a, b, org, acct, status in sorted(ranges, key=lambda r: (r[0], r[1])):
            if merged and merged[-1][1] + 1 == a and merged[-1][2:] == [org, acct, status]:
                merged[-1][1] = b
            else:
                merged.append([a, b, org, acct, status])
        if merged:
            out[key] = [(int(m[0]), int(m[1]), str(m[2]), str(m[3]), str(m[4])) for m in merged]
    return out
