"""Finance on the platform beyond screening: loan-book ratios (``finance/portfolios``) and financing appraisals
(``finance/appraisals``) — API per role, isolation, named problems with nothing stored, what changed against a
baseline, reproducibility; pages with upload, charts, exposures and the appraisal PDF."""

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
from tests.platform.engine_inputs import path
from tests.platform.finance_inputs import UPLOAD_NAMES, appraisal_input, loan_book
from tests.platform.test_engine_pages import upload
from tests.platform.test_pages import login

RESOURCES = [("finance/portfolios", loan_book), ("finance/appraisals", appraisal_input)]


@pytest.fixture
def roles(app_and_sessions: tuple[TestClient, Any]) -> tuple[TestClient, Any]:
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        for role in ("county_admin", "financier", "verifier"):
            accounts.create_user(session, f"{role}@baoting.cn", PASSWORD, organisation="Baoting County", role=role)
    return client, sessions


def stored(sessions: Any) -> list[Assessment]:
    with sessions() as session:
        return list(session.scalars(select(Assessment)))


@pytest.mark.parametrize(("resource", "body"), RESOURCES, ids=["portfolio", "appraisal"])
def test_api_roles_isolation_and_reproduction(roles: tuple[TestClient, Any], resource: str,
                                              body: Callable[[], dict[str, Any]]) -> None:
    client, sessions = roles
    created = client.post(f"/api/v1/{resource}", json=body(), headers=token(client, "financier@baoting.cn"))
    assert created.status_code == 201, created.text
    item = created.json()
    reader = token(client, "owner@baoting.cn")  # project_owner: reads, may not create
    assert client.get(f"/api/v1/{resource}/{item['id']}", headers=reader).json()["result"] == item["result"]
    assert [r["id"] for r in client.get(f"/api/v1/{resource}", headers=reader).json()] == [item["id"]]
    assert client.post(f"/api/v1/{resource}", json=body(), headers=reader).status_code == 403
    assert client.post(f"/api/v1/{resource}", json=body(), headers=token(client, "verifier@baoting.cn")) \
        .status_code == 403
    other = token(client, "analyst@other.cn")
    assert client.get(f"/api/v1/{resource}/{item['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/{resource}", headers=other).json() == []
    assert client.get(f"/api/v1/{resource}/{item['id']}").status_code == 401
    assert client.get(f"/api/v1/finance/screenings/{item['id']}", headers=reader).status_code == 404  # other kind
    rows = stored(sessions)
    assert len(rows) == 1
    again = assessments.rerun(rows[0])
    for result in (again, rows[0].result):
        screenings = [*result.get("screenings", {}).values(), result.get("screening", {})]
        for part in (result.get("provenance", {}), *[s.get("provenance", {}) for s in screenings]):
            part.pop("timestamp", None)
    assert again == rows[0].result
    with sessions() as session:
        assert audit.verify_chain(session) == []


def test_loan_book_ratios_follow_the_denominator_rules(roles: tuple[TestClient, Any]) -> None:
    client, _ = roles
    result = client.post("/api/v1/finance/portfolios", json=loan_book(),
                         headers=token(client, "analyst@baoting.cn")).json()["result"]
    ratios = result["ratios"]
    # examples/baoting/finance/portfolio.yaml: the sovereign bond (20 M) is excluded; the rest is covered.
    assert ratios["excluded"] == 20_000_000
    assert ratios["denominator"] == 33_600_000 + 2_450_000 + 84_000_000 + 50_000_000
    # EU: non-CSRD project loans are denominator only; the CSRD utility counts with its 40 % / 70 % shares.
    assert ratios["eu"]["turnover_based_ratio"] == pytest.approx(0.4 * 50_000_000 / ratios["denominator"])
    assert ratios["eu"]["capex_based_ratio"] == pytest.approx(0.7 * 50_000_000 / ratios["denominator"])
    # BTAR also admits the aligned non-CSRD use-of-proceeds loans (PV and Jiamao are EU-aligned).
    assert ratios["eu"]["btar_turnover_based_ratio"] == pytest.approx(
        (0.4 * 50_000_000 + 2_450_000 + 84_000_000) / ratios["denominator"])
    treatment = {e["id"]: e["treatment"] for e in ratios["exposures"]}
    assert treatment == {"hydro": "denominator_only", "pv": "denominator_only", "jiamao": "denominator_only",
                         "utility-general": "covered", "government-bond": "excluded"}
    assert result["projects"]["hydro"]["eu"] == "eligible_not_aligned" and result["projects"]["pv"]["eu"] == "aligned"


