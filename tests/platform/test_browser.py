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
from pathlib import Path

import pytest
import uvicorn

from countyzero.services import accounts
from countyzero.settings import Settings
from countyzero.store.db import transaction
from countyzero.web.app import create_app
from tests.conftest import BAOTING, ROOT
from tests.platform.conftest import PASSWORD

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
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def test_login_upload_switch_language_and_explain(server: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
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
