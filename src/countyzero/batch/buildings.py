"""Embodied carbon of a building portfolio (BOQ lines) in partitions of whole buildings.

Portfolio table (Parquet or CSV), one BOQ line per row, rows of a building contiguous:

=================================  ==============================================================================
``building_id``                    text
``gross_floor_area_m2``            > 0, the same on every row of a building
``item_id``                        text (the line's name in the BOQ)
``quantity``                       ≥ 0, in ``unit``
``unit``                           kg, t, m3, m2, pcs …
``a1a3_kgco2e_per_unit``           A1–A3 per unit of ``unit`` (e.g. from an EPD); or, where empty,
``factor_id``                      a library material factor (``embodied_carbon_a1a3``), converted to ``unit``
``transport_km``                   optional, A4 distance [km] (empty = 0)
``transport_kgco2e_per_tkm``       optional, A4 factor [kgCO2e/(t·km)] (empty = 0); needs a mass unit (kg, t)
``service_life_years``             optional, > 0 (empty = the study period: no replacement)
``reference_study_period_years``   optional, > 0, the same on every row of a building (empty = RICS default)
=================================  ==============================================================================

Per line, the engine's own functions are used: :func:`countyzero.buildings.engine.resolve_items` converts a
library factor to the line's unit, :func:`countyzero.buildings.modules.replacements_b4` counts replacements and
:func:`countyzero.buildings.modules.embodied_modules` (EN 15978) gives A1–A3, A4 and B4 (A5 and C1–C4 are 0:
the format carries no waste rate or end-of-life factors). Lines are then summed per building (in row order).

Output, one row per building: ``building_id, gross_floor_area_m2, reference_study_period_years, lines,
a1a3_kgco2e, a4_kgco2e, b4_kgco2e, total_kgco2e, per_m2_kgco2e`` (total = A1–A3 … C4, module D excluded).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

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
from countyzero.batch.tables import columns_of, cut, float_column, group_runs, read_rows, staged_parquet
from countyzero.buildings.engine import resolve_items
from countyzero.buildings.model import MODULES, TOTAL_MODULES, BOQItem, Options, Transport
from countyzero.buildings.modules import embodied_modules, replacements_b4
from countyzero.core.errors import InputError
from countyzero.core.units import conversion_factor, is_convertible
from countyzero.factors.library import FactorLibrary, default_library

REQUIRED = ("building_id", "gross_floor_area_m2", "item_id", "quantity", "unit")
OPTIONAL = ("a1a3_kgco2e_per_unit", "factor_id", "transport_km", "transport_kgco2e_per_tkm", "service_life_years",
            "reference_study_period_years")
TEXT_COLUMNS = ("building_id", "item_id", "unit", "factor_id")
TOTALS = ("buildings", "lines", "gross_floor_area_m2", "a1a3_kgco2e", "a4_kgco2e", "b4_kgco2e", "total_kgco2e")
PARTITION_ROWS = 250_000
"""Default lines per partition: about 60 MB of working arrays per worker (see docs/scaling.md)."""

_COL = {m: i for i, m in enumerate(MODULES)}


@functools.cache
def _library() -> FactorLibrary:
    return default_library()


def _default_study_period(library: FactorLibrary) -> float:
    return float(library.find("default_study_period", "en15978").factor.value)


class _Errors:
    """Row errors of one partition: every bad row counted, the first :data:`MAX_ROW_ERRORS` listed."""

    def __init__(self, first_row: int) -> None:
        self.first_row = first_row
        self.bad = np.zeros(0, dtype=bool)
        self.items: list[tuple[int, str, str]] = []

    def flag(self, mask: np.ndarray, field_name: str, message: str) -> None:
        if self.bad.size == 0:
            self.bad = np.zeros(mask.size, dtype=bool)
        rows = np.flatnonzero(mask)
        self.bad[rows] = True
        self.items.extend((int(r) + self.first_row, field_name, message) for r in rows[:MAX_ROW_ERRORS])

    def listed(self) -> list[dict[str, Any]]:
        return [row_error(r, f, m) for r, f, m in sorted(self.items)[:MAX_ROW_ERRORS]]


def _text(table: pa.Table, name: str) -> pa.Array:
    column = table[name] if name in table.column_names else pa.nulls(table.num_rows, pa.string())
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return pc.cast(column, pa.string())


def _not_constant(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Rows whose value differs from the first row of their group."""
    first = np.empty(n_groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(codes.size - 1, -1, -1)
    reference = values[first][codes]
    return ~((reference == values) | (np.isnan(reference) & np.isnan(values)))


def assess_partition(partition: Partition) -> PartitionResult:
    """Per-building results of one partition (whole buildings), or its bad rows."""
    spec = partition.spec
    start, stop, file = spec["start"], spec["stop"], spec["file"]
    table = read_rows(spec["path"], start, stop, spec["columns"])
    try:
        return _assess(partition, table, start + 2, file)
    except InputError as exc:
        return input_error_result(partition, exc.located(file=file))


def _assess(partition: Partition, table: pa.Table, first_row: int, file: str) -> PartitionResult:
    library = _library()
    n = table.num_rows
    errors = _Errors(first_row)
    quantity = float_column(table, "quantity", file, first_row)
    area = float_column(table, "gross_floor_area_m2", file, first_row)
    a1a3_unit = float_column(table, "a1a3_kgco2e_per_unit", file, first_row)
    distance = float_column(table, "transport_km", file, first_row)
    tkm_factor = float_column(table, "transport_kgco2e_per_tkm", file, first_row)
    service_life = float_column(table, "service_life_years", file, first_row)
    study = float_column(table, "reference_study_period_years", file, first_row)
    building = _text(table, "building_id")
    unit = _text(table, "unit")
    factor_id = _text(table, "factor_id")
    errors.flag(building.is_null().to_numpy(zero_copy_only=False), "building_id", "required value is missing")
    errors.flag(_text(table, "item_id").is_null().to_numpy(zero_copy_only=False), "item_id",
                "required value is missing")
    errors.flag(unit.is_null().to_numpy(zero_copy_only=False), "unit", "required value is missing")
    errors.flag(~(quantity >= 0) | ~np.isfinite(quantity), "quantity", "quantity must be a finite number ≥ 0")
    errors.flag(~(area > 0) | ~np.isfinite(area), "gross_floor_area_m2", "gross floor area must be > 0")
    distance = np.where(np.isnan(distance), 0.0, distance)
    tkm_factor = np.where(np.isnan(tkm_factor), 0.0, tkm_factor)
    errors.flag(~(distance >= 0) | ~np.isfinite(distance), "transport_km", "distance must be ≥ 0")
    errors.flag(~(tkm_factor >= 0) | ~np.isfinite(tkm_factor), "transport_kgco2e_per_tkm", "factor must be ≥ 0")
    study = np.where(np.isnan(study), _default_study_period(library), study)
    errors.flag(~(study > 0) | ~np.isfinite(study), "reference_study_period_years", "study period must be > 0")
    service_life = np.where(np.isnan(service_life), study, service_life)
    errors.flag(~(service_life > 0) | ~np.isfinite(service_life), "service_life_years", "service life must be > 0")
    errors.flag(~np.isfinite(a1a3_unit) & ~np.isnan(a1a3_unit), "a1a3_kgco2e_per_unit", "not a finite number")
    encoded = pc.dictionary_encode(building)
    codes = np.asarray(pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    ids = encoded.dictionary.to_pylist()
    nb = len(ids)
    errors.flag(_not_constant(codes, area, nb), "gross_floor_area_m2",
                "gross floor area differs from the building's first row")
    errors.flag(_not_constant(codes, study, nb), "reference_study_period_years",
                "study period differs from the building's first row")
    # A1-A3 per unit: given, or a library factor converted to the line's unit by the buildings engine -----
    need = np.isnan(a1a3_unit)
    missing_factor = need & factor_id.is_null().to_numpy(zero_copy_only=False)
    errors.flag(missing_factor, "a1a3_kgco2e_per_unit", "give a1a3_kgco2e_per_unit or factor_id")
    lookup = need & ~missing_factor & ~unit.is_null().to_numpy(zero_copy_only=False)
    per_unit = np.where(need, 0.0, a1a3_unit)
    if lookup.any():
        rows = np.flatnonzero(lookup)
        pairs = pc.binary_join_element_wise(pc.take(factor_id, rows), pc.take(unit, rows), "\x1f")
        pair_codes = pc.dictionary_encode(pairs)
        pair_index = np.asarray(pair_codes.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        opts = Options()
        for k, pair in enumerate(pair_codes.dictionary.to_pylist()):
            mine = rows[pair_index == k]
            fid, _, line_unit = str(pair).partition("\x1f")
            item = BOQItem(id=f"row {int(mine[0]) + first_row}", factor_id=fid, quantity=1.0, unit=line_unit,
                           transport=Transport(distance_km=0.0, factor_kgco2e_per_tkm=0.0))
            try:
                resolved = resolve_items([item], method="en15978", study_period=60, library=library,
                                         default_transport_mode=opts.default_transport_mode)
            except InputError as exc:
                mask = np.zeros(n, dtype=bool)
                mask[mine] = True
                field_name = "factor_id" if exc.field == "factor_id" else "unit"
                errors.flag(mask, field_name, exc.message)
                continue
            per_unit[mine] = float(resolved.a1a3[0])
    # A4 needs the mass of a unit --------------------------------------------------------------------------
    mass_per_unit = np.zeros(n)
    unit_codes = pc.dictionary_encode(unit)
    unit_index = np.asarray(pc.fill_null(unit_codes.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    for k, name in enumerate(unit_codes.dictionary.to_pylist()):
        if is_convertible(name, "t"):
            mass_per_unit[unit_index == k] = conversion_factor(name, "t")
        else:
            mass_per_unit[unit_index == k] = np.nan
    transported = (distance > 0) & (tkm_factor > 0) & (quantity > 0)
    errors.flag(transported & np.isnan(mass_per_unit), "unit",
                "transport (A4) needs a mass unit (kg, t) on this line")
    if errors.bad.any():
        return PartitionResult(partition.index, partition.rows_in, errors=errors.listed(),
                               bad_rows=int(errors.bad.sum()))
    mass_t = np.where(transported, mass_per_unit * quantity, 0.0)
    lines = embodied_modules(method="en15978", a1a3=per_unit * quantity, mass_t=mass_t, distance_km=distance,
                             transport_factor=tkm_factor, waste_rate=np.zeros(n),
                             replacements=replacements_b4(study, service_life))
    line_total = lines[:, : len(TOTAL_MODULES)].sum(axis=1)

    def per_building(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=nb)

    first = np.empty(nb, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    building_area = area[first]
    total = per_building(line_total)
    result = pa.table({
        "building_id": pa.array([str(b) for b in ids], pa.string()),
        "gross_floor_area_m2": building_area,
        "reference_study_period_years": study[first],
        "lines": np.bincount(codes, minlength=nb).astype(np.int64),
        "a1a3_kgco2e": per_building(lines[:, _COL["A1-A3"]]),
        "a4_kgco2e": per_building(lines[:, _COL["A4"]]),
        "b4_kgco2e": per_building(lines[:, _COL["B4"]]),
        "total_kgco2e": total,
        "per_m2_kgco2e": total / building_area,
    })
    totals = {"buildings": float(nb), "lines": float(n), "gross_floor_area_m2": float(building_area.sum()),
              "a1a3_kgco2e": float(result["a1a3_kgco2e"].to_numpy().sum()),
              "a4_kgco2e": float(result["a4_kgco2e"].to_numpy().sum()),
              "b4_kgco2e": float(result["b4_kgco2e"].to_numpy().sum()), "total_kgco2e": float(total.sum())}
    return PartitionResult(partition.index, partition.rows_in, table=result, totals=totals)


def buildings_job(path: str | Path, output: str | Path, *, partition_rows: int = PARTITION_ROWS) -> Job:
    """Plan a portfolio run: whole buildings per partition (rows of a building must be contiguous).

    Raises
    ------
    InputError
        Unreadable file, missing column (row 1), or a building whose rows are not contiguous.
    """
    path = Path(path).resolve()
    file = str(path)
    if not path.is_file():
        raise InputError("file not found", file=file)
    digest = file_sha256(path)
    source = staged_parquet(path, Path(output), digest, TEXT_COLUMNS)
    names = columns_of(source, file, REQUIRED)
    if "a1a3_kgco2e_per_unit" not in names and "factor_id" not in names:
        raise InputError("missing column a1a3_kgco2e_per_unit or factor_id", file=file, row=1)
    columns = [c for c in (*REQUIRED, *OPTIONAL) if c in names]
    starts, total = group_runs(source, "building_id", file)
    if total == 0:
        raise InputError("the portfolio has no rows", file=file)
    ranges = cut(starts, total, partition_rows)
    library = _library()
    factor_set = {"version": library.version, "digest": library.digest}
    parameters = {"partition_rows": partition_rows, "method": "en15978"}
    plan = [{"start": a, "stop": b} for a, b in ranges]
    key = job_key("buildings", {"portfolio": digest}, parameters, factor_set, plan)
    partitions = [Partition(i, f"rows {a + 2}-{b + 1}", b - a,
                            {"path": str(source), "file": file, "start": a, "stop": b, "columns": columns})
                  for i, (a, b) in enumerate(ranges)]
    return Job("buildings", key, partitions, assess_partition, parameters, {"portfolio": digest}, factor_set, TOTALS)
