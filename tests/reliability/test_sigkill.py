"""SIGKILL the server in the middle of concurrent imports, restart it: the database is intact, the audit chain
verifies, every import a client was told about is there in full, and nothing is half-written."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy.orm import Session

from countyzero.inventory.reader import read_inventory
from countyzero.services import audit
from countyzero.store.db import make_engine
from tests.conftest import BAOTING
from tests.reliability.server import Server, running, write_until_killed

BODY = read_inventory(BAOTING)[1].data


def api_import(server: Server, token: dict[str, str]) -> Callable[[int], Any]:
    client = httpx2.Client(base_url=server.url, headers=token, timeout=60)

    def attempt(number: int) -> Any:
        response = client.post("/api/v1/inventories", json=BODY, params={"name": f"api {number}"})
        if response.status_code == 503:  # e.g. "database is busy": refused, nothing stored
            return None
        assert response.status_code == 201, response.text
        return response.json()["id"]
    return attempt


def page_upload(server: Server) -> Callable[[int], Any]:
    client, csrf = server.page_client()

    def attempt(number: int) -> Any:
        response = client.post("/inventories", data={"csrf": csrf, "name": f"page {number}"},
                               files={"file": ("inventory-2022.yaml", BAOTING.read_bytes(), "application/yaml")})
        if response.status_code == 503:
            return None
        assert response.status_code == 303, response.text
        return int(response.headers["location"].rsplit("/", 1)[1])
    return attempt


def without_timestamp(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "provenance": {k: v for k, v in result["provenance"].items() if k != "timestamp"}}


def stored(database: Path) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    """Assessment results by id, and audit entries of assessments (entity_id → count)."""
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        results = {row[0]: json.loads(row[1]) for row in connection.execute("SELECT id, result FROM assessment")}
        entries: dict[str, int] = {}
        for (entity_id,) in connection.execute("SELECT entity_id FROM audit_entry WHERE action = 'assess'"):
            entries[entity_id] = entries.get(entity_id, 0) + 1
    connection.close()
    return results, entries


def test_sigkill_during_imports_then_restart(tmp_path: Path) -> None:
    with running(tmp_path) as server:
        token = server.token()
        expected = httpx2.post(f"{server.url}/api/v1/inventories", json=BODY, headers=token, timeout=60).json()
        attempts = [api_import(server, token) for _ in range(4)] + [page_upload(server) for _ in range(2)]
        outcome = write_until_killed(server, attempts, kill_after=12)
        assert outcome.interrupted >= 1, "no request was in flight when the server was killed"

        results, entries = stored(server.database)  # opening it recovers the WAL, as the restarted server will
        verified = server.cli("audit", "verify", check=False)
        assert verified.returncode == 0 and "audit log intact" in verified.stdout, verified.stderr
        assert set(outcome.acknowledged) <= set(results)  # every acknowledged import is durable
        assert entries == {str(key): 1 for key in results}  # each assessment has exactly one entry, no orphans
        assert all(without_timestamp(result) == without_timestamp(expected["result"])
                   for result in results.values())  # and a complete result

        server.start()  # the same database, after the crash
        after = httpx2.post(f"{server.url}/api/v1/inventories", json=BODY, headers=token, timeout=60)
        assert after.status_code == 201 and after.json()["id"] == max(results) + 1
        engine = make_engine(f"sqlite:///{server.database}")
        with Session(engine) as session:  # the chain goes on from the entries written before the crash
            assert audit.verify_chain(session) == [] and audit.count(session) == len(results) + 3
        engine.dispose()
