"""``countyzero pathways …`` and ``countyzero roadmap``: a thin command line over :mod:`countyzero.pathways`.

The integrator mounts :data:`app` as ``countyzero pathways`` and registers :func:`roadmap` as the top-level
``countyzero roadmap`` command. Every command prints JSON for scripts (``--format json``) or a table for
people; errors print one line naming the file, measure and field, and exit with status 2, writing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from countyzero.console import OutputFormat as Format
from countyzero.console import chosen_format, console, fail
from countyzero.core.errors import CountyZeroError

app = typer.Typer(help="County roadmap scenarios: pathways, peak and net-zero years, wedges, costs (路线图情景).",
                  no_args_is_help=True, add_completion=False)


ScenarioFile = Annotated[Path, typer.Argument(help="Scenario file (YAML/JSON, docs/pathways.md).")]
FormatOption = Annotated[Format | None, typer.Option("--format", help="table (terminal default) or json.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON to this file instead.")]


def _emit_json(data: Any, output: Path | None) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
        return
    from countyzero.core.io import write_files

    try:
        write_files({output: text + "\n"})
    except CountyZeroError as exc:
        raise fail(exc) from None
    typer.echo(f"wrote {output}", err=True)


def _year(value: int | None) -> str:
    return "—" if value is None else str(value)


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _scenario_table(results: list[Any], title: str) -> None:
    table = Table(title=title)
    for column in ("scenario / 情景", "peak / 达峰", "net zero / 净零", "gross base", "gross target yr",
                   "removals target yr", "net target yr", "P(peak)", "P(net zero)"):
        table.add_column(column, justify="left" if column.startswith("scenario") else "right")
    for s in results:
        i = s.years.index(s.targets["neutrality"]["year"])
        table.add_row(f"{s.id}\n{s.name_zh}", _year(s.peak_year), _year(s.net_zero_year), f"{s.gross_tco2e[0]:,.0f}",
                      f"{s.gross_tco2e[i]:,.0f}", f"{s.removals_tco2e[i]:,.0f}", f"{s.net_tco2e[i]:,.0f}",
                      _p(s.p_peak_by_target), _p(s.p_net_zero_by_target))
    console().print(table)


def _wedge_table(result: Any) -> None:
    if not result.wedges:
        return
    table = Table(title=f"{result.id}: wedges and costs / 减排楔形与成本 ({result.wedge_method})")
    for column in ("measure / 措施", "cumulative tCO2e", "NPV cost, 万元", "CNY/tCO2e"):
        table.add_column(column, justify="left" if column.startswith("measure") else "right")
    for e in result.mac:
        cost = "—" if e.cost_per_tco2e is None else f"{e.cost_per_tco2e:,.0f}"
        table.add_row(f"{e.measure}\n{e.name_zh}", f"{e.cumulative_abatement_tco2e:,.0f}",
                      f"{e.npv_cost_cny / 1e4:,.0f}", cost)
    console().print(table)


@app.command("run")
def run(
    file: ScenarioFile,
    fmt: FormatOption = None,
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws; default the scenario file's.", min=0)] = None,
    seed: Annotated[int | None, typer.Option(help="Monte Carlo seed; default the scenario file's.")] = None,
    output: OutputOption = None,
) -> None:
    """Run one scenario: trajectories, peak and net-zero years, wedges, cost curve (运行情景)."""
    from countyzero.pathways.engine import run_scenario_file

    try:
        result = run_scenario_file(file, draws=draws, seed=seed)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if output is not None or chosen_format(fmt) is Format.json:
        _emit_json(result.model_dump(mode="json"), output)
        return
    _scenario_table([result], f"{result.name_zh} / {result.name_en} (tCO2e)")
    _wedge_table(result)


@app.command("optimise")
def optimise(
    file: ScenarioFile,
    fmt: FormatOption = None,
    discount_rate: Annotated[float | None, typer.Option(help="Discount rate (fraction); default roadmap.yaml.")] = None,
    output: OutputOption = None,
) -> None:
    """Least-cost adoption of a scenario's measures that meets the targets (HiGHS LP) (最低成本方案)."""
    from countyzero.pathways.optimise import optimise_file

    try:
        result = optimise_file(str(file), discount_rate=discount_rate)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if output is not None or chosen_format(fmt) is Format.json:
        _emit_json(result.model_dump(mode="json"), output)
        return
    table = Table(title=f"{result.scenario}: least-cost plan / 最低成本方案 "
                        f"({'feasible / 可行' if result.feasible else 'targets not met / 目标未达成'})")
    table.add_column("item / 项目")
    table.add_column("value", justify="right")
    for label, value in (
        ("peak year / 达峰年", _year(result.peak_year)), ("net-zero year / 净零年", _year(result.net_zero_year)),
        ("NPV cost, 万元 / 净现值成本", f"{result.npv_cost_cny / 1e4:,.0f}"),
        ("peak shortfall, tCO2e / 达峰缺口", f"{result.shortfall_peak_tco2e:,.0f}"),
        ("neutrality shortfall, tCO2e / 中和缺口", f"{result.shortfall_neutrality_tco2e:,.0f}"),
    ):
        table.add_row(label, value)
    for mid, path in result.adoption.items():
        i = result.years.index(result.targets["neutrality"])
        table.add_row(f"adoption {result.targets['neutrality']} · {mid}", f"{path[i]:.2f}")
    console().print(table)


