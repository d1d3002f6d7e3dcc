"""EPD import (countyzero.buildings.epd): ILCD+EPD and LCAx EPD → factor rows → a BOQ assessed with them.

The two EPDs under ``data/`` are written by hand for these tests; every number in them is invented:

* ``epd_concrete_c30.ilcd.json`` (ILCD+EPD, EN 15804+A2, independent external review → verified), per m³,
  GWP-total: A1 230 + A2 10 + A3 20 = A1-A3 260, A4 6.5, A5 1.2, C1 2, C2 5, C3 3.5, C4 1.5, D −12;
  valid until (the year) 2028, reference year 2023, location CN.
* ``epd_clt_panel.lcax.json`` (LCAx EPD, no verification declared → reported), per m³: GWP-total A1-A3 −650,
  A4 12, A5 3, C2 8, C3 760, C4 0, D −300; GWP-biogenic A1-A3 −750; valid until 2030-06-30, location dnk (DK).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import lcax
import pytest
from typer.testing import CliRunner

from countyzero.buildings import assess_file
from countyzero.buildings.cli import app
from countyzero.buildings.epd import factor_csv, import_epds, read_epd
from countyzero.buildings.lcax_export import to_lcax_json
from countyzero.core.errors import InputError
from countyzero.factors.library import FactorLibrary, read_factor_rows

DATA = Path(__file__).parent / "data"
ILCD = DATA / "epd_concrete_c30.ilcd.json"
LCAX = DATA / "epd_clt_panel.lcax.json"
CONCRETE = "epd.7a1c2e4f-0b3d-4e5f-8a6b-1c2d3e4f5a6b"
CLT = "epd.cz-test-clt-0001"
ON = date(2026, 1, 1)
ROOT = Path(__file__).resolve().parents[2]


def _boq(tmp_path: Path) -> Path:
    boq = tmp_path / "boq.yaml"
    boq.write_text(f"""
building: {{name: EPD test, gross_floor_area_m2: 100, reference_study_period_years: 60}}
method: en15978
items:
  - {{id: slab, material: C30 slab, quantity: 10, unit: m3, density_kg_m3: 2400, factor_id: {CONCRETE}.a1a3,
      transport: {{distance_km: 50, factor_kgco2e_per_tkm: 0.1}}, service_life_years: 60}}
  - {{id: clt, material: CLT wall, quantity: 5, unit: m3, factor_id: {CLT}.a1a3,
      transport: {{distance_km: 0}}, service_life_years: 30}}
