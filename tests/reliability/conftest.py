"""Fixtures of the reliability tests: databases with data in them, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from countyzero.services import accounts, assessments
from countyzero.store.db import make_engine, session_factory, transaction, upgrade
from tests.platform.conftest import PASSWORD, cheap_password_hashes
from tests.platform.test_migrations import postgres_url

__all__ = ["PASSWORD", "cheap_password_hashes", "postgres_url"]

SMALL_INVENTORY = {"county": "Baoting", "year": 2022, "activities": [
    {"id": "g", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "TJ"}]}


def filled(url: str, inventories: int = 2) -> sessionmaker[Session]:
    """A migrated database with two organisations, users and ``inventories`` stored inventories."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_organisation(session, "Other County 其他县")
        user = accounts.create_user(session, "analyst@baoting.cn", PASSWORD, organisation="Baoting County",
                                    role="analyst")
        who = accounts.principal_by_id(session, user.id)
    for number in range(inventories):
        add_inventory(sessions, who, f"inventory {number}")
    return sessions


def add_inventory(sessions: sessionmaker[Session], who: accounts.Principal, name: str) -> int:
    with transaction(sessions) as session:
        return assessments.create(session, who, "inventory", name, SMALL_INVENTORY).id


def analyst(sessions: sessionmaker[Session]) -> accounts.Principal:
    with sessions() as session:
        return accounts.authenticate(session, "analyst@baoting.cn", PASSWORD)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Callable[[str], str]:
    """``sqlite_url(name)``: the URL of a new SQLite file in the test's folder."""
    return lambda name: f"sqlite:///{tmp_path / name}.db"


@pytest.fixture
def dispose() -> Iterator[Callable[[Any], Any]]:
    """Register engines (or session factories) to dispose of when the test ends."""
    engines: list[Any] = []

    def register(thing: Any) -> Any:
        engines.append(thing)
        return thing
    yield register
    for thing in engines:
        (thing.kw["bind"] if isinstance(thing, sessionmaker) else thing).dispose()
