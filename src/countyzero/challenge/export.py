"""Exports of a challenge: ranking CSV and XLSX, the bilingual HTML gallery of accepted entries, PDF.

Spreadsheet formula injection is neutralised (OWASP "CSV injection") by :func:`countyzero.core.io.neutralise`: a
text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so
a spreadsheet shows it as text and never runs it. Numbers stay numbers. The gallery is one self-contained page:
figures are inline SVG (matplotlib), with no script, stylesheet or font loaded from elsewhere. Files are written
all-or-nothing.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

import numpy as np
from markupsafe import Markup

from countyzero.challenge.jury import ChallengeResult
from countyzero.core.io import csv_text, neutralise


def ranking_rows(result: ChallengeResult) -> list[dict[str, Any]]:
    """One row per entry: rank, identity, computed evidence, criterion scores, total, flags."""
    rows = []
    criteria = [c["id"] for c in result.ranking.rubric["criteria"]]
    for e in result.ranking.entries:
        row: dict[str, Any] = {
            "rank": e.rank, "id": e.id, "title_en": e.title_en, "title_zh": e.title_zh, "provider": e.provider,
            "country": e.country, "category": e.category, "readiness_level": e.readiness_level,
            "status": e.status, "accepted": e.accepted, "total": round(e.total, 4)}
        for key, value in e.evidence.items():
            row[key] = value
        for cid in criteria:
            score = e.scores.get(cid)
            row[f"score.{cid}"] = None if score is None else round(score, 4)
        row["flags"] = "; ".join(f"{f['kind']}: {f['where']}" for f in e.flags)
        rows.append(row)
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text (UTF-8 with BOM for spreadsheets), every text cell neutralised."""
    if not rows:
        return "\ufeff"
    header = list(dict.fromkeys(k for row in rows for k in row))
    return csv_text(header, ([row.get(k) for k in header] for row in rows), bom=True)


