"""Whole-life carbon of many buildings at once: a buildings × line-types sparse matrix against factors.

A portfolio table (Parquet or CSV) has one BOQ line per row:

``building_id, gross_floor_area_m2, factor_id, quantity, unit`` and optionally ``density_kg_m3, distance_km,
transport_mode, waste_rate, service_life_years, mass_kg_per_unit``.

Rows that differ only in quantity and building share a *line type*. Each line type is resolved once, through
the same code as a single building (:func:`countyzero.buildings.engine.resolve_items` and
:func:`countyzero.buildings.modules.embodied_modules`), into a row of coefficients ``C`` (kgCO2e per unit,
by module). With ``Q`` the sparse matrix of quantities (buildings × line types) the result is ``R = Q · C``.
Operation (B6) is not part of a portfolio table; assess it per building.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from countyzero.buildings.engine import resolve_items
from countyzero.buildings.model import MODULES, TOTAL_MODULES, BOQItem, Options, Transport
from countyzero.buildings.modules import embodied_modules, replacements_b4
from countyzero.core.errors import InputError
from countyzero.factors.library import FactorLibrary, default_library

REQUIRED = ("building_id", "gross_floor_area_m2", "factor_id", "quantity", "unit")
OPTIONAL_FLOAT = ("density_kg_m3", "distance_km", "waste_rate", "service_life_years", "mass_kg_per_unit")
OPTIONAL_TEXT = ("transport_mode",)


@dataclass
class PortfolioResult:
    """Per-building results: ``modules[b, j]`` kgCO2e of building ``b`` in module ``MODULES[j]``."""

    building_ids: list[str]
    gross_floor_area_m2: np.ndarray
    modules: np.ndarray
    method: str
    study_period_years: int
    lines: int
    line_types: int

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
                "buildings": len(self.building_ids), "lines": self.lines, "line_types": self.line_types,
                "modules": {m: float(v) for m, v in zip(MODULES, self.modules.sum(axis=0), strict=True)},
                "total_kgco2e": float(totals.sum()),
                "gross_floor_area_m2": float(self.gross_floor_area_m2.sum()),
                "per_m2_kgco2e": {"area_weighted": float(totals.sum() / self.gross_floor_area_m2.sum()),
                                  "median": float(np.median(per_m2)), "p10": float(np.percentile(per_m2, 10)),
                                  "p90": float(np.percentile(per_m2, 90))}}

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["building_id", "gross_floor_area_m2", *MODULES, "total_kgco2e", "per_m2_kgco2e"])
        totals, per_m2 = self.total_kgco2e, self.per_m2_kgco2e
        for b, bid in enumerate(self.building_ids):
            writer.writerow([bid, repr(float(self.gross_floor_area_m2[b])),
                             *(repr(float(v)) for v in self.modules[b]), repr(float(totals[b])),
                             repr(float(per_m2[b]))])
        return buffer.getvalue()


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[Any]]:
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return np.asarray(indices, dtype=np.int64), encoded.dictionary.to_pylist()


def _line_types(key: np.ndarray, radix: int) -> tuple[np.ndarray, np.ndarray]:
    """First row of each distinct key (in key order) and each row's type index, like ``np.unique`` with
    ``return_index`` and ``return_inverse``; by a lookup table when the key space is small (O(n), no sort)."""
    n = key.shape[0]
    if radix > 4 * n + 1024:
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return first, inverse.ravel()
    present = np.bincount(key, minlength=radix) > 0
    uniq = np.flatnonzero(present)
    lookup = np.full(radix, -1, dtype=np.int64)
    lookup[uniq] = np.arange(uniq.shape[0])
    inverse = lookup[key]
    first = np.empty(uniq.shape[0], dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)
    return first, inverse


def read_portfolio(path: str | Path) -> pa.Table:
    """Read a portfolio table from Parquet or CSV.

    Raises
    ------
    InputError
        Unsupported suffix, unreadable file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        if suffix == ".csv":
            import pyarrow.csv as pcsv

            return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
                column_types={"building_id": pa.string(), "factor_id": pa.string(), "unit": pa.string(),
                              "transport_mode": pa.string()}))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"cannot read portfolio: {exc}", file=str(path)) from None
    raise InputError(f"unsupported portfolio file type {suffix or '(none)'}; use .parquet or .csv", file=str(path))


