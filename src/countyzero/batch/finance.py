"""Taxonomy screening of a loan book (Parquet or CSV) in row partitions.

Input: the table of :mod:`countyzero.finance.portfolio` (``id``, ``amount``, ``activity_eu`` / ``activity_cgt``,
metric, ``dnsh.*``, ``minimum_safeguards`` and ``quality.*`` columns). Each partition is screened by
:func:`countyzero.finance.portfolio.screen_table` — the same code as a single run; a row's status depends on
that row only, so partitions change nothing.

Output, one row per loan: ``id`` (as text), ``amount``, and ``status_<framework>`` (aligned,
eligible_not_aligned, incomplete, not_eligible). Totals: loans, amount, and per framework and status the count
and the amount.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from countyzero.batch.runner import (
    MAX_ROW_ERRORS,
    Job,
    Partition,
    PartitionResult,
    file_sha256,
    input_error_result,
    job_key,
    row_error,
)
from countyzero.batch.tables import columns_of, even_ranges, float_column, num_rows, read_rows, staged_parquet
from countyzero.core.columns import csv_header
from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of
from countyzero.finance.criteria import STATUSES
from countyzero.finance.portfolio import screen_table, text_columns
from countyzero.finance.rulebook import Framework, Rulebook, default_rulebooks

REQUIRED = ("id", "amount")
FRAMEWORKS: tuple[Framework, ...] = ("eu", "cgt")
PARTITION_ROWS = 100_000


@functools.cache
def _rulebooks() -> dict[Framework, Rulebook]:
    return dict(default_rulebooks())


def _total_names(frameworks: tuple[str, ...]) -> tuple[str, ...]:
    names = ["loans", "amount"]
    for fw in frameworks:
        for status in STATUSES:
            names += [f"{fw}.{status}.count", f"{fw}.{status}.amount"]
    return tuple(names)


def screen_partition(partition: Partition) -> PartitionResult:
    """Statuses of one partition's loans, or its bad rows."""
    spec = partition.spec
    start, stop, file = spec["start"], spec["stop"], spec["file"]
    table = read_rows(spec["path"], start, stop, spec["columns"])
    try:
        amount = float_column(table, "amount", file, start + 2)
        bad_amount = ~(amount >= 0) | ~np.isfinite(amount)
        bad_id = table["id"].is_null().to_numpy(zero_copy_only=False)
        if bad_amount.any() or bad_id.any():
            listed = [row_error(int(r) + start + 2, "id", "required value is missing")
                      for r in np.flatnonzero(bad_id)[:MAX_ROW_ERRORS]]
            listed += [row_error(int(r) + start + 2, "amount", "amount must be a finite number ≥ 0")
                       for r in np.flatnonzero(bad_amount)[:MAX_ROW_ERRORS]]
            listed.sort(key=lambda e: e["row"])
            return PartitionResult(partition.index, partition.rows_in, errors=listed[:MAX_ROW_ERRORS],
                                   bad_rows=int((bad_amount | bad_id).sum()))
        frameworks: tuple[Framework, ...] = tuple(spec["frameworks"])
        statuses = screen_table(table, date.fromisoformat(spec["date"]), frameworks, _rulebooks(), file=file,
                                first_row=start + 2)
    except InputError as exc:
        return input_error_result(partition, exc.located(file=file))
    columns: dict[str, pa.Array] = {"id": pc.cast(table["id"], pa.string()), "amount": pa.array(amount)}
    totals = {"loans": float(table.num_rows), "amount": float(amount.sum())}
    labels = np.array(STATUSES)
    for fw, codes in statuses.items():
        columns[f"status_{fw}"] = pa.array(labels[codes])
        counts = np.bincount(codes, minlength=len(STATUSES))
        sums = np.bincount(codes, weights=amount, minlength=len(STATUSES))
        for i, status in enumerate(STATUSES):
            totals[f"{fw}.{status}.count"] = float(counts[i])
            totals[f"{fw}.{status}.amount"] = float(sums[i])
    return PartitionResult(partition.index, partition.rows_in, table=pa.table(columns), totals=totals)


def finance_job(path: str | Path, output: str | Path, *, on: date, frameworks: tuple[Framework, ...] = FRAMEWORKS,
                partition_rows: int = PARTITION_ROWS) -> Job:
    """Plan a loan-book screening on date ``on``.

    Raises
    ------
    InputError
        Unreadable file, missing ``id``/``amount`` column (row 1), unknown framework.
    """
    path = Path(path).resolve()
    file = str(path)
    if not path.is_file():
        raise InputError("file not found", file=file)
    for fw in frameworks:
        if fw not in _rulebooks():
            raise InputError(f"unknown framework {fw!r}", field="frameworks")
    digest = file_sha256(path)
    text = text_columns(csv_header(path)) if path.suffix.lower() == ".csv" else ()
    source = staged_parquet(path, Path(output), digest, text)
    columns = columns_of(source, file, REQUIRED)
    total = num_rows(source)
    if total == 0:
        raise InputError("the table has no rows", file=file)
    books = _rulebooks()
    rulebooks = {fw: {"id": books[fw].id, "version": books[fw].version, "sha256": books[fw].sha256}
                 for fw in frameworks}
    factor_set = {"rulebooks": sha256_of(rulebooks)}
    parameters = {"date": on.isoformat(), "frameworks": list(frameworks), "partition_rows": partition_rows,
                  "rulebooks": rulebooks}
    ranges = even_ranges(total, partition_rows)
    key = job_key("finance", {"loans": digest}, parameters, factor_set, [{"start": a, "stop": b} for a, b in ranges])
    partitions = [Partition(i, f"rows {a + 2}-{b + 1}", b - a,
                            {"path": str(source), "file": file, "start": a, "stop": b, "columns": columns,
                             "date": on.isoformat(), "frameworks": list(frameworks)})
                  for i, (a, b) in enumerate(ranges)]
    return Job("finance", key, partitions, screen_partition, parameters, {"loans": digest}, factor_set,
               _total_names(frameworks))
