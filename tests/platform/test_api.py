"""JSON API: health, tokens, inventories with organisation scoping, roles, bad input, audit, reproducibility."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from countyzero import __version__
from countyzero.services import assessments, audit
from countyzero.store.models import Assessment
from tests.platform.conftest import token

INVENTORY: dict[str, Any] = {"county": "Baoting", "year": 2022, "activities": [
    {"id": "res-gas", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "TJ"}]}


def test_health(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok", "version": __version__}


def test_wrong_password_is_generic(client: TestClient) -> None:
    wrong = client.post("/api/v1/auth/token", data={"username": "analyst@baoting.cn", "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody@baoting.cn", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_create_and_read_inventory_scoped_to_the_organisation(client: TestClient) -> None:
    headers = token(client, "analyst@baoting.cn")
    created = client.post("/api/v1/inventories", json=INVENTORY, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert abs(body["result"]["gross_tco2e"] - 56.2665) < 1e-9  # IPCC 2006 Tables 1.4 and 2.5, AR5
    again = client.get(f"/api/v1/inventories/{body['id']}", headers=headers)
    assert again.status_code == 200 and again.json()["result"] == body["result"]
    other = client.get(f"/api/v1/inventories/{body['id']}", headers=token(client, "analyst@other.cn"))
    assert other.status_code == 404
    assert client.get(f"/api/v1/inventories/{body['id']}").status_code == 401
    assert [row["id"] for row in client.get("/api/v1/inventories", headers=headers).json()] == [body["id"]]
    assert client.get("/api/v1/inventories", headers=token(client, "analyst@other.cn")).json() == []


def test_role_without_write_permission_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/inventories", json=INVENTORY, headers=token(client, "owner@baoting.cn"))
    assert response.status_code == 403


def test_bad_input_names_line_and_field_and_stores_nothing(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    bad = {**INVENTORY, "activities": [{**INVENTORY["activities"][0], "fuel": "natral_gas"}]}
    response = client.post("/api/v1/inventories", json=bad, headers=token(client, "analyst@baoting.cn"))
    assert response.status_code == 422
    assert response.json()["detail"] == {"message": "unknown fuel 'natral_gas'", "row": "res-gas", "field": "fuel"}
    with sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_audit_chain_records_and_detects_tampering(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    client.post("/api/v1/inventories", json=INVENTORY, headers=token(client, "analyst@baoting.cn"))
    with sessions() as session:
        assert audit.verify_chain(session) == []
        assert audit.count(session) == 6  # 2 organisations, 3 users, 1 assessment
    with sessions.begin() as session:
        session.execute(text("UPDATE audit_entry SET actor = 'someone else' WHERE sequence = 3"))
    with sessions() as session:
        problems = audit.verify_chain(session)
    assert problems and "entry 3" in problems[0]


def test_stored_assessment_reproduces(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    created = client.post("/api/v1/inventories", json=INVENTORY, headers=token(client, "analyst@baoting.cn")).json()
    with sessions() as session:
        stored = session.get(Assessment, created["id"])
        again = assessments.rerun(stored)
    for result in (again, stored.result):
        result["provenance"].pop("timestamp")
    assert again == stored.result


def test_factor_lookup_is_public(client: TestClient) -> None:
    assert client.get("/api/v1/factors/ipcc2006.ef.co2.natural_gas").json()["value"] == 56100
    assert client.get("/api/v1/factors/no.such").status_code == 404
