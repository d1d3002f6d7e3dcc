"""Migrations: an empty database upgrades to head on SQLite and on PostgreSQL, and matches the models.

The PostgreSQL case uses $COUNTYZERO_TEST_POSTGRES_URL (``make test`` starts a local server through
scripts/postgres-for-tests.sh and sets it); each test gets a fresh database that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from countyzero.services import accounts
from countyzero.settings import Settings
from countyzero.store.db import make_engine, transaction, upgrade
from countyzero.store.models import Base
from countyzero.web.app import create_app
from tests.platform.conftest import PASSWORD

POSTGRES = os.environ.get("COUNTYZERO_TEST_POSTGRES_URL", "")
TABLES = {"organisation", "user_account", "assessment", "audit_entry", "alembic_version"}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not POSTGRES:
        pytest.skip("COUNTYZERO_TEST_POSTGRES_URL not set (make test sets it)")
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"cz_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _upgrade_and_compare(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_sqlite_upgrade_from_empty(tmp_path: Path) -> None:
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'empty.db'}")


def test_postgresql_upgrade_from_empty(postgres_url: str) -> None:
    _upgrade_and_compare(postgres_url)


def test_postgresql_api_round_trip(postgres_url: str) -> None:
    app = create_app(Settings(environment="test", database_url=postgres_url, login_delay_seconds=0,
                              secret_key="pg-test-secret-" + "z" * 20))
    with transaction(app.state.sessions) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_user(session, "analyst@baoting.cn", PASSWORD, organisation="Baoting County", role="analyst")
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", data={"username": "analyst@baoting.cn", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {"county": "Baoting", "year": 2022, "activities": [
            {"id": "g", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "TJ"}]}
        created = client.post("/api/v1/inventories", json=body, headers=headers)
        assert created.status_code == 201
        fetched = client.get(f"/api/v1/inventories/{created.json()['id']}", headers=headers).json()
        assert fetched["result"]["gross_tco2e"] == pytest.approx(56.2665)
    app.state.sessions.kw["bind"].dispose()