""", encoding="utf-8")
    return boq


def test_ilcd_rows_module_by_module() -> None:
    result = read_epd(ILCD, on=ON)
    rows = {row.id.removeprefix(CONCRETE + "."): row for row in result.rows}
    # A1, A2, A3 declared separately are summed by lcax into A1-A3; B1 "MND" (not declared) gives no row
    assert {k: r.value for k, r in rows.items()} == {
        "a1a3": 260.0, "a4": 6.5, "a5": 1.2, "c1": 2.0, "c2": 5.0, "c3": 3.5, "c4": 1.5, "d": -12.0}
    a1a3 = rows["a1a3"]
    assert (a1a3.parameter, a1a3.unit, a1a3.gas, a1a3.region, a1a3.year) == (
        "embodied_carbon_a1a3", "kgCO2e/m**3", "CO2e", "CN", 2023)
    assert a1a3.confidence == "verified" and a1a3.factor_set == "epd" and a1a3.activity == CONCRETE
    assert a1a3.name_zh.startswith("C30 预拌混凝土") and a1a3.name_en.startswith("Ready-mixed concrete C30")
    for part in ("Example Concrete Co.", "EPD-CZ-TEST-0001", "valid until 2028-12-31", "reference year 2023",
                 hashlib.sha256(ILCD.read_bytes()).hexdigest()):
        assert part in a1a3.source
    assert "GWP-total (EN 15804+A2)" in a1a3.source_table and "2400 kg per m3" in a1a3.notes
    assert not result.warnings and "EXPIRED" not in a1a3.notes


def test_lcax_rows_biogenic_region_and_unverified() -> None:
    result = read_epd(LCAX, on=ON)
    rows = {row.id.removeprefix(CLT + "."): row for row in result.rows}
    assert set(rows) == {"a1a3", "a4", "a5", "c2", "c3", "c4", "d", "biogenic"}
    assert rows["biogenic"].value == -750.0 and rows["biogenic"].biogenic
    assert rows["biogenic"].parameter == "biogenic_carbon_a1a3"
    assert {r.region for r in rows.values()} == {"DK"} and rows["a1a3"].year == 2025
    assert {r.confidence for r in rows.values()} == {"reported"}
    assert "not third-party verified" in rows["a1a3"].notes


def test_expired_epd_warns_and_marks_every_row() -> None:
    result = read_epd(ILCD, on=date(2029, 1, 1))
    assert len(result.warnings) == 1
    assert str(ILCD) in result.warnings[0] and "dataSetValidUntil" in result.warnings[0]
    assert all(row.notes.startswith("EXPIRED: valid until 2028-12-31") for row in result.rows)
    assert not read_epd(ILCD, on=date(2028, 12, 31)).warnings   # the ILCD year is valid through 31 December


def test_csv_round_trip_through_the_library() -> None:
    rows = [row for result in import_epds([ILCD, LCAX], on=ON) for row in result.rows]
    back = read_factor_rows(factor_csv(rows), "epd.csv")          # the reader every --factors file goes through
    assert [r.model_dump(exclude={"origin"}) for r in back] == [r.model_dump(exclude={"origin"}) for r in rows]


def test_assess_a_boq_with_epd_rows(tmp_path: Path) -> None:
    factors = tmp_path / "epd.csv"
    factors.write_text(factor_csv(r for res in import_epds([ILCD, LCAX], on=ON) for r in res.rows), encoding="utf-8")
    result = assess_file(_boq(tmp_path), library=FactorLibrary.load([factors]))
    m = result.modules
    # slab, 10 m³ of the concrete EPD, service life 60 a = study period (N = 0):
    #   A1-A3 10 × 260 = 2600; A4 10 m³ × 2.4 t/m³ × 50 km × 0.1 kgCO2e/tkm = 120; A5 0 (no losses)
    #   C1 20, C2 50, C3 35, C4 15, D 10 × −12 = −120
    # clt, 5 m³ of the CLT EPD, no transport, service life 30 a → N = ceil(60/30) − 1 = 1 replacement:
    #   A1-A3 5 × −650 = −3250; C2 40; C3 3800; C4 0; B4 = 1 × (−3250 + 0 + 0 + 3840) = 590;
    #   D = −1500 × (1 + N) = −3000; biogenic 5 × −750 = −3750 (memo)
    expected = {"A1-A3": -650.0, "A4": 120.0, "A5": 0.0, "B4": 590.0, "C1": 20.0, "C2": 90.0, "C3": 3835.0,
                "C4": 15.0, "D": -3120.0}
    for module, value in expected.items():
        assert m[module] == pytest.approx(value), module
    assert result.total_kgco2e == pytest.approx(-650 + 120 + 590 + 20 + 90 + 3835 + 15)   # 4030, D excluded
    assert result.biogenic_carbon_kgco2e == pytest.approx(-3750.0)
    slab = next(item for item in result.items if item.id == "slab")
    assert slab.confidence == "verified" and "Example Concrete Co." in slab.source
    assert any("C1, C2, C3, C4, D declared" in note for note in slab.notes)
    trace = [step for step in result.trace_items() if step.line_id == "slab" and step.factor_id]
    assert any(step.factor_id == f"{CONCRETE}.a1a3" and "EPD-CZ-TEST-0001" in (step.source or "") for step in trace)
    used = result.provenance["extra"]["factor_ids"]
    assert f"{CONCRETE}.c3" in used and f"{CLT}.biogenic" in used and f"{CONCRETE}.a4" not in used


def test_gbt51366_uses_only_a1a3_of_the_epd(tmp_path: Path) -> None:
    factors = tmp_path / "epd.csv"
    factors.write_text(factor_csv(read_epd(ILCD, on=ON).rows), encoding="utf-8")
    boq = tmp_path / "b.yaml"
    boq.write_text(f"building: {{name: g, gross_floor_area_m2: 10}}\nmethod: gbt51366\nitems: [{{id: s, quantity: 2, "
                   f"unit: m3, density_kg_m3: 2400, factor_id: {CONCRETE}.a1a3, transport: {{distance_km: 0}}}}]\n")
    result = assess_file(boq, library=FactorLibrary.load([factors]))
    # GB/T 51366 has no C2–C4 or D: A1-A3 2 × 260 = 520 only
    assert result.modules["A1-A3"] == pytest.approx(520.0)
    assert result.modules["C3"] == 0.0 and result.modules["D"] == 0.0


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _lcax(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(LCAX.read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.mark.parametrize(("data", "field", "words"), [
    (_lcax(declaredUnit="m2r1"), "declaredUnit", "declared unit 'm2r1'"),
    (_lcax(impacts={"gwp_fos": {"a1a3": 1.0}}), "impacts.gwp.a1a3", "declared: gwp_fos"),
    (_lcax(declaredUnit="furlong"), "declaredUnit", "not a valid LCAx EPD"),
    (_lcax(id="  "), "id", "no id"),
    ({"hello": 1}, "processInformation", "neither an ILCD+EPD"),
    ("{not json", None, "malformed JSON"),
])
def test_bad_files_name_file_and_field(tmp_path: Path, data: object, field: str | None, words: str) -> None:
    path = _write(tmp_path, "bad.json", data)
    with pytest.raises(InputError) as info:
        read_epd(path, on=ON)
    assert info.value.file == str(path) and info.value.field == field and words in str(info.value)


def test_bad_ilcd_names_the_missing_field(tmp_path: Path) -> None:
    tree = json.loads(ILCD.read_text(encoding="utf-8"))
    del tree["processInformation"]["time"]
    with pytest.raises(InputError) as info:
        read_epd(_write(tmp_path, "bad.ilcd.json", tree), on=ON)
    assert info.value.field == "time" and "ILCD+EPD" in str(info.value)
    tree = json.loads(ILCD.read_text(encoding="utf-8"))
    tree["LCIAResults"]["LCIAResult"] = tree["LCIAResults"]["LCIAResult"][1:]   # GWP-fossil only
    with pytest.raises(InputError, match="declared: gwp_fos") as info:
        read_epd(_write(tmp_path, "fossil.ilcd.json", tree), on=ON)
    assert info.value.field == "impacts.gwp.a1a3"


def test_cli_writes_all_or_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "factors.csv"
    result = runner.invoke(app, ["epd", "import", str(ILCD), str(LCAX), "--out", str(out), "--format", "json",
                                 "--on", "2030-01-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [f["epd_id"] for f in data["files"]] == ["7a1c2e4f-0b3d-4e5f-8a6b-1c2d3e4f5a6b", "cz-test-clt-0001"]
    assert "warning:" in result.stderr and "EXPIRED" in result.stderr          # the concrete EPD, on 2030-01-01
    assert len(FactorLibrary.load([out]).search("epd.")) >= 16
    before = out.read_bytes()
    bad = _write(tmp_path, "bad.json", _lcax(declaredUnit="m2r1"))
    result = runner.invoke(app, ["epd", "import", str(LCAX), str(bad), "--out", str(out)])
    assert result.exit_code == 2 and str(bad) in result.output and "declaredUnit" in result.output
    assert out.read_bytes() == before and "Traceback" not in result.output
    result = runner.invoke(app, ["epd", "import", str(ILCD), str(ILCD), "--out", str(tmp_path / "twice.csv")])
    assert result.exit_code == 2 and "also in" in result.output and not (tmp_path / "twice.csv").exists()
    result = runner.invoke(app, ["epd", "import", str(ILCD), "--on", "soon"])
    assert result.exit_code == 2 and "--on" in result.output
    result = runner.invoke(app, ["assess", str(_boq(tmp_path)), "--factors", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["modules"]["C3"] == pytest.approx(3835.0)


def test_command_is_documented() -> None:
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    assert "countyzero buildings epd import" in docs
    assert CliRunner().invoke(app, ["epd", "import", "--help"]).exit_code == 0


def test_lcax_export_passes_lcax_validate(tmp_path: Path) -> None:
    """Our LCAx export of an EPD-based assessment, checked by lcax's own validation engine."""
    factors = tmp_path / "epd.csv"
    factors.write_text(factor_csv(r for res in import_epds([ILCD, LCAX], on=ON) for r in res.rows), encoding="utf-8")
    result = assess_file(_boq(tmp_path), library=FactorLibrary.load([factors]))
    project = lcax.Project.loads(to_lcax_json(result))
    rule, level, schema = lcax.ValidationRule, lcax.Level, lcax.ValidationSchema
    schemas = [
        schema(level.Project, "name", rule(equal="EPD test")),
        schema(level.Project, "referenceStudyPeriod", rule(equal="60")),
        schema(level.Project, "lifeCycleModules", rule(includes="c3")),
        schema(level.Project, "location.country", rule(equal="chn")),
        schema(level.Project, "projectInfo?.grossFloorArea?.value", rule(greater=99.0)),
        schema(level.Assembly, "id", rule(required=True)),
        schema(level.ImpactData, "source?.name", rule(required=True)),
    ]
    assert [(r.field, r.message) for r in lcax.validate(project, schemas)] == []
    wrong = lcax.validate(project, [schema(level.Project, "referenceStudyPeriod", rule(equal="50"))])
    assert [r.field for r in wrong] == ["referenceStudyPeriod"]                 # the validator can fail
    back = json.loads(project.dumps())
    assert back["results"]["gwp"]["c3"] == pytest.approx(3835.0)
    assert back["results"]["gwp"]["d"] == pytest.approx(-3120.0)
