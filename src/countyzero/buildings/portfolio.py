"""Whole-life carbon of many buildings at once: a buildings × line-types sparse matrix against factors.

A portfolio table (Parquet or CSV) has one BOQ line per row:

``building_id, gross_floor_area_m2, factor_id, quantity, unit`` and optionally ``density_kg_m3, distance_km,
transport_mode, waste_rate, service_life_years, mass_kg_per_unit``.

Rows that differ only in building, floor area and quantity share a *line type*. Each line type is resolved once, through
the same code as a single building (:func:`countyzero.buildings.engine.resolve_items` and
:func:`countyzero.buildings.modules.embodied_modules`), into a row of coefficients ``C`` (kgCO2e per unit,
by module). With ``Q`` the sparse matrix of quantities (buildings × line types) the result is ``R = Q · C``.
Operation (B6) is not part of a portfolio table; assess it per building.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError
from scipy import sparse

from countyzero.buildings.engine import resolve_items
from countyzero.buildings.model import MODULES, TOTAL_MODULES, BOQItem, Options, Transport
from countyzero.buildings.modules import embodied_modules, replacements_b4
from countyzero.core.bulk import column_pool, results_in_order
from countyzero.core.columns import cast as cast_column
from countyzero.core.errors import InputError
from countyzero.core.io import csv_text
from countyzero.factors.library import FactorLibrary, default_library

REQUIRED = ("building_id", "gross_floor_area_m2", "factor_id", "quantity", "unit")
OPTIONAL_FLOAT = ("density_kg_m3", "distance_km", "waste_rate", "service_life_years", "mass_kg_per_unit")
OPTIONAL_TEXT = ("transport_mode",)
COLUMNS = (*REQUIRED, *OPTIONAL_FLOAT, *OPTIONAL_TEXT)
TEXT = ("building_id", "factor_id", "unit")
"""Required text columns."""
KEY = ("factor_id", "unit", *OPTIONAL_TEXT, *OPTIONAL_FLOAT)
"""Columns whose values make a line type (everything but the building, its area and the quantity)."""
_FIELDS = {"transport.distance_km": "distance_km", "transport.mode": "transport_mode"}
"""BOQ line fields → portfolio columns."""


@dataclass
class PortfolioResult:
    """Per-building results: ``modules[b, j]`` kgCO2e of building ``b`` in module ``MODULES[j]``."""

    ids: pa.Array
    gross_floor_area_m2: np.ndarray
    modules: np.ndarray
    method: str
    study_period_years: int
    lines: int
    line_types: int

    @functools.cached_property
    def building_ids(self) -> list[str]:
        return [str(b) for b in self.ids.to_pylist()]

    @property
    def total_kgco2e(self) -> np.ndarray:
        """A1-A3 … C4 per building (D excluded)."""
        return self.modules[:, : len(TOTAL_MODULES)].sum(axis=1)

    @property
    def per_m2_kgco2e(self) -> np.ndarray:
        return self.total_kgco2e / self.gross_floor_area_m2

    def summary(self) -> dict[str, Any]:
        totals = self.total_kgco2e
        per_m2 = self.per_m2_kgco2e
        return {"method": self.method, "study_period_years": self.study_period_years,
                "buildings": len(self.ids), "lines": self.lines, "line_types": self.line_types,
                "modules": {m: float(v) for m, v in zip(MODULES, self.modules.sum(axis=0), strict=True)},
                "total_kgco2e": float(totals.sum()),
                "gross_floor_area_m2": float(self.gross_floor_area_m2.sum()),
                "per_m2_kgco2e": {"area_weighted": float(totals.sum() / self.gross_floor_area_m2.sum()),
                                  "median": float(np.median(per_m2)), "p10": float(np.percentile(per_m2, 10)),
                                  "p90": float(np.percentile(per_m2, 90))}}

    def to_csv(self) -> str:
        """One row per building; through :func:`countyzero.core.io.csv_text`, so a hostile building id cannot
        become a spreadsheet formula (floats are written in full, as ``repr``)."""
        totals, per_m2 = self.total_kgco2e, self.per_m2_kgco2e
        header = ["building_id", "gross_floor_area_m2", *MODULES, "total_kgco2e", "per_m2_kgco2e"]
        rows = ([bid, float(self.gross_floor_area_m2[b]), *(float(v) for v in self.modules[b]), float(totals[b]),
                 float(per_m2[b])] for b, bid in enumerate(self.building_ids))
        return csv_text(header, rows)


def read_portfolio(path: str | Path) -> pa.Table:
    """Read a portfolio table from Parquet or CSV: the known columns only, text as dictionary columns (each
    distinct text is then held and compared once).

    Raises
    ------
    InputError
        Unsupported suffix, unreadable or corrupt file, a known column given twice.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise InputError(f"unsupported portfolio file type {suffix or '(none)'}; use .parquet or .csv",
                         file=str(path))
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            _no_repeats(schema.names, str(path))
            columns = [c for c in COLUMNS if c in schema.names]
            strings = [c for c in columns if pa.types.is_string(schema.field(c).type)
                       or pa.types.is_large_string(schema.field(c).type)]
            return pq.read_table(path, columns=columns, read_dictionary=strings)
        import pyarrow.csv as pcsv

        table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            column_types={"building_id": pa.string(), "factor_id": text, "unit": text, "transport_mode": text}))
        _no_repeats(table.column_names, str(path))  # (column names are decoded here)
        return table
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read portfolio: {exc}", file=str(path)) from None