def _float_column(table: pa.Table, name: str, file: str | None) -> np.ndarray | None:
    if name not in table.column_names:
        return None
    try:
        column = pc.cast(table[name], pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputError("not a number", file=file, field=name) from None
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def assess_portfolio(table: pa.Table, *, method: str = "en15978", study_period: int | None = None,
                     library: FactorLibrary | None = None, options: Options | None = None,
                     file: str | None = None) -> PortfolioResult:
    """Embodied whole-life carbon (A1-A3 … C4, D) of every building in a portfolio table.

    Parameters
    ----------
    table : pyarrow.Table
        Columns as in the module docstring; quantities in ``unit``, areas in m².
    method : {"en15978", "gbt51366"}
    study_period : int, optional [a]
        Default: the method's default study period row (60 a RICS, 50 a GB/T 51366).

    Returns
    -------
    PortfolioResult
        ``R = Q · C`` with ``Q`` (buildings × line types, CSR) and ``C`` (line types × modules).

    Raises
    ------
    InputError
        Naming the row (header = row 1) and field: missing column, negative or missing quantity, zero or
        inconsistent floor area, unknown factor id, inconvertible unit, missing density.
    """
    lib = library or default_library()
    opts = options or Options()
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=file, row=1)
    n = table.num_rows
    if n == 0:
        raise InputError("the portfolio has no rows", file=file)
    if study_period is None:
        study_period = round(lib.find("default_study_period", method).factor.value)
    quantity = _float_column(table, "quantity", file)
    area_col = _float_column(table, "gross_floor_area_m2", file)
    assert quantity is not None and area_col is not None
    bad = np.flatnonzero(~(quantity >= 0))
    if bad.size:
        raise InputError("quantity must be a number ≥ 0", file=file, row=int(bad[0]) + 2, field="quantity")
    bad = np.flatnonzero(~(area_col > 0))
    if bad.size:
        raise InputError("gross floor area must be > 0", file=file, row=int(bad[0]) + 2, field="gross_floor_area_m2")
    for name in ("building_id", "factor_id", "unit"):
        nulls = np.flatnonzero(table[name].is_null().to_numpy(zero_copy_only=False))
        if nulls.size:
            raise InputError("required value is missing", file=file, row=int(nulls[0]) + 2, field=name)
    bcodes, bids = _codes(table["building_id"])
    nb = len(bids)
    first = np.empty(nb, dtype=np.int64)
    first[bcodes[::-1]] = np.arange(n - 1, -1, -1)
    areas = area_col[first]
    bad = np.flatnonzero(areas[bcodes] != area_col)
    if bad.size:
        raise InputError("gross floor area differs from the building's first row", file=file, row=int(bad[0]) + 2,
                         field="gross_floor_area_m2")
    # line types: rows equal in everything but building and quantity -----------------------------------
    parts: list[tuple[np.ndarray, list[Any], str]] = []
    for name in ("factor_id", "unit", *OPTIONAL_TEXT, *OPTIONAL_FLOAT):
        if name in table.column_names:
            codes, values = _codes(table[name])
            codes = np.where(codes < 0, len(values), codes)
            parts.append((codes, values, name))
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for codes, values, _ in parts:
        size = len(values) + 1
        if radix * size >= 2**62:
            raise InputError("too many distinct line types for one portfolio run", file=file)
        key += codes * radix
        radix *= size
    type_first, inverse = _line_types(key, radix)
    items: list[BOQItem] = []
    for r in type_first.tolist():
        fields: dict[str, Any] = {}
        for codes, values, name in parts:
            code = int(codes[r])
            fields[name] = values[code] if code < len(values) else None
        transport = None
        if fields.get("distance_km") is not None or fields.get("transport_mode") is not None:
            transport = Transport(distance_km=fields.get("distance_km"), mode=fields.get("transport_mode"))
        try:
            items.append(BOQItem(
                id=f"row {r + 2}", factor_id=fields["factor_id"], quantity=1.0, unit=fields["unit"],
                density_kg_m3=fields.get("density_kg_m3"), mass_kg_per_unit=fields.get("mass_kg_per_unit"),
                transport=transport, waste_rate=fields.get("waste_rate") or 0.0,
                service_life_years=fields.get("service_life_years")))
        except ValueError as exc:
            raise InputError(str(exc).splitlines()[-1].strip(), file=file, row=r + 2) from None
    try:
        res = resolve_items(items, method=method, study_period=study_period, library=lib,
                            waste_rate_basis=opts.waste_rate_basis,
                            default_transport_mode=opts.default_transport_mode,
                            default_distances=opts.default_distances)
    except InputError as exc:
        where = int(str(exc.row).removeprefix("row ")) if isinstance(exc.row, str) else exc.row
        raise InputError(exc.message, file=file, row=where, field=exc.field) from None
    coefficients = embodied_modules(
        method="gbt51366" if method == "gbt51366" else "en15978", a1a3=res.a1a3, mass_t=res.mass_t,
        distance_km=res.distance_km,
        transport_factor=res.transport_factor, waste_rate=res.waste_rate,
        replacements=replacements_b4(study_period, res.service_life), c1=res.c[0], c2=res.c[1], c3=res.c[2],
        c4=res.c[3], d=res.d, recycled_multiplier=res.recycled_multiplier,
        recoverable_credit=res.recoverable_credit, waste_rate_basis=opts.waste_rate_basis,
        replacement_includes_d=opts.replacement_includes_d)
    q = sparse.csr_matrix((quantity, (bcodes, inverse.ravel())), shape=(nb, len(items)))
    modules = np.asarray(q @ coefficients)
    return PortfolioResult([str(b) for b in bids], areas, modules, method, study_period, n, len(items))


def assess_portfolio_file(path: str | Path, *, method: str = "en15978", study_period: int | None = None,
                          library: FactorLibrary | None = None) -> PortfolioResult:
    """Read a Parquet/CSV portfolio and assess it (errors name file, row and field)."""
    return assess_portfolio(read_portfolio(path), method=method, study_period=study_period, library=library,
                            file=str(path))
