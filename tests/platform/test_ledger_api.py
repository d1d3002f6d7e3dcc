"""The ledger's API and pages: roles (403), another organisation's estimate (404), named problems (422), the
issue → transfer → retire round trip, the public retirement certificate (page and PDF) for a visitor."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from countyzero.services import accounts
from countyzero.store.db import transaction
from tests.platform.conftest import PASSWORD, token
from tests.platform.engine_inputs import document
from tests.platform.test_pages import csrf, login

KEY = {"standard": "ccer", "project": "bt-arr-broadleaf-1", "vintage": 2025}


@pytest.fixture
def ledger_client(app_and_sessions: tuple[TestClient, Any]) -> tuple[TestClient, int]:
    """The shared fixture's users plus a verifier and a financier in Baoting and a verifier in Other County, and
    one stored credits estimate of Baoting (the broadleaf ARR project, CCER)."""
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        for email, org, role in (("verifier@baoting.cn", "Baoting County", "verifier"),
                                 ("bank@baoting.cn", "Baoting County", "financier"),
                                 ("verifier@other.cn", "Other County", "verifier")):
            accounts.create_user(session, email, PASSWORD, organisation=org, role=role)
    created = client.post("/api/v1/credits/estimates", headers=token(client, "owner@baoting.cn"),
                          json={"standard": "ccer", "project": document("credits/broadleaf-arr.yaml")})
    assert created.status_code == 201, created.text
    return client, int(created.json()["id"])


def test_api_round_trip_roles_isolation_and_named_problems(ledger_client: tuple[TestClient, int]) -> None:
    client, estimate = ledger_client
    verifier, owner, analyst = (token(client, e) for e in ("verifier@baoting.cn", "owner@baoting.cn",
                                                           "analyst@baoting.cn"))
    issue = {"estimate_id": estimate, "vintage": 2025, "quantity": 1000, "account": "owner"}
    assert client.post("/api/v1/credits/ledger/issue", json=issue).status_code == 401
    assert client.post("/api/v1/credits/ledger/issue", json=issue, headers=owner).status_code == 403
    assert client.post("/api/v1/credits/ledger/issue", json=issue,
                       headers=token(client, "verifier@other.cn")).status_code == 404
    bad = client.post("/api/v1/credits/ledger/issue", json={**issue, "quantity": 0}, headers=verifier)
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "quantity"
    issued = client.post("/api/v1/credits/ledger/issue", json=issue, headers=verifier)
    assert issued.status_code == 201, issued.text
    assert issued.json()["serials"] == "CCER-bt-arr-broadleaf-1-2025-000000001…000001000"

    transfer = {**KEY, "quantity": 300, "from_account": "owner", "to_account": "bank"}
    assert client.post("/api/v1/credits/ledger/transfer", json=transfer, headers=verifier).status_code == 403
    too_many = client.post("/api/v1/credits/ledger/transfer", json={**transfer, "quantity": 5000}, headers=owner)
    assert too_many.status_code == 422 and too_many.json()["detail"]["field"] == "quantity"
    unknown = client.post("/api/v1/credits/ledger/transfer", json={**transfer, "from_account": "nobody"},
                          headers=owner)
    assert unknown.status_code == 422 and unknown.json()["detail"]["field"] == "from_account"
    moved = client.post("/api/v1/credits/ledger/transfer", json=transfer, headers=owner)
    assert moved.status_code == 200 and moved.json()["blocks"][0]["account"] == "bank"

    retire = {**KEY, "account": "bank", "first_serial": 1, "last_serial": 100, "beneficiary": "Hotel A",
              "purpose": "2025 carbon neutrality claim"}
    bank = token(client, "bank@baoting.cn")
    assert client.post("/api/v1/credits/ledger/retire", json=retire, headers=analyst).status_code == 403
    cert = client.post("/api/v1/credits/ledger/retire", json=retire, headers=bank)
    assert cert.status_code == 201, cert.text
    certificate = cert.json()["certificate"]
    again = client.post("/api/v1/credits/ledger/retire", json={**retire, "first_serial": 50, "last_serial": 60},
                        headers=bank)
    assert again.status_code == 422 and again.json()["detail"]["field"] == "first_serial"
    assert f"certificate {certificate}" in again.json()["detail"]["message"]

    view = client.get("/api/v1/credits/ledger", headers=analyst).json()
    assert view["reconciliation"]["ok"] and view["reconciliation"]["vintages"] == [
        {**KEY, "issued": 1000, "held": 900, "retired": 100, "cancelled": 0, "balanced": True}]
    assert [e["kind"] for e in view["events"]] == ["retire", "transfer", "issue"]
    assert [c["certificate"] for c in view["certificates"]] == [certificate]
    other = token(client, "analyst@other.cn")
    assert client.get("/api/v1/credits/ledger", headers=other).json()["holdings"] == []
    assert client.get(f"/api/v1/credits/retirements/{certificate}", headers=analyst).json()["quantity"] == 100
    assert client.get(f"/api/v1/credits/retirements/{certificate}", headers=other).status_code == 404
    assert client.get(f"/api/v1/credits/retirements/{certificate}").status_code == 401

    # public: a visitor without login verifies the certificate and downloads its PDF
    public = TestClient(client.app)
    page = public.get(f"/credits/retirements/{certificate}")
    assert page.status_code == 200 and 'id="verdict"' in page.text and "Hotel A" in page.text
    assert "<svg" in page.text and cert.json()["event_hash"] in page.text
    pdf = public.get(f"/credits/retirements/{certificate}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert public.get("/credits/retirements/RC-99999999").status_code == 404
    assert public.get("/credits/retirements/RC-99999999/certificate.pdf").status_code == 404
    found = public.get(f"/credits/retirements/?certificate_id={certificate}", follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/credits/retirements/{certificate}"


def _post(client: TestClient, path: str, **fields: Any) -> Any:
    return client.post(path, data={"csrf": csrf(client, "/ledger"), **fields}, follow_redirects=False)


def test_pages_issue_transfer_retire_with_csrf(ledger_client: tuple[TestClient, int]) -> None:
    client, estimate = ledger_client
    login(client, "verifier@baoting.cn")
    page = client.get("/ledger")
    assert page.status_code == 200 and 'id="issue-form"' in page.text and 'id="transfer-form"' not in page.text
    assert 'id="nav-ledger"' in page.text
    assert 'id="ledger-link"' in client.get(f"/credits/{estimate}").text
    forged = client.post("/ledger/issue", data={"csrf": "x", "estimate_id": estimate, "vintage": 2025,
                                                "quantity": 10, "account": "owner"})
    assert forged.status_code == 403
    refused = _post(client, "/ledger/issue", estimate_id=estimate, vintage=2025, quantity=-1, account="owner")
    assert refused.status_code == 422 and 'id="problems"' in refused.text and "quantity" in refused.text
    done = _post(client, "/ledger/issue", estimate_id=estimate, vintage=2025, quantity=500, account="owner")
    assert done.status_code == 303 and done.headers["location"] == "/ledger"

    client.post("/logout", data={"csrf": csrf(client, "/ledger")})
    login(client, "owner@baoting.cn")
    page = client.get("/ledger").text
    assert 'id="transfer-form"' in page and 'id="issue-form"' not in page and "500" in page
    holding = re.search(r"<option value='([^']+)'", page)
    assert holding
    value = holding.group(1).replace("&#34;", '"')
    moved = _post(client, "/ledger/transfer", holding=value, holder_field="from_account", quantity=200,
                  to_account="bank")
    assert moved.status_code == 303, moved.text
    too_many = _post(client, "/ledger/retire", holding=value, quantity=400, beneficiary="B", purpose="P")
    assert too_many.status_code == 422 and "fewer than the 400 t" in too_many.text
    retired = _post(client, "/ledger/retire", holding=value, quantity=50, beneficiary="Resort B",
                    purpose="2025 event neutrality", date="2026-01-10")
    assert retired.status_code == 303 and retired.headers["location"].startswith("/credits/retirements/RC-")
    shown = client.get("/ledger")
    assert 'id="reconciliation"' in shown.text and "Resort B" in shown.text and 'class="verdict ok"' in shown.text
    client.cookies.set("countyzero_lang", "en")
    assert "Carbon-asset ledger" in client.get("/ledger").text
    client.cookies.set("countyzero_lang", "zh")
    assert "碳资产登记簿" in client.get("/ledger").text
    assert client.get(retired.headers["location"]).status_code == 200


def test_ledger_page_needs_login(client: TestClient) -> None:
    response = client.get("/ledger", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