def _no_repeats(names: list[str], file: str | None) -> None:
    repeated = sorted({c for c in names if names.count(c) > 1 and c in COLUMNS})
    if repeated:
        raise InputError("column given more than once", file=file, row=1, field=repeated[0])


def _bad(message: str, file: str | None, row: int, field: str) -> InputError:
    """An error at 0-based data row ``row`` (the header is row 1, so data row 0 is row 2)."""
    return InputError(message, file=file, row=row + 2, field=field)


def _floats(table: pa.Table, name: str, file: str | None) -> np.ndarray:
    """A required numeric column as float64 (missing values → NaN)."""
    column = cast_column(table[name], pa.float64(), "not a number", name, file)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Integer codes of a column's values and the distinct values (a missing value is one of them).

    A dictionary column (e.g. text read from Parquet) is not hashed again: its indices are the codes."""
    encoded = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
    values, indices = encoded.dictionary, encoded.indices
    if indices.null_count:  # a dictionary column (left as it is) with missing values
        indices = pc.fill_null(indices, len(values))
        values = pa.concat_arrays([values, pa.nulls(1, values.type)])
    return np.asarray(indices.to_numpy(zero_copy_only=False)), values


def _line_types(key: np.ndarray, radix: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (ascending) and each row's index among them, like ``np.unique`` with
    ``return_inverse``; by a lookup table when the key space is small (O(n), no sort)."""
    if radix > 4 * key.shape[0] + 1024:
        keys, inverse = np.unique(key, return_inverse=True)
        return keys, inverse.ravel()
    keys = np.flatnonzero(np.bincount(key, minlength=radix))
    lookup = np.zeros(radix, dtype=np.int32)
    lookup[keys] = np.arange(keys.shape[0], dtype=np.int32)
    return keys, np.take(lookup, key)


_TOO_LARGE = "values too large: the carbon is not a finite number"


def _largest(parts: list[tuple[str, np.ndarray, list[Any]]], key: int) -> str:
    """The numeric column with the largest magnitude in the line type ``key`` (the likely culprit of an
    overflow)."""
    sizes: dict[str, float] = {}
    for name, _, values in parts:
        value = values[key % len(values)]
        key //= len(values)
        if isinstance(value, float):
            sizes[name] = abs(value)
    return max(sizes, key=sizes.__getitem__, default="quantity")


def _first_rejected(inverse: np.ndarray, rejected: dict[int, tuple[str, str]], file: str | None) -> InputError:
    """The error of the first row whose line type was rejected."""
    row = int(np.flatnonzero(np.isin(inverse, list(rejected)))[0])
    message, field = rejected[int(inverse[row])]
    return _bad(message, file, row, field)


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """First row of each code, for codes numbered in order of first appearance (their running maximum
    rises exactly there)."""
    top = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate(([True], top[1:] != top[:-1])))


