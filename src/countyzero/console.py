"""The command line's shared conventions, used by the main CLI and every engine's command group.

Results print as a table on a terminal and as JSON when piped (``--format`` chooses); errors print one line,
``error: …``, and exit with status 2 (no traceback); ``NO_COLOR`` turns colours off; ``--factors`` adds or
overrides factor rows for one run.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from countyzero.factors.library import FactorLibrary


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatT = TypeVar("FormatT", bound=StrEnum)

FormatOption = Annotated[OutputFormat | None, typer.Option(
    "--format", help="json for scripts, table for people (default: table on a terminal, json when piped).")]
FactorFiles = Annotated[list[Path] | None, typer.Option(
    "--factors", help="Extra factor file(s) (CSV, factor schema) that add or override rows.")]


def chosen_format(chosen: FormatT | None, kind: type[FormatT] = OutputFormat) -> FormatT:  # type: ignore[assignment]
    """The format asked for, else ``table`` on a terminal and ``json`` when piped."""
    if chosen is not None:
        return chosen
    return kind("table") if sys.stdout.isatty() else kind("json")


def console(width: int | None = None) -> Console:
    """A rich console that honours ``NO_COLOR``."""
    return Console(no_color=bool(os.environ.get("NO_COLOR")), highlight=False, width=width)


def fail(exc: Exception) -> typer.Exit:
    """Print ``error: …`` on standard error and return the exit (status 2) to raise."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def load_library(extra: list[Path] | None) -> FactorLibrary:
    """The shipped factor set plus the user's files (in order)."""
    return FactorLibrary.load(extra or [])
