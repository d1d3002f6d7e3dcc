"""Inline-SVG charts of stored results, drawn on the server by matplotlib (no chart assets from elsewhere).

A stored assessment never changes, so its charts are drawn once and kept in a :class:`ChartCache` (keyed by
assessment id and input SHA-256); pages then cost a dictionary look-up, not a matplotlib run.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from markupsafe import Markup

from countyzero.reports.figures import pyplot, svg

GREEN, ORANGE, PURPLE, GREY = "#1b9e77", "#d95f02", "#7570b3", "#444444"
T = TypeVar("T")


class ChartCache:
    """The figures of immutable stored assessments, least recently used dropped beyond ``entries``.

    Drawing happens under one lock: pyplot keeps global state and is not thread-safe, and a figure wanted by
    many requests at once is drawn once.
    """

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._store: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.RLock()  # a drawing may read another cached figure

    def get(self, key: Hashable, draw: Callable[[], T]) -> T:
        with self._lock:
            if key in self._store:
                self._store.move_to_end(key)
                value: T = self._store[key]
                return value
            value = draw()
            self._store[key] = value
            while len(self._store) > self._entries:
                self._store.popitem(last=False)
            return value

    def __len__(self) -> int:
        return len(self._store)


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
    """Net emissions of every scenario (ktCO2e) with the targets' years (peak, neutrality)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    targets: dict[str, int] = {}
    for sid, scenario in result["scenarios"].items():
        ax.plot(scenario["years"], [v / 1000 for v in scenario["net_tco2e"]], label=sid,
                linewidth=2 if scenario.get("reference") else 1.5, linestyle="--" if scenario.get("reference") else "-")
        for name, target in (scenario.get("targets") or {}).items():
            if isinstance(target, dict) and target.get("year"):
                targets[name] = int(target["year"])
    for (name, year), colour in zip(sorted(targets.items()), (ORANGE, PURPLE, GREY), strict=False):
        ax.axvline(year, color=colour, linewidth=1, linestyle=":")
        ax.annotate(f"{name} {year}", (year, 1), xycoords=("data", "axes fraction"), fontsize=7, color=colour,
                    xytext=(3, -10), textcoords="offset points")
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


def mac_curve(scenario: dict[str, Any]) -> Markup | None:
    """A scenario's marginal abatement cost curve (the pathways report's own figure), when it has costed
    measures."""
    from countyzero.pathways import ScenarioResult
    from countyzero.pathways.report import _mac

    if not scenario.get("mac"):
        return None
    figure: Markup | None = _mac(pyplot(), ScenarioResult.model_validate(scenario))
    return figure


def portfolio_ratios(ratios: dict[str, Any]) -> Markup:
    """Turnover- and CapEx-based aligned ratios of a loan book per framework (% of covered exposures)."""
    plt = pyplot()
    frameworks = [k for k, v in ratios.items() if isinstance(v, dict) and "turnover_based_ratio" in v]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    positions = range(len(frameworks))
    ax.bar([p - 0.2 for p in positions], [100 * ratios[f]["turnover_based_ratio"] for f in frameworks], width=0.4,
           color=GREEN, label="turnover-based 营业收入口径")
    ax.bar([p + 0.2 for p in positions], [100 * ratios[f]["capex_based_ratio"] for f in frameworks], width=0.4,
           color=PURPLE, label="CapEx-based 资本支出口径")
    ax.set_xticks(list(positions), frameworks)
    ax.set_ylabel("% of covered exposures")
    ax.set_title("绿色资产比率 Aligned ratios by framework")
    ax.legend(fontsize=7)
    return svg(fig)


def cashflows(appraisal: dict[str, Any]) -> Markup:
    """An appraisal's cash flows per year (CNY million): investment, revenue, carbon revenue, opex, CFADS and
    the level debt service."""
    plt = pyplot()
    flows = appraisal["cashflows"]
    years = [f["year"] for f in flows]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.bar(years, [-f.get("capex", 0.0) / 1e6 for f in flows], color=GREY, label="investment 投资")
    ax.bar(years, [(f.get("revenue", 0.0) - f.get("carbon_revenue", 0.0)) / 1e6 for f in flows], color=GREEN,
           label="revenue 收入")
    ax.bar(years, [f.get("carbon_revenue", 0.0) / 1e6 for f in flows],
           bottom=[(f.get("revenue", 0.0) - f.get("carbon_revenue", 0.0)) / 1e6 for f in flows], color=PURPLE,
           label="carbon revenue 碳收入")
    ax.bar(years, [-f.get("opex", 0.0) / 1e6 for f in flows], color=ORANGE, label="opex 运营成本")
    ax.plot(years[1:], [f["cfads"] / 1e6 for f in flows[1:]], color="black", linewidth=1.2, label="CFADS")
    debt = appraisal.get("debt")
    if debt:
        ax.axhline(debt["annual_debt_service"] / 1e6, color=ORANGE, linewidth=1, linestyle="--",
                   label="debt service 还本付息")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("CNY million / 百万元")
    ax.set_title("现金流 Cash flows")
    ax.legend(fontsize=7, ncol=2)
    return svg(fig)
