"""The portfolio engine gives, building by building, what the single-building engine gives — whatever the row
order (grouped or scattered buildings), the Arrow layout (chunks, dictionary or plain text) and the file type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyzero.buildings import BOQInput, assess_building
from countyzero.buildings.model import MODULES
from countyzero.buildings.portfolio import assess_portfolio, assess_portfolio_file

# factor id, unit, density, mass per unit: a volume, two mass units and a per-m² product
MATERIALS = [("gbt51366.d.concrete_c30", "m3", 2400.0, None), ("gbt51366.d.steel_rebar", "t", None, None),
             ("gbt51366.d.glass_flat", "kg", None, None),
             ("gbt51366.d.window_al_thermal_break_primary", "m2", None, 30.0)]
LIVES = [None, 10.0, 25.0, 60.0]
WASTE = [None, 0.0, 0.05]
DISTANCES = [None, 0.0, 35.0]

row_strategy = st.tuples(st.integers(0, 4), st.integers(0, len(MATERIALS) - 1),
                         st.floats(0, 100, allow_nan=False), st.sampled_from(LIVES), st.sampled_from(WASTE),
                         st.sampled_from(DISTANCES))


def table_of(rows: list[tuple[Any, ...]], *, dictionary: bool = False, chunks: int = 1) -> pa.Table:
    text = pa.dictionary(pa.int32(), pa.string()) if dictionary else pa.string()
    columns: dict[str, pa.Array] = {
        "building_id": pa.array([f"b{r[0]}" for r in rows], text),
        "gross_floor_area_m2": pa.array([100.0 + 10 * r[0] for r in rows]),
        "factor_id": pa.array([MATERIALS[r[1]][0] for r in rows], text),
        "quantity": pa.array([float(r[2]) for r in rows]),
        "unit": pa.array([MATERIALS[r[1]][1] for r in rows], text),
        "density_kg_m3": pa.array([MATERIALS[r[1]][2] for r in rows], pa.float64()),
        "mass_kg_per_unit": pa.array([MATERIALS[r[1]][3] for r in rows], pa.float64()),
        "service_life_years": pa.array([r[3] for r in rows], pa.float64()),
        "waste_rate": pa.array([r[4] for r in rows], pa.float64()),
        "distance_km": pa.array([r[5] for r in rows], pa.float64()),
    }
    table = pa.table(columns)
    if chunks > 1:
        step = -(-len(rows) // chunks)
        table = pa.concat_tables([table.slice(i, step) for i in range(0, len(rows), step)])
    return table


def single_building(rows: list[tuple[Any, ...]], building: int, method: str, period: int) -> dict[str, float]:
    items = []
    for i, (_, m, q, life, waste, distance) in enumerate(r for r in rows if r[0] == building):
        fid, unit, density, mass = MATERIALS[m]
        item: dict[str, Any] = {"id": f"l{i}", "factor_id": fid, "quantity": q, "unit": unit,
                                "density_kg_m3": density, "mass_kg_per_unit": mass, "service_life_years": life}
        if waste is not None:
            item["waste_rate"] = waste
        if distance is not None:
            item["transport"] = {"distance_km": distance}
        items.append(item)
    data = BOQInput.model_validate({"building": {"name": f"b{building}", "gross_floor_area_m2": 100.0 + 10 * building,
                                                 "reference_study_period_years": period},
                                    "method": method, "items": items})
    return assess_building(data).modules


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row_strategy, min_size=1, max_size=40), grouped=st.booleans(), dictionary=st.booleans(),
       chunks=st.integers(1, 4), method=st.sampled_from(["en15978", "gbt51366"]), period=st.sampled_from([50, 60]))
def test_each_building_equals_the_single_building_engine(rows: list[tuple[Any, ...]], grouped: bool,
                                                         dictionary: bool, chunks: int, method: str,
                                                         period: int) -> None:
    if grouped:
        rows = sorted(rows, key=lambda r: r[0])
    result = assess_portfolio(table_of(rows, dictionary=dictionary, chunks=chunks), method=method,
                              study_period=period)
    order = list(dict.fromkeys(f"b{r[0]}" for r in rows))  # buildings in order of first appearance
    assert result.building_ids == order
    assert result.lines == len(rows)
    for b, bid in enumerate(order):
        expected = single_building(rows, int(bid[1:]), method, period)
        np.testing.assert_allclose(result.modules[b], [expected[m] for m in MODULES], rtol=1e-9, atol=1e-9)
        assert result.gross_floor_area_m2[b] == 100.0 + 10 * int(bid[1:])


def test_scattered_rows_of_a_building_are_summed() -> None:
    rows = [(0, 0, 1.0, None, None, None), (1, 1, 2.0, None, None, None), (0, 0, 3.0, None, None, None)]
    result = assess_portfolio(table_of(rows), study_period=60)
    grouped = assess_portfolio(table_of([rows[0], rows[2], rows[1]]), study_period=60)
    assert result.building_ids == ["b0", "b1"] and result.line_types == 2
    np.testing.assert_allclose(result.modules, grouped.modules, rtol=1e-12)
    # 4 m3 of C30 at 295 kgCO2e/m3
    assert result.modules[0, 0] == pytest.approx(4 * 295.0)


def test_csv_and_parquet_files_agree_with_the_table(tmp_path: Path) -> None:
    rows = [(b, m, 1.0 + b + m, LIVES[m], WASTE[b % 3], DISTANCES[m % 3]) for b in range(5) for m in range(4)]
    table = table_of(rows)
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=7)
    pcsv.write_csv(table, tmp_path / "p.csv")
    direct = assess_portfolio(table)
    for name in ("p.parquet", "p.csv"):
        result = assess_portfolio_file(tmp_path / name)
        assert result.building_ids == direct.building_ids
        np.testing.assert_allclose(result.modules, direct.modules, rtol=1e-12)
    summary = direct.summary()
    assert summary["buildings"] == 5 and summary["lines"] == 20
    assert summary["total_kgco2e"] == pytest.approx(float(direct.total_kgco2e.sum()))
    lines = direct.to_csv().splitlines()
    assert lines[0].startswith("building_id,gross_floor_area_m2,A1-A3") and len(lines) == 6
