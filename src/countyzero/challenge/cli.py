"""``countyzero challenge …``: a thin command line over :mod:`countyzero.challenge` (docs/challenge.md).

The integrator mounts :data:`app` as ``countyzero challenge``. Commands print JSON for scripts (``--format
json``) or a table for people; errors print one line naming the file, measure and field, exit with status 2,
and write nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from countyzero.console import OutputFormat as Format
from countyzero.console import chosen_format, console, fail, print_json
from countyzero.core.errors import CountyZeroError

app = typer.Typer(help="Climate Challenge: evaluate, rank and publish solutions (气候挑战赛).",
                  no_args_is_help=True, add_completion=False)


FormatOption = Annotated[Format | None, typer.Option("--format", help="table (terminal default) or json.")]
ScenarioOption = Annotated[str | None, typer.Option("--scenario", help="Scenario id; default challenge.yaml's.")]
DrawsOption = Annotated[int | None, typer.Option("--draws", min=0, help="Monte Carlo draws (0 = none).")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Monte Carlo seed; default the scenario's.")]
CountyOption = Annotated[Path | None, typer.Option("--county", help="County folder; default challenge.yaml's.")]


def _n(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"




@app.command("evaluate")
def evaluate(
    solution_file: Annotated[Path, typer.Argument(help="Submission file (YAML/JSON, docs/challenge.md).")],
    county: Annotated[Path, typer.Option("--county", help="County folder with roadmap.yaml.")],
    scenario: ScenarioOption = None,
    draws: DrawsOption = None,
    seed: SeedOption = None,
    fmt: FormatOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the JSON here.")] = None,
) -> None:
    """What a solution adds to the county's targets: abatement, cost per tonne, ΔP (评估方案)."""
    from countyzero.challenge.evaluate import evaluate_file

    try:
        result = evaluate_file(solution_file, county, scenario=scenario, draws=draws, seed=seed)
        data = result.model_dump(mode="json")
        if output is not None:
            if result.status != "eligible":
                raise fail(ValueError(f"{solution_file}: unsupported claim(s): "
                                       + "; ".join(f["where"] for f in result.flags
                                                   if f["kind"] == "unsupported claim") + " — nothing written"))
            from countyzero.core.io import write_files

            write_files({output: json.dumps(data, ensure_ascii=False, indent=1) + "\n"})
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is Format.json:
        print_json(data)
        return
    table = Table(title=f"{result.submission['title_zh']} / {result.submission['title_en']} — "
                        f"{result.county} {result.scenario}")
    table.add_column("item / 项目")
    table.add_column("value", justify="right")
    for label, value in (
        (f"abatement to {result.peak_target_year}, tCO2e / 至达峰年减排",
         _n(result.cumulative_abatement_to_peak_year_tco2e)),
        (f"abatement to {result.neutrality_target_year}, tCO2e / 至中和年减排",
         _n(result.cumulative_abatement_to_target_year_tco2e)),
        ("overlap/interaction with plan, tCO2e / 与规划重叠", _n(result.overlap_with_plan_to_target_year_tco2e)),
        ("cost, CNY/tCO2e / 单位减排成本", _n(result.cost_per_tco2e)),
        ("P(peak) without → with / 达峰概率", f"{_n(result.p_peak_by_target_without, 3)} → "
                                           f"{_n(result.p_peak_by_target_with, 3)}"),
        ("P(net zero) without → with / 中和概率", f"{_n(result.p_net_zero_by_target_without, 3)} → "
                                               f"{_n(result.p_net_zero_by_target_with, 3)}"),
        ("status / 状态", result.status),
    ):
        table.add_row(label, value)
    for flag in result.flags:
        table.add_row(f"⚠ {flag['kind']}", f"{flag['where']}: {flag['message']}")
    console().print(table)


