"""Hostile portfolio input: every bad file or value is an InputError naming the file, the (first bad) row and the
field — header = row 1, first data row = row 2 — and the command line writes nothing."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from countyzero.buildings.cli import app
from countyzero.buildings.portfolio import assess_portfolio, assess_portfolio_file
from countyzero.core.errors import InputError

HEADER = "building_id,gross_floor_area_m2,factor_id,quantity,unit,density_kg_m3,service_life_years"
GOOD_ROWS = ["a,100,gbt51366.d.concrete_c30,10,m3,2400,60",
             "a,100,gbt51366.d.steel_rebar,2,t,,30",
             "b,50,gbt51366.d.concrete_c30,3,m3,2400,60",
             "b,50,gbt51366.d.steel_rebar,1,t,,",
             "c,80,gbt51366.d.concrete_c30,4,m3,2400,60"]


def good_table() -> dict[str, list[Any]]:
    return {"building_id": ["a", "a", "b", "b", "c"], "gross_floor_area_m2": [100.0, 100.0, 50.0, 50.0, 80.0],
            "factor_id": ["gbt51366.d.concrete_c30", "gbt51366.d.steel_rebar", "gbt51366.d.concrete_c30",
                          "gbt51366.d.steel_rebar", "gbt51366.d.concrete_c30"],
            "quantity": [10.0, 2.0, 3.0, 1.0, 4.0], "unit": ["m3", "t", "m3", "t", "m3"],
            "density_kg_m3": [2400.0, None, 2400.0, None, 2400.0], "service_life_years": [60.0, 30.0, 60.0, None, 60.0]}


def write_csv(tmp_path: Path, lines: list[str], name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(tmp_path: Path, columns: dict[str, Any], name: str = "p.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(pa.table(columns), path)
    return path


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        assess_portfolio_file(path)
    assert info.value.file == str(path)
    return info.value


def with_row(data_row: int, column: str, value: str) -> list[str]:
    """The good CSV with one value replaced (``data_row`` 0 = row 2 of the file)."""
    lines = [HEADER, *GOOD_ROWS]
    cells = lines[data_row + 1].split(",")
    cells[HEADER.split(",").index(column)] = value
    lines[data_row + 1] = ",".join(cells)
    return lines


def test_the_good_inputs_are_good(tmp_path: Path) -> None:
    a = assess_portfolio_file(write_csv(tmp_path, [HEADER, *GOOD_ROWS]))
    b = assess_portfolio_file(write_parquet(tmp_path, good_table()))
    assert a.building_ids == b.building_ids == ["a", "b", "c"]
    assert a.modules.tolist() == b.modules.tolist()


@pytest.mark.parametrize(("column", "value", "row", "field", "words"), [
    ("quantity", "-1", 3, "quantity", "≥ 0"),
    ("quantity", "ten", 4, "quantity", "not a number"),
    ("quantity", "inf", 2, "quantity", "finite"),
    ("quantity", "", 5, "quantity", "finite number"),
    ("gross_floor_area_m2", "0", 2, "gross_floor_area_m2", "> 0"),
    ("gross_floor_area_m2", "-inf", 6, "gross_floor_area_m2", "finite"),
    ("gross_floor_area_m2", "99", 3, "gross_floor_area_m2", "differs"),
    ("gross_floor_area_m2", "big", 3, "gross_floor_area_m2", "not a number"),
    ("density_kg_m3", "-5", 4, "density_kg_m3", "greater than 0"),
    ("density_kg_m3", "heavy", 2, "density_kg_m3", "not a number"),
    ("density_kg_m3", "inf", 6, "density_kg_m3", "finite"),
    ("density_kg_m3", "", 2, "density_kg_m3", "density"),
    ("service_life_years", "0", 3, "service_life_years", "greater than 0"),
    ("factor_id", "gbt51366.d.unobtainium", 5, "factor_id", "unknown factor"),
    ("factor_id", "", 3, "factor_id", "unknown factor"),
    ("unit", "furlong", 2, "unit", "furlong"),
    ("unit", "", 4, "unit", "at least 1 character"),
    ("building_id", "", 6, "building_id", "missing"),
    ("building_id", "  ", 3, "building_id", "missing"),
])
def test_a_bad_csv_value_names_its_row_and_field(tmp_path: Path, column: str, value: str, row: int, field: str,
                                                 words: str) -> None:
    error = error_of(write_csv(tmp_path, with_row(row - 2, column, value)))
    assert (error.row, error.field) == (row, field), str(error)
    assert words in error.message
    assert f"row {row}" in str(error) and field in str(error) and "p.csv" in str(error)


def test_the_first_bad_row_is_named_whatever_kind_of_error(tmp_path: Path) -> None:
    # row 6: unknown factor (a line type seen first there); row 4: a negative density (another line type)
    lines = with_row(4, "factor_id", "nope")
    cells = lines[3].split(",")
    cells[5] = "-1"
    lines[3] = ",".join(cells)
    error = error_of(write_csv(tmp_path, lines))
    assert (error.row, error.field) == (4, "density_kg_m3")
    error = error_of(write_csv(tmp_path, with_row(4, "factor_id", "nope"), name="q.csv"))
    assert (error.row, error.field) == (6, "factor_id")


def test_errors_found_on_separate_threads_come_in_one_order(tmp_path: Path) -> None:
    # the building columns and each line-type column are checked on separate threads: whichever finishes first,
    # the building columns' error (a negative quantity, row 6) comes before a line type's (a density, row 2)
    lines = with_row(4, "quantity", "-1")
    cells = lines[1].split(",")
    cells[5] = "inf"
    lines[1] = ",".join(cells)
    path = write_csv(tmp_path, lines)
    errors = {(error.row, error.field) for error in (error_of(path) for _ in range(20))}
    assert errors == {(6, "quantity")}
    error = error_of(write_csv(tmp_path, with_row(0, "density_kg_m3", "inf"), name="q.csv"))
    assert (error.row, error.field) == (2, "density_kg_m3")


@pytest.mark.parametrize("missing", ["building_id", "gross_floor_area_m2", "factor_id", "quantity", "unit"])
def test_a_missing_or_renamed_column_is_named(tmp_path: Path, missing: str) -> None:
    renamed = HEADER.replace(missing, missing.upper())
    error = error_of(write_csv(tmp_path, [renamed, *GOOD_ROWS]))
    assert (error.row, error.field) == (1, missing) and "missing column" in error.message
    dropped = {k: v for k, v in good_table().items() if k != missing}
    error = error_of(write_parquet(tmp_path, dropped))
    assert (error.row, error.field) == (1, missing)


def test_a_repeated_column_is_refused(tmp_path: Path) -> None:
    table = pa.table(good_table())
    table = table.append_column("quantity", table["quantity"])
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    error = error_of(path)
    assert (error.row, error.field) == (1, "quantity") and "more than once" in error.message
    with pytest.raises(InputError) as info:
        assess_portfolio(table)
    assert info.value.field == "quantity"


def test_wrong_types_in_parquet(tmp_path: Path) -> None:
    quantity_text = {**good_table(), "quantity": ["1", "2", "x", "4", "5"]}
    assert (error_of(write_parquet(tmp_path, quantity_text)).row, "quantity") == (4, "quantity")
    ids_as_lists = {**good_table(), "building_id": [[1], [1], [2], [2], [3]]}
    error = error_of(write_parquet(tmp_path, ids_as_lists))
    assert (error.row, error.field) == (2, "building_id") and "text expected" in error.message
    units_as_floats = {**good_table(), "unit": [1.5, 1.5, 1.5, 1.5, 1.5]}
    error = error_of(write_parquet(tmp_path, units_as_floats))
    assert (error.row, error.field) == (2, "unit")
    # numbers given as text are numbers; integer building ids are ids
    numeric_text = {**good_table(), "quantity": ["10", "2", "3", "1", "4"], "building_id": [7, 7, 8, 8, 9]}
    result = assess_portfolio_file(write_parquet(tmp_path, numeric_text))
    assert result.building_ids == ["7", "8", "9"]


@pytest.mark.parametrize(("column", "value", "field"), [
    ("quantity", math.nan, "quantity"), ("quantity", math.inf, "quantity"),
    ("gross_floor_area_m2", math.nan, "gross_floor_area_m2"), ("density_kg_m3", math.nan, "density_kg_m3"),
    ("service_life_years", -math.inf, "service_life_years"), ("quantity", None, "quantity"),
    ("building_id", None, "building_id"), ("factor_id", None, "factor_id"), ("unit", None, "unit"),
])
def test_nan_inf_and_nulls_in_parquet(tmp_path: Path, column: str, value: Any, field: str) -> None:
    columns = good_table()
    columns[column] = [*columns[column][:2], value, *columns[column][3:]]
    error = error_of(write_parquet(tmp_path, columns))
    assert (error.row, error.field) == (4, field), str(error)


def test_unknown_transport_mode_and_out_of_range_options(tmp_path: Path) -> None:
    columns = {**good_table(), "transport_mode": [None, None, None, "teleport", None]}
    error = error_of(write_parquet(tmp_path, columns))
    assert (error.row, error.field) == (5, "transport_mode") and "teleport" in error.message
    columns = {**good_table(), "waste_rate": [0.0, 0.0, 0.0, 0.0, 1.5]}
    assert (error_of(write_parquet(tmp_path, columns)).row, "waste_rate") == (6, "waste_rate")
    columns = {**good_table(), "distance_km": [1.0, -2.0, 1.0, 1.0, 1.0]}
    error = error_of(write_parquet(tmp_path, columns))
    assert (error.row, error.field) == (3, "distance_km")


def test_empty_and_corrupt_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "cannot read" in error_of(empty).message
    header_only = write_csv(tmp_path, [HEADER], name="header.csv")
    error = error_of(header_only)
    assert error.row == 2 and "no rows" in error.message
    no_rows = write_parquet(tmp_path, {k: pa.array([], pa.float64() if k in ("quantity", "gross_floor_area_m2")
                                                    else pa.string()) for k in good_table()}, name="none.parquet")
    assert "no rows" in error_of(no_rows).message
    good = write_parquet(tmp_path, good_table())
    data = good.read_bytes()
    for name, broken in {"truncated.parquet": data[: len(data) // 2], "zero.parquet": b"",
                         "garbled.parquet": data[:8] + bytes(len(data) - 16) + data[-8:],
                         "text.parquet": b"building_id,quantity\n"}.items():
        path = tmp_path / name
        path.write_bytes(broken)
        assert "cannot read" in error_of(path).message
    with pytest.raises(InputError, match="unsupported"):
        assess_portfolio_file(tmp_path / "p.xlsx")
    with pytest.raises(InputError, match="cannot read"):
        assess_portfolio_file(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="study period"):
        assess_portfolio_file(good, study_period=0)


def test_the_command_line_writes_nothing_on_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out.csv"
    bad = write_csv(tmp_path, with_row(2, "quantity", "-3"))
    result = runner.invoke(app, ["portfolio", str(bad), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "row 4" in result.output and "quantity" in result.output and "Traceback" not in result.output
    assert not out.exists()
    corrupt = tmp_path / "c.parquet"
    corrupt.write_bytes(b"PAR1 not really")
    result = runner.invoke(app, ["portfolio", str(corrupt), "-o", str(out)])
    assert result.exit_code == 2 and "c.parquet" in result.output and not out.exists()
    good = write_csv(tmp_path, [HEADER, *GOOD_ROWS], name="good.csv")
    result = runner.invoke(app, ["portfolio", str(good), "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count("\n") == 4  # header and three buildings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".parquet", ".csv"]), with_header=st.booleans())
def test_random_bytes_only_ever_raise_input_error(tmp_path: Path, data: bytes, suffix: str,
                                                  with_header: bool) -> None:
    path = tmp_path / f"random{suffix}"
    prefix = (HEADER + "\n").encode() if with_header and suffix == ".csv" else b"PAR1" if with_header else b""
    path.write_bytes(prefix + data)
    try:
        result = assess_portfolio_file(path)
    except InputError as exc:
        assert exc.file == str(path)
    else:  # random bytes that happen to be a valid portfolio must give finite results
        assert result.modules.shape[0] >= 1 and bool((abs(result.modules) < math.inf).all())


def test_values_too_large_for_a_finite_result_are_refused(tmp_path: Path) -> None:
    # 2.4 t per m3 × 1e308 km overflows the concrete line's A4 (row 4); steel's 1 t × 1e308 km does not (row 3)
    columns = {**good_table(), "distance_km": [1.0, 1e308, 1e308, 1.0, 1.0]}
    error = error_of(write_parquet(tmp_path, columns))
    assert (error.row, error.field) == (4, "distance_km") and "too large" in error.message
    columns = {**good_table(), "quantity": [10.0, 2.0, 3.0, 1.0, 1e307]}
    error = error_of(write_parquet(tmp_path, columns))
    assert (error.row, error.field) == (6, "quantity") and "too large" in error.message


BASE = [["a", "100", "gbt51366.d.concrete_c30", "10", "m3", "2400", "60", "0.05", "30", "", ""],
        ["a", "100", "gbt51366.d.steel_rebar", "2", "t", "", "30", "", "", "gbt51366.e.road_diesel_heavy_10t", ""],
        ["b", "50", "gbt51366.d.window_al_thermal_break_primary", "3", "m2", "", "25", "", "", "", "30"],
        ["c", "80", "gbt51366.d.concrete_c30", "4", "m3", "2400", "", "", "0", "", ""]]
FULL_HEADER = (HEADER + ",waste_rate,distance_km,transport_mode,mass_kg_per_unit").split(",")
CELLS = st.one_of(st.sampled_from(["", "0", "-1", "1e308", "1e309", "inf", "-inf", "nan", "0.9999", "1e-320", "m3",
                                   "t", "pcs", "gbt51366.d.steel_rebar", "gbt51366.e.road_diesel_heavy_10t",
                                   "default_study_period", " "]),
                  st.text(alphabet="abxyz019.-_ ", max_size=4))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10), CELLS), max_size=3),
       suffix=st.sampled_from([".csv", ".parquet"]))
def test_good_rows_with_random_cells_give_a_located_error_or_finite_results(
        tmp_path: Path, changes: list[tuple[int, int, str]], suffix: str) -> None:
    rows = [list(r) for r in BASE]
    for i, j, value in changes:
        rows[i][j] = value
    path = tmp_path / f"cells{suffix}"
    if suffix == ".csv":
        write_csv(tmp_path, [",".join(FULL_HEADER), *(",".join(r) for r in rows)], name=path.name)
    else:  # numbers where every cell of the column is one, else text
        columns: dict[str, Any] = {}
        for j, name in enumerate(FULL_HEADER):
            cells = [r[j] or None for r in rows]
            try:
                columns[name] = pa.array([None if c is None else float(c) for c in cells], pa.float64())
            except ValueError:
                columns[name] = pa.array(cells, pa.string())
        write_parquet(tmp_path, columns, name=path.name)
    try:
        result = assess_portfolio_file(path)
    except InputError as exc:
        assert exc.file == str(path) and exc.row is not None and exc.field, str(exc)
    else:
        assert bool((abs(result.modules) < math.inf).all())
