"""The label workflow by separate users: apply → review → issue → verify publicly → renew → revoke (docs/platform.md,
"Labels"; docs/label-standard.md §7–8). Roles, the verifier's independence, revocation visible publicly, audit
entries, and refused steps that change nothing."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from countyzero.lifestyle import IssuedLabel, LabelItem, LabelRegistry
from countyzero.services import accounts, audit, labels
from countyzero.store.db import transaction
from countyzero.store.models import Assessment, AuditEntry, User
from countyzero.web import label_routes
from tests.platform.conftest import PASSWORD, token
from tests.platform.engine_inputs import label_application, path
from tests.platform.test_pages import csrf, login

APPROVE = {"decision": "approve", "note": "recipe card matches the declared quantities",
           "criteria": {"footprint": "computed from library factors", "evidence": "recipe card checked"}}


@pytest.fixture
def people(app_and_sessions: tuple[TestClient, Any]) -> tuple[TestClient, Any]:
    """Besides the shared fixture's analyst and project owner: two verifiers, a county admin, a financier, and a
    verifier of another county."""
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        for email, role, org in (("verifier@baoting.cn", "verifier", "Baoting County"),
                                 ("verifier2@baoting.cn", "verifier", "Baoting County"),
                                 ("admin@baoting.cn", "county_admin", "Baoting County"),
                                 ("financier@baoting.cn", "financier", "Baoting County"),
                                 ("verifier@other.cn", "verifier", "Other County")):
            accounts.create_user(session, email, PASSWORD, organisation=org, role=role)
    return client, sessions


def _state(sessions: Any, assessment_id: int) -> tuple[dict[str, Any], bool, int]:
    with sessions() as session:
        a = session.get(Assessment, assessment_id)
        return a.result, a.published, len(session.scalars(select(AuditEntry)).all())


def _apply(client: TestClient, body: dict[str, Any] | None = None) -> int:
    response = client.post("/api/v1/labels", json=body or label_application(),
                           headers=token(client, "owner@baoting.cn"))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_apply_review_issue_verify_revoke_by_separate_users(people: tuple[TestClient, Any]) -> None:
    client, sessions = people
    owner, verifier, admin = (token(client, e) for e in ("owner@baoting.cn", "verifier@baoting.cn",
                                                         "admin@baoting.cn"))
    assert client.post("/api/v1/labels", json=label_application(), headers=verifier).status_code == 403
    app_id = _apply(client)
    read = client.get(f"/api/v1/labels/{app_id}", headers=owner).json()
    assert read["result"]["issued"] is None
    # the applicant may not review or issue; a financier may do neither; issuing before approval is refused
    assert client.post(f"/api/v1/labels/{app_id}/review", json=APPROVE, headers=owner).status_code == 403
    assert client.post(f"/api/v1/labels/{app_id}/issue", headers=token(client, "financier@baoting.cn")
                       ).status_code == 403
    early = client.post(f"/api/v1/labels/{app_id}/issue", headers=verifier)
    assert early.status_code == 422 and early.json()["detail"]["field"] == "status"
    assert "needs approved" in early.json()["detail"]["message"]
    # another county's verifier does not see the application
    assert client.post(f"/api/v1/labels/{app_id}/review", json=APPROVE,
                       headers=token(client, "verifier@other.cn")).status_code == 404
    reviewed = client.post(f"/api/v1/labels/{app_id}/review", json=APPROVE, headers=verifier)
    assert reviewed.status_code == 200, reviewed.text
    workflow = reviewed.json()["result"]["workflow"]
    assert workflow["status"] == "approved"
    assert workflow["reviews"][0]["criteria"] == APPROVE["criteria"]
    assert workflow["reviews"][0]["verifier"] == "verifier@baoting.cn"
    issued = client.post(f"/api/v1/labels/{app_id}/issue", headers=token(client, "verifier2@baoting.cn"))
    assert issued.status_code == 200, issued.text
    label_id = issued.json()["result"]["issued"]["label_id"]
    assert re.fullmatch(r"CZ15-\d{4}-[0-9A-F]{8}", label_id)
    again = client.post(f"/api/v1/labels/{app_id}/issue", headers=verifier)
    assert again.status_code == 422 and again.json()["detail"]["field"] == "status"
    public = TestClient(client.app)  # no session, no token
    answer = public.get(f"/api/v1/labels/verify/{label_id}").json()
    assert answer["valid"] is True and answer["status"] == "valid" and answer["revoked"] is None
    # revocation: not by the applicant, not without a reason; then public and final
    assert client.post(f"/api/v1/labels/{app_id}/revoke", json={"reason": "x"}, headers=owner).status_code == 403
    no_reason = client.post(f"/api/v1/labels/{app_id}/revoke", json={"reason": "  "}, headers=admin)
    assert no_reason.status_code == 422 and no_reason.json()["detail"]["field"] == "reason"
    revoked = client.post(f"/api/v1/labels/{app_id}/revoke", json={"reason": "recipe changed to beef"},
                          headers=admin)
    assert revoked.status_code == 200, revoked.text
    answer = public.get(f"/api/v1/labels/verify/{label_id}").json()
    assert answer["valid"] is False and answer["status"] == "revoked"
    assert answer["revoked"]["reason"] == "recipe changed to beef" and answer["revoked"]["on"]
    assert "recipe changed to beef" in answer["message"]
    twice = client.post(f"/api/v1/labels/{app_id}/revoke", json={"reason": "again"}, headers=verifier)
    assert twice.status_code == 422 and "already revoked" in twice.json()["detail"]["message"]
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)).all()
        steps = [(e.action, e.actor) for e in entries if e.entity == "label"]
        assert steps == [("assess", "owner@baoting.cn"), ("review", "verifier@baoting.cn"),
                         ("issue", "verifier2@baoting.cn"), ("revoke", "admin@baoting.cn")]
        assert audit.verify_chain(session) == []


def test_the_verifier_must_be_independent_of_the_applicant(people: tuple[TestClient, Any]) -> None:
    client, sessions = people
    verifier = token(client, "verifier@baoting.cn")
    named = _apply(client, {**label_application(), "applicant": "Verifier@Baoting.cn"})  # names the verifier
    before = _state(sessions, named)
    response = client.post(f"/api/v1/labels/{named}/review", json=APPROVE, headers=verifier)
    assert response.status_code == 422 and response.json()["detail"]["field"] == "verifier"
    assert "independent" in response.json()["detail"]["message"]
    assert _state(sessions, named) == before
    # the user who applied cannot issue either, even after someone else approved (a verifier account that
    # applied is refused as an applicant already, so the applying user is checked through the stored creator)
    applied = _apply(client)
    with transaction(sessions) as session:
        session.get(Assessment, applied).created_by = session.scalars(
            select(User.id).where(User.email == "verifier2@baoting.cn")).one()
    assert client.post(f"/api/v1/labels/{applied}/review", json=APPROVE, headers=verifier).status_code == 200
    before = _state(sessions, applied)
    refused = client.post(f"/api/v1/labels/{applied}/issue", headers=token(client, "verifier2@baoting.cn"))
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "verifier"
    assert _state(sessions, applied) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"decision": "approve", "note": ""}, "evidence"),  # no evidence attached
    ({"decision": "maybe", "note": "?"}, "decision"),
    ({"decision": "reject", "note": " "}, "note"),
    ({"decision": "approve", "criteria": {"taste": "good"}}, "criteria.taste"),
], ids=["no-evidence", "unknown-decision", "reject-without-note", "unknown-criterion"])
def test_bad_reviews_are_refused_and_change_nothing(people: tuple[TestClient, Any], body: dict[str, Any],
                                                    field: str) -> None:
    client, sessions = people
    application = label_application()
    if field == "evidence":
        application["evidence"] = []
    app_id = _apply(client, application)
    before = _state(sessions, app_id)
    response = client.post(f"/api/v1/labels/{app_id}/review", json=body,
                           headers=token(client, "verifier@baoting.cn"))
    if field == "evidence":  # an application without evidence is not open for review yet (§8.2)
        assert response.status_code == 422 and response.json()["detail"]["field"] == "status"
    else:
        assert response.status_code == 422 and response.json()["detail"]["field"] == field
    assert _state(sessions, app_id) == before


def test_changes_requested_then_evidence_then_approval(people: tuple[TestClient, Any]) -> None:
    client, sessions = people
    owner, verifier = token(client, "owner@baoting.cn"), token(client, "verifier@baoting.cn")
    app_id = _apply(client, {**label_application(), "evidence": []})
    bare = client.get(f"/api/v1/labels/{app_id}", headers=owner).json()
    assert "workflow" not in bare["result"]  # status "applied", derived: nothing stored beyond the grade
    added = client.post(f"/api/v1/labels/{app_id}/evidence", json={"document": "menu.pdf", "sha256": "cd" * 32},
                        headers=owner)
    assert added.status_code == 200 and added.json()["result"]["workflow"]["status"] == "evidence"
    bad = client.post(f"/api/v1/labels/{app_id}/evidence", json={"document": "x", "sha256": "nope"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "sha256"
    changes = client.post(f"/api/v1/labels/{app_id}/review", headers=verifier,
                          json={"decision": "request_changes", "note": "attach the purchase records",
                                "criteria": {"evidence": "the menu alone does not show the quantities"}})
    assert changes.json()["result"]["workflow"]["status"] == "changes_requested"
    assert client.post(f"/api/v1/labels/{app_id}/issue", headers=verifier).status_code == 422
    client.post(f"/api/v1/labels/{app_id}/evidence", json={"document": "purchases.xlsx", "sha256": "ef" * 32},
                headers=owner)
    approved = client.post(f"/api/v1/labels/{app_id}/review", json=APPROVE, headers=verifier).json()
    assert approved["result"]["workflow"]["status"] == "approved"
    assert [r["decision"] for r in approved["result"]["workflow"]["reviews"]] == ["request_changes", "approve"]
    assert client.post(f"/api/v1/labels/{app_id}/evidence", json={"document": "late.pdf", "sha256": "01" * 32},
                       headers=owner).status_code == 422
    rejected = _apply(client)
    client.post(f"/api/v1/labels/{rejected}/review", json={"decision": "reject", "note": "not our menu"},
                headers=verifier)
    assert client.post(f"/api/v1/labels/{rejected}/issue", headers=verifier).status_code == 422
    with sessions() as session:
        assert audit.verify_chain(session) == []


def test_issue_at_application_is_refused(people: tuple[TestClient, Any]) -> None:
    client, sessions = people
    response = client.post("/api/v1/labels", json={**label_application(), "issue": True},
                           headers=token(client, "owner@baoting.cn"))
    assert response.status_code == 422 and response.json()["detail"]["field"] == "issue"
    with sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_pages_list_status_review_issue_revoke_and_public_page(people: tuple[TestClient, Any]) -> None:
    client, _ = people
    login(client, "owner@baoting.cn")
    with path("lifestyle/application-meal.yaml").open("rb") as handle:
        applied = client.post("/labels", data={"csrf": csrf(client, "/labels")}, follow_redirects=False,
                              files={"file": ("meal.yaml", handle, "application/yaml")})
    location = applied.headers["location"]
    page = client.get(location).text
    assert 'data-status="applied"' in page and "review-form" not in page and "evidence-form" in page
    evidence = client.post(location + "/evidence", data={"csrf": csrf(client, location)}, follow_redirects=False,
                           files={"evidence": ("recipe.txt", b"150 g rice, 150 g greens", "text/plain")})
    assert evidence.status_code == 303
    assert 'data-status="evidence"' in client.get("/labels").text
    client.post("/logout", data={"csrf": csrf(client, "/")})
    login(client, "verifier@baoting.cn")
    page = client.get(location).text
    assert "review-form" in page and "issue-button" not in page and "evidence-form" not in page
    forged = client.post(location + "/review", data={"csrf": "forged", "decision": "approve"})
    assert forged.status_code == 403
    reviewed = client.post(location + "/review", follow_redirects=False, data={
        "csrf": csrf(client, location), "decision": "approve", "note": "ok",
        "criterion_footprint": "library factors", "criterion_evidence": "recipe card"})
    assert reviewed.status_code == 303
    page = client.get(location).text
    assert 'data-status="approved"' in page and "issue-button" in page and "recipe card" in page
    assert client.post(location + "/issue", data={"csrf": csrf(client, location)},
                       follow_redirects=False).status_code == 303
    match = re.search(r'id="label-id">([^<]+)<', client.get(location).text)
    assert match
    label_id = match.group(1)
    public = TestClient(client.app)
    page = public.get(f"/verify/{label_id}")
    assert page.status_code == 200 and 'class="verdict ok"' in page.text and "<svg" in page.text
    certificate = public.get(f"/verify/{label_id}/certificate.pdf")
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")
    assert public.get("/verify/CZ15-2030-NOPE").status_code == 404
    assert public.get("/verify/CZ15-2030-NOPE/certificate.pdf").status_code == 404
    empty = client.post(location + "/revoke", data={"csrf": csrf(client, location), "reason": ""})
    assert empty.status_code == 422 and "reason" in empty.text
    revoked = client.post(location + "/revoke", data={"csrf": csrf(client, location),
                                                      "reason": "misuse on another menu"}, follow_redirects=False)
    assert revoked.status_code == 303
    page = public.get(f"/verify/{label_id}").text
    assert 'class="verdict bad"' in page and 'data-status="revoked"' in page and "misuse on another menu" in page
    assert 'id="pdf"' not in page
    refused = public.get(f"/verify/{label_id}/certificate.pdf")
    assert refused.status_code == 410 and "misuse on another menu" in refused.text
    assert 'data-status="revoked"' in client.get("/labels").text
    client.post("/logout", data={"csrf": csrf(client, "/")})
    login(client, "analyst@other.cn")
    assert client.get(location).status_code == 404
    assert client.post(location + "/revoke", data={"csrf": csrf(client, "/"), "reason": "x"}).status_code == 404


# renewal and expiry (docs/label-standard.md §8.5–8.6) --------------------------------------------------------
def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    """Make ``date.today()`` of the label routes and service answer ``day`` (expiry is computed on read by date)."""
    class Fixed(date):
        @classmethod
        def today(cls) -> Fixed:
            return cls(day.year, day.month, day.day)

    monkeypatch.setattr(label_routes, "date", Fixed)
    monkeypatch.setattr(labels, "date", Fixed)


def _issued(client: TestClient) -> tuple[int, str]:
    """An application reviewed by one verifier and issued by the other: (its id, the label id)."""
    app_id = _apply(client)
    assert client.post(f"/api/v1/labels/{app_id}/review", json=APPROVE,
                       headers=token(client, "verifier@baoting.cn")).status_code == 200
    issued = client.post(f"/api/v1/labels/{app_id}/issue", headers=token(client, "verifier2@baoting.cn"))
    assert issued.status_code == 200, issued.text
    return app_id, str(issued.json()["result"]["issued"]["label_id"])


def _register_renewal(at: date) -> IssuedLabel:
    """What the label register's own ``renew`` makes of the same application renewed on ``at``."""
    body = label_application()
    reg = LabelRegistry(":memory:")
    try:
        app = reg.apply(LabelItem.model_validate(body["item"]), applicant=body["applicant"], year=body["year"],
                        at=date(2026, 1, 5))
        reg.add_evidence(app, document="recipe card.pdf", sha256="ab" * 32, actor="Hotel", at=date(2026, 1, 6))
        reg.review(app, verifier="verifier@baoting.cn", approve=True, note="ok", at=date(2026, 1, 7))
        label = reg.issue(app, actor="verifier2@baoting.cn", at=date(2026, 1, 8))
        return reg.renew(label.label_id, verifier="verifier@baoting.cn", at=at)
    finally:
        reg.close()


