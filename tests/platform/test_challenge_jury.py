"""The Climate Challenge jury on the platform (verifiers and the county admin score the rubric's jury criteria) and
the public gallery of accepted entries (docs/platform.md, "Climate Challenge"; docs/challenge.md, "Jury")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from countyzero.services import accounts, audit
from countyzero.store.db import transaction
from countyzero.store.models import Assessment, AuditEntry
from tests.platform.conftest import PASSWORD, token
from tests.platform.engine_inputs import document
from tests.platform.test_pages import csrf, login

JURY_CRITERIA = ("innovation", "feasibility", "co-benefits")
JURY_WEIGHT = 0.15 + 0.1 + 0.1  # the rubric's weights of the jury criteria (examples/baoting/challenge/rubric.yaml)


@pytest.fixture
def jury(app_and_sessions: tuple[TestClient, Any]) -> tuple[TestClient, Any]:
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        for email, role, org in (("verifier@baoting.cn", "verifier", "Baoting County"),
                                 ("admin@baoting.cn", "county_admin", "Baoting County"),
                                 ("verifier@other.cn", "verifier", "Other County")):
            accounts.create_user(session, email, PASSWORD, organisation=org, role=role)
    return client, sessions


def _submit(client: TestClient, email: str, body: dict[str, Any]) -> int:
    response = client.post("/api/v1/challenge/submissions?draws=0", json=body, headers=token(client, email))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _solution(name: str) -> dict[str, Any]:
    return document(f"challenge/solutions/{name}.yaml")


def _scores(value: float, comment: str = "") -> dict[str, Any]:
    return {"scores": [{"criterion": c, "score": value, "comment": comment} for c in JURY_CRITERIA]}


def _entry(client: TestClient, assessment_id: int) -> dict[str, Any]:
    ranking = client.get("/api/v1/challenge/ranking", headers=token(client, "analyst@baoting.cn")).json()
    return next(e for e in ranking["entries"] if e["assessment_id"] == assessment_id)


def test_jury_scores_count_in_the_ranking(jury: tuple[TestClient, Any]) -> None:
    client, sessions = jury
    entry = _submit(client, "analyst@baoting.cn", _solution("agrivoltaics-rubber-areca"))
    computed = _entry(client, entry)
    assert all(computed["scores"][c] == 0 and computed["jury"][c]["n"] == 0 for c in JURY_CRITERIA)
    verifier, admin = token(client, "verifier@baoting.cn"), token(client, "admin@baoting.cn")
    scored = client.post(f"/api/v1/challenge/submissions/{entry}/scores", json=_scores(8, "strong pilot data"),
                         headers=verifier)
    assert scored.status_code == 200, scored.text
    assert {r["email"] for r in scored.json()["result"]["jury"]} == {"verifier@baoting.cn"}
    after = _entry(client, entry)
    assert after["total"] == pytest.approx(computed["total"] + JURY_WEIGHT * 8)
    client.post(f"/api/v1/challenge/submissions/{entry}/scores", json=_scores(6), headers=admin)
    both = _entry(client, entry)
    assert both["scores"]["innovation"] == pytest.approx(7) and both["jury"]["innovation"]["n"] == 2
    assert both["jury"]["innovation"]["jurors"] == {"verifier@baoting.cn": 8, "admin@baoting.cn": 6}
    # a juror's new score of a criterion replaces their earlier one
    client.post(f"/api/v1/challenge/submissions/{entry}/scores", headers=verifier,
                json={"scores": [{"criterion": "innovation", "score": 10}]})
    again = _entry(client, entry)
    assert again["scores"]["innovation"] == pytest.approx(8) and again["jury"]["innovation"]["n"] == 2
    assert again["scores"]["feasibility"] == pytest.approx(7)
    with sessions() as session:
        actions = [(e.action, e.actor) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.sequence))
                   if e.action == "score"]
        assert actions == [("score", "verifier@baoting.cn"), ("score", "admin@baoting.cn"),
                           ("score", "verifier@baoting.cn")]
        assert audit.verify_chain(session) == []


@pytest.mark.parametrize(("who", "body", "code", "field"), [
    ("analyst@baoting.cn", _scores(5), 403, None),  # not on the jury
    ("admin@baoting.cn", _scores(5), 403, None),  # the admin submitted this entry: conflict of interest
    ("verifier@other.cn", _scores(5), 404, None),  # another county's entry
    ("verifier@baoting.cn", {"scores": [{"criterion": "abatement-2040", "score": 5}]}, 422, "criterion"),
    ("verifier@baoting.cn", {"scores": [{"criterion": "innovation", "score": 11}]}, 422, "score"),
    ("verifier@baoting.cn", {"scores": [{"criterion": "innovation", "score": 5},
                                        {"criterion": "innovation", "score": 6}]}, 422, "criterion"),
    ("verifier@baoting.cn", {"scores": []}, 422, "scores"),
], ids=["analyst", "own-entry", "other-county", "computed-criterion", "out-of-range", "twice", "empty"])
def test_refused_scores_change_nothing(jury: tuple[TestClient, Any], who: str, body: dict[str, Any], code: int,
                                       field: str | None) -> None:
    client, sessions = jury
    entry = _submit(client, "admin@baoting.cn", _solution("electric-tourist-shuttles"))
    with sessions() as session:
        before = (session.get(Assessment, entry).result, len(session.scalars(select(AuditEntry)).all()))
    response = client.post(f"/api/v1/challenge/submissions/{entry}/scores", json=body, headers=token(client, who))
    assert response.status_code == code, response.text
    if field:
        assert response.json()["detail"]["field"] == field
    if who == "admin@baoting.cn":
        assert "conflict of interest" in response.json()["detail"]
    with sessions() as session:
        assert (session.get(Assessment, entry).result, len(session.scalars(select(AuditEntry)).all())) == before


def test_public_gallery_shows_accepted_entries_only(jury: tuple[TestClient, Any]) -> None:
    client, _ = jury
    public = TestClient(client.app)  # no session, no token
    agrivoltaics = _submit(client, "analyst@baoting.cn", _solution("agrivoltaics-rubber-areca"))
    shuttles = _submit(client, "analyst@baoting.cn", _solution("electric-tourist-shuttles"))
    unsupported = copy.deepcopy(_solution("rainforest-restoration"))
    unsupported["id"] = "rainforest-unsupported"
    unsupported["measures"][0]["adoption"].pop("source")
    flagged = _submit(client, "analyst@baoting.cn", unsupported)
    # computed criteria alone put no entry at the rubric's accept_min_total (4.0) with draws=0
    assert public.get("/api/v1/challenge/gallery").json() == []
    assert public.get("/challenge/gallery").status_code == 200
    verifier = token(client, "verifier@baoting.cn")
    for entry in (agrivoltaics, shuttles, flagged):
        client.post(f"/api/v1/challenge/submissions/{entry}/scores", json=_scores(9, "jury comment: private"),
                    headers=verifier)
    assert _entry(client, flagged)["total"] >= 4.0 and _entry(client, flagged)["accepted"] is False
    gallery = public.get("/api/v1/challenge/gallery").json()
    assert [g["organisation"] for g in gallery] == ["Baoting County"]
    shown = gallery[0]["entries"]
    assert [e["title_en"] for e in shown] == [_solution("agrivoltaics-rubber-areca")["title_en"]]
    place = _entry(client, agrivoltaics)["place"]
    assert shown[0]["place"] == place == 1
    assert shown[0]["abatement_to_target_year_tco2e"] == pytest.approx(
        _entry(client, agrivoltaics)["evidence"]["cumulative_abatement_to_target_year_tco2e"])
    assert shown[0]["description_en"] == _solution("agrivoltaics-rubber-areca")["description_en"].strip()
    page = public.get("/challenge/gallery").text
    assert _solution("agrivoltaics-rubber-areca")["title_zh"] in page
    for private in ("jury comment", "verifier@baoting.cn", "analyst@baoting.cn", "rainforest",
                    _solution("electric-tourist-shuttles")["title_zh"]):
        assert private not in page, private


def test_scoring_page_form(jury: tuple[TestClient, Any]) -> None:
    client, _ = jury
    entry = _submit(client, "analyst@baoting.cn", _solution("electric-tourist-shuttles"))
    login(client, "analyst@baoting.cn")
    assert 'id="score-form"' not in client.get(f"/challenge/{entry}").text
    client.post("/logout", data={"csrf": csrf(client, "/")})
    login(client, "verifier@baoting.cn")
    location = f"/challenge/{entry}"
    page = client.get(location).text
    assert 'id="score-form"' in page
    assert client.post(location + "/scores", data={"csrf": "forged", "score_innovation": "5"}).status_code == 403
    bad = client.post(location + "/scores", data={"csrf": csrf(client, location), "score_innovation": "lots"})
    assert bad.status_code == 422 and "lots" in bad.text
    done = client.post(location + "/scores", follow_redirects=False, data={
        "csrf": csrf(client, location), "score_innovation": "6", "comment_innovation": "new for Baoting",
        "score_feasibility": "7"})
    assert done.status_code == 303
    page = client.get(location).text
    assert "new for Baoting" in page and 'data-criterion="innovation"' in page
    assert _entry(client, entry)["jury"]["feasibility"]["jurors"] == {"verifier@baoting.cn": 7}
    assert _entry(client, entry)["jury"]["co-benefits"]["n"] == 0
