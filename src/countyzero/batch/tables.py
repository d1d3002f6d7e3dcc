"""Input tables for batch jobs: CSV staged to Parquet, row ranges read without loading the whole file.

Row numbers follow the house convention (:class:`countyzero.core.errors.InputError`): the header is row 1, so
the ``i``-th data row (0-based) is row ``i + 2`` of the file.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from countyzero.core.columns import cast as cast_column
from countyzero.core.errors import InputError

READ_BATCH_ROWS = 65_536
"""Rows decoded at a time when a partition reads its range (bounds memory for any row-group size)."""


def staged_parquet(path: Path, staging_dir: Path, digest: str, text_columns: tuple[str, ...]) -> Path:
    """The Parquet file to read: ``path`` itself, or a CSV converted once, streaming, into ``staging_dir``.

    Raises
    ------
    InputError
        Unsupported suffix, or a file pyarrow cannot read.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            pq.ParquetFile(path).close()
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"cannot read Parquet file: {exc}", file=str(path)) from None
        return path
    if suffix != ".csv":
        raise InputError(f"unsupported table type {suffix or '(none)'}; use .parquet or .csv", file=str(path))
    target = staging_dir / f".input-{digest[:16]}.parquet"
    if target.is_file():
        return target
    staging_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        options = pcsv.ConvertOptions(column_types=dict.fromkeys(text_columns, pa.string()))
        with pcsv.open_csv(path, convert_options=options) as reader, pq.ParquetWriter(tmp, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
    except (OSError, pa.ArrowInvalid) as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot read CSV file: {exc}", file=str(path)) from None
    os.replace(tmp, target)
    return target


def columns_of(path: Path, file: str, required: tuple[str, ...]) -> list[str]:
    """Column names of a Parquet file; a missing required column is an error on the header (row 1)."""
    names = list(pq.ParquetFile(path).schema_arrow.names)
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file, row=1)
    return names


def num_rows(path: Path) -> int:
    return int(pq.ParquetFile(path).metadata.num_rows)


def read_rows(path: str | Path, start: int, stop: int, columns: list[str]) -> pa.Table:
    """Rows ``start`` to ``stop`` (0-based, stop exclusive) of a Parquet file, decoding only the row groups that
    hold them, :data:`READ_BATCH_ROWS` at a time."""
    source = pq.ParquetFile(path)
    metadata = source.metadata
    pieces: list[pa.RecordBatch] = []
    offset = 0
    for group in range(metadata.num_row_groups):
        size = metadata.row_group(group).num_rows
        if offset + size > start and offset < stop:
            position = offset
            for batch in source.iter_batches(batch_size=READ_BATCH_ROWS, row_groups=[group], columns=columns):
                low, high = max(start - position, 0), min(stop - position, batch.num_rows)
                if high > low:
                    pieces.append(batch.slice(low, high - low))
                position += batch.num_rows
                if position >= stop:
                    break
        offset += size
        if offset >= stop:
            break
    schema = source.schema_arrow
    return pa.Table.from_batches(pieces, schema=pa.schema([schema.field(c) for c in columns]))


def group_runs(path: Path, column: str, file: str) -> tuple[list[int], int]:
    """Start rows of the runs of equal ``column`` values (e.g. one building's lines), streaming.

    Raises
    ------
    InputError
        If a value's rows are not contiguous (the table must be sorted or grouped by ``column``).
    """
    starts: list[int] = []
    first_run: dict[str, int] = {}
    previous: str | None = None
    offset = 0
    source = pq.ParquetFile(path)
    for batch in source.iter_batches(batch_size=1 << 20, columns=[column]):
        values = pc.cast(batch.column(0), pa.string())
        n = len(values)
        if n == 0:
            continue
        change = np.ones(n, dtype=bool)
        if n > 1:
            change[1:] = pc.fill_null(pc.not_equal(values[1:], values[:-1]), True).to_numpy(zero_copy_only=False)
        head = values[0].as_py()
        change[0] = previous is None or head is None or head != previous
        local = np.flatnonzero(change)
        for row, value in zip((local + offset).tolist(), pc.take(values, pa.array(local)).to_pylist(), strict=True):
            starts.append(row)
            if value is None:
                continue
            if value in first_run:
                raise InputError(f"the rows of {column} {value!r} are not contiguous (first at row "
                                 f"{first_run[value] + 2}); sort or group the table by {column}",
                                 file=file, row=row + 2, field=column)
            first_run[value] = row
        previous = values[n - 1].as_py()
        offset += n
    return starts, offset


def cut(starts: list[int], total: int, partition_rows: int) -> list[tuple[int, int]]:
    """Row ranges of about ``partition_rows`` rows, cut only at run starts (a group is never split)."""
    if partition_rows < 1:
        raise InputError("partition rows must be ≥ 1", field="partition_rows")
    bounds = [0]
    for start in starts[1:]:
        if start - bounds[-1] >= partition_rows:
            bounds.append(start)
    bounds.append(total)
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def even_ranges(total: int, partition_rows: int) -> list[tuple[int, int]]:
    """Row ranges of ``partition_rows`` rows (the last one shorter)."""
    if partition_rows < 1:
        raise InputError("partition rows must be ≥ 1", field="partition_rows")
    return [(a, min(a + partition_rows, total)) for a in range(0, total, partition_rows)]


def float_column(table: pa.Table, name: str, file: str, first_row: int = 2) -> np.ndarray:
    """A column as float64 (null → NaN), or all-NaN when the column is absent; a value that is not a number is an
    error naming its row (``first_row``: the file row of the table's first row)."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    column = cast_column(table[name], pa.float64(), "not a number", name, file, first_row)
    return np.asarray(pc.fill_null(column, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
