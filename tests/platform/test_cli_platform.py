"""Platform commands: db upgrade, admin create-org/create-user (password from stdin), demo-load, audit verify."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from countyzero.cli import app
from countyzero.store.db import make_engine

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COUNTYZERO_DATABASE_URL", url)
    return url


def test_admin_commands_and_audit(database: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["admin", "create-org", "Baoting County"]).exit_code == 0
    again = runner.invoke(app, ["admin", "create-org", "Baoting County"])
    assert again.exit_code == 2 and "exists already" in again.output
    made = runner.invoke(app, ["admin", "create-user", "a@b.cn", "--org", "Baoting County", "--role", "analyst"],
                         input="a long enough password\n")
    assert made.exit_code == 0, made.output
    weak = runner.invoke(app, ["admin", "create-user", "c@b.cn", "--org", "Baoting County", "--role", "analyst"],
                         input="short\n")
    assert weak.exit_code == 2 and "password" in weak.output
    bad_role = runner.invoke(app, ["admin", "create-user", "d@b.cn", "--org", "Baoting County", "--role", "king"],
                             input="a long enough password\n")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    assert "intact: 2 entries" in runner.invoke(app, ["audit", "verify"]).output


def test_demo_load_is_idempotent_and_tampering_is_detected(database: str) -> None:
    first = runner.invoke(app, ["demo-load", "--draws", "0"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(app, ["demo-load", "--draws", "0"]).exit_code == 0
    # organisation, 5 users (one per role), one assessment per page (9), inventory and roadmap published (2)
    assert "intact: 17 entries" in runner.invoke(app, ["audit", "verify"]).output
    engine = make_engine(database)
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT kind, published FROM assessment")).all())
    engine.dispose()
    assert set(rows) == {"inventory", "scenario", "building", "finance", "finance_portfolio", "appraisal", "credits",
                         "community", "farm"}
    assert {kind for kind, published in rows.items() if published} == {"inventory", "scenario"}
    engine = make_engine(database)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE sequence = 2"))
    engine.dispose()
    tampered = runner.invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1 and "TAMPERED" in tampered.output