def test_expiry_then_renewal_regraded_in_the_renewal_year(people: tuple[TestClient, Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    client, sessions = people
    owner, verifier = token(client, "owner@baoting.cn"), token(client, "verifier@baoting.cn")
    app_id, label_id = _issued(client)
    public = TestClient(client.app)
    first = public.get(f"/api/v1/labels/verify/{label_id}").json()
    assert first["status"] == "valid"
    until = date.fromisoformat(first["label"]["valid_until"])
    # past its validity the label is expired everywhere: the API, the public page, the list and its own page
    later = date(2033, 3, 1)
    assert later > until
    _on(monkeypatch, later)
    expired = public.get(f"/api/v1/labels/verify/{label_id}").json()
    assert expired["valid"] is False and expired["status"] == "expired"
    assert f"expired on {until.isoformat()}" in expired["message"]
    assert 'class="verdict bad"' in public.get(f"/verify/{label_id}").text
    # the applicant, a financier and the county admin cannot renew; nothing changes
    before = _state(sessions, app_id)
    for refused in (owner, token(client, "financier@baoting.cn"), token(client, "admin@baoting.cn")):
        assert client.post(f"/api/v1/labels/{app_id}/renew", headers=refused).status_code == 403
    assert _state(sessions, app_id) == before
    # an independent verifier renews: the same label id, re-graded in the renewal year as the register does
    renewed = client.post(f"/api/v1/labels/{app_id}/renew", headers=verifier)
    assert renewed.status_code == 200, renewed.text
    expected = _register_renewal(later)
    result = renewed.json()["result"]
    assert result["issued"]["label_id"] == label_id
    assert result["issued"]["grade"] == expected.grade and result["grade"]["grade"] == expected.grade
    assert result["issued"]["footprint_kgco2e"] == pytest.approx(expected.footprint_kgco2e)
    assert result["issued"]["valid_until"] == expected.valid_until.isoformat() == "2035-03-01"
    assert result["workflow"]["status"] == "issued"
    record = result["renewals"][-1]
    assert record == {"on": "2033-03-01", "by": "verifier@baoting.cn", "grade": expected.grade,
                      "footprint_kgco2e": pytest.approx(expected.footprint_kgco2e), "ratio": record["ratio"],
                      "valid_until": "2035-03-01", "previous_grade": first["label"]["grade"],
                      "previous_valid_until": until.isoformat()}
    assert expected.grade != first["label"]["grade"]  # the allowance of 2033 is smaller than that of 2030
    answer = public.get(f"/api/v1/labels/verify/{label_id}").json()
    assert answer["valid"] is True and answer["status"] == "valid"
    assert answer["label"]["valid_until"] == "2035-03-01" and answer["label"]["grade"] == expected.grade
    assert answer["label"]["issued_on"] == "2033-03-01" and "2035-03-01" in answer["label"]["qr_payload"]
    # renewing again within the validity is allowed (issued); a revoked label is never renewed
    assert client.post(f"/api/v1/labels/{app_id}/revoke", json={"reason": "recipe changed"},
                       headers=verifier).status_code == 200
    before = _state(sessions, app_id)
    refused = client.post(f"/api/v1/labels/{app_id}/renew", headers=verifier)
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "status"
    assert "cannot renew" in refused.json()["detail"]["message"] and "revoked" in refused.json()["detail"]["message"]
    assert _state(sessions, app_id) == before
    assert public.get(f"/api/v1/labels/verify/{label_id}").json()["status"] == "revoked"
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)).all()
        steps = [(e.action, e.actor, e.entity_id) for e in entries if e.entity == "label" and e.action != "assess"]
        assert steps == [("review", "verifier@baoting.cn", str(app_id)), ("issue", "verifier2@baoting.cn", label_id),
                         ("renew", "verifier@baoting.cn", label_id), ("revoke", "verifier@baoting.cn", label_id)]
        assert audit.verify_chain(session) == []


