"""A database that is full or read-only: API 503 naming the fault, the page says so, the CLI exits 2 naming the
database; nothing partial is stored and reads keep working."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg.errors
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from countyzero.cli import app as cli
from countyzero.inventory.reader import read_inventory
from countyzero.services import audit
from countyzero.settings import Settings
from countyzero.store.db import DatabaseUnavailable, session_factory, storage_fault, transaction
from countyzero.web.app import create_app
from tests.conftest import BAOTING
from tests.reliability.conftest import PASSWORD, filled

BODY = read_inventory(BAOTING)[1].data


def settings(url: str) -> Settings:
    return Settings(environment="test", database_url=url, login_delay_seconds=0, secret_key="faults-" + "f" * 30)


def state(engine: Engine) -> tuple[int, int, list[str]]:
    """(assessments, audit entries, audit chain problems)."""
    with session_factory(engine)() as session:
        assessments = session.scalar(text("SELECT count(*) FROM assessment"))
        return int(assessments or 0), audit.count(session), audit.verify_chain(session)


def headers(client: TestClient) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": "analyst@baoting.cn", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def log_in(client: TestClient) -> str:
    """Log the page session in; returns its CSRF token."""
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf
    response = client.post("/login", data={"email": "analyst@baoting.cn", "password": PASSWORD,
                                           "csrf": csrf.group(1)}, follow_redirects=False)
    assert response.status_code == 303
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def assert_refused_and_readable(client: TestClient, engine: Engine, detail: str, page_text: tuple[str, str]) -> None:
    before = state(engine)
    auth = headers(client)
    refused = client.post("/api/v1/inventories", json=BODY, headers=auth)
    assert refused.status_code == 503 and refused.json() == {"detail": detail}
    listed = client.get("/api/v1/inventories", headers=auth)
    assert listed.status_code == 200 and len(listed.json()) == before[0]  # reads keep working
    csrf = log_in(client)
    upload = client.post("/inventories", data={"csrf": csrf, "name": "upload"}, follow_redirects=False,
                         files={"file": ("inventory-2022.yaml", BAOTING.read_bytes(), "application/yaml")})
    assert upload.status_code == 503 and page_text[0] in upload.text
    client.cookies.set("countyzero_lang", "en")
    assert page_text[1] in client.post("/inventories", data={"csrf": csrf}, files={
        "file": ("inventory-2022.yaml", BAOTING.read_bytes(), "application/yaml")}).text
    client.cookies.delete("countyzero_lang")
    assert client.get("/").status_code == 200
    assert state(engine) == before and before[2] == []  # nothing partial stored; the chain is intact


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cz.db'}"
    filled(url, inventories=1).kw["bind"].dispose()
    yield url


def full(engine: Engine) -> Any:
    """Cap every new connection of ``engine`` at the database's current size (SQLite max_page_count)."""
    def cap(connection: Any, _record: Any) -> None:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")
    event.listen(engine, "connect", cap)
    engine.dispose()
    return cap


def test_full_sqlite_database(database: str) -> None:
    app = create_app(settings(database))
    engine = app.state.sessions.kw["bind"]
    with TestClient(app) as client:
        cap = full(engine)
        assert_refused_and_readable(client, engine, "database is full", ("数据库已满", "The database is full"))
        event.remove(engine, "connect", cap)
        engine.dispose()  # space again: the same write goes through
        assert client.post("/api/v1/inventories", json=BODY, headers=headers(client)).status_code == 201
    assert state(engine)[0:2] == (2, 5)
    engine.dispose()


def test_transaction_names_the_full_database(database: str) -> None:
    from countyzero.services import accounts

    sessions = session_factory(create_engine(database))
    full(sessions.kw["bind"])
    with pytest.raises(DatabaseUnavailable, match=r"database is full: sqlite:///.*cz.db") as caught, \
            transaction(sessions) as session:
        accounts.create_organisation(session, "Z" * 200_000)
    assert caught.value.reason == "full"
    sessions.kw["bind"].dispose()


def read_only(url: str) -> str:
    return f"sqlite:///file:{make_url(url).database}?mode=ro&uri=true"


def test_read_only_sqlite_database(database: str) -> None:
    app = create_app(settings(read_only(database)))
    engine = app.state.sessions.kw["bind"]
    with TestClient(app) as client:
        assert_refused_and_readable(client, engine, "database is read-only", ("数据库为只读", "read-only"))
    engine.dispose()


def test_cli_names_the_read_only_database(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTYZERO_DATABASE_URL", read_only(database))
    runner = CliRunner()
    refused = runner.invoke(cli, ["admin", "create-org", "New County"])
    assert refused.exit_code == 2
    assert f"error: database is read-only: sqlite:///file:{make_url(database).database}" in refused.output
    assert "intact: 4 entries" in runner.invoke(cli, ["audit", "verify"]).output  # reads keep working


def test_read_only_postgresql_database(postgres_url: str) -> None:
    filled(postgres_url, inventories=1).kw["bind"].dispose()
    name = make_url(postgres_url).database
    owner = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    owner.dispose()
    app = create_app(settings(postgres_url), migrate=False)
    engine = app.state.sessions.kw["bind"]
    with TestClient(app) as client:
        assert_refused_and_readable(client, engine, "database is read-only", ("数据库为只读", "read-only"))
    engine.dispose()


def test_postgresql_faults_are_classified_by_sqlstate() -> None:
    assert storage_fault(psycopg.errors.DiskFull()) == "full"
    assert storage_fault(psycopg.errors.ReadOnlySqlTransaction()) == "read-only"
    assert storage_fault(psycopg.errors.UniqueViolation()) is None