def test_baseline_shows_what_changed_and_why(roles: tuple[TestClient, Any]) -> None:
    client, sessions = roles
    headers = token(client, "financier@baoting.cn")
    before = loan_book()
    pv = next(loan for loan in before["loans"] if loan["id"] == "pv")
    pv["project"]["dnsh"]["biodiversity"] = False  # a DNSH criterion fails: not aligned
    first = client.post("/api/v1/finance/portfolios", json=before, headers=headers).json()
    second = client.post(f"/api/v1/finance/portfolios?baseline={first['id']}", json=loan_book(), headers=headers)
    assert second.status_code == 201, second.text
    changes = second.json()["result"]["changes"]
    moved = [c for c in changes if c["project"] == "pv" and c["framework"] == "eu"]
    assert moved and moved[0]["old_status"] != "aligned" and moved[0]["new_status"] == "aligned"
    assert any(m["old"] == "fail" and m["new"] == "pass" for m in moved[0]["criteria"])
    assert all(c["project"] == "pv" for c in changes)
    assert second.json()["result"]["ratios"]["eu"]["btar_turnover_based_ratio"] > \
        first["result"]["ratios"]["eu"]["btar_turnover_based_ratio"]
    foreign = client.post(f"/api/v1/finance/portfolios?baseline={first['id']}", json=loan_book(),
                          headers=token(client, "analyst@other.cn"))  # another county's portfolio: not theirs
    assert foreign.status_code == 422 and foreign.json()["detail"]["field"] == "baseline"
    assert len(stored(sessions)) == 2


def _loan(book: dict[str, Any], loan_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(loan for loan in book["loans"] if loan["id"] == loan_id)
    return found


@pytest.mark.parametrize(("resource", "spoil", "row", "field"), [
    ("finance/portfolios", lambda b: _loan(b, "utility-general").update(amount="lots"), "utility-general", "amount"),
    ("finance/portfolios", lambda b: _loan(b, "pv").update(counterparty_type="bank"), "pv", "counterparty_type"),
    ("finance/portfolios", lambda b: _loan(b, "pv")["project"]["finance"].update(capex=-1), "pv",
     "project.finance.capex"),
    ("finance/portfolios", lambda b: b.pop("files"), "jiamao", "project.links.buildings_result"),
    ("finance/portfolios", lambda b: b.update(loans=[]), None, "loans"),
    ("finance/portfolios", lambda b: b.update(date="soon"), None, "date"),
    ("finance/appraisals", lambda b: b.pop("finance"), None, "finance"),
    ("finance/appraisals", lambda b: b["finance"].update(lifetime_years=0), None, "finance.lifetime_years"),
    ("finance/appraisals", lambda b: b.update(links={"credits_result": "/etc/passwd"}), None,
     "links.credits_result"),
], ids=["amount", "counterparty", "project-capex", "linked-file-missing", "no-loans", "date", "no-finance",
        "lifetime", "server-file"])
def test_bad_input_names_row_and_field_and_stores_nothing(roles: tuple[TestClient, Any], resource: str,
                                                          spoil: Callable[[dict[str, Any]], None], row: str | None,
                                                          field: str) -> None:
    client, sessions = roles
    body = dict(RESOURCES)[resource]()
    spoil(body)
    response = client.post(f"/api/v1/{resource}", json=body, headers=token(client, "financier@baoting.cn"))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["message"] and detail["field"] == field and detail["row"] == row
    assert "/etc/passwd" not in detail["message"] or "upload" in detail["message"]
    assert stored(sessions) == []


def test_linked_results_resolve_only_among_uploaded_files(roles: tuple[TestClient, Any]) -> None:
    """A project file cannot make the server read its own files: links name uploaded results only."""
    client, sessions = roles
    body = {**appraisal_input(), "links": {"buildings_result": "../../../../etc/hostname"},
            "files": {"../x.json": {"total_kgco2e": 1}}}
    response = client.post("/api/v1/finance/screenings", json=body, headers=token(client, "financier@baoting.cn"))
    assert response.status_code == 422 and response.json()["detail"]["field"] == "files.../x.json"
    body.pop("files")
    response = client.post("/api/v1/finance/screenings", json=body, headers=token(client, "financier@baoting.cn"))
    assert response.status_code == 422 and response.json()["detail"]["field"] == "links.buildings_result"
    assert stored(sessions) == []


def _files(names: tuple[str, ...]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (name, path(f"finance/{name}").read_bytes(), "application/octet-stream")) for name in names]


