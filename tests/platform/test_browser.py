"""Browser tests: Playwright driving Debian's Chromium (installed by `make test`) against a live server.

Log in, upload the Baoting inventory and see its chart, switch to English and back to 中文, open the
explain view. Screenshots of the pages are written to $COUNTYZERO_SCREENSHOTS (default build/screenshots;
`make screenshots` refreshes the copies kept in docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from countyzero.services import accounts
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.web.app import create_app
from tests.conftest import BAOTING, ROOT
from tests.platform.conftest import PASSWORD
from tests.platform.engine_inputs import path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("COUNTYZERO_SCREENSHOTS", ROOT / "build" / "screenshots"))
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed "
                                "(make test installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'cz.db'}", login_delay_seconds=0,
                        secret_key="browser-test-secret-" + "y" * 20)
    app = create_app(settings)
    with transaction(app.state.sessions) as session:
        accounts.create_organisation(session, "Baoting County")
        accounts.create_user(session, "analyst@baoting.cn", PASSWORD, organisation="Baoting County", role="analyst")
        accounts.create_user(session, "verifier@baoting.cn", PASSWORD, organisation="Baoting County",
                             role="verifier")
    with serving(app) as url:
        yield url


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a free loopback port, for the browser; its URL."""
    port = _free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _login(page: Any, server: str, email: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def test_login_upload_switch_language_and_explain(server: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{server}/login")
        assert "登录" in page.content()
        page.screenshot(path=str(SHOTS / "login-zh.png"))
        page.fill("#email", "analyst@baoting.cn")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        page.fill("#name", "保亭 2022")
        page.set_input_files("#file", str(BAOTING))
        page.click("form[action='/inventories'] button[type=submit]")
        page.wait_for_url(f"{server}/inventories/*")
        assert page.locator("svg").count() >= 1
        assert "净排放" in page.content()
        page.screenshot(path=str(SHOTS / "inventory-zh.png"), full_page=False)
        page.click("#lang-switch")
        page.wait_for_load_state()
        assert "Net emissions" in page.content()
        page.screenshot(path=str(SHOTS / "inventory-en.png"), full_page=False)
        page.click("text=Explain >> nth=3")
        page.wait_for_url("**/explain/**")
        assert "kg/kWh" in page.content() or "kg/TJ" in page.content()
        page.screenshot(path=str(SHOTS / "explain-en.png"), full_page=False)
        page.goto(f"{server}/")
        page.click("#lang-switch")
        page.wait_for_load_state()
        assert "县域总览" in page.content()
        page.screenshot(path=str(SHOTS / "dashboard-zh.png"), full_page=False)
        browser.close()


def test_building_chart_finance_evidence_and_roadmap(server: str) -> None:
    """Upload a BOQ and see the module chart; screen a project and open its evidence; run the roadmap from a
    county folder. (Labels — apply, review, issue, verify publicly, revoke: test_browser_labels.py.)"""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        _login(page, server, "analyst@baoting.cn")
        page.click("header >> text=建筑碳排放")
        page.wait_for_url(f"{server}/buildings")
        page.set_input_files("#file", str(path("buildings/clinic_boq.yaml")))
        page.click("form[action='/buildings'] button[type=submit]")
        page.wait_for_url(f"{server}/buildings/*")
        assert page.locator("#module-chart svg").count() == 1
        assert "按模块" in page.content() and "A1-A3" in page.content()
        page.screenshot(path=str(SHOTS / "building-zh.png"), full_page=False)
        page.click("#lang-switch")
        page.wait_for_load_state()
        page.goto(f"{server}/finance")
        page.set_input_files("#file", str(path("finance/baoting-rooftop-pv.yaml")))
        page.click("form[action='/finance'] button[type=submit]")
        page.wait_for_url(f"{server}/finance/*")
        evidence = page.locator("details.evidence", has_text="Green finance verification statement").first
        evidence.locator("summary").click()
        assert evidence.get_attribute("open") is not None
        assert "a1b2c3d4e5f6" in evidence.inner_text()
        evidence.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "finance-evidence-en.png"), full_page=False)
        page.click("#lang-switch")
        page.wait_for_load_state()
        page.goto(f"{server}/roadmap")
        page.set_input_files("#file", [str(path(name)) for name in (
            "roadmap.yaml", "inventory-2022.yaml", "scenarios/reference.yaml", "scenarios/hainan-policy.yaml",
            "scenarios/net-zero-2040.yaml")])
        page.click("form[action='/roadmap'] button[type=submit]")
        page.wait_for_url(f"{server}/roadmap/*")
        assert "净零年份" in page.content() and page.locator(".figure svg").count() >= 2
        page.screenshot(path=str(SHOTS / "roadmap-zh.png"), full_page=False)
        browser.close()


def test_challenge_submit_evaluation_and_place(server: str) -> None:
    """Submit a Climate Challenge entry, see its evaluation (chart, cumulative abatement, cost, ΔP, flags) and its
    place in the ranking."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
        _login(page, server, "analyst@baoting.cn")
        page.click("#nav-challenge")
        page.wait_for_url(f"{server}/challenge")
        assert "气候挑战赛" in page.content()
        page.set_input_files("#file", str(path("challenge/solutions/agrivoltaics-rubber-areca.yaml")))
        page.fill("#draws", "200")
        page.click("form[action='/challenge'] button[type=submit]")
        page.wait_for_url(f"{server}/challenge/*")
        assert page.locator("#evaluation .figure svg").count() == 1
        assert "至达峰年累计减排量" in page.inner_text("#to-peak")
        assert page.inner_text("#scenario") == "hainan-policy"
        assert page.inner_text("#dp-net-zero .v").startswith("+")
        assert "1" in page.inner_text("#place")
        assert page.locator("#ranking tr.current").get_attribute("data-place") == "1"
        page.screenshot(path=str(SHOTS / "challenge-zh.png"), full_page=False)
        browser.close()