@app.command("check")
def check(
    solution_file: Annotated[Path, typer.Argument(help="Submission file.")],
    county: Annotated[Path, typer.Option("--county", help="County folder with roadmap.yaml.")],
    scenario: ScenarioOption = None,
) -> None:
    """Validate a submission against the county without Monte Carlo; exit 1 on an unsupported claim (检查)."""
    from countyzero.challenge.evaluate import evaluate_file

    try:
        result = evaluate_file(solution_file, county, scenario=scenario, draws=0)
    except CountyZeroError as exc:
        raise fail(exc) from None
    for flag in result.flags:
        typer.echo(f"{flag['kind']}: {flag['where']}: {flag['message']}", err=True)
    typer.echo(f"{solution_file}: {result.status}")
    if result.status != "eligible":
        raise typer.Exit(code=1)


def _rank_table(result: Any) -> None:
    table = Table(title=f"{result.challenge['name_zh']} / {result.challenge['name_en']} — ranking / 排名 "
                        f"(rubric {result.ranking.rubric['version']})")
    for column in ("#", "entry / 方案", "total", "tCO2e to target", "CNY/t", "ΔP nz", "status"):
        table.add_column(column, justify="left" if column.startswith("entry") else "right")
    for e in result.ranking.entries:
        ev = e.evidence
        table.add_row(str(e.rank), f"{e.id}\n{e.title_zh}", f"{e.total:.2f}",
                      _n(ev["cumulative_abatement_to_target_year_tco2e"]),
                      _n(ev["cost_per_tco2e"]), _n(ev["delta_p_net_zero_by_target"], 3),
                      "accepted" if e.accepted else e.status)
    console().print(table)


@app.command("rank")
def rank(
    challenge: Annotated[Path, typer.Argument(help="Challenge folder with challenge.yaml.")],
    county: CountyOption = None,
    scenario: ScenarioOption = None,
    draws: DrawsOption = None,
    seed: SeedOption = None,
    fmt: FormatOption = None,
) -> None:
    """Evaluate every entry and rank them with the rubric and the jury scores (排名)."""
    from countyzero.challenge.jury import run_challenge

    try:
        result = run_challenge(challenge, county=county, scenario=scenario, draws=draws, seed=seed)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is Format.json:
        print_json(result.ranking.model_dump(mode="json") | {"challenge": result.challenge})
        return
    _rank_table(result)


@app.command("export")
def export(
    challenge: Annotated[Path, typer.Argument(help="Challenge folder with challenge.yaml.")],
    county: CountyOption = None,
    scenario: ScenarioOption = None,
    draws: DrawsOption = None,
    seed: SeedOption = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Ranking as CSV.")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Workbook: ranking, abatement, scores, rubric.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Bilingual gallery of accepted entries.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="The gallery as PDF (WeasyPrint).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Every evaluation and the ranking as JSON.")] = None,
) -> None:
    """Write the results: CSV, XLSX, HTML gallery, PDF, JSON — all or nothing (导出)."""
    from countyzero.challenge.export import ranking_rows, render_gallery, to_csv, to_xlsx
    from countyzero.challenge.jury import run_challenge
    from countyzero.core.io import write_files

    if not any((csv, xlsx, html, pdf, json_out)):
        raise fail(ValueError("name at least one of --csv, --xlsx, --html, --pdf, --json"))
    try:
        result = run_challenge(challenge, county=county, scenario=scenario, draws=draws, seed=seed)
        files: dict[Path, str | bytes] = {}
        if csv is not None:
            files[csv] = to_csv(ranking_rows(result))
        if xlsx is not None:
            files[xlsx] = to_xlsx(result)
        if html is not None or pdf is not None:
            page = render_gallery(result)
            if html is not None:
                files[html] = page
            if pdf is not None:
                from countyzero.reports.figures import html_to_pdf

                files[pdf] = html_to_pdf(page)
        if json_out is not None:
            files[json_out] = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
        write_files(files)
    except CountyZeroError as exc:
        raise fail(exc) from None
    for path in files:
        typer.echo(f"wrote {path}", err=True)
