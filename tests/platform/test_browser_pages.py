"""Browser test of the finance pages and the dashboard's roadmap (Playwright driving Debian's Chromium against
the live server of tests/platform/test_browser.py): upload a loan book and an appraisal and see their charts,
run the roadmap and see it on the dashboard, switch to 中文. Screenshots as in test_browser.py."""

from __future__ import annotations

from tests.platform import test_browser
from tests.platform.engine_inputs import path
from tests.platform.finance_inputs import UPLOAD_NAMES

server = test_browser.server  # the same live-server fixture (analyst and verifier of Baoting County)
pytestmark = test_browser.pytestmark
ROADMAP_FILES = ("roadmap.yaml", "inventory-2022.yaml", "scenarios/reference.yaml", "scenarios/hainan-policy.yaml",
                 "scenarios/net-zero-2040.yaml")


def test_loan_book_appraisal_and_dashboard_roadmap(server: str) -> None:
    from playwright.sync_api import sync_playwright

    shots = test_browser.SHOTS
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=test_browser.CHROMIUM, args=test_browser.ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="en-GB")
        page.context.add_cookies([{"name": "countyzero_lang", "value": "en", "url": server}])
        test_browser._login(page, server, "analyst@baoting.cn")
        page.click("header >> text=Loan-book ratios")
        page.wait_for_url(f"{server}/finance/portfolios")
        page.set_input_files("#file", [str(path(f"finance/{name}")) for name in UPLOAD_NAMES])
        page.fill("#name", "Haikou bank loan book")
        page.click("form[action='/finance/portfolios'] button[type=submit]")
        page.wait_for_url(f"{server}/finance/portfolios/*")
        assert page.locator("#ratio-chart svg").count() == 1
        assert page.locator("#exposures tr.treatment-excluded").count() == 1
        assert "Denominator only (EU)" in page.inner_text("#exposures")
        page.screenshot(path=str(shots / "finance-portfolio-en.png"), full_page=False)
        page.goto(f"{server}/finance/appraisals")
        page.set_input_files("#file", str(path("finance/baoting-small-hydro.yaml")))
        page.click("form[action='/finance/appraisals'] button[type=submit]")
        page.wait_for_url(f"{server}/finance/appraisals/*")
        assert page.locator("#cashflow-chart svg").count() == 1
        assert "NPV" in page.inner_text("#appraisal-metrics") and "DSCR" in page.inner_text("#appraisal-metrics")
        assert page.locator("#instruments tr").count() > 1
        page.screenshot(path=str(shots / "finance-appraisal-en.png"), full_page=False)
        page.click("#lang-switch")
        page.wait_for_load_state()
        assert "融资评估" in page.content() and "现金流" in page.content()
        page.screenshot(path=str(shots / "finance-appraisal-zh.png"), full_page=False)
        page.goto(f"{server}/roadmap")
        page.set_input_files("#file", [str(path(name)) for name in ROADMAP_FILES])
        page.click("form[action='/roadmap'] button[type=submit]")
        page.wait_for_url(f"{server}/roadmap/*")
        page.goto(f"{server}/")
        assert page.locator("#roadmap-trajectories svg").count() == 1
        assert page.locator(".figure.mac svg").count() >= 1
        assert "按期净零概率" in page.inner_text("#roadmap-summary")
        page.locator("#roadmap").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "dashboard-roadmap-zh.png"), full_page=False)
        browser.close()