def _text_type(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
                or pa.types.is_integer(t) or pa.types.is_null(t))


def _runs(column: pa.ChunkedArray, file: str | None) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Runs of equal building ids: each run's first row, each run's building (numbered in order of first
    appearance) and the distinct ids. Rows are compared with their neighbour only (dictionary indices, or
    the values); only the run heads are hashed, so a table grouped by building costs one pass."""
    starts: list[np.ndarray] = []
    heads: list[pa.Array] = []
    offset = 0
    for chunk in column.chunks:
        m = len(chunk)
        if m == 0:
            continue
        change = np.ones(m, dtype=bool)
        if m > 1:
            if pa.types.is_dictionary(chunk.type):
                keys = chunk.indices.to_numpy(zero_copy_only=False)
                np.not_equal(keys[1:], keys[:-1], out=change[1:])
            else:
                change[1:] = pc.not_equal(chunk[1:], chunk[:-1]).to_numpy(zero_copy_only=False)
        local = np.flatnonzero(change)
        starts.append(local + offset)
        heads.append(pc.cast(chunk.take(local), pa.string()))
        offset += m
    run_start = np.concatenate(starts)
    encoded = pc.dictionary_encode(pa.concat_arrays(heads))
    run_building = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    # a run split by a chunk boundary (or by a dictionary listing a value twice) is one run
    keep = np.concatenate(([True], run_building[1:] != run_building[:-1]))
    run_start, run_building = run_start[keep], run_building[keep]
    blank = np.flatnonzero(pc.equal(pc.utf8_trim_whitespace(encoded.dictionary), "").to_numpy(
        zero_copy_only=False))
    if blank.size:
        run = int(np.flatnonzero(np.isin(run_building, blank))[0])
        raise _bad("required value is missing", file, int(run_start[run]), "building_id")
    return run_start, run_building, encoded.dictionary


def _item(fields: dict[str, Any]) -> BOQItem:
    transport = None
    if fields.get("distance_km") is not None or fields.get("transport_mode") is not None:
        transport = Transport(distance_km=fields.get("distance_km"), mode=fields.get("transport_mode"))
    return BOQItem(id="1", factor_id=fields["factor_id"], quantity=1.0, unit=fields["unit"],
                   density_kg_m3=fields.get("density_kg_m3"), mass_kg_per_unit=fields.get("mass_kg_per_unit"),
                   transport=transport, waste_rate=fields.get("waste_rate") or 0.0,
                   service_life_years=fields.get("service_life_years"))


def _column_of(error: ValidationError) -> str:
    """The portfolio column of the first field a BOQ line rejected."""
    loc = ".".join(str(part) for part in error.errors()[0]["loc"])
    return _FIELDS.get(loc, loc)


def _buildings(table: pa.Table, file: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array,
                                                              np.ndarray]:
    """Quantities, runs of equal building ids (first row, building), the ids and each building's floor area."""
    n = table.num_rows
    quantity = _floats(table, "quantity", file)
    if not (quantity.min() >= 0 and quantity.max() < np.inf):  # NaN fails both
        bad = np.flatnonzero(~(quantity >= 0) | (quantity == np.inf))
        raise _bad("quantity must be a finite number ≥ 0", file, int(bad[0]), "quantity")
    area = _floats(table, "gross_floor_area_m2", file)
    if not (area.min() > 0 and area.max() < np.inf):
        bad = np.flatnonzero(~(area > 0) | (area == np.inf))
        raise _bad("gross floor area must be a finite number > 0", file, int(bad[0]), "gross_floor_area_m2")
    run_start, run_building, ids = _runs(table["building_id"], file)
    inside = np.ones(n, dtype=bool)
    inside[run_start] = False
    bad_rows = np.flatnonzero(inside[1:] & (area[1:] != area[:-1])) + 1
    run_area = area[run_start]
    areas = run_area[_first_rows(run_building)]
    bad_runs = np.flatnonzero(areas[run_building] != run_area)
    bad = np.concatenate((bad_rows[:1], run_start[bad_runs[:1]]))
    if bad.size:
        raise _bad("gross floor area differs from the building's first row", file, int(bad.min()),
                   "gross_floor_area_m2")
    return quantity, run_start, run_building, ids, areas