def test_renewal_needs_an_issued_label_and_an_independent_verifier(people: tuple[TestClient, Any]) -> None:
    client, sessions = people
    verifier = token(client, "verifier@baoting.cn")
    applied = _apply(client)  # not issued yet
    before = _state(sessions, applied)
    early = client.post(f"/api/v1/labels/{applied}/renew", headers=verifier)
    assert early.status_code == 422 and "needs issued or expired" in early.json()["detail"]["message"]
    assert _state(sessions, applied) == before
    app_id, _ = _issued(client)
    with transaction(sessions) as session:  # the verifier turns out to be the user who applied
        session.get(Assessment, app_id).created_by = session.scalars(
            select(User.id).where(User.email == "verifier@baoting.cn")).one()
    before = _state(sessions, app_id)
    refused = client.post(f"/api/v1/labels/{app_id}/renew", headers=verifier)
    assert refused.status_code == 422 and refused.json()["detail"]["field"] == "verifier"
    assert _state(sessions, app_id) == before
    assert client.post(f"/api/v1/labels/{app_id}/renew",
                       headers=token(client, "verifier@other.cn")).status_code == 404
    # within the validity a renewal is allowed too (status issued): today's year, a new period from today
    renewed = client.post(f"/api/v1/labels/{app_id}/renew", headers=token(client, "verifier2@baoting.cn"))
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["result"]["issued"]["issued_on"] == date.today().isoformat()


