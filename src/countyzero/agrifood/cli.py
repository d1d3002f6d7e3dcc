"""Command line of the farm engine, mounted as ``countyzero farm``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from countyzero.agrifood.model import FarmInput
from countyzero.agrifood.reader import assess_farm_file
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

app = typer.Typer(help="Low-carbon farming: IPCC Tier 1 farm emissions and measures (低碳农业).",
                  no_args_is_help=True, add_completion=False)


@app.command("assess")
def farm_assess(
    file: Annotated[Path, typer.Argument(help="Farm file (YAML/JSON; CSV/XLSX with one field per row).")],
    fmt: FormatOption = None,
    factors: FactorFiles = None,
) -> None:
    """Farm emissions by source and gas, the effect of measures, per-kg product footprints."""
    try:
        result = assess_farm_file(file, library=load_library(factors))
    except CountyZeroError as exc:
        raise fail(exc) from None
    if chosen_format(fmt) is OutputFormat.json:
        print_json(result.model_dump())
        return
    out = console()
    table = Table(title=f"{result.farm} — {result.year} ({result.ipcc_defaults}, {result.gwp})")
    table.add_column("source / 排放源")
    table.add_column("tCO2e", justify="right")
    for source, value in result.by_source.items():
        table.add_row(source, f"{value:,.2f}")
    table.add_row("total / 合计", f"{result.total_tco2e:,.2f}")
    out.print(table)
    for m in result.measures:
        out.print(f"measure {m.type}: −{m.tco2e_saved:,.2f} tCO2e ({m.percent_of_farm:.1f} %) on {', '.join(m.fields)}")
    for p in result.products:
        with_m = f" → {p.kgco2e_per_kg_with_measures:.2f} with measures" if p.kgco2e_per_kg_with_measures else ""
        out.print(f"product {p.name}: {p.kgco2e_per_kg:.2f} kgCO2e/kg (farm gate){with_m}")


@app.command("schema")
def farm_schema() -> None:
    """JSON Schema of the farm file."""
    print_json(FarmInput.model_json_schema())
