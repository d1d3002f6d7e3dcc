"""``countyzero buildings``: whole-life carbon of a building (BOQ or IFC) and of a portfolio.

Mounted by the package CLI as ``countyzero buildings``. Errors print one line naming the file, row (or item /
element GUID) and field, and exit with status 2; nothing is written then.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from countyzero.buildings.model import MODULES, BuildingResult
from countyzero.console import OutputFormat as Format
from countyzero.console import chosen_format, console, fail
from countyzero.core.errors import CountyZeroError
from countyzero.core.io import write_files
from countyzero.factors.library import FactorLibrary

app = typer.Typer(help="Building whole-life carbon, EN 15978 / GB/T 51366 (建筑全生命周期碳排放).",
                  no_args_is_help=True, add_completion=False)
epd_app = typer.Typer(help="Product EPDs (ILCD+EPD, LCAx) as factor rows (产品环境声明).", no_args_is_help=True,
                      add_completion=False)
app.add_typer(epd_app, name="epd")


class MethodChoice(StrEnum):
    en15978 = "en15978"
    gbt51366 = "gbt51366"


def _console() -> Console:
    return console(width=120)


def _table(result: BuildingResult) -> None:
    console = _console()
    table = Table(title=f"{result.building} — {result.method}, {result.reference_study_period_years} a, "
                        f"{result.gross_floor_area_m2:g} m² {result.area_definition}")
    table.add_column("module 模块")
    table.add_column("kgCO2e", justify="right")
    table.add_column("kgCO2e/m²", justify="right")
    for module in MODULES:
        value = result.modules[module]
        if module in result.modules_in_scope:
            table.add_row(module, f"{value:,.0f}", f"{value / result.gross_floor_area_m2:,.1f}")
    table.add_row("total A–C 合计 (excl. D)", f"{result.total_kgco2e:,.0f}", f"{result.per_m2_kgco2e:,.1f}")
    console.print(table)
    for bench in result.benchmarks:
        console.print(f"{'✓' if bench.meets else '✗'} {bench.name_en}: {bench.value:,.1f} vs {bench.limit:g} "
                      f"{bench.unit} [{bench.confidence}]")
    for note in result.assumptions:
        console.print(f"• {note}")


@app.command("assess")
def assess(
    file: Annotated[Path, typer.Argument(help="BOQ (YAML, JSON, CSV, XLSX) or IFC model (.ifc, needs --mapping).")],
    method: Annotated[MethodChoice | None, typer.Option("--method", help="en15978 or gbt51366; overrides the file.")]
    = None,
    fmt: Annotated[Format | None, typer.Option("--format", help="json or table (terminal default).")] = None,
    lcax_out: Annotated[Path | None, typer.Option("--lcax", help="Also write the result as LCAx JSON here.")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="IFC material mapping (YAML/JSON/CSV).")] = None,
    monte_carlo: Annotated[int, typer.Option("--monte-carlo", min=0, help="Draws of A1–A3 uncertainty.")] = 0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON result to this file.")] = None,
    factors: Annotated[list[Path] | None, typer.Option("--factors", help="Extra factor CSV file(s).")] = None,
) -> None:
    """Assess one building: modules A1-A3 … C4 and D, per m², hotspots, benchmarks."""
    try:
        library = FactorLibrary.load(factors or [])
        overrides: dict[str, Any] = {"method": method.value if method else None}
        if file.suffix.lower() == ".ifc":
            from countyzero.buildings.ifc import assess_ifc

            if mapping is None:
                raise CountyZeroError("an IFC model needs --mapping (IFC material name → factor id)")
            result = assess_ifc(file, mapping, overrides=overrides, library=library, monte_carlo=monte_carlo)
        else:
            from countyzero.buildings.reader import assess_file

            result = assess_file(file, overrides=overrides, library=library, monte_carlo=monte_carlo)
        data = result.to_json_dict()
        files: dict[Path, str] = {}
        if lcax_out is not None:
            from countyzero.buildings.lcax_export import to_lcax_json

            files[lcax_out] = to_lcax_json(result)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if output is not None:
            files[output] = text
        if files:
            write_files(files)
    except (CountyZeroError, ValueError, OSError) as exc:
        raise fail(exc) from None
    if output is None:
        if chosen_format(fmt) is Format.json:
            typer.echo(text)
        else:
            _table(result)
    for path in files:
        typer.echo(f"wrote {path}", err=True)


@app.command("portfolio")
def portfolio(
    file: Annotated[Path, typer.Argument(help="Portfolio table (Parquet or CSV), one BOQ line per row.")],
    method: Annotated[MethodChoice, typer.Option("--method", help="en15978 or gbt51366.")] = MethodChoice.en15978,
    study_period: Annotated[int | None, typer.Option("--study-period", help="Years (default by method).")] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help="json or table (terminal default).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write per-building results (CSV).")] = None,
    factors: Annotated[list[Path] | None, typer.Option("--factors", help="Extra factor CSV file(s).")] = None,
) -> None:
    """Assess many buildings at once (vectorised): totals by module, per building and per m²."""
    from countyzero.buildings.portfolio import assess_portfolio_file

    try:
        library = FactorLibrary.load(factors or [])
        result = assess_portfolio_file(file, method=method.value, study_period=study_period, library=library)
        if output is not None:
            write_files({output: result.to_csv()})
    except (CountyZeroError, ValueError, OSError) as exc:
        raise fail(exc) from None
    summary = result.summary()
    if chosen_format(fmt) is Format.json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        console = _console()
        table = Table(title=f"portfolio: {summary['buildings']} buildings, {summary['lines']} lines ({method.value})")
        table.add_column("module 模块")
        table.add_column("tCO2e", justify="right")
        for module, value in summary["modules"].items():
            table.add_row(module, f"{value / 1000:,.1f}")
        table.add_row("total A–C (excl. D)", f"{summary['total_kgco2e'] / 1000:,.1f}")
        console.print(table)
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


@epd_app.command("import")
def epd_import(
    files: Annotated[list[Path], typer.Argument(help="EPD files: ILCD+EPD JSON or LCAx EPD JSON.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the factor rows (CSV) here.")] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help="json or table (terminal default).")] = None,
    on: Annotated[str | None, typer.Option("--on", help="Check validity on this date (YYYY-MM-DD; default today).")]
    = None,
) -> None:
    """Turn EPDs into factor rows (GWP per declared unit, module by module) for `--factors`."""
    from countyzero.buildings.epd import factor_csv, import_epds

    try:
        try:
            day = date.fromisoformat(on) if on is not None else None
        except ValueError:
            raise CountyZeroError(f"--on {on!r} is not a date (YYYY-MM-DD)") from None
        imports = import_epds(files, on=day)
        rows = [row for result in imports for row in result.rows]
        if out is not None:
            write_files({out: factor_csv(rows, origin=str(out))})
    except (CountyZeroError, ValueError, OSError) as exc:
        raise fail(exc) from None
    for result in imports:
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if chosen_format(fmt) is Format.json:
        typer.echo(json.dumps({"files": [r.to_dict() for r in imports], "out": str(out) if out else None},
                              ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"{len(rows)} factor rows from {len(imports)} EPD(s)")
        for column in ("id", "value", "unit", "region", "year", "confidence"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(row.id, f"{row.value:g}", row.unit, row.region, str(row.year or ""), row.confidence)
        _console().print(table)
    if out is not None:
        typer.echo(f"wrote {out}", err=True)
