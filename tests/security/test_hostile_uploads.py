"""Hostile uploads through the platform: an XLSX zip bomb, alias bombs, deep nesting, NaN, NUL, Python tags, wrong
encodings, garbage IFC, oversized files and bodies — each answers 4xx naming the problem, and nothing is stored
(no assessment, no audit entry)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from countyzero.services import accounts
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.store.models import Assessment, AuditEntry
from countyzero.web.app import create_app
from tests.security.hostile_files import EXAMPLES, xlsx_zip_bomb
from tests.security.test_engine_readers_hostile import mutated_tree
from tests.security.test_readers_hostile import BILLION_LAUGHS

PASSWORD = "correct horse battery"
MAX_UPLOAD = 300_000


def make_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, object]:
    """The platform on a fresh SQLite file (settings, input limits included, from the environment), one user."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'cz.db'}", login_delay_seconds=0,
                        secret_key="test-secret-" + "x" * 20, max_upload_bytes=MAX_UPLOAD)
    app = create_app(settings)
    with transaction(app.state.sessions) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_user(session, "analyst@baoting.cn", PASSWORD, organisation="Baoting County",
                             role="county_admin")
    return TestClient(app), app.state.sessions


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, object]]:
    client, sessions = make_platform(tmp_path, monkeypatch)
    with client:
        yield client, sessions


