"""Backup and restore of a database holding a credit ledger: `restore --force` replaces a target that has its own
ledger (whose triggers refuse deleting the journal) in one transaction; the restored ledger reconciles to the
source's head hash and its append-only triggers are in force again. SQLite, and PostgreSQL when configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from countyzero.services import accounts, assessments, ledger
from countyzero.store.backup import backup, restore
from countyzero.store.db import make_engine, session_factory, transaction, upgrade
from tests.platform.conftest import PASSWORD
from tests.platform.engine_inputs import document
from tests.platform.test_migrations import postgres_url  # noqa: F401  (fixture)

KEY = {"standard": "ccer", "project": "bt-arr-broadleaf-1", "vintage": 2025}


def with_ledger(url: str, retired: int) -> Engine:
    """A migrated database with an organisation, an estimate, 100 t issued and ``retired`` t retired."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        accounts.create_organisation(session, "Baoting County")
        verifier = accounts.principal_of(accounts.create_user(session, "v@bt.cn", PASSWORD,
                                                              organisation="Baoting County", role="verifier"))
        owner = accounts.principal_of(accounts.create_user(session, "o@bt.cn", PASSWORD,
                                                           organisation="Baoting County", role="project_owner"))
        estimate = assessments.create(session, owner, "credits", "broadleaf",
                                      {"standard": "ccer", "project": document("credits/broadleaf-arr.yaml")})
    with transaction(sessions) as session:
        ledger.issue(session, verifier, {"estimate_id": estimate.id, "vintage": 2025, "quantity": 100,
                                         "account": "owner"})
    with transaction(sessions) as session:
        ledger.retire(session, owner, {**KEY, "account": "owner", "quantity": retired, "beneficiary": "Resident",
                                       "purpose": "test"})
    return engine


def head(engine: Engine) -> tuple[str, list[dict[str, object]]]:
    with session_factory(engine)() as session:
        report = ledger.reconcile(session)
    assert report.ok, report.problems
    return report.head_hash, report.vintages


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_force_restore_replaces_a_ledger_and_keeps_its_rules(backend: str, tmp_path: Path,
                                                             request: pytest.FixtureRequest) -> None:
    def url(name: str) -> str:
        return f"sqlite:///{tmp_path / name}.db" if backend == "sqlite" else request.getfixturevalue("postgres_url")

    source = with_ledger(url("source"), retired=3)
    archive = tmp_path / "backup.zip"
    backup(source, archive)
    expected = head(source)
    source.dispose()
    target = with_ledger(url("target") if backend == "sqlite" else _second_database(request), retired=7)
    restore(target, archive, force=True)
    assert head(target) == expected
    with pytest.raises(DBAPIError), target.begin() as connection:  # the journal is append-only again
        connection.execute(text("DELETE FROM ledger_event"))
    target.dispose()


def _second_database(request: pytest.FixtureRequest) -> str:
    """A second fresh PostgreSQL database (the fixture gives one per test)."""
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from tests.platform.test_migrations import POSTGRES

    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"cz_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    request.addfinalizer(drop)
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
