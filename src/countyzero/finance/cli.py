"""``countyzero finance``: screen, portfolio, appraise (mounted by the integrator on the main CLI)."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from countyzero.console import OutputFormat as Format
from countyzero.console import chosen_format, console, fail
from countyzero.core.errors import CountyZeroError, InputError
from countyzero.core.io import read_document
from countyzero.finance.appraisal import appraise_project
from countyzero.finance.portfolio import loan_book, read_table, screen_table, status_counts
from countyzero.finance.reader import read_project
from countyzero.finance.rulebook import Framework, load_rulebooks
from countyzero.finance.screening import screen_project

app = typer.Typer(help="Sustainable finance (可持续金融): taxonomy screening, portfolio ratios, appraisal.",
                  no_args_is_help=True, add_completion=False)


class FrameworkChoice(StrEnum):
    eu = "eu"
    cgt = "cgt"
    cn2021 = "cn2021"
    cn2025 = "cn2025"
    all = "all"


FormatOption = Annotated[Format | None, typer.Option("--format", help="json (default when piped) or table.")]
RulebookOption = Annotated[Path | None, typer.Option("--rulebooks", help="Directory of alternative rulebook files.")]


def _console() -> Console:
    return console(width=160)


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {text!r}", field="--date") from None


def _screen_file(path: Path, framework: FrameworkChoice, on: date | None, rulebooks: Path | None) -> dict[str, Any]:
    project, document = read_project(path)
    books = load_rulebooks(str(rulebooks)) if rulebooks else None
    frameworks: list[Framework] | None = None if framework is FrameworkChoice.all else [framework.value]  # type: ignore[list-item]
    try:
        return screen_project(project, on=on, frameworks=frameworks, rulebooks=books, base_dir=path.parent,
                              input_sha256=document.sha256)
    except InputError as exc:
        raise exc.located(file=str(path)) from None


def _print_screening(result: dict[str, Any]) -> None:
    console = _console()
    console.print(f"{result['project']['name']} — {result['date']}")
    for fw, res in result["frameworks"].items():
        table = Table(title=f"{fw}: {res['status']} (activity {res['activity']}; {res['matched_by']})")
        for column in ("criterion", "kind", "verdict", "value", "threshold", "unit", "reference"):
            table.add_column(column, overflow="fold")
        for c in res["criteria"]:
            flag = " (unevidenced)" if c["unevidenced"] else ""
            table.add_row(c["id"], c["kind"], c["verdict"] + flag, str(c["value"]), str(c["threshold"]),
                          str(c["unit"] or ""), c["reference"])
        console.print(table)
    console.print(f"frameworks agree: {result['comparison']['agree']} — {result['comparison']['statuses']}")


@app.command()
def screen(
    project_file: Annotated[Path, typer.Argument(help="Project file (YAML or JSON).")],
    framework: Annotated[FrameworkChoice, typer.Option(help="Framework to screen against.")] = FrameworkChoice.all,
    on: Annotated[str | None, typer.Option("--date", help="Assessment date YYYY-MM-DD (default: project's).")] = None,
    fmt: FormatOption = None,
    rulebooks: RulebookOption = None,
) -> None:
    """Screen a project criterion by criterion against EU, CGT and China rules."""
    try:
        result = _screen_file(project_file, framework, _parse_date(on), rulebooks)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is Format.json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        _print_screening(result)


@app.command()
def appraise(
    project_file: Annotated[Path, typer.Argument(help="Project file with a finance section.")],
    on: Annotated[str | None, typer.Option("--date", help="Assessment date YYYY-MM-DD.")] = None,
    fmt: FormatOption = None,
    rulebooks: RulebookOption = None,
) -> None:
    """Appraise financing: NPV, IRR, DSCR, LCOE, non-financial results, instruments and incentives."""
    try:
        screening = _screen_file(project_file, FrameworkChoice.all, _parse_date(on), rulebooks)
        project, _ = read_project(project_file)
        result = appraise_project(project, screening)
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is Format.json:
        typer.echo(json.dumps({"project": screening["project"], "appraisal": result,
                               "provenance": screening["provenance"]}, ensure_ascii=False, indent=2, default=str))
        return
    console = _console()
    console.print(f"NPV {result['npv']:,.0f} CNY at {result['discount_rate']:.2%}; IRR "
                  f"{'n/a' if result['irr'] is None else format(result['irr'], '.2%')}")
    if "lcoe_cny_per_kwh" in result:
        console.print(f"LCOE {result['lcoe_cny_per_kwh']:.4f} CNY/kWh")
    if "debt" in result:
        console.print(f"DSCR min {result['debt']['dscr_min']:.2f}, average {result['debt']['dscr_average']:.2f}")
    table = Table(title="instruments / incentives")
    for column in ("id", "verdict", "why"):
        table.add_column(column, overflow="fold")
    for item in result["instruments"] + result["incentives"]:
        table.add_row(item["id"], item["verdict"], item["why"])
    console.print(table)


@app.command()
def portfolio(
    file: Annotated[Path, typer.Argument(help="Portfolio: YAML/JSON list of loans with project files, or a "
                                              "Parquet/CSV table of projects.")],
    on: Annotated[str | None, typer.Option("--date", help="Assessment date YYYY-MM-DD (default: today).")] = None,
    baseline: Annotated[Path | None, typer.Option(help="A previous JSON output: report what changed and why.")] = None,
    fmt: FormatOption = None,
    rulebooks: RulebookOption = None,
) -> None:
    """Screen a portfolio and compute GAR-style ratios by framework and sector."""
    try:
        when = _parse_date(on) or date.today()
        output: dict[str, Any]
        if file.suffix.lower() in (".parquet", ".csv"):
            table = read_table(file)
            books = load_rulebooks(str(rulebooks)) if rulebooks else None
            codes = screen_table(table, when, rulebooks=books, file=str(file))
            amounts = table.column("amount").to_numpy() if "amount" in table.column_names else None
            output = {"date": when.isoformat(), "rows": table.num_rows,
                      "by_status": status_counts(codes, None if amounts is None else amounts.astype(float))}
        else:
            document = read_document(file, "loans")
            old = None
            if baseline is not None:
                try:
                    old = json.loads(baseline.read_text("utf-8")).get("screenings", {})
                except (OSError, json.JSONDecodeError, AttributeError) as exc:
                    raise InputError(f"cannot read baseline: {exc}", file=str(baseline)) from None
            try:
                book = loan_book(document.data.get("loans"),
                                 lambda project, row: _screen_file(file.parent / str(project), FrameworkChoice.all,
                                                                   when, rulebooks),
                                 document.row_label, baseline=old)
            except InputError as exc:
                raise exc.located(file=str(file)) from None
            output = {"date": when.isoformat(), **book}
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is Format.json:
        typer.echo(json.dumps(output, ensure_ascii=False, indent=2, default=str))
    else:
        console = _console()
        summary = {k: v for k, v in output.items() if k != "screenings"}
        console.print_json(json.dumps(summary, ensure_ascii=False, default=str))


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the project file format (also docs/finance.project.schema.json)."""
    from countyzero.finance.model import ProjectFile

    typer.echo(json.dumps(ProjectFile.model_json_schema(), ensure_ascii=False, indent=2))
