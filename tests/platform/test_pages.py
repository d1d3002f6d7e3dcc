"""Pages: login with CSRF, bilingual switch (remembered), upload, explain, errors without storing."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import BAOTING
from tests.platform.conftest import PASSWORD


def csrf(client: TestClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def login(client: TestClient, email: str = "analyst@baoting.cn") -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": csrf(client)},
                           follow_redirects=False)
    assert response.status_code == 303


def test_login_requires_csrf_and_right_password(client: TestClient) -> None:
    forged = client.post("/login", data={"email": "analyst@baoting.cn", "password": PASSWORD, "csrf": "x"})
    assert forged.status_code == 403
    failed = client.post("/login", data={"email": "analyst@baoting.cn", "password": "wrong-password",
                                         "csrf": csrf(client)})
    assert failed.status_code == 401 and "邮箱或密码错误" in failed.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_language_switch_is_remembered(client: TestClient) -> None:
    assert "登录" in client.get("/login").text
    client.get("/lang/en?next=/login")
    page = client.get("/login").text
    assert "Log in" in page and 'lang="en"' in page
    client.get("/lang/zh?next=/login")
    assert 'lang="zh-CN"' in client.get("/login").text


def test_upload_inventory_then_explain_a_line(client: TestClient) -> None:
    login(client)
    token = csrf(client, "/")
    with BAOTING.open("rb") as handle:
        response = client.post("/inventories", data={"csrf": token, "name": "Baoting 2022"},
                               files={"file": ("inventory-2022.yaml", handle, "application/yaml")},
                               follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "Baoting 2022" in page.text and "<svg" in page.text
    explain = client.get(response.headers["location"] + "/explain/BT22-004")
    assert "grid_emission_factor" not in explain.text  # shows ids and citations, not internal names
    assert "cn-mee.grid.cn-hi.2022" in explain.text and "公告" in explain.text


def test_bad_upload_lists_the_problem_and_stores_nothing(client: TestClient) -> None:
    login(client)
    token = csrf(client, "/")
    bad = b"county: X\nyear: 2022\nactivities:\n  - {id: a, gpc: I.1.1, fuel: diesel, quantity: 1, unit: parsnips}\n"
    response = client.post("/inventories", data={"csrf": token}, files={"file": ("bad.yaml", bad, "application/yaml")})
    assert response.status_code == 422
    assert "line &#39;a&#39;" in response.text and "unit" in response.text
    assert "/inventories/" not in response.text


def test_other_organisation_sees_404(client: TestClient) -> None:
    login(client)
    token = csrf(client, "/")
    with BAOTING.open("rb") as handle:
        location = client.post("/inventories", data={"csrf": token}, follow_redirects=False,
                               files={"file": ("i.yaml", handle, "application/yaml")}).headers["location"]
    client.post("/logout", data={"csrf": csrf(client, "/")})
    login(client, "analyst@other.cn")
    assert client.get(location).status_code == 404
