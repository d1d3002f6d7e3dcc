"""``countyzero batch``: run an engine over a portfolio or an ensemble on Dask (mounted by the main CLI).

Every command prints a JSON summary on stdout (rows in, rows out, failed partitions with row numbers and
reasons, totals) and shows a progress bar on stderr when stderr is a terminal. Exit status: 0 when every
partition is done, 1 when any partition failed (the good ones are kept and skipped on a re-run), 2 when the
input cannot be planned at all (one line naming file, row and field).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from countyzero.batch.runner import Job, open_scheduler, run_job
from countyzero.console import fail
from countyzero.core.errors import CountyZeroError

app = typer.Typer(help="Scale-out runs on Dask (inprocess, a local cluster, or tcp://HOST:PORT); "
                       "the same numbers on any scheduler.", no_args_is_help=True, add_completion=False)

Scheduler = Annotated[str, typer.Option(
    "--scheduler", help="inprocess (default), local (a LocalCluster of processes) or tcp://HOST:PORT "
                        "(an existing dask-scheduler).")]
Output = Annotated[Path, typer.Option("--output", "-o", help="Folder for the Parquet results (one file per "
                                                            "partition) and manifest.json.")]
Workers = Annotated[int | None, typer.Option("--workers", min=1,
                                             help="Worker processes of --scheduler local (default: CPUs).")]
Retries = Annotated[int, typer.Option("--retries", min=0, help="Extra attempts for a partition that crashed.")]


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int, str], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("partitions", total=total)

        def advance(index: int, status: str) -> None:
            progress.advance(task)

        yield advance


def _run(plan: Callable[[], Job], output: Path, scheduler: str, workers: int | None, retries: int) -> None:
    try:
        job = plan()
        with open_scheduler(scheduler, workers=workers) as client, _progress(len(job.partitions)) as advance:
            summary: dict[str, Any] = run_job(job, output, client=client, retries=retries, on_partition=advance)
    except CountyZeroError as exc:
        raise fail(exc) from None
    summary["scheduler"] = scheduler
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    if not summary["complete"]:
        raise typer.Exit(code=1)


@app.command("buildings")
def buildings(portfolio: Annotated[Path, typer.Argument(help="Portfolio table (.parquet or .csv), one BOQ line "
                                                             "per row, rows of a building together.")],
              output: Output, scheduler: Scheduler = "inprocess", workers: Workers = None, retries: Retries = 2,
              partition_rows: Annotated[int, typer.Option(min=1, help="BOQ lines per partition (whole buildings)."
                                                          )] = 250_000) -> None:
    """Embodied carbon (A1-A3, A4, B4, total, per m²) of every building of a portfolio."""
    from countyzero.batch.buildings import buildings_job

    _run(lambda: buildings_job(portfolio, output, partition_rows=partition_rows), output, scheduler, workers,
         retries)


@app.command("finance")
def finance(loans: Annotated[Path, typer.Argument(help="Loan/project table (.parquet or .csv), "
                                                      "see docs/finance.md.")],
            output: Output, scheduler: Scheduler = "inprocess", workers: Workers = None, retries: Retries = 2,
            on: Annotated[str | None, typer.Option("--date", help="Screening date YYYY-MM-DD (default today).")] = None,
            framework: Annotated[list[str] | None, typer.Option("--framework", help="eu, cgt, cn2021, cn2025 "
                                                                "(repeat; default eu and cgt).")] = None,
            partition_rows: Annotated[int, typer.Option(min=1, help="Loans per partition.")] = 100_000) -> None:
    """Taxonomy status (EU, CGT …) of every loan, with counts and amounts by status."""
    from countyzero.batch.finance import FRAMEWORKS, finance_job

    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        typer.echo(f"error: field 'date': not a date (YYYY-MM-DD): {on!r}", err=True)
        raise typer.Exit(code=2) from None
    frameworks = tuple(framework) if framework else FRAMEWORKS
    _run(lambda: finance_job(loans, output, on=day, frameworks=frameworks,  # type: ignore[arg-type]
                             partition_rows=partition_rows), output, scheduler, workers, retries)


@app.command("roadmap")
def roadmap(counties_dir: Annotated[Path, typer.Argument(help="Folder of county folders, each with roadmap.yaml.")],
            output: Output,
            draws: Annotated[int, typer.Option("--draws", min=1, help="Monte Carlo draws per scenario.")],
            scheduler: Scheduler = "inprocess", workers: Workers = None, retries: Retries = 2,
            seed: Annotated[int | None, typer.Option("--seed", help="Base seed (default: each scenario file's).")
                            ] = None) -> None:
    """Monte Carlo ensembles of every scenario of every county: draws peaked / net zero by the targets."""
    from countyzero.batch.roadmap import roadmap_job

    _run(lambda: roadmap_job(counties_dir, draws=draws, seed=seed), output, scheduler, workers, retries)


@app.command("credits")
def credits(projects: Annotated[Path, typer.Argument(help="Project table (.parquet or .csv), "
                                                          "see docs/scaling.md.")],
            output: Output, scheduler: Scheduler = "inprocess", workers: Workers = None, retries: Retries = 2,
            partition_rows: Annotated[int, typer.Option(min=1, help="Projects per partition.")] = 50_000) -> None:
    """Ex-ante credit totals (gross, deductions, issuable) of every project."""
    from countyzero.batch.credits import credits_job

    _run(lambda: credits_job(projects, output, partition_rows=partition_rows), output, scheduler, workers, retries)