def _key_column(table: pa.Table, name: str, file: str | None) -> tuple[np.ndarray, list[Any]]:
    """A line-type column's codes and distinct values; numbers must be finite where given."""
    column = table[name]
    if name in OPTIONAL_FLOAT:
        column = cast_column(column, pa.float64(), "not a number", name, file)
    codes, values = _codes(column)
    if name in OPTIONAL_FLOAT:
        odd = np.flatnonzero(pc.fill_null(pc.invert(pc.is_finite(values)), False).to_numpy(zero_copy_only=False))
        if odd.size:
            raise _bad("not a finite number", file, int(np.flatnonzero(np.isin(codes, odd))[0]), name)
    return codes, values.to_pylist()


def _line_types_of(parts: list[tuple[str, np.ndarray, list[Any]]], file: str | None) -> tuple[np.ndarray,
                                                                                            np.ndarray]:
    """Line types — rows equal in everything but building, area and quantity — from each key column's codes
    and values: the distinct mixed-radix keys (first column least significant) and each row's line type."""
    radix = math.prod(len(values) for _, _, values in parts)
    if radix >= 2**62:
        raise InputError("too many distinct line types for one portfolio run", file=file)
    key = parts[0][1].astype(np.int32 if radix < 2**31 else np.int64)
    weight = len(parts[0][2])
    for _, codes, values in parts[1:]:
        np.add(key, np.multiply(codes, weight, dtype=key.dtype), out=key)
        weight *= len(values)
    return _line_types(key, radix)


