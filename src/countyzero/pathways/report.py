"""Bilingual (简体中文 / English) HTML report of a county roadmap, with figures as inline SVG.

Figures (matplotlib, text kept as text so the reader's CJK fonts draw Chinese): trajectories of every
scenario (gross, net), the peak metric against the peak target, a wedge chart per scenario, the marginal
abatement cost curve, and the Monte Carlo fan chart. The page loads no external asset and opens offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from countyzero.core.io import write_files
from countyzero.pathways.engine import RoadmapResult, ScenarioResult
from countyzero.reports.figures import pyplot, svg

COLOURS = ["#444444", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
WEDGE_COLOURS = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4",
                 "#999999"]
TOP_WEDGES = 8


def _kt(values: list[float]) -> np.ndarray:
    return np.asarray(values) / 1000.0


def _trajectories(plt: Any, result: RoadmapResult) -> Markup:
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for i, s in enumerate(result.scenarios.values()):
        colour = COLOURS[i % len(COLOURS)]
        ax.plot(s.years, _kt(s.gross_tco2e), color=colour, label=f"{s.name_zh} 总排放 gross")
        ax.plot(s.years, _kt(s.net_tco2e), color=colour, linestyle="--", label=f"{s.name_zh} 净排放 net")
    first = next(iter(result.scenarios.values()))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(first.targets["neutrality"]["year"], color="#1b9e77", linestyle=":", linewidth=1)
    ax.set_ylabel("ktCO2e")
    ax.set_title("排放轨迹（实线总排放，虚线净排放） Trajectories (solid gross, dashed net)")
    ax.legend(fontsize=7, ncol=2)
    return svg(fig)


def _peak(plt: Any, result: RoadmapResult) -> Markup:
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    first = next(iter(result.scenarios.values()))
    for i, s in enumerate(result.scenarios.values()):
        ax.plot(s.years, _kt(s.peak_metric), color=COLOURS[i % len(COLOURS)], label=s.name_zh + " " + s.name_en)
        if s.peak_year is not None:
            ax.plot([s.peak_year], [s.peak_metric[s.years.index(s.peak_year)] / 1000], "o",
                    color=COLOURS[i % len(COLOURS)])
    ax.axvline(first.targets["peak"]["year"], color="#d95f02", linestyle=":", linewidth=1)
    ax.set_ylabel("kt")
    ax.set_title(f"达峰指标 Peak metric ({first.targets['peak']['metric']}); 圆点=峰值年 dot = peak year")
    ax.legend(fontsize=7)
    return svg(fig)


def _wedges(plt: Any, s: ScenarioResult, reference: ScenarioResult) -> Markup:
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    wedges = s.wedges or {}
    totals = sorted(wedges, key=lambda k: -sum(wedges[k]))
    keep = totals[:TOP_WEDGES]
    layers = [np.asarray(wedges[k]) for k in keep]
    labels = list(keep)
    if len(totals) > TOP_WEDGES:
        layers.append(np.sum([wedges[k] for k in totals[TOP_WEDGES:]], axis=0))
        labels.append("其他 others")
    top = np.asarray(reference.neutrality_metric)
    lower = top.copy()
    for i, (layer, label) in enumerate(zip(layers, labels, strict=True)):
        ax.fill_between(s.years, (lower - layer) / 1000, lower / 1000, label=label, color=WEDGE_COLOURS[i],
                        alpha=0.75, linewidth=0)
        lower = lower - layer
    ax.plot(s.years, top / 1000, color="black", label="基准 reference")
    ax.plot(s.years, np.asarray(s.neutrality_metric) / 1000, color="black", linestyle="--",
            label=f"{s.name_zh} scenario")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("ktCO2e")
    ax.set_title(f"减排楔形 Wedges — {s.name_zh} {s.name_en}")
    ax.legend(fontsize=6.5, ncol=2)
    return svg(fig)


def _mac(plt: Any, s: ScenarioResult) -> Markup | None:
    bars = [e for e in s.mac if e.cost_per_tco2e is not None]
    if not bars:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    x = 0.0
    for i, e in enumerate(bars):
        width = e.average_annual_abatement_tco2e / 1000
        cost = e.cost_per_tco2e or 0.0
        ax.bar(x, cost, width=width, align="edge", color=WEDGE_COLOURS[i % 8], edgecolor="white")
        if width > 0.04 * sum(b.average_annual_abatement_tco2e / 1000 for b in bars):
            ax.text(x + width / 2, cost, e.measure, rotation=90, fontsize=6, ha="center",
                    va="bottom" if cost >= 0 else "top")
        x += width
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("年均减排 average annual abatement (ktCO2e/yr)")
    ax.set_ylabel("CNY/tCO2e")
    ax.set_title(f"边际减排成本曲线 MAC curve — {s.name_zh}")
    return svg(fig)


def _fan(plt: Any, result: RoadmapResult) -> Markup | None:
    runs = [s for s in result.scenarios.values() if s.montecarlo]
    if not runs:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for i, s in enumerate(runs):
        assert s.montecarlo is not None
        fan = s.montecarlo["fan"]["neutrality_metric"]
        colour = COLOURS[i % len(COLOURS)]
        ax.fill_between(s.years, _kt(fan["p2.5"]), _kt(fan["p97.5"]), color=colour, alpha=0.15)
        ax.fill_between(s.years, _kt(fan["p25"]), _kt(fan["p75"]), color=colour, alpha=0.3)
        ax.plot(s.years, _kt(fan["p50"]), color=colour, label=f"{s.name_zh} (P50, 25–75 %, 2.5–97.5 %)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("ktCO2e")
    ax.set_title("中和指标不确定性 Fan chart of the neutrality metric (Monte Carlo)")
    ax.legend(fontsize=7)
    return svg(fig)


def render_roadmap_html(result: RoadmapResult) -> str:
    """The report page as HTML text."""
    plt = pyplot()
    reference = result.scenarios[result.reference]
    figures: dict[str, Any] = {"trajectories": _trajectories(plt, result), "peak": _peak(plt, result),
                               "fan": _fan(plt, result), "wedges": {}, "mac": {}}
    for sid, s in result.scenarios.items():
        if s.wedges:
            figures["wedges"][sid] = _wedges(plt, s, reference)
            figures["mac"][sid] = _mac(plt, s)
    env = Environment(loader=PackageLoader("countyzero.pathways", "templates"), autoescape=select_autoescape(["html"]))
    provenance = next(iter(result.scenarios.values())).provenance
    return env.get_template("roadmap.html").render(r=result, figures=figures, reference=reference,
                                                   provenance=provenance)


def write_roadmap_report(result: RoadmapResult, path: str | Path) -> Path:
    """Write the HTML report (and ``<name>.json`` beside it with every number); return the report's path."""
    path = Path(path)
    data = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1)
    write_files({path: render_roadmap_html(result), path.with_suffix(".json"): data})
    return path
