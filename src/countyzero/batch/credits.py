"""Ex-ante credit schedules of many forestry projects (Parquet or CSV) in row partitions.

Input, one row per project:

=================================  ==============================================================================
``project_id``                     text
``standard``                       ``ccer``, ``verra`` or ``gold-standard``
``area_ha``                        > 0
``rate_young_tco2e_per_ha_yr``     removal rate up to the young-stand age limit (≥ 0)
``rate_old_tco2e_per_ha_yr``       removal rate after it (≥ 0)
``start_date``, ``end_date``       crediting period (end exclusive), dates
``stand_age_at_start``             optional [yr]
``cap_tco2e_per_ha``               optional cumulative cap
``baseline_tco2e_per_ha_yr``       optional (empty = the standard's baseline fraction)
``leakage_fraction``               optional (empty = the standard's row)
``relative_uncertainty``           optional, half-width of the 90 % CI as a share
``risk_score``                     optional, Verra NPRT points
=================================  ==============================================================================

Each partition is computed by :func:`countyzero.credits.engine.ex_ante_batch` per standard, on one calendar window
for the whole file (from the earliest start year to the latest end year, fixed when the job is planned), so
a project's numbers do not depend on which partition it falls in.

Output, one row per project: ``project_id, standard`` and the totals over the crediting period
``gross_tco2e, baseline_tco2e, leakage_tco2e, uncertainty_tco2e, buffer_tco2e, issuable_tco2e``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
from countyzero.core.columns import cast as cast_column
from countyzero.core.errors import InputError
from countyzero.credits.engine import ex_ante_batch
from countyzero.credits.standards import StandardProfile, load_profile
from countyzero.factors.library import FactorLibrary, default_library

REQUIRED = ("project_id", "standard", "area_ha", "rate_young_tco2e_per_ha_yr", "rate_old_tco2e_per_ha_yr",
            "start_date", "end_date")
OPTIONAL = ("stand_age_at_start", "cap_tco2e_per_ha", "baseline_tco2e_per_ha_yr", "leakage_fraction",
            "relative_uncertainty", "risk_score")
STANDARDS = ("ccer", "verra", "gold-standard")
AMOUNTS = ("gross", "baseline", "leakage", "uncertainty", "buffer", "issuable")
TOTALS = ("projects", *(f"{a}_tco2e" for a in AMOUNTS))
PARTITION_ROWS = 50_000


@functools.cache
def _library() -> FactorLibrary:
    return default_library()


@functools.cache
def _profile(key: str) -> StandardProfile:
    return load_profile(key, _library())


def _dates(table: pa.Table, name: str, file: str, first_row: int = 2) -> np.ndarray:
    column = cast_column(table[name], pa.date32(), "not a date (YYYY-MM-DD)", name, file, first_row)
    days = pc.fill_null(pc.cast(column, pa.int32()), np.iinfo(np.int32).min).to_numpy(zero_copy_only=False)
    return np.asarray(days).astype("datetime64[D]")


def schedule_partition(partition: Partition) -> PartitionResult:
    """Per-project credit totals of one partition, or its bad rows."""
    spec = partition.spec
    start, stop, file = spec["start"], spec["stop"], spec["file"]
    table = read_rows(spec["path"], start, stop, spec["columns"])
    try:
        return _schedule(partition, table, start + 2, file, spec["first_year"], spec["n_years"])
    except InputError as exc:
        return input_error_result(partition, exc.located(file=file))


def _schedule(partition: Partition, table: pa.Table, first_row: int, file: str, first_year: int,
              n_years: int) -> PartitionResult:
    n = table.num_rows
    values = {name: float_column(table, name, file, first_row) for name in (*REQUIRED[2:5], *OPTIONAL)}
    begin, end = _dates(table, "start_date", file, first_row), _dates(table, "end_date", file, first_row)
    standard = pc.cast(table["standard"], pa.string()).to_numpy(zero_copy_only=False)
    problems: list[tuple[np.ndarray, str, str]] = [
        (table["project_id"].is_null().to_numpy(zero_copy_only=False), "project_id", "required value is missing"),
        (~np.isin(standard, STANDARDS), "standard", f"standard must be one of {', '.join(STANDARDS)}"),
        (~(values["area_ha"] > 0), "area_ha", "area must be > 0"),
        (~(values["rate_young_tco2e_per_ha_yr"] >= 0), "rate_young_tco2e_per_ha_yr", "rate must be ≥ 0"),
        (~(values["rate_old_tco2e_per_ha_yr"] >= 0), "rate_old_tco2e_per_ha_yr", "rate must be ≥ 0"),
        (np.isnat(begin), "start_date", "required date is missing"),
        (np.isnat(end) | (end <= begin), "end_date", "end date must be after the start date"),
    ]
    bad = np.zeros(n, dtype=bool)
    listed = []
    for mask, field_name, message in problems:
        bad |= mask
        listed += [row_error(int(r) + first_row, field_name, message) for r in np.flatnonzero(mask)[:MAX_ROW_ERRORS]]
    if bad.any():
        listed.sort(key=lambda e: e["row"])
        return PartitionResult(partition.index, partition.rows_in, errors=listed[:MAX_ROW_ERRORS],
                               bad_rows=int(bad.sum()))
    young_limit = _library().get("credits.ipcc.young_stand_age_limit").value
    sums = {a: np.zeros(n) for a in AMOUNTS}
    for key in STANDARDS:
        rows = np.flatnonzero(standard == key)
        if rows.size == 0:
            continue

        def pick(name: str, rows: np.ndarray = rows) -> np.ndarray:
            return values[name][rows]

        cap = pick("cap_tco2e_per_ha")
        result = ex_ante_batch(
            _profile(key), area_ha=pick("area_ha"), rate_young=pick("rate_young_tco2e_per_ha_yr"),
            rate_old=pick("rate_old_tco2e_per_ha_yr"), young_age_limit=young_limit, start=begin[rows],
            end=end[rows], first_year=first_year, n_years=n_years,
            stand_age_at_start=np.nan_to_num(pick("stand_age_at_start"), nan=0.0),
            cap_tco2e_per_ha=np.where(np.isnan(cap), np.inf, cap),
            baseline_tco2e_per_ha_yr=pick("baseline_tco2e_per_ha_yr"), leakage_fraction=pick("leakage_fraction"),
            relative_uncertainty=pick("relative_uncertainty"), risk_score=pick("risk_score"))
        for amount in AMOUNTS:
            sums[amount][rows] = getattr(result, amount).sum(axis=1)
    out = pa.table({"project_id": pc.cast(table["project_id"], pa.string()), "standard": pa.array(standard),
                    **{f"{a}_tco2e": pa.array(sums[a]) for a in AMOUNTS}})
    totals = {"projects": float(n), **{f"{a}_tco2e": float(sums[a].sum()) for a in AMOUNTS}}
    return PartitionResult(partition.index, partition.rows_in, table=out, totals=totals)


def _window(source: Path, file: str) -> tuple[int, int]:
    low, high = None, None
    first_row = 2
    for batch in pq.ParquetFile(source).iter_batches(batch_size=1 << 20, columns=["start_date", "end_date"]):
        table = pa.Table.from_batches([batch])
        begin, end = _dates(table, "start_date", file, first_row), _dates(table, "end_date", file, first_row)
        first_row += batch.num_rows
        begin, end = begin[~np.isnat(begin)], end[~np.isnat(end)]
        if begin.size:
            year = int(begin.min().astype("datetime64[Y]").astype(np.int64)) + 1970
            low = year if low is None else min(low, year)
        if end.size:
            year = int(end.max().astype("datetime64[Y]").astype(np.int64)) + 1970
            high = year if high is None else max(high, year)
    if low is None or high is None:
        raise InputError("no crediting period dates", file=file, field="start_date")
    return low, max(high - low + 1, 1)


def credits_job(path: str | Path, output: str | Path, *, partition_rows: int = PARTITION_ROWS) -> Job:
    """Plan an ex-ante schedule run.

    Raises
    ------
    InputError
        Unreadable file, missing column (row 1), no dates.
    """
    path = Path(path).resolve()
    file = str(path)
    if not path.is_file():
        raise InputError("file not found", file=file)
    digest = file_sha256(path)
    source = staged_parquet(path, Path(output), digest, ("project_id", "standard"))
    names = columns_of(source, file, REQUIRED)
    columns = [c for c in (*REQUIRED, *OPTIONAL) if c in names]
    total = num_rows(source)
    if total == 0:
        raise InputError("the table has no rows", file=file)
    first_year, n_years = _window(source, file)
    library = _library()
    factor_set = {"version": library.version, "digest": library.digest}
    parameters = {"partition_rows": partition_rows, "first_year": first_year, "n_years": n_years,
                  "standards": {k: _profile(k).version for k in STANDARDS}}
    ranges = even_ranges(total, partition_rows)
    key = job_key("credits", {"projects": digest}, parameters, factor_set, [{"start": a, "stop": b} for a, b in ranges])
    partitions = [Partition(i, f"rows {a + 2}-{b + 1}", b - a,
                            {"path": str(source), "file": file, "start": a, "stop": b, "columns": columns,
                             "first_year": first_year, "n_years": n_years})
                  for i, (a, b) in enumerate(ranges)]
    return Job("credits", key, partitions, schedule_partition, parameters, {"projects": digest}, factor_set, TOTALS)
