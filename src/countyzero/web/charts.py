"""Inline-SVG charts of stored results, drawn on the server by matplotlib (no chart assets from elsewhere)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

from markupsafe import Markup

from countyzero.reports.figures import pyplot, svg

GREEN, ORANGE, PURPLE, GREY = "#1b9e77", "#d95f02", "#7570b3", "#444444"
CACHED_CHARTS = 256
"""Charts kept per process by :func:`cached` (an SVG is 10–60 kB, so at most ~15 MB)."""


def cached(draw: Callable[..., Markup]) -> Callable[..., Markup]:
    """``draw`` remembered by the JSON of its arguments, least recently used first out.

    A stored result never changes, so a page showing it again reuses the drawn SVG instead of drawing a matplotlib
    figure again (~90 ms, most of a dashboard view; docs/reliability.md). Arguments are JSON data of stored results;
    pass the part a chart draws, not a whole result of megabytes, since the key is made on every call.
    """

    @lru_cache(maxsize=CACHED_CHARTS)
    def by_key(key: str) -> Markup:
        return draw(*json.loads(key))

    @wraps(draw)
    def remembered(*args: Any) -> Markup:
        return by_key(json.dumps(args, sort_keys=True))

    return remembered


@cached
def scenes(by_scene: dict[str, float]) -> Markup:
    """Net emissions by scene of a stored inventory (``countyzero.reports.inventory.scene_chart``)."""
    from countyzero.reports.inventory import scene_chart

    return scene_chart(by_scene)


def bars(labels: list[str], values: list[float], *, unit: str, title: str, horizontal: bool = True,
         colour: str = PURPLE) -> Markup:
    """A bar chart of ``values`` (already in ``unit``)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, max(2.4, 0.32 * len(labels) + 1)) if horizontal else (7, 3.2))
    if horizontal:
        ax.barh(labels, values, color=colour)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel(unit)
        ax.invert_yaxis()
    else:
        ax.bar(labels, values, color=colour)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(unit)
    ax.set_title(title)
    return svg(fig)


def building_modules(result: dict[str, Any]) -> Markup:
    """Whole-life carbon by EN 15978 module (tCO2e); module D shown apart, as the standard asks."""
    modules = {k: v for k, v in result["modules"].items() if abs(v) > 0 or k in ("A1-A3", "B6")}
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.4))
    names = list(modules)
    colours = [GREY if n == "D" else ORANGE if n.startswith("B6") or n.startswith("B7") else GREEN for n in names]
    ax.bar(names, [modules[n] / 1000 for n in names], color=colours)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("tCO2e")
    ax.set_title("按模块 By module (EN 15978)")
    ax.tick_params(axis="x", labelrotation=45)
    return svg(fig)


def credit_vintages(result: dict[str, Any]) -> Markup:
    """Gross removals, deductions and issuable credits by vintage (ktCO2e)."""
    vintages = result["vintages"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    years = [v["year"] for v in vintages]
    ax.bar(years, [v["issuable_tco2e"] / 1000 for v in vintages], color=GREEN, label="issuable 可签发")
    deductions = [(v["gross_removals_tco2e"] - v["issuable_tco2e"]) / 1000 for v in vintages]
    ax.bar(years, deductions, bottom=[v["issuable_tco2e"] / 1000 for v in vintages], color=ORANGE,
           label="deductions 扣减")
    ax.set_ylabel("ktCO2e")
    ax.set_title("按年份 By vintage")
    ax.legend(loc="upper left", fontsize=8)
    return svg(fig)


def trajectories(result: dict[str, Any]) -> Markup:
    """Net emissions of every scenario (ktCO2e) with the targets' years."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for sid, scenario in result["scenarios"].items():
        ax.plot(scenario["years"], [v / 1000 for v in scenario["net_tco2e"]], label=sid,
                linewidth=2 if scenario.get("reference") else 1.5, linestyle="--" if scenario.get("reference") else "-")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("ktCO2e (net / 净排放)")
    ax.set_title("情景轨迹 Scenario trajectories")
    ax.legend(fontsize=8)
    return svg(fig)


def wedges(scenario: dict[str, Any]) -> Markup | None:
    """Abatement of each measure against the reference (stacked, ktCO2e), when the scenario has wedges."""
    found = scenario.get("wedges")
    if not found:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    years = scenario["years"]
    names = list(found)
    ax.stackplot(years, [[v / 1000 for v in found[n]] for n in names], labels=names)
    ax.set_ylabel("ktCO2e")
    ax.set_title(f"减排楔形 Wedges: {scenario['id']}")
    ax.legend(fontsize=7, loc="upper left")
    return svg(fig)


def challenge_abatement(result: dict[str, Any]) -> Markup:
    """A challenge entry's additional abatement per year beyond the plan (tCO2e), the solution alone on the
    reference beside it, and the peak and neutrality target years."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    years = result["years"]
    ax.bar(years, result["abatement_tco2e"], color=GREEN, label="beyond the plan 超出规划的减排")
    ax.plot(years, result["standalone_abatement_tco2e"], color=GREY, linewidth=1.2, linestyle="--",
            label="solution alone 方案单独实施")
    for year, colour, text in ((result["peak_target_year"], ORANGE, "peak 达峰"),
                               (result["neutrality_target_year"], PURPLE, "net zero 中和")):
        ax.axvline(year, color=colour, linewidth=1, linestyle=":")
        ax.annotate(f"{text} {year}", (year, 1), xycoords=("data", "axes fraction"), fontsize=7, color=colour,
                    xytext=(3, -10), textcoords="offset points")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("tCO2e / yr")
    ax.set_title("逐年减排量 Abatement per year")
    ax.legend(fontsize=7, loc="upper right")
    return svg(fig)