def test_portfolio_and_appraisal_pages(roles: tuple[TestClient, Any]) -> None:
    client, sessions = roles
    login(client, "financier@baoting.cn")
    response = upload(client, "finance/portfolios", _files(UPLOAD_NAMES), name="Haikou bank")
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'id="ratio-chart"' in page.text and "<svg" in page.text
    assert 'id="exposures"' in page.text and "government-bond" in page.text and "treatment-excluded" in page.text
    assert "Article 7(3)" in page.text  # the denominator rule's reference
    first = response.headers["location"].rsplit("/", 1)[1]
    again = upload(client, "finance/portfolios", _files(UPLOAD_NAMES), baseline=first)
    assert again.status_code == 303
    assert 'id="changes"' in client.get(again.headers["location"]).text
    response = upload(client, "finance/appraisals", _files(("baoting-small-hydro.yaml",)))
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert 'id="cashflow-chart"' in page.text and "<svg" in page.text and "NPV" in page.text and "LCOE" in page.text
    assert 'id="instruments"' in page.text and "DSCR" in page.text
    pdf = client.get(response.headers["location"] + "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/finance/portfolios").status_code == 200 and client.get("/finance").status_code == 200
    assert len(stored(sessions)) == 3


def test_page_upload_problems_name_file_row_and_field(roles: tuple[TestClient, Any]) -> None:
    client, sessions = roles
    login(client, "financier@baoting.cn")
    missing = upload(client, "finance/portfolios", _files(("portfolio.yaml", "baoting-small-hydro.yaml")))
    assert missing.status_code == 422
    assert "portfolio.yaml" in missing.text and "&#39;pv&#39;" in missing.text and "project" in missing.text
    two = upload(client, "finance/appraisals", _files(("baoting-small-hydro.yaml", "baoting-rooftop-pv.yaml")))
    assert two.status_code == 422 and "project" in two.text
    login(client, "owner@baoting.cn")
    refused = upload(client, "finance/appraisals", _files(("baoting-small-hydro.yaml",)))
    assert refused.status_code == 403
    assert stored(sessions) == []


def test_a_csv_loan_book_names_its_project_files(roles: tuple[TestClient, Any]) -> None:
    client, sessions = roles
    login(client, "financier@baoting.cn")
    book = (b"id,amount,counterparty_type,product,sector,project,turnover_aligned_share\n"
            b"hydro,33600000,non_csrd,use_of_proceeds,energy,baoting-small-hydro.yaml,\n"
            b"utility,50000000,csrd_nfc,general,energy,,0.4\n")
    files = [("file", ("book.csv", book, "text/csv")), *_files(("baoting-small-hydro.yaml",))]
    response = upload(client, "finance/portfolios", files)
    assert response.status_code == 303, response.text
    (item,) = stored(sessions)
    assert item.result["ratios"]["eu"]["turnover_based_ratio"] == pytest.approx(0.4 * 50_000_000 / 83_600_000)
    assert item.result["projects"]["hydro"]["eu"] == "eligible_not_aligned"
    bad = upload(client, "finance/portfolios", [("file", ("book.csv", book.replace(b"33600000", b"lots"), "text/csv")),
                                                *_files(("baoting-small-hydro.yaml",))])
    assert bad.status_code == 422 and "hydro" in bad.text and "amount" in bad.text
    assert len(stored(sessions)) == 1
