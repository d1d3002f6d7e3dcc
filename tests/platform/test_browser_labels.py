"""Browser test of the label workflow by separate users (Playwright driving Debian's Chromium, live server of
test_browser.py): the applicant applies with evidence and logs out; a verifier reviews and issues; a visitor
without a session verifies the label on the public page; the verifier renews it, then revokes it; the public
page says revoked.
Screenshots go to $COUNTYZERO_SCREENSHOTS (default build/screenshots), like test_browser.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.platform.engine_inputs import path
from tests.platform.test_browser import ARGS, CHROMIUM, SHOTS, _login, server

__all__ = ["server"]  # the live-server fixture (analyst@ and verifier@baoting.cn)
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed "
                                "(make test installs it)")


def test_apply_review_issue_verify_renew_revoke(server: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="zh-CN")
        # the applicant applies and attaches evidence
        _login(page, server, "analyst@baoting.cn")
        page.goto(f"{server}/labels")
        page.set_input_files("#file", str(path("lifestyle/application-meal.yaml")))
        page.click("form[action='/labels'] button[type=submit]")
        page.wait_for_url(f"{server}/labels/*")
        location = page.url
        assert page.get_attribute("#label-status", "data-status") == "applied"
        assert page.locator("#review-form").count() == 0 and page.locator("#issue-button").count() == 0
        page.set_input_files("#evidence", files=[{"name": "recipe.txt", "mimeType": "text/plain",
                                                  "buffer": b"150 g rice, 150 g greens, 80 g tofu, 15 g oil"}])
        page.click("#evidence-form button[type=submit]")
        page.wait_for_url(location)
        assert page.get_attribute("#label-status", "data-status") == "evidence"
        assert "recipe.txt" in page.inner_text("#evidence-list")
        page.screenshot(path=str(SHOTS / "label-applied-zh.png"), full_page=False)
        page.click("header form button")  # log out
        page.wait_for_url(f"{server}/login")
        # the verifier reviews (notes per criterion), then issues
        _login(page, server, "verifier@baoting.cn")
        page.goto(f"{server}/labels")
        assert page.get_attribute("td.label-status", "data-status") == "evidence"
        page.goto(location)
        page.select_option("#decision", "approve")
        page.fill("#criterion_footprint", "计算自因子库 computed from library factors")
        page.fill("#criterion_evidence", "菜谱卡与申报数量一致 recipe card matches")
        page.fill("#note", "核查通过 checked")
        page.click("#review-button")
        page.wait_for_url(location)
        assert page.get_attribute("#label-status", "data-status") == "approved"
        assert "recipe card matches" in page.inner_text("#reviews")
        page.screenshot(path=str(SHOTS / "label-reviewed-zh.png"), full_page=True)
        page.click("#issue-button")
        page.wait_for_url(location)
        label_id = page.inner_text("#label-id")
        assert label_id.startswith("CZ15-")
        assert page.get_attribute("#label-status", "data-status") == "issued"
        page.screenshot(path=str(SHOTS / "label-zh.png"), full_page=False)
        # a visitor (no session) verifies it on the public page
        visitor = browser.new_context(locale="zh-CN").new_page()
        visitor.goto(f"{server}/verify")
        visitor.fill("#label_id", label_id)
        visitor.click("form[action='/verify'] button")
        visitor.wait_for_url(f"{server}/verify/{label_id}")
        assert "有效标识" in visitor.inner_text("#verdict")
        assert visitor.locator(".qr svg").count() == 1 and visitor.locator("#pdf").count() == 1
        visitor.screenshot(path=str(SHOTS / "verify-public-zh.png"), full_page=False)
        # the verifier renews it (续期): still issued, the renewal listed, still valid on the public page
        assert page.inner_text("#renew-button") == "标识续期"
        page.click("#renew-button")
        page.wait_for_url(location)
        assert page.get_attribute("#label-status", "data-status") == "issued"
        assert "verifier@baoting.cn" in page.inner_text("#renewals")
        visitor.reload()
        assert visitor.get_attribute("#verdict", "data-status") == "valid"
        # the verifier revokes it; the public page says revoked, with the date and the reason
        page.fill("#reason", "配方改为牛肉 recipe changed to beef")
        page.click("#revoke-button")
        page.wait_for_url(location)
        assert page.get_attribute("#label-status", "data-status") == "revoked"
        assert "recipe changed to beef" in page.inner_text("#revoked")
        visitor.reload()
        assert visitor.get_attribute("#verdict", "data-status") == "revoked"
        assert "已撤销" in visitor.inner_text("#verdict")
        assert "recipe changed to beef" in visitor.inner_text("#revocation")
        assert visitor.locator("#pdf").count() == 0
        visitor.screenshot(path=str(SHOTS / "verify-revoked-zh.png"), full_page=False)
        browser.close()
