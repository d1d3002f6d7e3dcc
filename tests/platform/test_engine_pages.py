"""Engine pages: upload (BOQ, IFC, project files, a county folder), results with charts and evidence, PDF
reports, errors without storing (the label workflow's pages: test_label_workflow.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from countyzero.services import accounts
from countyzero.store.db import transaction
from countyzero.store.models import Assessment
from tests.conftest import BAOTING
from tests.platform.conftest import PASSWORD
from tests.platform.engine_inputs import path
from tests.platform.test_pages import csrf, login


def upload(client: TestClient, section: str, files: Any, **fields: str) -> Any:
    return client.post(f"/{section}", data={"csrf": csrf(client, f"/{section}"), **fields}, files=files,
                       follow_redirects=False)


def test_building_from_boq_and_from_ifc_with_chart_lcax_and_pdf(client: TestClient) -> None:
    login(client)
    with path("buildings/clinic_boq.yaml").open("rb") as handle:
        response = upload(client, "buildings", {"file": ("clinic_boq.yaml", handle, "application/yaml")})
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'id="module-chart"' in page.text and "<svg" in page.text
    assert "A1-A3" in page.text and "riba2030.office.bau" in page.text and "gbt51366.d.concrete_c30" in page.text
    lcax = client.get(response.headers["location"] + "/lcax")
    assert lcax.status_code == 200 and lcax.headers["content-type"].startswith("application/json")
    pdf = client.get(response.headers["location"] + "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with path("buildings/clinic.ifc").open("rb") as ifc, path("buildings/clinic_mapping.yaml").open("rb") as mapping:
        from_ifc = upload(client, "buildings", {"ifc": ("clinic.ifc", ifc, "application/octet-stream"),
                                                "mapping": ("clinic_mapping.yaml", mapping, "application/yaml")})
    assert from_ifc.status_code == 303, from_ifc.text
    assert "Jiamao clinic (illustrative, IFC)" in client.get(from_ifc.headers["location"]).text


def test_bad_boq_upload_names_row_and_field_and_stores_nothing(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    login(client)
    bad = path("buildings/clinic_boq.yaml").read_text(encoding="utf-8").replace("quantity: 62.0", "quantity: lots")
    response = upload(client, "buildings", {"file": ("clinic_boq.yaml", bad.encode(), "application/yaml")})
    assert response.status_code == 422
    assert "columns:concrete-c50" in response.text and "quantity" in response.text
    with sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_inventory_pdf_report(client: TestClient) -> None:
    login(client)
    with BAOTING.open("rb") as handle:
        location = client.post("/inventories", data={"csrf": csrf(client, "/")}, follow_redirects=False,
                               files={"file": ("i.yaml", handle, "application/yaml")}).headers["location"]
    assert 'href="' + location + '/report.pdf"' in client.get(location).text
    pdf = client.get(location + "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_finance_credits_roadmap_community_and_farm_pages(app_and_sessions: tuple[TestClient, Any]) -> None:
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        accounts.create_user(session, "admin@baoting.cn", PASSWORD, organisation="Baoting County",
                             role="county_admin")
    login(client, "admin@baoting.cn")
    with path("finance/baoting-rooftop-pv.yaml").open("rb") as handle:
        finance = upload(client, "finance", {"file": ("pv.yaml", handle, "application/yaml")})
    page = client.get(finance.headers["location"]).text
    assert "4.1.sc.definition" in page and "Green finance verification statement" in page and "aligned" in page
    pdf = client.get(finance.headers["location"] + "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with path("credits/broadleaf-arr.yaml").open("rb") as handle:
        credits = upload(client, "credits", {"file": ("arr.yaml", handle, "application/yaml")}, standard="verra",
                         price="cn-central")
    page = client.get(credits.headers["location"]).text
    assert 'id="vintages"' in page and "2024" in page and "NPV" in page
    files = [("file", (p.name, p.read_bytes(), "application/yaml")) for p in (
        path("roadmap.yaml"), path("inventory-2022.yaml"), path("scenarios/reference.yaml"),
        path("scenarios/hainan-policy.yaml"), path("scenarios/net-zero-2040.yaml"))]
    roadmap = upload(client, "roadmap", files)
    assert roadmap.status_code == 303, roadmap.text
    page = client.get(roadmap.headers["location"]).text
    assert "net-zero-2040" in page and page.count("<svg") >= 2 and 'class="mac"' in page
    with path("community/village-2025.yaml").open("rb") as handle:
        community = upload(client, "communities", {"file": ("v.yaml", handle, "application/yaml")})
    assert "hoc-2021" in client.get(community.headers["location"]).text
    with path("farms/demo-farm-2025.yaml").open("rb") as handle:
        farm = upload(client, "farms", {"file": ("f.yaml", handle, "application/yaml")})
    assert "rice_ch4" in client.get(farm.headers["location"]).text
    dashboard = client.get("/").text
    for section in ("buildings", "finance", "credits", "roadmap", "labels", "communities", "farms"):
        assert f'href="/{section}"' in dashboard


def test_roadmap_upload_without_its_scenarios_lists_the_problem(client: TestClient) -> None:
    login(client)
    files = [("file", (p.name, p.read_bytes(), "application/yaml")) for p in (path("roadmap.yaml"),
                                                                             path("inventory-2022.yaml"))]
    response = upload(client, "roadmap", files)
    assert response.status_code == 422 and "reference.yaml" in response.text


def test_reader_roles_see_no_upload_form(client: TestClient) -> None:
    login(client, "owner@baoting.cn")
    page = client.get("/finance").text
    assert 'action="/finance"' not in page
    assert client.get("/buildings").text.count('action="/buildings"') == 1
