"""Bilingual (简体中文 / English) HTML report of an inventory, with figures drawn by matplotlib.

Figures are inline SVG with text kept as text, so the page needs no external asset and Chinese is drawn by
the reader's fonts (the Makefile installs a CJK font for figures rendered to PNG/PDF).
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from countyzero.core.io import write_files
from countyzero.inventory.gpc import SCENE_NAMES_ZH, SECTOR_NAMES, gpc_table
from countyzero.inventory.model import InventoryResult
from countyzero.reports.figures import html_to_pdf, pyplot, svg

INTENSITY_NAMES = {
    "gross_tco2e_per_capita": "人均总排放 Gross per capita (tCO2e)",
    "net_tco2e_per_capita": "人均净排放 Net per capita (tCO2e)",
    "gross_tco2e_per_10k_cny": "万元GDP总排放 Gross per 10,000 CNY GDP (tCO2e)",
    "energy_co2_t_per_10k_cny": "万元GDP能源活动CO2 Energy CO2 per 10,000 CNY GDP (t)",
    "energy_tce_per_10k_cny": "万元GDP能耗 Energy per 10,000 CNY GDP (tce)",
}
SCENE_COLOURS = {"energy": "#d95f02", "buildings": "#7570b3", "transport": "#e7298a", "resources": "#66a61e",
                 "land": "#1b9e77"}


def scene_chart(by_scene: dict[str, float]) -> Markup:
    """Net emissions by scene (ktCO2e), bilingual labels, as inline SVG."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    scenes = list(by_scene)
    ax.barh([f"{SCENE_NAMES_ZH[s]}\n{s}" for s in scenes], [by_scene[s] / 1000 for s in scenes],
            color=[SCENE_COLOURS[s] for s in scenes])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("ktCO2e (net / 净值)")
    ax.set_title("按场景 By scene")
    ax.invert_yaxis()
    return svg(fig)


def _figures(result: InventoryResult) -> dict[str, Markup]:
    plt = pyplot()
    figures: dict[str, Markup] = {}

    figures["scenes"] = scene_chart(result.by_scene)

    fig, ax = plt.subplots(figsize=(7, 3.2))
    bars = [("总排放\nGross", result.gross_tco2e), ("碳汇\nRemovals", result.removals_tco2e),
            ("净排放\nNet", result.net_tco2e)]
    ax.bar([b[0] for b in bars], [b[1] / 1000 for b in bars], color=["#d95f02", "#1b9e77", "#444444"])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("ktCO2e")
    ax.set_title("总排放、碳汇与净排放 Gross, removals and net")
    figures["balance"] = svg(fig)

    fig, ax = plt.subplots(figsize=(7, 3.2))
    gases = {g: v for g, v in result.by_gas.items() if abs(v) > 0}
    ax.bar(list(gases), [v / 1000 for v in gases.values()], color="#7570b3")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"ktCO2e ({result.gwp})")
    ax.set_title("按气体 By gas")
    figures["gases"] = svg(fig)
    return figures


def render_inventory_html(result: InventoryResult) -> str:
    env = Environment(loader=PackageLoader("countyzero.reports", "templates"),
                      autoescape=select_autoescape(["html"]))
    table = gpc_table()
    lines = sorted(result.lines, key=lambda line: (line.gpc, line.id))
    return env.get_template("inventory.html").render(
        r=result, figures=_figures(result), scene_zh=SCENE_NAMES_ZH, sectors=SECTOR_NAMES, gpc=table,
        lines=lines, factor_rows=_factor_rows(result), intensity_names=INTENSITY_NAMES,
    )


def _factor_rows(result: InventoryResult) -> list[dict[str, str]]:
    from countyzero.factors.library import default_library

    lib = default_library()
    ids = sorted({fid for line in result.lines for fid in line.factor_ids if fid in lib})
    rows = []
    for fid in ids:
        f = lib.get(fid)
        rows.append({"id": f.id, "name": f"{f.name_zh} / {f.name_en}", "value": f"{f.value:g} {f.unit}",
                     "confidence": f.confidence, "source": f.citation})
    return rows


def write_inventory_report(result: InventoryResult, folder: str | Path, *, pdf: bool = False) -> Path:
    """Write ``report.html``, ``inventory.json`` (and ``report.pdf``) into ``folder``; return the report's path."""
    folder = Path(folder)
    report = folder / "report.html"
    html = render_inventory_html(result)
    data = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2)
    files: dict[Path, str | bytes] = {folder / "inventory.json": data, report: html}
    if pdf:
        files[folder / "report.pdf"] = html_to_pdf(html)
    write_files(files)
    return report
