"""The ledger scoped to organisations (the platform's use), its head row, and `countyzero credits reconcile`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from countyzero.core.errors import InputError
from countyzero.credits.cli import app
from countyzero.credits.ledger import Ledger, create_schema

runner = CliRunner()


def test_organisations_see_their_own_and_transfer_between_them() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        create_schema(connection)
        county, buyer = Ledger(connection, organisation_id=1), Ledger(connection, organisation_id=2)
        county.issue("ccer", "p", 2025, 100, "owner")
        with pytest.raises(InputError, match="issued by another organisation") as caught:
            buyer.issue("ccer", "p", 2026, 1, "owner")
        assert caught.value.field == "project"
        with pytest.raises(InputError, match="unknown account") as unknown:
            buyer.transfer("owner", "x", "ccer", "p", 2025, 1)
        assert unknown.value.field == "from_account"
        county.transfer("owner", "desk", "ccer", "p", 2025, 30, to_organisation_id=2)
        cert = buyer.retire("desk", "ccer", "p", 2025, 30, beneficiary="b", purpose="p")
        assert (cert.organisation_id, cert.first_serial, cert.last_serial) == (2, 1, 30)
        assert [(b.account, b.status, b.quantity) for b in county.balance()] == [("owner", "held", 70)]
        assert [(b.account, b.status, b.quantity) for b in buyer.balance()] == [("desk", "retired", 30)]
        assert [e.kind for e in buyer.events()] == ["retire", "transfer"]
        assert [e.kind for e in county.events()] == ["transfer", "issue"]
        assert county.certificates() == [] and buyer.certificates() == [cert]
        assert county.certificate(cert.certificate) == cert  # certificates are public by id
        report = Ledger(connection).verify()
        assert report.ok, report.problems
        assert report.vintages == [{"standard": "ccer", "project": "p", "vintage": 2025, "issued": 100, "held": 70,
                                    "retired": 30, "cancelled": 0, "balanced": True}]
    engine.dispose()


def test_removing_the_last_events_is_detected_by_the_head(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as led:
        led.issue("ccer", "p", 2025, 100, "owner")
        led.transfer("owner", "bank", "ccer", "p", 2025, 40)
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER ledger_event_append_only_d")
    conn.execute("DELETE FROM ledger_event WHERE seq = 2")
    conn.commit()
    conn.close()
    with Ledger(path) as led:
        problems = led.verify().problems
    assert "the head does not match the last event (events were removed or added)" in problems
    assert "stored blocks differ from the replayed journal" in problems


def test_files_of_the_earlier_format_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY)")
    conn.close()
    with pytest.raises(InputError, match="earlier CountyZero"):
        Ledger(path)
    (tmp_path / "junk.sqlite").write_text("not a database")
    with pytest.raises(InputError, match="not a usable ledger database"):
        Ledger(tmp_path / "junk.sqlite")


def test_reconcile_command_on_the_platform_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    monkeypatch.setenv("COUNTYZERO_DATABASE_URL", url)
    empty = runner.invoke(app, ["reconcile", "--format", "json"])
    assert empty.exit_code == 0, empty.output
    assert json.loads(empty.output)["ok"] and json.loads(empty.output)["events"] == 0
    engine = create_engine(url)
    with engine.begin() as connection:
        Ledger(connection, organisation_id=1).issue("ccer", "p", 2025, 10, "owner")
    assert "OK: 1 ledger events" in runner.invoke(app, ["reconcile", "--format", "table"]).output
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER ledger_block_one_place")
        connection.exec_driver_sql("INSERT INTO ledger_block (organisation_id, standard, project, vintage, "
                                   "first_serial, last_serial, account, status, event_seq) "
                                   "VALUES (1, 'ccer', 'p', 2025, 5, 6, 'thief', 'held', 1)")
    engine.dispose()
    broken = runner.invoke(app, ["reconcile", "--format", "json"])
    assert broken.exit_code == 1
    assert any("two places" in p for p in json.loads(broken.output)["problems"])