def _sheet(book: Any, title: str, rows: list[dict[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    if not rows:
        return
    header = list(rows[0])
    sheet.append([neutralise(name) for name in header])
    for row in rows:
        sheet.append([neutralise(_plain(row.get(k))) for k in header])


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return str(value)
    return value


def to_xlsx(result: ChallengeResult) -> bytes:
    """A workbook: ranking, per-year abatement, jury scores (with the excluded ones), rubric."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    _sheet(book, "ranking", ranking_rows(result))
    abatement = []
    for ev in result.evaluations:
        row: dict[str, Any] = {"id": ev.submission["id"]}
        row.update({str(y): v for y, v in zip(ev.years, ev.abatement_tco2e, strict=True)})
        abatement.append(row)
    _sheet(book, "abatement_tco2e", abatement)
    _sheet(book, "jury_scores", [s | {"counted": True} for s in result.ranking.scores]
           + [s | {"counted": False} for s in result.ranking.excluded_scores])
    _sheet(book, "rubric", [{k: _plain(v) for k, v in c.items()} | {"rubric": result.ranking.rubric["id"],
                                                                    "version": result.ranking.rubric["version"]}
                            for c in result.ranking.rubric["criteria"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _chart(years: list[int], abatement: list[float], standalone: list[float], peak: int, target: int) -> Markup:
    from countyzero.reports.figures import pyplot, svg

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 2.6))
    ax.fill_between(years, np.asarray(abatement) / 1000, color="#1b9e77", alpha=0.6,
                    label="additional to the plan 新增减排")
    ax.plot(years, np.asarray(standalone) / 1000, color="#444444", linestyle="--", linewidth=1,
            label="standalone 单独实施")
    for year, colour in ((peak, "#d95f02"), (target, "#7570b3")):
        ax.axvline(year, color=colour, linestyle=":", linewidth=1)
    ax.set_ylabel("ktCO2e/yr")
    ax.legend(fontsize=7)
    return svg(fig)


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


STYLE = """body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;font-size:.9rem}
td.n{text-align:right}.card{border:1px solid #bbb;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.flag{color:#a00}.zh{color:#333}"""


def render_gallery(result: ChallengeResult) -> str:
    """The bilingual gallery page of the accepted entries, with the ranking and the computed evidence."""
    c = result.challenge
    accepted = [e for e in result.ranking.entries if e.accepted]
    by_id = {ev.submission["id"]: ev for ev in result.evaluations}
    parts = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{escape(c['name_zh'])} · "
             f"{escape(c['name_en'])}</title><style>{STYLE}</style></head><body>",
             f"<h1>{escape(c['name_zh'])}<br>{escape(c['name_en'])}</h1>",
             f"<p>县域 County: {escape(c['county_zh'])} {escape(c['county'])} · 评估情景 Scenario: "
             f"{escape(c['scenario_name_zh'])} / {escape(c['scenario_name_en'])} ({escape(c['scenario'])})</p>",
             f"<p>{escape(c['scenario_reason'])}</p>",
             f"<p>评分细则 Rubric: {escape(result.ranking.rubric['name_zh'])} / "
             f"{escape(result.ranking.rubric['name_en'])}, version {escape(result.ranking.rubric['version'])}</p>",
             "<h2>排名 Ranking</h2><table><tr><th>#</th><th>方案 Entry</th><th>总分 Total</th>"
             "<th>至峰值年减排 to peak yr, tCO2e</th><th>至中和年减排 to target yr, tCO2e</th><th>CNY/tCO2e</th>"
             "<th>ΔP 达峰 peak</th><th>ΔP 中和 net zero</th><th>状态 Status</th></tr>"]
    for e in result.ranking.entries:
        evd = e.evidence
        status = "入选 accepted" if e.accepted else ("未入选 not accepted" if e.status == "eligible"
                                                   else "标记 flagged: unsupported claim")
        parts.append(f"<tr><td>{e.rank}</td><td>{escape(e.title_zh)}<br>{escape(e.title_en)}</td>"
                     f"<td class=n>{e.total:.2f}</td>"
                     f"<td class=n>{_num(evd['cumulative_abatement_to_peak_year_tco2e'])}</td>"
                     f"<td class=n>{_num(evd['cumulative_abatement_to_target_year_tco2e'])}</td>"
                     f"<td class=n>{_num(evd['cost_per_tco2e'])}</td>"
                     f"<td class=n>{_num(evd['delta_p_peak_by_target'], 3)}</td>"
                     f"<td class=n>{_num(evd['delta_p_net_zero_by_target'], 3)}</td><td>{escape(status)}</td></tr>")
    parts.append("</table><h2>入选方案 Accepted entries</h2>")
    if not accepted:
        parts.append("<p>暂无 None yet.</p>")
    for e in accepted:
        ev = by_id[e.id]
        s = ev.submission
        parts.append(f"<div class=card><h3>{e.rank}. {escape(s['title_zh'])} · {escape(s['title_en'])}</h3>"
                     f"<p>{escape(s['provider'])} ({escape(s['country'])}) · 类别 category: {escape(s['category'])} · "
                     f"TRL {s['readiness_level']} {escape(s['readiness_name_zh'])} / {escape(s['readiness_name_en'])}"
                     f"</p><p class=zh>{escape(s['description_zh'])}</p><p>{escape(s['description_en'])}</p>")
        parts.append(str(_chart(ev.years, ev.abatement_tco2e, ev.standalone_abatement_tco2e, ev.peak_target_year,
                                ev.neutrality_target_year)))
        parts.append("<table>")
        for label, value in (
            ("至峰值年累计新增减排 Additional abatement to the peak year, tCO2e",
             _num(ev.cumulative_abatement_to_peak_year_tco2e)),
            ("至中和年累计新增减排 Additional abatement to the neutrality year, tCO2e",
             _num(ev.cumulative_abatement_to_target_year_tco2e)),
            ("与规划重叠及交互 Overlap and interaction with the plan, tCO2e",
             _num(ev.overlap_with_plan_to_target_year_tco2e)),
            ("单位减排贴现成本 Discounted cost, CNY/tCO2e", _num(ev.cost_per_tco2e)),
            ("达峰概率变化 ΔP(peak by target)", _num(ev.delta_p_peak_by_target, 3)),
            ("中和概率变化 ΔP(net zero by target)", _num(ev.delta_p_net_zero_by_target, 3)),
            ("总分 Total score", f"{e.total:.2f}"),
        ):
            parts.append(f"<tr><td>{escape(label)}</td><td class=n>{escape(value)}</td></tr>")
        parts.append("</table>")
        if ev.co_benefits:
            parts.append("<h4>协同效益（申报） Co-benefits (declared)</h4><table>")
            for cb in ev.co_benefits:
                parts.append(f"<tr><td>{escape(cb['name_zh'])} / {escape(cb['name_en'])}</td>"
                             f"<td class=n>{cb['value']:,g} {escape(cb['unit'])}</td>"
                             f"<td>{escape(cb['source'])} ({escape(cb['confidence'])})</td></tr>")
            parts.append("</table>")
        parts.append("<details><summary>依据 Evidence</summary><table>")
        for a in ev.assumptions:
            parts.append(f"<tr><td>{escape(a['where'])}</td><td class=n>{a['value']:,g} {escape(a['unit'])}</td>"
                         f"<td>{escape(a['source'])} ({escape(a['confidence'])})</td></tr>")
        parts.append("</table></details>")
        for f in e.flags:
            parts.append(f"<p class=flag>{escape(f['kind'])}: {escape(f['where'])} — {escape(f['message'])}</p>")
        parts.append("</div>")
    prov = result.evaluations[0].provenance if result.evaluations else {}
    parts.append(f"<p><small>CountyZero {escape(str(prov.get('software_version', '')))} · factor set "
                 f"{escape(str(prov.get('factor_set_version', '')))} · rubric sha256 "
                 f"{escape(result.ranking.rubric['sha256'][:12])}</small></p></body></html>")
    return "\n".join(parts)
