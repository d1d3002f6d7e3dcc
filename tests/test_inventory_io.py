"""Readers: YAML, JSON, CSV and XLSX give the same inventory; the Baoting example and the schema doc."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from countyzero.core.errors import InputError
from countyzero.inventory import InventoryInput, compute_inventory
from countyzero.inventory.reader import compute_inventory_file
from tests.conftest import BAOTING, ROOT

ROWS = [
    {"id": "gas", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 2, "unit": "TJ"},
    {"id": "power", "gpc": "I.1.2", "electricity": {"grid": "CN-HI", "year": 2022}, "quantity": 500, "unit": "MWh"},
    {"id": "sink", "gpc": "V.2", "quantity": 10, "unit": "ha",
     "factor": {"value": -3, "unit": "t/ha", "gas": "CO2", "source": "plot survey"}},
]
FLAT_HEADER = ["id", "gpc", "fuel", "electricity.grid", "electricity.year", "quantity", "unit", "factor.value",
               "factor.unit", "factor.gas", "factor.source"]


def _flat(row: dict) -> list:
    e, f = row.get("electricity", {}), row.get("factor", {})
    return [row["id"], row["gpc"], row.get("fuel"), e.get("grid"), e.get("year"), row["quantity"], row["unit"],
            f.get("value"), f.get("unit"), f.get("gas"), f.get("source")]


def test_all_formats_agree(tmp_path: Path) -> None:
    meta = {"county": "Formats", "year": 2022}
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({**meta, "activities": ROWS}), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({**meta, "activities": ROWS}), encoding="utf-8")
    lines = ["# county: Formats", "# year: 2022", ",".join(FLAT_HEADER)]
    lines += [",".join("" if v is None else str(v) for v in _flat(r)) for r in ROWS]
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.title = "activities"
    sheet.append(FLAT_HEADER)
    for row in ROWS:
        sheet.append(_flat(row))
    meta_sheet = book.create_sheet("meta")
    meta_sheet.append(["county", "Formats"])
    meta_sheet.append(["year", 2022])
    book.save(tmp_path / "a.xlsx")
    results = [compute_inventory_file(tmp_path / f"a.{ext}") for ext in ("yaml", "json", "csv", "xlsx")]
    for result in results:
        assert result.net_tco2e == pytest.approx(results[0].net_tco2e)
        assert result.removals_tco2e == pytest.approx(-30)
        assert [ln.id for ln in result.lines] == ["gas", "power", "sink"]


def test_unsupported_and_corrupt_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InputError, match="unsupported file type"):
        compute_inventory_file(tmp_path / "a.txt")
    (tmp_path / "a.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputError, match=r"a\.xlsx.*not a readable XLSX"):
        compute_inventory_file(tmp_path / "a.xlsx")


def test_per_unit_scaling_equals_direct_computation() -> None:
    # The engine computes each kind of line once per unit and scales it; each line computed alone must match.
    rows = [{"id": f"d{i}", "gpc": "II.1.1", "fuel": "diesel", "quantity": q, "unit": "t"}
            for i, q in enumerate([0.5, 3, 1234.5, 7e5])]
    together = compute_inventory(InventoryInput.model_validate({"county": "S", "year": 2022, "activities": rows}))
    for row, line in zip(rows, together.lines, strict=True):
        alone = compute_inventory(InventoryInput.model_validate({"county": "S", "year": 2022, "activities": [row]}))
        assert line.tco2e == pytest.approx(alone.lines[0].tco2e, rel=1e-12)
        assert [i.result for i in together.trace_items(row["id"])] == pytest.approx(
            [i.result for i in alone.trace_items(row["id"])], rel=1e-12)


def test_monte_carlo_is_reproducible_and_brackets_the_central_value() -> None:
    data = InventoryInput.model_validate({"county": "U", "year": 2022, "activities": [
        {"id": "d", "gpc": "II.1.1", "fuel": "diesel", "quantity": 1000, "unit": "t", "uncertainty_pct": 10}]})
    first = compute_inventory(data, uncertainty_draws=4000, seed=7).uncertainty
    second = compute_inventory(data, uncertainty_draws=4000, seed=7).uncertainty
    assert first == second
    central = compute_inventory(data).gross_tco2e
    gross = first["gross_tco2e"]
    assert gross["p2_5"] < central < gross["p97_5"]
    assert "ipcc2006.ncv.diesel" in first["uncertain_factors"]
    # roughly ±10 % activity combined with the NCV and CO2 ranges of Tables 1.2 and 1.4
    assert 0.08 < (gross["p97_5"] - gross["p2_5"]) / 2 / central < 0.2


def test_baoting_example_computes_with_every_line_sourced() -> None:
    result = compute_inventory_file(BAOTING)
    assert result.gross_tco2e > 0 and result.removals_tco2e < 0
    assert result.not_reported == []
    data = yaml.safe_load(BAOTING.read_text(encoding="utf-8"))
    for row in data["activities"]:
        assert row.get("source") or row.get("notation_key") or row.get("factor", {}).get("source"), row["id"]
    assert data["profile"]["population"] > 150_000


def test_schema_document_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "inventory.schema.json").read_text(encoding="utf-8"))
    regenerate = "run: countyzero inventory schema > docs/inventory.schema.json"
    assert committed == InventoryInput.model_json_schema(), regenerate


def test_write_files_is_all_or_nothing(tmp_path: Path) -> None:
    from countyzero.core.io import write_files

    keep = tmp_path / "keep.txt"
    keep.write_text("old", encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write"):
        write_files({keep: "new", blocker / "inside.txt": "x"})
    assert keep.read_text(encoding="utf-8") == "old"
    assert not list(tmp_path.glob(".*.tmp"))
