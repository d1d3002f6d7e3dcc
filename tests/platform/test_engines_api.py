"""JSON API of every engine: create → 201 and read back, organisation isolation, roles, bad input (the label
workflow after the application: test_label_workflow.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from countyzero.services import accounts, assessments, audit
from countyzero.store.db import transaction
from countyzero.store.models import Assessment
from tests.platform.conftest import PASSWORD, token
from tests.platform.engine_inputs import CASES, document

ROLES = ("county_admin", "analyst", "project_owner", "financier", "verifier")


@pytest.fixture
def every_role(app_and_sessions: tuple[TestClient, Any]) -> tuple[TestClient, Any]:
    """Users of every role in Baoting County (``<role>@roles.cn``) besides the shared fixture's."""
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        for role in ROLES:
            accounts.create_user(session, f"{role}@roles.cn", PASSWORD, organisation="Baoting County", role=role)
    return client, sessions


@pytest.mark.parametrize(("resource", "writer", "reader", "body"), CASES, ids=[c[0] for c in CASES])
def test_create_read_isolate_and_refuse(every_role: tuple[TestClient, Any], resource: str, writer: str, reader: str,
                                        body: Callable[[], dict[str, Any]]) -> None:
    client, sessions = every_role
    created = client.post(f"/api/v1/{resource}", json=body(), headers=token(client, f"{writer}@roles.cn"))
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["id"] > 0 and len(stored["input_sha256"]) == 64 and stored["software_version"]
    assert stored["factor_set_version"] and stored["result"]
    same_org_reader = token(client, f"{reader}@roles.cn")
    again = client.get(f"/api/v1/{resource}/{stored['id']}", headers=same_org_reader)
    assert again.status_code == 200 and again.json()["result"] == stored["result"]
    assert [r["id"] for r in client.get(f"/api/v1/{resource}", headers=same_org_reader).json()] == [stored["id"]]
    other = token(client, "analyst@other.cn")
    assert client.get(f"/api/v1/{resource}/{stored['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/{resource}", headers=other).json() == []
    assert client.get(f"/api/v1/{resource}/{stored['id']}").status_code == 401
    refused = client.post(f"/api/v1/{resource}", json=body(), headers=same_org_reader)
    assert refused.status_code == 403
    with sessions() as session:
        assert len(session.scalars(select(Assessment)).all()) == 1
        assert audit.verify_chain(session) == []


def test_another_kind_with_the_same_id_is_not_found(client: TestClient) -> None:
    headers = token(client, "analyst@baoting.cn")
    farm = client.post("/api/v1/farms", json=document("farms/demo-farm-2025.yaml"), headers=headers).json()
    assert client.get(f"/api/v1/communities/{farm['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize(("resource", "body", "row", "field"), [
    ("buildings/assessments", lambda b: b["items"][1].update(quantity="lots"), "columns:concrete-c50", "quantity"),
    ("finance/screenings", lambda b: b["project"].pop("name"), None, "project.name"),
    ("credits/estimates", lambda b: b["project"]["project"].update(area_ha=-5), None, "project.project.area_ha"),
    ("communities", lambda b: b["households"][0].update(persons="many"), "hh-01", "persons"),
    ("farms", lambda b: b.update(colour="green"), None, "colour"),
    ("labels", lambda b: b["item"]["lines"][0].update(food="unobtainium"), "meal-li-rice-bowl", None),
    ("scenarios", lambda b: b["scenarios"][1].update(measures="none"), None, "scenarios #2.measures"),
], ids=["buildings", "finance", "credits", "communities", "farms", "labels", "scenarios"])
def test_bad_input_names_row_and_field_and_stores_nothing(app_and_sessions: tuple[TestClient, Any], resource: str,
                                                          body: Callable[[dict[str, Any]], None], row: str | None,
                                                          field: str | None) -> None:
    client, sessions = app_and_sessions
    data = next(c[3] for c in CASES if c[0] == resource)()
    body(data)
    with transaction(sessions) as session:
        for role in ("verifier", "county_admin"):
            accounts.create_user(session, f"{role}@bad.cn", PASSWORD, organisation="Baoting County", role=role)
    response = client.post(f"/api/v1/{resource}", json=data, headers=token(client, "county_admin@bad.cn"))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["message"]
    if row is not None:
        assert detail["row"] == row
    if field is not None:
        assert detail["field"] == field
    with sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_input_that_is_not_an_object_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/farms", json=[1, 2], headers=token(client, "analyst@baoting.cn"))
    assert response.status_code == 422


def test_credits_valuation_and_lcax_download(every_role: tuple[TestClient, Any]) -> None:
    client, _ = every_role
    owner = token(client, "project_owner@roles.cn")
    body = {"standard": "ccer", "project": document("credits/broadleaf-arr.yaml"), "price": "70", "currency": "CNY",
            "discount_rate": 0.05}
    result = client.post("/api/v1/credits/estimates", json=body, headers=owner).json()["result"]
    assert result["valuation"]["price"]["value"] == 70 and result["valuation"]["npv"] > 0
    assert sum(v["issuable_tco2e"] for v in result["vintages"]) == pytest.approx(result["total_issuable_tco2e"])
    building = client.post("/api/v1/buildings/assessments", json=document("buildings/clinic_boq.yaml"),
                           headers=owner).json()
    lcax = client.get(f"/api/v1/buildings/assessments/{building['id']}/lcax", headers=owner)
    assert lcax.status_code == 200 and "attachment" in lcax.headers["content-disposition"]
    body = lcax.json()
    assert body["assemblies"] and body["formatVersion"] and body["referenceStudyPeriod"] == 60
    assert client.get(f"/api/v1/buildings/assessments/{building['id']}/lcax",
                      headers=token(client, "analyst@other.cn")).status_code == 404


def test_stored_engine_results_reproduce(every_role: tuple[TestClient, Any]) -> None:
    client, sessions = every_role
    headers = token(client, "county_admin@roles.cn")
    ids = [client.post(f"/api/v1/{resource}", json=document(name), headers=headers).json()["id"]
           for resource, name in (("farms", "farms/demo-farm-2025.yaml"),
                                  ("communities", "community/village-2025.yaml"),
                                  ("finance/screenings", "finance/baoting-rooftop-pv.yaml"))]
    with sessions() as session:
        for assessment_id in ids:
            stored = session.get(Assessment, assessment_id)
            assert stored is not None
            again = assessments.rerun(stored)
            for result in (again, stored.result):
                result.get("provenance", {}).pop("timestamp", None)
            assert again == stored.result


def test_oversized_api_body_is_refused_before_reading(tmp_path: Any) -> None:
    from countyzero.settings import Settings
    from countyzero.web.app import create_app

    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'small.db'}",
                              secret_key="small-secret-" + "z" * 20, max_upload_bytes=2000))
    with TestClient(app) as small:
        response = small.post("/api/v1/buildings/assessments", json=document("buildings/clinic_boq.yaml"))
    assert response.status_code == 413
