"""The credit ledger: serial-numbered blocks per project and vintage, with no double counting.

An SQLite store (stdlib ``sqlite3``), engine-level: the platform puts it behind users and roles later.

Data model
----------
* ``events`` — the journal, append-only (triggers refuse UPDATE and DELETE) and hash-chained: each event's
  ``hash`` = SHA-256(previous hash ‖ canonical JSON of its sequence number, time, kind and payload), so an edit
  made behind the triggers' back is detected by :meth:`Ledger.verify`.
* ``issuances`` — serial ranges issued per (standard, project, vintage); ranges never overlap (trigger).
* ``blocks`` — where every issued serial is now: ``held`` by an account, ``retired`` or ``cancelled`` (to the
  buffer). Blocks of one vintage never overlap (trigger), so **no serial is ever in two places**; a retired or
  cancelled block can never be updated or deleted (trigger), so **a tonne is retired once and only once**.
* ``retirements`` — one row per retirement certificate; ranges never overlap (trigger).

Every operation is one transaction: it is applied whole or, on any error, not at all (the ledger unchanged).
:meth:`Ledger.verify` replays the journal from nothing and checks the chain, the state and, per vintage,
issued = held + retired + cancelled.

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
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of

GENESIS = "0" * 64
STATUSES = ("held", "retired", "cancelled")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('issue', 'transfer', 'retire', 'cancel')),
    payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE);
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;

CREATE TABLE IF NOT EXISTS issuances (
    id INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL REFERENCES events(seq),
    standard TEXT NOT NULL, project TEXT NOT NULL, vintage INTEGER NOT NULL,
    first_serial INTEGER NOT NULL CHECK (first_serial >= 1),
    last_serial INTEGER NOT NULL CHECK (last_serial >= first_serial), account TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS issuances_no_overlap BEFORE INSERT ON issuances
WHEN EXISTS (SELECT 1 FROM issuances i WHERE i.standard = NEW.standard AND i.project = NEW.project
             AND i.vintage = NEW.vintage AND i.first_serial <= NEW.last_serial AND NEW.first_serial <= i.last_serial)
BEGIN SELECT RAISE(ABORT, 'serials issued twice'); END;
CREATE TRIGGER IF NOT EXISTS issuances_append_only_u BEFORE UPDATE ON issuances
BEGIN SELECT RAISE(ABORT, 'issuances are append-only'); END;
CREATE TRIGGER IF NOT EXISTS issuances_append_only_d BEFORE DELETE ON issuances
BEGIN SELECT RAISE(ABORT, 'issuances are append-only'); END;

CREATE TABLE IF NOT EXISTS blocks (
    id INTEGER PRIMARY KEY, standard TEXT NOT NULL, project TEXT NOT NULL, vintage INTEGER NOT NULL,
    first_serial INTEGER NOT NULL CHECK (first_serial >= 1),
    last_serial INTEGER NOT NULL CHECK (last_serial >= first_serial),
    account TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('held', 'retired', 'cancelled')),
    certificate TEXT, event_seq INTEGER NOT NULL REFERENCES events(seq));
CREATE INDEX IF NOT EXISTS blocks_key ON blocks (standard, project, vintage, first_serial);
CREATE INDEX IF NOT EXISTS blocks_account ON blocks (account, status);
CREATE TRIGGER IF NOT EXISTS blocks_one_place BEFORE INSERT ON blocks
WHEN EXISTS (SELECT 1 FROM blocks b WHERE b.standard = NEW.standard AND b.project = NEW.project
             AND b.vintage = NEW.vintage AND b.first_serial <= NEW.last_serial AND NEW.first_serial <= b.last_serial)
BEGIN SELECT RAISE(ABORT, 'a serial cannot be in two places'); END;
CREATE TRIGGER IF NOT EXISTS blocks_final_u BEFORE UPDATE ON blocks WHEN OLD.status != 'held'
BEGIN SELECT RAISE(ABORT, 'retired and cancelled blocks are final'); END;
CREATE TRIGGER IF NOT EXISTS blocks_final_d BEFORE DELETE ON blocks WHEN OLD.status != 'held'
BEGIN SELECT RAISE(ABORT, 'retired and cancelled blocks are final'); END;

CREATE TABLE IF NOT EXISTS retirements (
    certificate TEXT PRIMARY KEY, event_seq INTEGER NOT NULL REFERENCES events(seq),
    standard TEXT NOT NULL, project TEXT NOT NULL, vintage INTEGER NOT NULL,
    first_serial INTEGER NOT NULL, last_serial INTEGER NOT NULL CHECK (last_serial >= first_serial),
    account TEXT NOT NULL, beneficiary TEXT NOT NULL, purpose TEXT NOT NULL, retired_at TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS retirements_once BEFORE INSERT ON retirements
WHEN EXISTS (SELECT 1 FROM retirements r WHERE r.standard = NEW.standard AND r.project = NEW.project
             AND r.vintage = NEW.vintage AND r.first_serial <= NEW.last_serial AND NEW.first_serial <= r.last_serial)
BEGIN SELECT RAISE(ABORT, 'a serial can be retired only once'); END;
CREATE TRIGGER IF NOT EXISTS retirements_append_only_u BEFORE UPDATE ON retirements
BEGIN SELECT RAISE(ABORT, 'retirements are append-only'); END;
CREATE TRIGGER IF NOT EXISTS retirements_append_only_d BEFORE DELETE ON retirements
BEGIN SELECT RAISE(ABORT, 'retirements are append-only'); END;
"""


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
                "serials": self.serials}


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

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "standard": self.standard, "project": self.project,
                "vintage": self.vintage, "status": self.status, "quantity": self.quantity}


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

    @property
    def quantity(self) -> int:
        return self.last_serial - self.first_serial + 1

    def to_dict(self) -> dict[str, Any]:
        return {"certificate": self.certificate, "standard": self.standard, "project": self.project,
                "vintage": self.vintage, "first_serial": self.first_serial, "last_serial": self.last_serial,
                "quantity": self.quantity, "account": self.account, "beneficiary": self.beneficiary,
                "purpose": self.purpose, "retired_at": self.retired_at, "event_hash": self.event_hash,
                "serials": f"{serial(self.standard, self.project, self.vintage, self.first_serial)}…"
                           f"{self.last_serial:09d}"}


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


