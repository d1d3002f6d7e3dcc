"""Arrow columns of input tables, with errors that name the row.

Row numbers follow the house convention (:class:`countyzero.core.errors.InputError`): the header is row 1, so a
table's first data row is row 2. A table read in parts (a batch partition starting at data row ``start``) passes
``first_row = start + 2``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from countyzero.core.errors import InputError

_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def first_failing_cast(column: pa.ChunkedArray | pa.Array, target: pa.DataType) -> int:
    """Index of the first value of ``column`` that cannot be cast to ``target`` (bisection: about two casts of
    the column; the whole column is known to fail)."""
    lo, hi = 0, len(column)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            pc.cast(column.slice(lo, mid - lo), target)
        except _CAST_ERRORS:
            hi = mid
        else:
            lo = mid
    return lo


def cast(column: pa.ChunkedArray | pa.Array, target: pa.DataType, message: str, field: str, file: str | None,
         first_row: int = 2) -> pa.ChunkedArray | pa.Array:
    """``column`` cast to ``target``; a value that cannot be is an :class:`InputError` naming its row and field."""
    try:
        return pc.cast(column, target)
    except _CAST_ERRORS:
        row = first_row + first_failing_cast(column, target)
        raise InputError(message, file=file, row=row, field=field) from None


def first_row_where(mask: np.ndarray, first_row: int = 2) -> int:
    """The file row of the first true value of ``mask`` (which has one)."""
    return first_row + int(np.flatnonzero(mask)[0])


def csv_header(path: str | Path) -> list[str]:
    """The column names of a CSV file (its first row), to tell the reader which columns hold text."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read CSV header: {exc}", file=str(path), row=1) from None
