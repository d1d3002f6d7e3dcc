"""SIGKILL the server in the middle of concurrent credit transfers and retirements, restart it: the ledger
reconciles (hash chain, head, journal replay, issued = held + retired per vintage), the audit chain verifies,
every transfer and retirement a client was told about is there, and every ledger act has its audit entry."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

from tests.platform.engine_inputs import document
from tests.reliability.server import Server, running, write_until_killed

KEY = {"standard": "ccer", "project": "bt-arr-broadleaf-1", "vintage": 2025}
ISSUED = 1000


def transfer(server: Server, token: dict[str, str]) -> Callable[[int], Any]:
    client = httpx2.Client(base_url=server.url, headers=token, timeout=60)

    def attempt(number: int) -> Any:
        response = client.post("/api/v1/credits/ledger/transfer", json={
            **KEY, "quantity": 1, "from_account": "owner", "to_account": "bank"})
        if response.status_code == 503:  # "database is busy": refused, nothing changed
            return None
        assert response.status_code == 200, response.text
        return ("transfer", number)
    return attempt


def retire(server: Server, token: dict[str, str]) -> Callable[[int], Any]:
    client = httpx2.Client(base_url=server.url, headers=token, timeout=60)

    def attempt(number: int) -> Any:
        response = client.post("/api/v1/credits/ledger/retire", json={
            **KEY, "account": "owner", "quantity": 1, "beneficiary": f"Resident {number}", "purpose": "test"})
        if response.status_code == 503:
            return None
        assert response.status_code == 201, response.text
        return response.json()["certificate"]
    return attempt


def test_sigkill_during_ledger_transfers_then_restart(tmp_path: Path) -> None:
    with running(tmp_path) as server:
        server.add_user("verifier@baoting.cn", "verifier")
        server.add_user("owner@baoting.cn", "project_owner")
        owner, verifier = server.token("owner@baoting.cn"), server.token("verifier@baoting.cn")
        estimate = httpx2.post(f"{server.url}/api/v1/credits/estimates", headers=owner, timeout=60, json={
            "standard": "ccer", "project": document("credits/broadleaf-arr.yaml")})
        assert estimate.status_code == 201, estimate.text
        issued = httpx2.post(f"{server.url}/api/v1/credits/ledger/issue", headers=verifier, timeout=60, json={
            "estimate_id": estimate.json()["id"], "vintage": KEY["vintage"], "quantity": ISSUED, "account": "owner"})
        assert issued.status_code == 201, issued.text

        attempts = [transfer(server, owner) for _ in range(4)] + [retire(server, owner) for _ in range(2)]
        outcome = write_until_killed(server, attempts, kill_after=15)
        assert outcome.interrupted >= 1, "no request was in flight when the server was killed"

        reconciled = server.cli("credits", "reconcile", check=False)  # opening the file recovers the WAL
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        verified = server.cli("audit", "verify", check=False)
        assert verified.returncode == 0 and "audit log intact" in verified.stdout, verified.stderr

        server.start()
        state = httpx2.get(f"{server.url}/api/v1/credits/ledger", headers=owner, timeout=60).json()
        held = {row["account"]: row for row in state["holdings"]}
        transfers = sum(1 for a in outcome.acknowledged if isinstance(a, tuple))
        certificates = {c["certificate"] for c in state["certificates"]}
        assert held["bank"]["held"] >= transfers  # every acknowledged transfer is durable
        assert {a for a in outcome.acknowledged if isinstance(a, str)} <= certificates  # and every retirement
        total = sum(row["held"] + row["retired"] + row["cancelled"] for row in held.values())
        assert total == ISSUED and held["owner"]["retired"] == len(certificates)  # nothing lost, nothing doubled
        assert held["bank"]["held"] == sum(1 for e in state["events"] if e["kind"] == "transfer")

    with sqlite3.connect(server.database) as connection:  # each ledger act has exactly one audit entry
        acts = connection.execute("SELECT count(*) FROM ledger_event WHERE kind IN ('transfer', 'retire')").fetchone()
        audited = connection.execute("SELECT count(*) FROM audit_entry WHERE action IN ('transfer', 'retire')"
                                     ).fetchone()
        assert acts[0] > 0 and acts == audited, json.dumps([acts, audited])
    connection.close()
