"""The county dashboard: the latest inventory by scene and the latest roadmap (peak and net-zero years, their
probabilities, targets, trajectories, wedges, MAC curves), charts drawn once per stored assessment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from countyzero.web import charts
from tests.platform.conftest import token
from tests.platform.engine_inputs import document, roadmap_bundle
from tests.platform.test_pages import login


def test_dashboard_shows_the_latest_roadmap_and_draws_its_charts_once(client: TestClient,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    login(client)
    assert 'id="roadmap-summary"' not in client.get("/").text
    headers = token(client, "analyst@baoting.cn")
    assert client.post("/api/v1/inventories", json=document("inventory-2022.yaml"), headers=headers).status_code == 201
    roadmap = client.post("/api/v1/scenarios", json={**roadmap_bundle(), "draws": 40, "seed": 7}, headers=headers)
    assert roadmap.status_code == 201, roadmap.text
    result = roadmap.json()["result"]
    drawn: list[str] = []
    for name in ("trajectories", "wedges", "mac_curve"):
        original = getattr(charts, name)

        def counting(*args: Any, _name: str = name, _original: Any = original) -> Any:
            drawn.append(_name)
            return _original(*args)
        monkeypatch.setattr(charts, name, counting)
    page = client.get("/")
    assert page.status_code == 200 and 'id="roadmap-summary"' in page.text and 'id="roadmap-trajectories"' in page.text
    policy = result["scenarios"]["hainan-policy"]
    assert f"{policy['p_net_zero_by_target']:.0%}" in page.text
    assert str(policy["targets"]["neutrality"]["year"]) in page.text
    assert page.text.count("<svg") >= 4  # inventory by scene, trajectories, wedges, MAC
    assert 'class="figure mac"' in page.text
    first = list(drawn)
    assert "trajectories" in first and "mac_curve" in first
    assert client.get("/").text == page.text and drawn == first  # second request: nothing redrawn
    assert client.get(f"/roadmap/{roadmap.json()['id']}").status_code == 200 and drawn == first  # same cache
    newer = client.post("/api/v1/scenarios", json={**roadmap_bundle(), "draws": 0}, headers=headers).json()
    assert f'href="/roadmap/{newer["id"]}"' in client.get("/").text and len(drawn) > len(first)


def test_chart_cache_keeps_the_most_recent_entries() -> None:
    cache = charts.ChartCache(2)
    calls: list[int] = []

    def draw(n: int) -> int:
        calls.append(n)
        return n * 10

    assert [cache.get(k, lambda k=k: draw(k)) for k in (1, 2, 1, 3, 1, 2)] == [10, 20, 10, 30, 10, 20]
    assert calls == [1, 2, 3, 2] and len(cache) == 2  # 2 was dropped when 3 came (1 was used more recently)