@app.command("montecarlo")
def montecarlo(
    file: ScenarioFile,
    draws: Annotated[int, typer.Option(help="Latin-hypercube draws.", min=1)] = 10000,
    seed: Annotated[int, typer.Option(help="Seed (reproducible results).")] = 0,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Probability of peaking and of net zero by the target years, with fan-chart percentiles (蒙特卡洛)."""
    from countyzero.pathways.engine import run_scenario_file

    try:
        result = run_scenario_file(file, draws=draws, seed=seed)
    except CountyZeroError as exc:
        raise fail(exc) from None
    mc = result.montecarlo or {}
    data = {"scenario": result.id, "years": result.years, "peak_year": result.peak_year,
            "net_zero_year": result.net_zero_year, "p_peak_by_target": result.p_peak_by_target,
            "p_net_zero_by_target": result.p_net_zero_by_target, "targets": result.targets, "montecarlo": mc}
    if output is not None or chosen_format(fmt) is Format.json:
        _emit_json(data, output)
        return
    _scenario_table([result], f"{result.id}: Monte Carlo, {draws} draws, seed {seed}")


def roadmap(
    folder: Annotated[Path, typer.Argument(help="County folder with roadmap.yaml (e.g. examples/baoting).")],
    fmt: FormatOption = None,
    iamc: Annotated[Path | None, typer.Option("--iamc", help="Also write the IAMC-format CSV here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the bilingual HTML report here.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write the report as PDF here (WeasyPrint).")] = None,
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws per scenario; default each file's.",
                                              min=0)] = None,
    seed: Annotated[int | None, typer.Option(help="Monte Carlo seed; default each file's.")] = None,
) -> None:
    """Run every scenario of a county roadmap folder (县域碳中和路线图)."""
    from countyzero.core.io import write_files
    from countyzero.pathways.engine import run_roadmap
    from countyzero.pathways.iamc import to_iamc_csv

    try:
        result = run_roadmap(folder, draws=draws, seed=seed)
        files: dict[Path, str | bytes] = {}
        if iamc is not None:
            files[iamc] = to_iamc_csv(result)
        if report is not None or pdf is not None:
            from countyzero.pathways.report import render_roadmap_html

            html = render_roadmap_html(result)
            if report is not None:
                files[report] = html
                files[report.with_suffix(".json")] = json.dumps(result.model_dump(mode="json"), ensure_ascii=False,
                                                                indent=1)
            if pdf is not None:
                from countyzero.reports.figures import html_to_pdf

                files[pdf] = html_to_pdf(html)
        if files:
            write_files(files)
    except CountyZeroError as exc:
        raise fail(exc) from None
    for path in files:
        typer.echo(f"wrote {path}", err=True)
    if chosen_format(fmt) is Format.json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    _scenario_table(list(result.scenarios.values()), f"{result.county} roadmap / 路线图 (tCO2e)")
    for s in result.scenarios.values():
        _wedge_table(s)