def csrf(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, path
    return match.group(1)


def stored(sessions: object) -> tuple[int, int]:
    with sessions() as session:  # type: ignore[operator]
        return (session.scalar(select(func.count()).select_from(Assessment)),
                session.scalar(select(func.count()).select_from(AuditEntry)))


def logged_in(client: TestClient) -> None:
    response = client.post("/login", data={"email": "analyst@baoting.cn", "password": PASSWORD,
                                           "csrf": csrf(client, "/login")}, follow_redirects=False)
    assert response.status_code == 303


HOSTILE_FILES = [
    ("bomb.xlsx", xlsx_zip_bomb(64 * 1024 * 1024), "zip bomb"),
    ("laughs.yaml", BILLION_LAUGHS, "alias"),
    ("deep.json", b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nested"),
    ("nan.json", b'{"county": "x", "year": 2022, "activities": [{"id": "a", "quantity": NaN}]}', "NaN"),
    ("nul.csv", b"id,quantity\na,1\x00\n", "NUL"),
    ("tag.yaml", b"county: !!python/object/apply:os.system ['true']\n", "constructor"),
    ("gbk.csv", "id,名称\na,保亭\n".encode("gbk"), "UTF-8"),
    ("zip.xlsx", b"PK\x03\x04 not really a workbook", "not a readable XLSX"),
    ("dup.yaml", b"county: A\ncounty: B\n", "twice"),
    ("big.json", b'{"year": ' + b"9" * 5000 + b"}", "digits"),
]


@pytest.mark.parametrize(("page", "rows"), [("/inventories", "/"), ("/buildings", "/buildings"),
                                            ("/communities", "/communities")])
def test_hostile_files_answer_422_naming_the_problem_and_store_nothing(
        platform: tuple[TestClient, object], page: str, rows: str) -> None:
    client, sessions = platform
    logged_in(client)
    before = stored(sessions)
    for name, content, problem in HOSTILE_FILES:
        response = client.post(page, data={"csrf": csrf(client, rows)}, files={"file": (name, content)},
                               follow_redirects=False)
        assert response.status_code == 422, (page, name, response.status_code)
        assert name in response.text and problem in response.text, (page, name, response.text[-2000:])
        assert stored(sessions) == before, (page, name)


def test_oversized_file_is_refused_before_it_is_read(platform: tuple[TestClient, object]) -> None:
    client, sessions = platform
    logged_in(client)
    before = stored(sessions)
    response = client.post("/buildings", data={"csrf": csrf(client, "/buildings")},
                           files={"file": ("big.yaml", b"a: 1\n" * (MAX_UPLOAD // 5 + 10))})
    assert response.status_code == 422 and "larger than" in response.text and "big.yaml" in response.text
    assert stored(sessions) == before


def test_garbage_ifc_upload(platform: tuple[TestClient, object]) -> None:
    client, sessions = platform
    logged_in(client)
    before = stored(sessions)
    mapping = (EXAMPLES / "buildings" / "clinic_mapping.yaml").read_bytes()
    response = client.post("/buildings", data={"csrf": csrf(client, "/buildings")},
                           files={"ifc": ("model.ifc", b"\x00\xff not IFC"), "mapping": ("mapping.yaml", mapping)})
    assert response.status_code == 422 and "model.ifc" in response.text and "not a readable IFC" in response.text
    laughs = client.post("/buildings", data={"csrf": csrf(client, "/buildings")},
                         files={"ifc": ("clinic.ifc", (EXAMPLES / "buildings" / "clinic.ifc").read_bytes()),
                                "mapping": ("mapping.yaml", BILLION_LAUGHS)})
    assert laughs.status_code == 422 and "mapping.yaml" in laughs.text and "alias" in laughs.text
    assert stored(sessions) == before


def test_api_refuses_oversized_and_malformed_bodies(platform: tuple[TestClient, object]) -> None:
    client, sessions = platform
    response = client.post("/api/v1/auth/token", data={"username": "analyst@baoting.cn", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {response.json()['access_token']}", "Content-Type": "application/json"}
    before = stored(sessions)
    big = client.post("/api/v1/inventories", content=b'{"a": "' + b"x" * MAX_UPLOAD + b'"}', headers=headers)
    assert big.status_code == 413 and "larger than" in big.json()["detail"]
    broken = client.post("/api/v1/inventories", content=b'{"county": "x", ', headers=headers)
    assert broken.status_code == 422
    inventory = json.loads(json.dumps({"county": "x", "year": 2022, "activities": [
        {"id": "a", "gpc": "I.1.1", "kind": "fuel", "key": "lpg", "quantity": 1.0, "unit": "t"}]}))
    inventory["activities"][0]["quantity"] = float("nan")
    nan = client.post("/api/v1/inventories", content=json.dumps(inventory).encode(), headers=headers)
    assert nan.status_code == 422, nan.text
    assert stored(sessions) == before


def test_uploaded_finance_link_never_reads_a_server_file(platform: tuple[TestClient, object], tmp_path: Path) -> None:
    client, sessions = platform
    logged_in(client)
    before = stored(sessions)
    secret = tmp_path / "secret.json"
    secret.write_text('{"total_issuable_tco2e": 987654321, "vintages": []}', encoding="utf-8")
    document = (EXAMPLES / "finance" / "baoting-rooftop-pv.yaml").read_text(encoding="utf-8")
    document += f"links: {{credits_result: {json.dumps(str(secret))}}}\n"
    response = client.post("/finance", data={"csrf": csrf(client, "/finance")},
                           files={"file": ("pv.yaml", document.encode())}, follow_redirects=False)
    assert response.status_code == 422 and "links.credits_result" in response.text
    assert "987654321" not in response.text and stored(sessions) == before


def _service_documents() -> dict[str, dict[str, object]]:
    from countyzero.core.io import read_document
    from countyzero.services.engines import plain

    def data(name: str, rows: str) -> dict[str, object]:
        return dict(read_document(EXAMPLES / name, rows).data)

    return plain({"inventory": data("inventory-2022.yaml", "activities"),
                  "building": data("buildings/clinic_boq.yaml", "items"),
                  "finance": data("finance/baoting-rooftop-pv.yaml", "rows"),
                  "credits": {"standard": "ccer", "project": data("credits/broadleaf-arr.yaml", "monitoring")},
                  "community": data("community/village-2025.yaml", "households"),
                  "farm": data("farms/demo-farm-2025.yaml", "fields")})


SERVICE_DOCUMENTS = _service_documents()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engines_behind_the_uploads_answer_a_result_or_an_input_error(data: st.DataObject) -> None:
    """What a page upload runs after reading (``services.assessments.ENGINES``): a result that JSON (and PostgreSQL)
    can store — no NaN or infinity — or a CountyZeroError (a 4xx); anything else would be a 500."""
    from countyzero.core.errors import CountyZeroError
    from countyzero.services.assessments import ENGINES
    from countyzero.services.engines import plain

    kind = data.draw(st.sampled_from(sorted(SERVICE_DOCUMENTS)))
    document = data.draw(mutated_tree(SERVICE_DOCUMENTS[kind]))
    try:
        result = ENGINES[kind](plain(document))
    except CountyZeroError:
        return
    json.dumps(result, allow_nan=False)


def test_roadmap_bundle_with_scenarios_that_are_not_a_list(platform: tuple[TestClient, object]) -> None:
    client, sessions = platform
    logged_in(client)
    before = stored(sessions)
    files = [("file", ("roadmap.yaml", b"inventory: inventory.yaml\nscenarios: 5\n")),
             ("file", ("inventory.yaml", (EXAMPLES / "inventory-2022.yaml").read_bytes()))]
    response = client.post("/roadmap", data={"csrf": csrf(client, "/roadmap")}, files=files, follow_redirects=False)
    assert response.status_code == 422 and "scenarios" in response.text and "roadmap.yaml" in response.text
    assert stored(sessions) == before


PAGE_EXAMPLES = {"/buildings": "buildings/clinic_boq.yaml", "/finance": "finance/baoting-rooftop-pv.yaml",
                 "/credits": "credits/broadleaf-arr.yaml", "/labels": "lifestyle/application-meal.yaml",
                 "/communities": "community/village-2025.yaml", "/farms": "farms/demo-farm-2025.yaml",
                 "/inventories": "inventory-2022.yaml"}


def test_mutated_uploads_to_every_page_answer_303_or_422(platform: tuple[TestClient, object]) -> None:
    """Mutated example documents posted to every page (the labels page with an evidence file): stored (303) or
    refused with the problem (422) — a 500 would raise here (the test client re-raises server errors)."""
    client, sessions = platform
    logged_in(client)
    tokens = {page: csrf(client, "/" if page == "/inventories" else page) for page in PAGE_EXAMPLES}
    documents = {page: yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
                 for page, name in PAGE_EXAMPLES.items()}

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def upload(data: st.DataObject) -> None:
        page = data.draw(st.sampled_from(sorted(PAGE_EXAMPLES)))
        document = data.draw(mutated_tree(documents[page]))
        as_json = data.draw(st.booleans())
        content = (json.dumps(document, default=str) if as_json else yaml.safe_dump(document, allow_unicode=True))
        files = {"file": ("upload.json" if as_json else "upload.yaml", content.encode())}
        if page == "/labels":
            files["evidence"] = ("card.pdf", b"%PDF-1.4 evidence")
        before = stored(sessions)
        response = client.post(page, data={"csrf": tokens[page]}, files=files, follow_redirects=False)
        assert response.status_code in (303, 422), (page, response.status_code)
        if response.status_code == 422:
            assert stored(sessions) == before

    upload()


def test_label_upload_whose_evidence_is_not_a_list(platform: tuple[TestClient, object]) -> None:
    client, sessions = platform
    logged_in(client)
    before = stored(sessions)
    document = (EXAMPLES / "lifestyle" / "application-meal.yaml").read_text(encoding="utf-8") + "evidence: 5\n"
    response = client.post("/labels", data={"csrf": csrf(client, "/labels")}, follow_redirects=False,
                           files={"file": ("meal.yaml", document.encode()), "evidence": ("card.pdf", b"%PDF-1.4")})
    assert response.status_code == 422 and "evidence" in response.text
    assert stored(sessions) == before


def test_upload_limits_are_settings_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.security.hostile_files import xlsx_bytes

    workbook = xlsx_bytes([["id", "quantity"], *[["line", 1.0]] * 2000])  # compresses about 10 to 1
    monkeypatch.setenv("COUNTYZERO_MAX_XLSX_COMPRESSION_RATIO", "3")
    client, sessions = make_platform(tmp_path, monkeypatch)
    with client:
        logged_in(client)
        before = stored(sessions)
        response = client.post("/buildings", data={"csrf": csrf(client, "/buildings")},
                               files={"file": ("lines.xlsx", workbook)}, follow_redirects=False)
    assert response.status_code == 422 and "COUNTYZERO_MAX_XLSX_COMPRESSION_RATIO" in response.text
    assert "limit of 3 " in response.text and stored(sessions) == before
