"""Command line of the community engine, mounted as ``countyzero community``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from countyzero.community.engine import action_catalogue
from countyzero.community.model import CommunityInput
from countyzero.community.reader import summary_file
from countyzero.console import (
    FactorFiles,
    FormatOption,
    OutputFormat,
    chosen_format,
    console,
    fail,
    load_library,
    print_json,
)
from countyzero.core.errors import CountyZeroError

app = typer.Typer(help="The 1.5 °C future community: aggregates, trajectory, actions (1.5°C未来社区).",
                  no_args_is_help=True, add_completion=False)


@app.command("summary")
def community_summary(
    file: Annotated[Path, typer.Argument(help="Community file (YAML/JSON; CSV/XLSX with one household per row).")],
    fmt: FormatOption = None,
    factors: FactorFiles = None,
) -> None:
    """Community totals and per-capita footprint against the 1.5 °C trajectory (aggregates of ≥ 5 households)."""
    try:
        result = summary_file(file, library=load_library(factors))
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(result.model_dump())
        return
    table = Table(title=f"{result.community} — {result.year}: {result.households} households, "
                        f"{result.persons:g} persons")
    table.add_column("part / 部分")
    table.add_column("tCO2e", justify="right")
    for domain, value in result.by_domain_tco2e.items():
        table.add_row(f"households: {domain}", f"{value:,.2f}")
    for category, value in result.shared_by_category_tco2e.items():
        table.add_row(f"shared: {category}", f"{value:,.2f}")
    table.add_row("total / 合计", f"{result.total_tco2e:,.2f}")
    out = console()
    out.print(table)
    out.print(f"per capita {result.per_capita_tco2e:.2f} t · 1.5 °C target {result.target_tco2e_per_capita:.2f} t "
              f"({result.trajectory}) · PV avoided (memo) {result.pv_avoided_tco2e_memo:.2f} t")


@app.command("actions")
def community_actions(fmt: FormatOption = None) -> None:
    """The action catalogue with sourced savings estimates."""
    try:
        rows = action_catalogue()
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(rows)
        return
    table = Table(title="community action catalogue / 社区行动目录")
    for column in ("action", "domain", "saving", "unit", "confidence", "source"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["action"]), str(r["domain"]), f"{r['saving']:g}", str(r["unit"]), str(r["confidence"]),
                      str(r["source"]))
    console().print(table)


@app.command("schema")
def community_schema() -> None:
    """JSON Schema of the community file."""
    print_json(CommunityInput.model_json_schema())
