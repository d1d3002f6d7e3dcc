"""Security headers on pages, API answers, static files, redirects and errors (404, 401, 422, 500); HSTS only
in production; no inline script or event handler in any template; and, in headless Chromium, the main pages
report no Content-Security-Policy violation and are styled (site.css applies, the inline SVG charts draw).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from countyzero.settings import Settings
from countyzero.web.app import HERE, create_app
from countyzero.web.headers import CONTENT_SECURITY_POLICY
from tests.platform.conftest import PASSWORD
from tests.platform.test_browser import ARGS, CHROMIUM, serving
from tests.security.world import OWN, World, email, make_world

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with make_world(tmp_path_factory.mktemp("headers")) as made:
        yield made


def _assert_secure(response: Any) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code, response.url)
    assert "camera=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers  # not outside production


def test_the_policy_forbids_inline_scripts_framing_and_plugins() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY.replace("style-src 'self' 'unsafe-inline'", "")


def test_headers_on_every_kind_of_answer(world: World) -> None:
    analyst = world.actor("analyst", OWN)
    answers = [
        world.request(world.actor(None), "GET", "/login", api=False),  # public page
        world.request(analyst, "GET", "/", api=False),  # page of a member
        world.request(world.actor(None), "GET", "/", api=False),  # redirect to /login
        world.request(analyst, "GET", f"/inventories/{world.ids[(OWN, 'inventory')]}", api=False),  # inline SVG
        world.request(analyst, "GET", "/api/v1/inventories", api=True),  # API
        world.request(world.actor(None), "GET", "/api/v1/inventories", api=True),  # 401
        world.request(analyst, "GET", "/api/v1/inventories/999999", api=True),  # 404 (API)
        world.request(analyst, "GET", "/no/such/page", api=False),  # 404 (page)
        world.request(analyst, "POST", "/api/v1/inventories", api=True, json=[1]),  # 422
        world.request(world.actor(None), "GET", "/static/site.css", api=False),  # static file
        world.request(world.actor(None), "GET", "/api/v1/openapi.json", api=False),
    ]
    assert [a.status_code for a in answers] == [200, 200, 303, 200, 200, 401, 404, 404, 422, 200, 200]
    for answer in answers:
        _assert_secure(answer)


def test_headers_on_an_unhandled_error(tmp_path: Path) -> None:
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'cz.db'}"))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom", headers={"Authorization": "Bearer x"})
    assert response.status_code == 500 and "boom" not in response.text
    _assert_secure(response)


def test_hsts_in_production(tmp_path: Path) -> None:
    settings = Settings(environment="production", secret_key="h" * 40, database_url=f"sqlite:///{tmp_path / 'p.db'}")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        for response in (client.get("/login"), client.get("/api/v1/health"), client.get("/static/site.css")):
            assert response.headers["strict-transport-security"] == \
                f"max-age={settings.hsts_seconds}; includeSubDomains"


def test_templates_have_no_inline_script_or_handler() -> None:
    for template in sorted((HERE / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text, re.IGNORECASE), template.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), template.name
        assert "javascript:" not in text.lower(), template.name


# the browser ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    with serving(world.client.app) as url:
        yield url


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)")
def test_main_pages_report_no_csp_violation_and_are_styled(world: World, server: str) -> None:
    from playwright.sync_api import sync_playwright

    own = {kind: world.ids[(OWN, kind)] for (org, kind) in world.ids if org == OWN}
    pages = ["/", "/buildings", f"/buildings/{own['building']}", f"/finance/{own['finance']}",
             f"/credits/{own['credits']}", f"/roadmap/{own['scenario']}", f"/labels/{own['label']}",
             f"/communities/{own['community']}", f"/farms/{own['farm']}", "/challenge",
             f"/challenge/{own['challenge']}", f"/inventories/{own['inventory']}",
             f"/inventories/{own['inventory']}/explain/{world.line_id}", f"/verify/{world.label_ids[OWN]}"]
    messages: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.on("console", lambda m: messages.append(f"{page.url}: {m.type}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"{page.url}: pageerror: {e}"))
        page.goto(f"{server}/login")
        page.fill("#email", email("analyst", OWN))
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        for path in pages:
            response = page.goto(server + path)
            assert response is not None and response.status == 200, path
            header = page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor")
            assert header == "rgb(27, 94, 69)", (path, header)  # site.css applies
        page.goto(f"{server}/inventories/{own['inventory']}")
        box = page.eval_on_selector("main svg", "e => [e.clientWidth, e.clientHeight]")
        assert box[0] > 100 and box[1] > 100  # the inline SVG chart draws
        browser.close()
    assert not [m for m in messages if "Content Security Policy" in m or ": error:" in m], messages
