"""Ledger behaviour: retirement once and only once, certificates, append-only storage, tamper detection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from countyzero.core.errors import InputError
from countyzero.credits.ledger import Ledger


def test_second_retirement_of_a_serial_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as led:
        led.issue("ccer", "p", 2025, 100, "owner")
        cert = led.retire("owner", "ccer", "p", 2025, serials=(1, 10), beneficiary="Hotel", purpose="2025 claim")
        assert cert.certificate == "RC-00000002" and cert.quantity == 10
        before = (led.blocks(), led.verify().head_hash)
        with pytest.raises(InputError, match=r"already retired \(certificate RC-00000002"):
            led.retire("owner", "ccer", "p", 2025, serials=(5, 12), beneficiary="Other", purpose="double claim")
        assert (led.blocks(), led.verify().head_hash) == before


def test_transfer_more_than_held_is_refused(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as led:
        led.issue("ccer", "p", 2025, 100, "owner")
        with pytest.raises(InputError, match=r"holds 100 t .* fewer than the 101 t"):
            led.transfer("owner", "bank", "ccer", "p", 2025, 101)
        assert [(b.account, b.quantity) for b in led.balance()] == [("owner", 100)]


def test_issue_cap_and_bad_quantities(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as led:
        led.issue("ccer", "p", 2025, 900, "owner", max_total=1000)
        with pytest.raises(InputError, match="above the issuable 1000"):
            led.issue("ccer", "p", 2025, 101, "owner", max_total=1000)
        for bad in (0, -5, 1.5, True):
            with pytest.raises(InputError, match="positive whole number"):
                led.issue("ccer", "p", 2025, bad, "owner")  # type: ignore[arg-type]
        with pytest.raises(InputError, match="non-empty"):
            led.issue("ccer", "p", 2025, 1, " ")
        assert led.verify().ok and led.verify().events == 1


def test_storage_refuses_edits_and_second_places(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as led:
        led.issue("ccer", "p", 2025, 100, "owner")
        led.retire("owner", "ccer", "p", 2025, 10, beneficiary="b", purpose="p")
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE ledger_event SET payload = '{}' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM ledger_event")
    with pytest.raises(sqlite3.IntegrityError, match="final"):
        conn.execute("UPDATE ledger_block SET status = 'held' WHERE status = 'retired'")
    with pytest.raises(sqlite3.IntegrityError, match="two places"):
        conn.execute("INSERT INTO ledger_block (standard, project, vintage, first_serial, last_serial, account, "
                     "status, event_seq) VALUES ('ccer', 'p', 2025, 5, 5, 'thief', 'held', 1)")
    with pytest.raises(sqlite3.IntegrityError, match="retired only once"):
        conn.execute("INSERT INTO ledger_retirement (certificate, event_seq, standard, project, vintage, first_serial, "
                     "last_serial, account, beneficiary, purpose, retired_at) "
                     "VALUES ('X', 1, 'ccer', 'p', 2025, 3, 4, 'a', 'b', 'c', 'd')")
    conn.close()


def test_verify_detects_tampering(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as led:
        led.issue("ccer", "p", 2025, 100, "owner")
        led.transfer("owner", "bank", "ccer", "p", 2025, 40)
        assert led.verify().ok
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER ledger_event_append_only_u")
    conn.execute("UPDATE ledger_event SET payload = replace(payload, '\"bank\"', '\"mallory\"') WHERE seq = 2")
    conn.commit()
    conn.close()
    with Ledger(path) as led:
        report = led.verify()
    assert not report.ok
    assert any("hash chain broken at event 2" in p for p in report.problems)


def test_cancel_to_buffer_and_balances() -> None:
    with Ledger(":memory:") as led:
        led.issue("verra", "p", 2026, 50, "owner")
        blocks = led.cancel_to_buffer("owner", "verra", "p", 2026, 5, "fire 2027")
        assert blocks[0].account == "buffer:verra" and blocks[0].status == "cancelled"
        rows = {(b.account, b.status): b.quantity for b in led.balance()}
        assert rows == {("owner", "held"): 45, ("buffer:verra", "cancelled"): 5}
        vintage = led.verify().vintages[0]
        assert (vintage["issued"], vintage["held"], vintage["cancelled"], vintage["balanced"]) == (50, 45, 5, True)


def test_failure_after_partial_work_rolls_back() -> None:
    """A retirement whose lowest serials are not contiguous fails after blocks were split: all is rolled back."""
    with Ledger(":memory:") as led:
        led.issue("ccer", "p", 2025, 10, "owner")          # 1–10
        led.transfer("owner", "bank", "ccer", "p", 2025, 5)  # bank 1–5, owner 6–10
        led.issue("ccer", "p", 2025, 10, "bank")           # bank 11–20
        led.issue("ccer", "p", 2025, 10, "owner")          # owner 21–30
        before = (led.blocks(), led.verify().head_hash)
        with pytest.raises(InputError, match="one contiguous serial range"):
            led.retire("owner", "ccer", "p", 2025, 7, beneficiary="b", purpose="p")
        assert (led.blocks(), led.verify().head_hash) == before
        assert led.verify().ok
