"""The Climate Challenge on the platform: submit → 201 with the stored evaluation, read back, organisation
isolation, bad input (422 naming measure and field, nothing stored), the county plan used, the ranking, pages."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from countyzero.services import accounts, assessments
from countyzero.store.db import transaction
from countyzero.store.models import Assessment
from tests.platform.conftest import PASSWORD, token
from tests.platform.engine_inputs import document, path, roadmap_bundle

SOLUTIONS = ("rainforest-restoration", "agrivoltaics-rubber-areca", "electric-tourist-shuttles")
DRAWS = 200


def solution(name: str = "electric-tourist-shuttles") -> dict[str, Any]:
    return document(f"challenge/solutions/{name}.yaml")


def submit(client: TestClient, headers: dict[str, str], body: dict[str, Any], draws: int = DRAWS) -> Any:
    return client.post(f"/api/v1/challenge/submissions?draws={draws}", json=body, headers=headers)


def test_submit_read_and_isolate(client: TestClient) -> None:
    analyst = token(client, "analyst@baoting.cn")
    created = submit(client, analyst, solution())
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["kind"] == "challenge" and len(stored["input_sha256"]) == 64
    result = stored["result"]
    assert result["scenario"] == "hainan-policy" and result["county_source"] == "examples/baoting"
    assert result["status"] == "eligible"
    assert len(result["abatement_tco2e"]) == len(result["years"])
    for key in ("cumulative_abatement_to_peak_year_tco2e", "cumulative_abatement_to_target_year_tco2e",
                "cost_per_tco2e", "delta_p_peak_by_target", "delta_p_net_zero_by_target"):
        assert result[key] is not None, key
    assert result["cumulative_abatement_to_target_year_tco2e"] == pytest.approx(13_784, abs=1)
    assert result["montecarlo"]["draws"] == DRAWS
    read = client.get(f"/api/v1/challenge/submissions/{stored['id']}", headers=analyst)
    assert read.status_code == 200 and read.json()["result"] == result
    listed = client.get("/api/v1/challenge/submissions", headers=analyst).json()
    assert [e["id"] for e in listed] == [stored["id"]]
    other = token(client, "analyst@other.cn")
    assert client.get(f"/api/v1/challenge/submissions/{stored['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/challenge/submissions", headers=other).json() == []
    assert client.get("/api/v1/challenge/ranking", headers=other).json()["entries"] == []
    assert client.get(f"/api/v1/scenarios/{stored['id']}", headers=analyst).status_code == 404  # another kind


def test_identical_submissions_get_identical_evaluations(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    analyst = token(client, "analyst@baoting.cn")
    first = submit(client, analyst, solution(), draws=0).json()
    second = submit(client, analyst, solution(), draws=0).json()
    assert first["id"] != second["id"] and _timeless(first["result"]) == _timeless(second["result"])
    assert first["input_sha256"] == second["input_sha256"]
    with sessions() as session:
        stored = session.get(Assessment, first["id"])
        assert stored is not None and _timeless(assessments.rerun(stored)) == _timeless(stored.result)


def _timeless(result: dict[str, Any]) -> dict[str, Any]:
    """The result without the provenance timestamp (the only field that records when, not what)."""
    copy = dict(result)
    copy["provenance"] = {k: v for k, v in result.get("provenance", {}).items() if k != "timestamp"}
    return copy


def _negative_capex(body: dict[str, Any]) -> None:
    body["measures"][0]["cost"]["capex"] = {"value": -5.0e6, "unit": "CNY", "confidence": "estimate",
                                            "source": "ESTIMATE: a saving"}


@pytest.mark.parametrize(("change", "row", "field"), [
    (_negative_capex, "park-and-ride", "solution.cost.capex"),
    (lambda b: b["measures"][0].update(applies_to={"lines": ["NO-SUCH-LINE"]}), "park-and-ride",
     "solution.applies_to.lines"),
    (lambda b: b["measures"][1]["effect"].update(value="lots"), "electric-tour-coaches", "solution.effect.value"),
    (lambda b: b.update(category="space"), None, "solution.category"),
], ids=["negative-cost-without-revenue", "activity-the-county-lacks", "not-a-number", "unknown-category"])
def test_bad_input_names_measure_and_field_and_stores_nothing(app_and_sessions: tuple[TestClient, Any], change: Any,
                                                              row: str | None, field: str) -> None:
    client, sessions = app_and_sessions
    body = solution()
    change(body)
    response = submit(client, token(client, "analyst@baoting.cn"), body, draws=0)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["message"] and detail["field"] == field and detail["row"] == row
    with sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_role_without_the_right_is_refused(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        accounts.create_user(session, "financier@baoting.cn", PASSWORD, organisation="Baoting County",
                             role="financier")
    response = submit(client, token(client, "financier@baoting.cn"), solution(), draws=0)
    assert response.status_code == 403
    with sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_the_organisations_latest_roadmap_is_the_plan(client: TestClient) -> None:
    analyst = token(client, "analyst@baoting.cn")
    roadmap = client.post("/api/v1/scenarios", json=roadmap_bundle(), headers=analyst)
    assert roadmap.status_code == 201, roadmap.text
    created = submit(client, analyst, solution(), draws=0)
    assert created.status_code == 201, created.text
    stored = created.json()
    result = stored["result"]
    assert result["county_source"].startswith(f"roadmap assessment #{roadmap.json()['id']}")
    assert result["scenario"] == "hainan-policy"  # the bundle's hainan-policy scenario, as the engine chooses
    assert result["cumulative_abatement_to_target_year_tco2e"] == pytest.approx(13_784, abs=1)
    with_scenario = client.post("/api/v1/challenge/submissions?draws=0&scenario=net-zero-2040", json=solution(),
                                headers=analyst)
    assert with_scenario.status_code == 201 and with_scenario.json()["result"]["scenario"] == "net-zero-2040"
    unknown = client.post("/api/v1/challenge/submissions?draws=0&scenario=nope", json=solution(), headers=analyst)
    assert unknown.status_code == 422 and "nope" in unknown.json()["detail"]["message"]


def test_ranking_places_flagged_entries_last_and_never_accepted(client: TestClient) -> None:
    analyst = token(client, "analyst@baoting.cn")
    ids = {}
    for name in SOLUTIONS:
        response = submit(client, analyst, solution(name))
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    unsupported = copy.deepcopy(solution("rainforest-restoration"))
    unsupported["id"] = "rainforest-unsupported"
    unsupported["measures"][0]["adoption"].pop("source")
    flagged = submit(client, analyst, unsupported)
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["result"]["status"] == "flagged"
    assert any(f["kind"] == "unsupported claim" for f in flagged.json()["result"]["flags"])
    ranking = client.get("/api/v1/challenge/ranking", headers=analyst)
    assert ranking.status_code == 200, ranking.text
    answer = ranking.json()
    assert answer["rubric"]["id"] == "baoting-rubric" and answer["jury"]
    entries = answer["entries"]
    assert [e["place"] for e in entries] == [1, 2, 3, 4]
    assert entries[-1]["assessment_id"] == flagged.json()["id"]
    assert entries[-1]["status"] == "flagged" and entries[-1]["accepted"] is False
    assert any(f["kind"] == "unsupported claim" for f in entries[-1]["flags"])
    eligible = entries[:-1]
    assert [e["total"] for e in eligible] == sorted((e["total"] for e in eligible), reverse=True)
    # the computed criteria only: rainforest (most abatement to 2040, the largest ΔP net zero) leads
    assert eligible[0]["assessment_id"] == ids["rainforest-restoration"]
    assert eligible[-1]["assessment_id"] == ids["electric-tourist-shuttles"]
    assert {e["submission_id"] for e in eligible} == set(SOLUTIONS)
    assert all(set(e["scores"]) >= {"abatement-2040", "cost-effectiveness"} for e in entries)


def test_pages_submit_show_evaluation_and_place(client: TestClient) -> None:
    page = client.get("/challenge")
    assert page.status_code == 200 and "登录" in page.text  # redirected to the login page
    login = client.get("/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"email": "analyst@baoting.cn", "password": PASSWORD, "csrf": csrf})
    page = client.get("/challenge")
    assert page.status_code == 200 and "气候挑战赛" in page.text and 'href="/challenge"' in page.text
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    source = path("challenge/solutions/agrivoltaics-rubber-areca.yaml")
    response = client.post("/challenge", data={"csrf": csrf, "draws": "0"}, follow_redirects=False,
                           files={"file": (source.name, source.read_bytes(), "application/yaml")})
    assert response.status_code == 303, response.text
    shown = client.get(response.headers["location"])
    assert shown.status_code == 200
    assert "<svg" in shown.text and "至达峰年累计减排量" in shown.text and 'id="place"' in shown.text
    assert 'class="current"' in shown.text
    bad = client.post("/challenge", data={"csrf": csrf}, files={"file": ("x.yaml", b"id: x\nmeasures: 3\n",
                                                                          "application/yaml")})
    assert bad.status_code == 422 and "文件未保存" in bad.text
    english = client.get(f"/lang/en?next={response.headers['location']}")
    assert "Cumulative abatement to the peak year" in english.text
    assessment_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert client.get(f"/challenge/{assessment_id + 100}").status_code == 404
