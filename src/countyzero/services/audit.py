"""Append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields, so changing,
removing or reordering any entry breaks every later hash; :func:`verify_chain` finds the first break.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from countyzero.core.trace import sha256_of
from countyzero.store.models import AuditEntry

GENESIS = "0" * 64
CHAIN_LOCK = 0x436F_756E_7479_5A30  # "CountyZ0": the PostgreSQL advisory lock that serialises appends


def _entry_hash(previous: str, fields: dict[str, Any]) -> str:
    text = previous + json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {"sequence": entry.sequence, "at": entry.at, "actor": entry.actor, "organisation_id": entry.organisation_id,
            "action": entry.action, "entity": entry.entity, "entity_id": entry.entity_id,
            "payload_sha256": entry.payload_sha256, "detail": entry.detail}


def record(session: Session, *, actor: str, organisation_id: int | None, action: str, entity: str,
           entity_id: str | int, payload: Any = None, detail: str = "") -> AuditEntry:
    """Append an entry in the caller's transaction (it is written only if the change is).

    Appends are serialised so that two transactions never both extend the same last entry: on PostgreSQL by a
    transaction-level advisory lock (released at commit or rollback); SQLite has one writer at a time already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.sequence.desc()).limit(1)).first()
    entry = AuditEntry(
        sequence=(last.sequence + 1) if last else 1, at=datetime.now(UTC).isoformat(timespec="microseconds"),
        actor=actor, organisation_id=organisation_id, action=action, entity=entity, entity_id=str(entity_id),
        payload_sha256=sha256_of(payload if payload is not None else ""), detail=detail,
        previous_hash=last.hash if last else GENESIS, hash="")
    entry.hash = _entry_hash(entry.previous_hash, _fields(entry))
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> list[str]:
    """Problems found in the chain (empty when intact)."""
    problems: list[str] = []
    previous = GENESIS
    expected_sequence = 1
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)):
        if entry.sequence != expected_sequence:
            problems.append(f"entry {entry.sequence}: expected sequence {expected_sequence} (an entry is missing)")
        if entry.previous_hash != previous:
            problems.append(f"entry {entry.sequence}: previous hash does not match entry {entry.sequence - 1}")
        if entry.hash != _entry_hash(entry.previous_hash, _fields(entry)):
            problems.append(f"entry {entry.sequence}: contents changed after it was written")
        previous = entry.hash
        expected_sequence = entry.sequence + 1
    return problems


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
