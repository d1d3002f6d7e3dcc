"""Database models. Every organisation's data carries its ``organisation_id``; services scope every query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from countyzero.credits.ledger import METADATA as LEDGER_METADATA

ROLES = ("county_admin", "analyst", "project_owner", "financier", "verifier")
MAX_ID = 2**31 - 1
"""The largest ``Integer`` primary key every supported database holds (PostgreSQL ``integer``; SQLite's is
2**63 - 1): a larger id cannot name a row, and asking the database for it fails instead of finding nothing."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counted up at logout: a page session carries the generation it was made in and dies when it changes."""
    organisation: Mapped[Organisation] = relationship(back_populates="users")


class Assessment(Base):
    """A stored engine run: its inputs, its result and the versions that made it (reproducible)."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(300))
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    input_sha256: Mapped[str] = mapped_column(String(64))
    software_version: Mapped[str] = mapped_column(String(40))
    factor_set_version: Mapped[str] = mapped_column(String(80))
    published: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Append-only, hash-chained record of every change and assessment."""

    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


class LoginFailure(Base):
    """One failed login counted by the login throttle (``services.accounts.LoginThrottle``; migration 0004).

    ``key`` is ``account:`` or ``address:`` and the SHA-256 of the email as typed (lower-cased) or of the client
    address — never the typed text itself; ``at`` is when, in seconds since the epoch. A row is one INSERT (shared by
    every server process, no read-modify-write); rows older than the window are deleted as new ones come.
    """

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)


# The credit ledger's tables (countyzero.credits.ledger; migration 0002_ledger) are part of the platform schema.
for _table in LEDGER_METADATA.tables.values():
    _table.to_metadata(Base.metadata)