def assess_portfolio(table: pa.Table, *, method: str = "en15978", study_period: int | None = None,
                     library: FactorLibrary | None = None, options: Options | None = None,
                     file: str | None = None) -> PortfolioResult:
    """Embodied whole-life carbon (A1-A3 … C4, D) of every building in a portfolio table.

    Parameters
    ----------
    table : pyarrow.Table
        Columns as in the module docstring; quantities in ``unit``, areas in m². Text columns may be
        dictionary-encoded (as :func:`read_portfolio` reads them). A building's rows are best contiguous
        (then it costs one pass); scattered rows are summed all the same.
    method : {"en15978", "gbt51366"}
    study_period : int, optional [a]
        Default: the method's default study period row (60 a RICS, 50 a GB/T 51366).

    Returns
    -------
    PortfolioResult
        ``R = Q · C`` with ``Q`` (buildings × line types, CSR) and ``C`` (line types × modules); buildings
        in order of first appearance.

    Raises
    ------
    InputError
        Naming the row (header = row 1; the first bad row) and field: missing or repeated column, a value
        of the wrong type, a missing, negative or non-finite quantity, a zero, non-finite or inconsistent
        floor area, a missing id, unit or factor id, an unknown factor id, an inconvertible unit, a missing
        density, an out-of-range optional value. Nothing is computed from a table with an error.
    """
    lib = library or default_library()
    opts = options or Options()
    names = table.column_names
    _no_repeats(names, file)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file, row=1, field=missing[0])
    n = table.num_rows
    if n == 0:
        raise InputError("the portfolio has no rows", file=file, row=2)
    if study_period is None:
        study_period = round(lib.find("default_study_period", method).factor.value)
    if study_period < 1:
        raise InputError("the study period must be at least 1 year", field="study_period")
    for name in (*TEXT, *OPTIONAL_TEXT):
        if name in names and not _text_type(table[name].type):
            raise _bad(f"text expected, not {table[name].type}", file, 0, name)
    for name in TEXT:
        if table[name].null_count:
            row = int(np.flatnonzero(table[name].is_null().to_numpy(zero_copy_only=False))[0])
            raise _bad("required value is missing", file, row, name)
    # the building columns and each line-type column are independent passes: on several cores at once
    present = [name for name in KEY if name in names]
    pool = column_pool()
    buildings: Future[Any] = pool.submit(_buildings, table, file)  # the long passes first
    futures = {name: pool.submit(_key_column, table, name, file)
               for name in sorted(present, key=lambda name: name not in OPTIONAL_FLOAT)}
    (quantity, run_start, run_building, ids, areas), *columns = results_in_order(
        [buildings, *(futures[name] for name in present)])  # errors in the order a single pass meets them
    parts = [(name, codes, values) for name, (codes, values) in zip(present, columns, strict=True)]
    keys, inverse = _line_types_of(parts, file)
    nb, nr = len(ids), len(run_start)
    items: list[BOQItem] = []
    rejected: dict[int, tuple[str, str]] = {}
    weight = 1
    type_codes = []
    for _, _, values in parts:
        type_codes.append(((keys // weight) % len(values)).tolist())
        weight *= len(values)
    for t in range(len(keys)):
        fields = {name: values[code[t]] for (name, _, values), code in zip(parts, type_codes, strict=True)}
        try:
            items.append(_item(fields))
        except ValidationError as exc:
            rejected[t] = (exc.errors()[0]["msg"], _column_of(exc))
    if rejected:
        raise _first_rejected(inverse, rejected, file)
    resolve = functools.partial(resolve_items, method=method, study_period=study_period, library=lib,
                                waste_rate_basis=opts.waste_rate_basis,
                                default_transport_mode=opts.default_transport_mode,
                                default_distances=opts.default_distances)
    try:
        res = resolve(items)
    except InputError as exc:
        for t, item in enumerate(items):  # one line type at a time, to name the first bad row
            try:
                resolve([item])
            except InputError as one:
                rejected[t] = (one.message, _FIELDS.get(str(one.field), str(one.field)))
        if not rejected:
            raise exc.located(file=file) from None
        raise _first_rejected(inverse, rejected, file) from None
    with np.errstate(over="ignore", invalid="ignore"):  # huge values are refused just below
        coefficients = embodied_modules(
            method="gbt51366" if method == "gbt51366" else "en15978", a1a3=res.a1a3, mass_t=res.mass_t,
            distance_km=res.distance_km, transport_factor=res.transport_factor, waste_rate=res.waste_rate,
            replacements=replacements_b4(study_period, res.service_life), c1=res.c[0], c2=res.c[1],
            c3=res.c[2], c4=res.c[3], d=res.d, recycled_multiplier=res.recycled_multiplier,
            recoverable_credit=res.recoverable_credit, waste_rate_basis=opts.waste_rate_basis,
            replacement_includes_d=opts.replacement_includes_d)
    overflow = np.flatnonzero(~np.isfinite(coefficients).all(axis=1))
    if overflow.size:
        raise _first_rejected(inverse, {int(t): (_TOO_LARGE, _largest(parts, keys[t])) for t in overflow}, file)
    # Q: one CSR row per run (its rows are contiguous: no sort); runs of one building are then summed
    q = sparse.csr_matrix((quantity, inverse, np.append(run_start, n)), shape=(nr, len(items)))
    if nr != nb:
        q = sparse.csr_matrix((np.ones(nr), (run_building, np.arange(nr))), shape=(nb, nr)) @ q
    modules = np.zeros((nb, len(MODULES)))
    used = np.flatnonzero(coefficients.any(axis=0))
    with np.errstate(over="ignore", invalid="ignore"):
        modules[:, used] = q @ coefficients[:, used]
    if not np.isfinite(modules[:, used]).all():
        building = int(np.flatnonzero(~np.isfinite(modules).all(axis=1))[0])
        rows = np.flatnonzero(np.repeat(run_building, np.diff(np.append(run_start, n))) == building)
        raise _bad(_TOO_LARGE, file, int(rows[np.argmax(quantity[rows])]), "quantity")
    return PortfolioResult(ids, areas, modules, method, study_period, n, len(items))


def assess_portfolio_file(path: str | Path, *, method: str = "en15978", study_period: int | None = None,
                          library: FactorLibrary | None = None) -> PortfolioResult:
    """Read a Parquet/CSV portfolio and assess it (errors name file, row and field)."""
    return assess_portfolio(read_portfolio(path), method=method, study_period=study_period, library=library,
                            file=str(path))