def test_renew_page_form_with_csrf_and_expired_status_on_pages(people: tuple[TestClient, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = people
    app_id, label_id = _issued(client)
    location = f"/labels/{app_id}"
    login(client, "verifier@baoting.cn")
    page = client.get(location).text
    assert 'data-status="issued"' in page and "renew-button" in page and "renewals" not in page
    _on(monkeypatch, date(2033, 3, 1))
    page = client.get(location).text
    assert 'data-status="expired"' in page and "renew-button" in page and "revoke-form" in page
    assert 'data-status="expired"' in client.get("/labels").text
    forged = client.post(location + "/renew", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert 'data-status="expired"' in client.get(location).text
    renewed = client.post(location + "/renew", data={"csrf": csrf(client, location)}, follow_redirects=False)
    assert renewed.status_code == 303 and renewed.headers["location"] == location
    page = client.get(location).text
    assert 'data-status="issued"' in page and 'id="renewals"' in page and "2035-03-01" in page
    assert 'data-status="issued"' in client.get("/labels").text
    public = TestClient(client.app).get(f"/verify/{label_id}").text
    assert 'class="verdict ok"' in public and "2035-03-01" in public
    client.post("/logout", data={"csrf": csrf(client, "/")})
    login(client, "owner@baoting.cn")
    page = client.get(location).text
    assert "renew-button" not in page
    refused = client.post(location + "/renew", data={"csrf": csrf(client, location)})
    assert refused.status_code == 403 and "cannot renew" in refused.text
