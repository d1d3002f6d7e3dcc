"""Publishing and the public pages: a county_admin publishes and withdraws (CSRF, audited, API too); visitors
without a login see only published results, everything else answers the same 404."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from countyzero.services import accounts, audit
from countyzero.store.db import transaction
from countyzero.store.models import Assessment, AuditEntry
from tests.conftest import BAOTING
from tests.platform.conftest import PASSWORD, token
from tests.platform.engine_inputs import document, label_application
from tests.platform.test_pages import csrf, login


@pytest.fixture
def admins(app_and_sessions: tuple[TestClient, Any]) -> tuple[TestClient, Any]:
    client, sessions = app_and_sessions
    with transaction(sessions) as session:
        accounts.create_user(session, "admin@baoting.cn", PASSWORD, organisation="Baoting County", role="county_admin")
        accounts.create_user(session, "admin@other.cn", PASSWORD, organisation="Other County", role="county_admin")
        accounts.create_user(session, "verifier@baoting.cn", PASSWORD, organisation="Baoting County", role="verifier")
    return client, sessions


def created(client: TestClient, resource: str, body: dict[str, Any], email: str = "admin@baoting.cn") -> int:
    response = client.post(f"/api/v1/{resource}", json=body, headers=token(client, email))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def organisation_id(sessions: Any, assessment_id: int) -> int:
    with sessions() as session:
        found = session.get(Assessment, assessment_id)
        assert found is not None
        return found.organisation_id


def test_published_results_are_public_and_nothing_else(admins: tuple[TestClient, Any]) -> None:
    client, sessions = admins
    inventory = created(client, "inventories", document("inventory-2022.yaml"))
    farm = created(client, "farms", document("farms/demo-farm-2025.yaml"))
    org = organisation_id(sessions, inventory)
    visitor = TestClient(client.app)
    assert visitor.get(f"/public/{org}/inventories/{inventory}").status_code == 404  # not yet published
    assert "Baoting County" not in visitor.get("/public").text
    admin = token(client, "admin@baoting.cn")
    published = client.post(f"/api/v1/assessments/{inventory}/publish", headers=admin)
    assert published.status_code == 200 and published.json()["published"] is True
    page = visitor.get(f"/public/{org}/inventories/{inventory}")
    assert page.status_code == 200 and 'id="public-banner"' in page.text and "<svg" in page.text
    assert "Baoting County" in page.text and 'name="csrf"' not in page.text.split("</header>")[1]
    listing = visitor.get("/public").text
    assert f"/public/{org}/inventories/{inventory}" in listing and f"/farms/{farm}" not in listing
    assert visitor.get("/api/v1/public").json()[0]["published"][0]["id"] == inventory
    # unknown, unpublished, another kind's section, another organisation: one and the same 404
    for url in (f"/public/{org}/farms/{farm}", f"/public/{org}/farms/{inventory}", f"/public/{org + 1}/inventories/"
                f"{inventory}", f"/public/{org}/inventories/999", f"/public/{org}/labels/{inventory}",
                f"/public/{org}/nowhere/{inventory}"):
        response = visitor.get(url)
        assert response.status_code == 404 and "Baoting" not in response.text, url
    withdrawn = client.post(f"/api/v1/assessments/{inventory}/unpublish", headers=admin)
    assert withdrawn.status_code == 200 and withdrawn.json()["published"] is False
    assert visitor.get(f"/public/{org}/inventories/{inventory}").status_code == 404
    with sessions() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.sequence))]
        assert actions[-2:] == ["publish", "unpublish"] and audit.verify_chain(session) == []


def test_only_a_county_admin_of_the_organisation_publishes(admins: tuple[TestClient, Any]) -> None:
    client, sessions = admins
    farm = created(client, "farms", document("farms/demo-farm-2025.yaml"))
    refused = client.post(f"/api/v1/assessments/{farm}/publish", headers=token(client, "analyst@baoting.cn"))
    assert refused.status_code == 403
    foreign = client.post(f"/api/v1/assessments/{farm}/publish", headers=token(client, "admin@other.cn"))
    assert foreign.status_code == 404
    assert client.post(f"/api/v1/assessments/{farm}/publish").status_code == 401
    label = created(client, "labels", label_application(), email="owner@baoting.cn")  # applied, then
    verifier = token(client, "verifier@baoting.cn")                                     # reviewed and issued
    assert client.post(f"/api/v1/labels/{label}/review", json={"decision": "approve"}, headers=verifier).is_success
    assert client.post(f"/api/v1/labels/{label}/issue", headers=verifier).is_success
    assert client.post(f"/api/v1/assessments/{label}/unpublish",
                       headers=token(client, "admin@baoting.cn")).status_code == 403  # labels: issue, /verify
    with sessions() as session:
        rows = {a.id: a.published for a in session.scalars(select(Assessment))}
        assert rows == {farm: False, label: True}
        assert not [e for e in session.scalars(select(AuditEntry)) if e.action in ("publish", "unpublish")]


def test_publish_button_needs_csrf_and_the_admin_role(admins: tuple[TestClient, Any]) -> None:
    client, sessions = admins
    with BAOTING.open("rb") as handle:
        login(client, "admin@baoting.cn")
        location = client.post("/inventories", data={"csrf": csrf(client, "/")}, follow_redirects=False,
                               files={"file": ("i.yaml", handle, "application/yaml")}).headers["location"]
    inventory = int(location.rsplit("/", 1)[1])
    dashboard = client.get("/").text
    assert f'id="publish-{inventory}"' in dashboard
    forged = client.post(f"/assessments/{inventory}/publish", data={"csrf": "forged", "published": "1"})
    assert forged.status_code == 403
    done = client.post(f"/assessments/{inventory}/publish", data={"csrf": csrf(client, "/"), "published": "1",
                                                                   "next": "/"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"
    org = organisation_id(sessions, inventory)
    assert TestClient(client.app).get(f"/public/{org}/inventories/{inventory}").status_code == 200
    assert f'href="/public/{org}/inventories/{inventory}"' in client.get("/").text
    client.post("/logout", data={"csrf": csrf(client, "/")})
    login(client, "analyst@baoting.cn")
    assert f'id="publish-{inventory}"' not in client.get("/").text
    refused = client.post(f"/assessments/{inventory}/publish", data={"csrf": csrf(client, "/"), "published": "0"})
    assert refused.status_code == 403
    assert TestClient(client.app).get(f"/public/{org}/inventories/{inventory}").status_code == 200


def test_every_public_section_renders_read_only(admins: tuple[TestClient, Any]) -> None:
    """A published result of every section with a public page renders for a visitor without a session."""
    from tests.platform.engine_inputs import roadmap_bundle
    from tests.platform.finance_inputs import appraisal_input, loan_book

    client, sessions = admins
    admin = token(client, "admin@baoting.cn")
    items = {"finance/portfolios": loan_book(), "finance/appraisals": appraisal_input(),
             "finance/screenings": document("finance/baoting-rooftop-pv.yaml"),
             "communities": document("community/village-2025.yaml"), "scenarios": roadmap_bundle()}
    pages = {"finance/portfolios": "finance/portfolios", "finance/appraisals": "finance/appraisals",
             "finance/screenings": "finance", "communities": "communities", "scenarios": "roadmap"}
    visitor = TestClient(client.app)
    for resource, body in items.items():
        item = created(client, resource, body)
        assert client.post(f"/api/v1/assessments/{item}/publish", headers=admin).status_code == 200
        response = visitor.get(f"/public/{organisation_id(sessions, item)}/{pages[resource]}/{item}")
        assert response.status_code == 200 and 'id="public-banner"' in response.text, resource
        assert 'action="/logout"' not in response.text


def test_published_results_offer_their_downloads_to_visitors(admins: tuple[TestClient, Any]) -> None:
    """A published building's page links its LCAx file and PDF report under /public, and a visitor gets both; an
    unpublished one, a kind without a report or another organisation answer 404 (the member routes stay closed)."""
    client, sessions = admins
    building = created(client, "buildings/assessments", document("buildings/clinic_boq.yaml"))
    inventory = created(client, "inventories", document("inventory-2022.yaml"))
    farm = created(client, "farms", document("farms/demo-farm-2025.yaml"))
    org = organisation_id(sessions, building)
    visitor = TestClient(client.app)
    lcax, pdf = f"/public/{org}/buildings/{building}/lcax", f"/public/{org}/buildings/{building}/report.pdf"
    assert visitor.get(lcax).status_code == 404 and visitor.get(pdf).status_code == 404  # not yet published
    admin = token(client, "admin@baoting.cn")
    for item in (building, inventory, farm):
        assert client.post(f"/api/v1/assessments/{item}/publish", headers=admin).status_code == 200
    page = visitor.get(f"/public/{org}/buildings/{building}").text
    assert f'href="{lcax}"' in page and f'href="{pdf}"' in page
    got = visitor.get(lcax)
    assert got.status_code == 200 and got.json()["name"] and "attachment" in got.headers["content-disposition"]
    report = visitor.get(pdf)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    inventory_pdf = f"/public/{org}/inventories/{inventory}/report.pdf"
    assert f'href="{inventory_pdf}"' in visitor.get(f"/public/{org}/inventories/{inventory}").text
    assert visitor.get(inventory_pdf).content.startswith(b"%PDF")
    for url in (f"/public/{org}/farms/{farm}/report.pdf", f"/public/{org + 1}/buildings/{building}/report.pdf",
                f"/public/{org}/buildings/{inventory}/lcax", f"/public/{org}/inventories/{building}/report.pdf"):
        assert visitor.get(url).status_code == 404, url
    assert visitor.get(f"/buildings/{building}/lcax", follow_redirects=False).status_code in (303, 401)
    client.post(f"/api/v1/assessments/{building}/unpublish", headers=admin)
    assert visitor.get(lcax).status_code == 404 and visitor.get(pdf).status_code == 404