def _check_text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be a non-empty text", field=name)
    return value.strip()


def _check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InputError(f"quantity must be a positive whole number of tonnes, not {quantity!r}", field="quantity")
    return quantity


def _event_hash(prev: str, seq: int, at: str, kind: str, payload: str) -> str:
    return sha256_of(prev + json.dumps([seq, at, kind, payload], ensure_ascii=False))


class Ledger:
    """A credit ledger in an SQLite file (``":memory:"`` for a throw-away one).

    Raises
    ------
    InputError
        From every operation that cannot be done as asked (the ledger is then unchanged).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None)
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"not a usable ledger database: {exc}", file=self.path) from None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions and the journal ----------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except sqlite3.IntegrityError as exc:
            conn.execute("ROLLBACK")
            raise InputError(f"refused by the ledger: {exc}") from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def _append(self, conn: sqlite3.Connection, kind: str, payload: dict[str, Any], at: str) -> tuple[int, str]:
        row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        digest = _event_hash(prev, seq, at, kind, text)
        conn.execute("INSERT INTO events (seq, at, kind, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
                     (seq, at, kind, text, prev, digest))
        return seq, digest

    @staticmethod
    def _now(at: datetime | None) -> str:
        return (at or datetime.now(UTC)).isoformat(timespec="seconds")

    # --- operations --------------------------------------------------------------------------------------------
    def issue(self, standard: str, project: str, vintage: int, quantity: int, account: str, *,
              max_total: float | None = None, at: datetime | None = None) -> Block:
        """Issue ``quantity`` credits (1 tCO2e each) of a vintage to ``account``, with the next serials.

        ``max_total`` caps the vintage's cumulative issuance (e.g. the issuable tonnes of the estimate, rounded
        down): issuing beyond it is refused.
        """
        standard, project, account = (_check_text(standard, "standard"), _check_text(project, "project"),
                                      _check_text(account, "account"))
        quantity = _check_quantity(quantity)
        when = self._now(at)
        with self._transaction() as conn:
            issued = conn.execute("SELECT COALESCE(MAX(last_serial), 0) FROM issuances WHERE standard = ? "
                                  "AND project = ? AND vintage = ?", (standard, project, vintage)).fetchone()[0]
            if max_total is not None and issued + quantity > max_total:
                raise InputError(f"issuing {quantity} would bring vintage {vintage} of {project} to "
                                 f"{issued + quantity} t, above the issuable {max_total:g} t", field="quantity")
            first, last = issued + 1, issued + quantity
            payload = {"standard": standard, "project": project, "vintage": vintage, "first_serial": first,
                       "last_serial": last, "account": account}
            seq, _ = self._append(conn, "issue", payload, when)
            conn.execute("INSERT INTO issuances (event_seq, standard, project, vintage, first_serial, last_serial, "
                         "account) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (seq, standard, project, vintage, first, last, account))
            conn.execute("INSERT INTO blocks (standard, project, vintage, first_serial, last_serial, account, status, "
                         "event_seq) VALUES (?, ?, ?, ?, ?, ?, 'held', ?)",
                         (standard, project, vintage, first, last, account, seq))
        return Block(standard, project, vintage, first, last, account, "held")

    def _take(self, conn: sqlite3.Connection, account: str, key: Key, quantity: int | None,
              serials: tuple[int, int] | None) -> list[tuple[int, int]]:
        """Remove held serials from ``account`` (lowest first, or an exact range); return the ranges taken."""
        standard, project, vintage = key
        rows = conn.execute("SELECT id, first_serial, last_serial FROM blocks WHERE account = ? AND status = 'held' "
                            "AND standard = ? AND project = ? AND vintage = ? ORDER BY first_serial",
                            (account, standard, project, vintage)).fetchall()
        if serials is not None:
            lo, hi = serials
            if lo < 1 or hi < lo:
                raise InputError(f"bad serial range {lo}–{hi}", field="serials")
            wanted = [(lo, hi)]
            for start, end in wanted:
                covered = sum(min(end, b) - max(start, a) + 1 for _, a, b in rows if a <= end and start <= b)
                if covered != end - start + 1:
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
        taken: list[tuple[int, int]] = []
        for start, end in wanted:
            for block_id, a, b in rows:
                if b < start or a > end:
                    continue
                lo, hi = max(a, start), min(b, end)
                conn.execute("DELETE FROM blocks WHERE id = ?", (block_id,))
                seq = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
                for ra, rb in ((a, lo - 1), (hi + 1, b)):
                    if ra <= rb:
                        conn.execute("INSERT INTO blocks (standard, project, vintage, first_serial, last_serial, "
                                     "account, status, event_seq) VALUES (?, ?, ?, ?, ?, ?, 'held', ?)",
                                     (standard, project, vintage, ra, rb, account, seq))
                taken.append((lo, hi))
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(taken):
            if merged and merged[-1][1] + 1 == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return merged

    def _explain_missing(self, conn: sqlite3.Connection, account: str, key: Key, lo: int, hi: int) -> None:
        standard, project, vintage = key
        retired = conn.execute("SELECT certificate, first_serial, last_serial FROM retirements WHERE standard = ? AND "
                               "project = ? AND vintage = ? AND first_serial <= ? AND ? <= last_serial",
                               (standard, project, vintage, hi, lo)).fetchone()
        if retired:
            raise InputError(f"serials {lo}–{hi} of {standard} {project} vintage {vintage} include serials already "
                             f"retired (certificate {retired[0]}, serials {retired[1]}–{retired[2]})", field="serials")
        raise InputError(f"account {account!r} does not hold all serials {lo}–{hi} of {standard} {project} "
                         f"vintage {vintage}", field="serials")

    def transfer(self, from_account: str, to_account: str, standard: str, project: str, vintage: int,
                 quantity: int, *, at: datetime | None = None) -> list[Block]:
        """Move ``quantity`` held credits of a vintage (lowest serials first) from one account to another."""
        from_account, to_account = _check_text(from_account, "from_account"), _check_text(to_account, "to_account")
        if from_account == to_account:
            raise InputError("transfer to the same account", field="to_account")
        key = (_check_text(standard, "standard"), _check_text(project, "project"), vintage)
        ranges = self._apply("transfer", from_account, key, _check_quantity(quantity), None, at,
                             {"to_account": to_account}, to_account, "held")
        return [Block(*key, lo, hi, to_account, "held") for lo, hi in ranges[0]]

    def cancel_to_buffer(self, account: str, standard: str, project: str, vintage: int, quantity: int,
                         reason: str, *, buffer_account: str | None = None, at: datetime | None = None) -> list[Block]:
        """Cancel held credits into the buffer (e.g. to compensate a reversal); they can never be used again."""
        account, reason = _check_text(account, "account"), _check_text(reason, "reason")
        key = (_check_text(standard, "standard"), _check_text(project, "project"), vintage)
        buffer = buffer_account or f"buffer:{key[0]}"
        ranges = self._apply("cancel", account, key, _check_quantity(quantity), None, at,
                             {"reason": reason, "buffer_account": buffer}, buffer, "cancelled")
        return [Block(*key, lo, hi, buffer, "cancelled") for lo, hi in ranges[0]]

    def retire(self, account: str, standard: str, project: str, vintage: int, quantity: int | None = None, *,
               beneficiary: str, purpose: str, serials: tuple[int, int] | None = None,
               at: datetime | None = None) -> Certificate:
        """Retire credits for a beneficiary and purpose, and return the retirement certificate.

        Give ``quantity`` (the account's lowest held serials, which must be contiguous) or an exact serial range
        ``serials=(first, last)``. A serial already retired is refused, naming its certificate.
        """
        account = _check_text(account, "account")
        beneficiary, purpose = _check_text(beneficiary, "beneficiary"), _check_text(purpose, "purpose")
        key = (_check_text(standard, "standard"), _check_text(project, "project"), vintage)
        if (quantity is None) == (serials is None):
            raise InputError("give a quantity or a serial range, not both", field="quantity")
        if quantity is not None:
            _check_quantity(quantity)
        _, seq, _, _ = self._apply("retire", account, key, quantity, serials, at,
                                   {"beneficiary": beneficiary, "purpose": purpose}, account, "retired",
                                   certificate=True)
        return self.certificate(f"RC-{seq:08d}")

    def _apply(self, kind: str, account: str, key: Key, quantity: int | None, serials: tuple[int, int] | None,
               at: datetime | None, extra: dict[str, Any], new_account: str, status: str,
               certificate: bool = False) -> tuple[list[tuple[int, int]], int, str, str]:
        when = self._now(at)
        with self._transaction() as conn:
            taken = self._take(conn, account, key, quantity, serials)
            if certificate and len(taken) != 1:
                raise InputError("a retirement certificate covers one contiguous serial range; retire the ranges "
                                 "one by one (balance shows them)", field="quantity")
            payload = {"standard": key[0], "project": key[1], "vintage": key[2], "account": account,
                       "ranges": [list(r) for r in taken], **extra}
            seq, digest = self._append(conn, kind, payload, when)
            cert = f"RC-{seq:08d}" if certificate else None
            for lo, hi in taken:
                conn.execute("INSERT INTO blocks (standard, project, vintage, first_serial, last_serial, account, "
                             "status, certificate, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (*key, lo, hi, new_account, status, cert, seq))
            if cert is not None:
                lo, hi = taken[0]
                conn.execute("INSERT INTO retirements (certificate, event_seq, standard, project, vintage, "
                             "first_serial, last_serial, account, beneficiary, purpose, retired_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (cert, seq, *key, lo, hi, account, extra["beneficiary"], extra["purpose"], when))
        return taken, seq, digest, when

    # --- queries ---------------------------------------------------------------------------------------------
    def blocks(self) -> list[Block]:
        rows = self._conn.execute(
            "SELECT standard, project, vintage, first_serial, last_serial, account, status, certificate "
            "FROM blocks ORDER BY standard, project, vintage, first_serial").fetchall()
        return [Block(*row) for row in rows]

    def balance(self, account: str | None = None) -> list[Balance]:
        """Quantities per account, standard, project, vintage and status (held, retired, cancelled)."""
        sql = ("SELECT account, standard, project, vintage, status, SUM(last_serial - first_serial + 1) FROM blocks "
               + ("WHERE account = ? " if account else "")
               + "GROUP BY account, standard, project, vintage, status ORDER BY account, standard, project, vintage, "
                 "status")
        rows = self._conn.execute(sql, (account,) if account else ()).fetchall()
        return [Balance(*row) for row in rows]

    def certificate(self, certificate: str) -> Certificate:
        row = self._conn.execute("SELECT r.certificate, r.standard, r.project, r.vintage, r.first_serial, "
                                 "r.last_serial, r.account, r.beneficiary, r.purpose, r.retired_at, e.hash "
                                 "FROM retirements r JOIN events e ON e.seq = r.event_seq WHERE r.certificate = ?",
                                 (certificate,)).fetchone()
        if row is None:
            raise InputError(f"no retirement certificate {certificate!r}", field="certificate")
        return Certificate(*row)

    def certificates(self) -> list[Certificate]:
        ids = [r[0] for r in self._conn.execute("SELECT certificate FROM retirements ORDER BY event_seq")]
        return [self.certificate(i) for i in ids]

    def issued_by_vintage(self) -> dict[Key, int]:
        rows = self._conn.execute("SELECT standard, project, vintage, SUM(last_serial - first_serial + 1) "
                                  "FROM issuances GROUP BY standard, project, vintage").fetchall()
        return {(s, p, v): n for s, p, v, n in rows}

    # --- verification ------------------------------------------------------------------------------------------
    def verify(self) -> VerifyReport:
        """Reconcile the ledger: hash chain, replay of the journal against the stored state, no serial in two
        places, each retirement matching a retired block, and issued = held + retired + cancelled per vintage."""
        problems: list[str] = []
        events = self._conn.execute(
            "SELECT seq, at, kind, payload, prev_hash, hash FROM events ORDER BY seq").fetchall()
        prev = GENESIS
        state: dict[Key, list[list[Any]]] = {}
        issued: dict[Key, int] = {}
        for expected_seq, (seq, at, kind, payload, prev_hash, digest) in enumerate(events, start=1):
            if seq != expected_seq:
                problems.append(f"event sequence has a gap at {expected_seq} (found {seq})")
            if prev_hash != prev or _event_hash(prev, seq, at, kind, payload) != digest:
                problems.append(f"hash chain broken at event {seq} (the journal was altered)")
            prev = digest
            try:
                self._replay(state, issued, kind, json.loads(payload))
            except (KeyError, ValueError, TypeError) as exc:
                problems.append(f"event {seq} ({kind}) cannot be replayed: {exc}")
        stored: dict[Key, list[list[Any]]] = {}
        for b in self.blocks():
            stored.setdefault((b.standard, b.project, b.vintage), []).append(
                [b.first_serial, b.last_serial, b.account, b.status])
        if _normalise(state) != _normalise(stored):
            problems.append("stored blocks differ from the replayed journal")
        vintages = []
        for key in sorted(set(stored) | set(issued)):
            ranges = sorted(stored.get(key, []))
            for left, right in itertools.pairwise(ranges):
                if right[0] <= left[1]:
                    problems.append(f"{key}: serial {right[0]} is in two places")
            totals = {s: sum(r[1] - r[0] + 1 for r in ranges if r[3] == s) for s in STATUSES}
            n_issued = self.issued_by_vintage().get(key, 0)
            balanced = n_issued == sum(totals.values()) == issued.get(key, 0)
            if not balanced:
                problems.append(f"{key}: issued {n_issued} ≠ held {totals['held']} + retired {totals['retired']} "
                                f"+ cancelled {totals['cancelled']}")
            vintages.append({"standard": key[0], "project": key[1], "vintage": key[2], "issued": n_issued,
                             **totals, "balanced": balanced})
        retired_blocks = {(b.certificate, b.first_serial, b.last_serial)
                          for b in self.blocks() if b.status == "retired"}
        for c in self.certificates():
            if (c.certificate, c.first_serial, c.last_serial) not in retired_blocks:
                problems.append(f"certificate {c.certificate} has no matching retired block")
        return VerifyReport(ok=not problems, events=len(events), head_hash=prev, problems=problems, vintages=vintages)

    @staticmethod
    def _replay(state: dict[Key, list[list[Any]]], issued: dict[Key, int], kind: str, p: dict[str, Any]) -> None:
        key = (p["standard"], p["project"], int(p["vintage"]))
        blocks = state.setdefault(key, [])
        if kind == "issue":
            blocks.append([p["first_serial"], p["last_serial"], p["account"], "held"])
            issued[key] = issued.get(key, 0) + p["last_serial"] - p["first_serial"] + 1
            return
        target = {"transfer": (p.get("to_account"), "held"), "retire": (p["account"], "retired"),
                  "cancel": (p.get("buffer_account"), "cancelled")}[kind]
        for lo, hi in p["ranges"]:
            owner = [b for b in blocks if b[0] <= hi and lo <= b[1] and b[2] == p["account"] and b[3] == "held"]
            if sum(min(hi, b[1]) - max(lo, b[0]) + 1 for b in owner) != hi - lo + 1:
                raise ValueError(f"serials {lo}–{hi} were not held by {p['account']!r}")
            for b in owner:
                blocks.remove(b)
                for ra, rb in ((b[0], lo - 1), (hi + 1, b[1])):
                    if ra <= rb:
                        blocks.append([ra, rb, b[2], "held"])
            blocks.append([lo, hi, target[0], target[1]])


def _normalise(state: dict[Key, list[list[Any]]]) -> dict[Key, list[tuple[int, int, str, str]]]:
    """Sorted ranges with adjacent ranges of the same account and status merged (splits are not meaningful)."""
    out: dict[Key, list[tuple[int, int, str, str]]] = {}
    for key, ranges in state.items():
        merged: list[list[Any]] = []
        for a, b, acct, status in sorted(ranges):
            if merged and merged[-1][1] + 1 == a and merged[-1][2] == acct and merged[-1][3] == status:
                merged[-1][1] = b
            else:
                merged.append([a, b, acct, status])
        if merged:
            out[key] = [(int(m[0]), int(m[1]), str(m[2]), str(m[3])) for m in merged]
    return out
