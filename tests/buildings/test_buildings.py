"""Reference tests of countyzero.buildings (numbers worked by hand from the standards' formulas)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import lcax
import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from countyzero.buildings import BOQInput, assess_building, assess_file, replacements_b4
from countyzero.buildings.cli import app
from countyzero.buildings.ifc import assess_ifc, ifc_quantities
from countyzero.buildings.lcax_export import to_lcax_json
from countyzero.buildings.portfolio import assess_portfolio
from countyzero.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "baoting" / "buildings"
SPEC = importlib.util.spec_from_file_location("make_ifc", EXAMPLES / "make_ifc.py")
assert SPEC and SPEC.loader
make_ifc = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(make_ifc)

ISSUE_BOQ: dict[str, Any] = {
    "building": {"name": "Demo clinic", "gross_floor_area_m2": 100, "reference_study_period_years": 60},
    "method": "en15978",
    "items": [{"id": "wall", "material": "concrete C30", "quantity": 23.6, "unit": "m3", "density_kg_m3": 2400,
               "factor": {"a1a3": 0.100, "unit": "kgCO2e/kg"},
               "transport": {"distance_km": 40, "factor_kgco2e_per_tkm": 0.162}, "waste_rate": 0.0,
               "service_life_years": 60}],
    "operation": [{"carrier": "electricity", "annual_kwh": 10000, "factor": {"value": 0.5366, "unit": "kgCO2e/kWh"}}],
}


def boq(**changes: Any) -> BOQInput:
    data = json.loads(json.dumps(ISSUE_BOQ))
    for key, value in changes.items():
        data[key] = value
    return BOQInput.model_validate(data)


def test_b4_rule_of_the_issue() -> None:
    assert replacements_b4(60, [15, 20, 25, 30, 40, 60, 70]).tolist() == [3, 2, 2, 1, 1, 0, 0]


def test_issue_example_en15978_by_hand() -> None:
    r = assess_building(boq())
    # A1-A3 = 23.6 m3 × 2400 kg/m3 × 0.1 kgCO2e/kg = 5664; A4 = 56.64 t × 40 km × 0.162 = 367.0272 (EN 15978 §7.4)
    assert r.modules["A1-A3"] == pytest.approx(5664.0)
    assert r.modules["A4"] == pytest.approx(367.0272)
    # B6 = 10 000 kWh × 0.5366 × 60 a = 321 960
    assert r.modules["B6"] == pytest.approx(321960.0)
    assert r.total_kgco2e == pytest.approx(5664 + 367.0272 + 321960)
    assert r.per_m2_kgco2e == pytest.approx(r.total_kgco2e / 100)
    assert set(r.modules) == {"A1-A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "C1", "C2", "C3",
                              "C4", "D"}
    data = r.to_json_dict()
    for key in ("modules", "total_kgco2e", "per_m2_kgco2e", "gross_floor_area_m2", "items", "provenance"):
        assert key in data


def test_waste_replacement_and_end_of_life_en15978() -> None:
    item = {"id": "board", "quantity": 1000, "unit": "kg",
            "factor": {"a1a3": 2.0, "unit": "kgCO2e/kg", "c3": 0.1, "c4": 0.1, "d": -0.5},
            "transport": {"distance_km": 100, "factor_kgco2e_per_tkm": 0.1}, "waste_rate": 0.2,
            "service_life_years": 25}
    r = assess_building(boq(items=[item], operation=[]))
    # WF = 0.2/0.8 = 0.25 (RICS); A4 = 1 t × 100 × 0.1 = 10; EoL = 200; A5 = 0.25 × (2000 + 10 + 200) = 552.5
    assert r.modules["A5"] == pytest.approx(552.5)
    # N = ceil(60/25) − 1 = 2; B4 = 2 × (2000 + 10 + 552.5 + 200) = 5525
    assert r.modules["B4"] == pytest.approx(5525.0)
    assert r.modules["C3"] == pytest.approx(100.0) and r.modules["C4"] == pytest.approx(100.0)
    assert r.modules["D"] == pytest.approx(-500 * 3)  # D of the original and of both replacements
    assert r.total_kgco2e == pytest.approx(2000 + 10 + 552.5 + 5525 + 200)


def test_gbt51366_stages_defaults_and_recycled_rule() -> None:
    items = [{"id": "c30", "material": "C30 混凝土", "quantity": 10, "unit": "m3", "density_kg_m3": 2400,
              "factor_id": "gbt51366.d.concrete_c30"},
             {"id": "rebar", "quantity": 2, "unit": "t", "factor_id": "gbt51366.d.steel_rebar",
              "recycled_content": 0.3, "recoverable_fraction": 0.2}]
    r = assess_building(boq(method="gbt51366", items=items, operation=[],
                            building={"name": "x", "gross_floor_area_m2": 50}))
    assert r.reference_study_period_years == 50  # GB/T 51366 default design life
    # C_sc (eq. 6.2.1): 10 m3 × 295 + 2 t × 2340 × (1 − 0.3 × 0.5) − 2 × 2340 × 0.2 × 0.5 (§6.2)
    assert r.modules["A1-A3"] == pytest.approx(2950 + 4680 * 0.85 - 468)
    # C_ys (eq. 6.3.1): concrete 24 t × 40 km × 0.162 + rebar 2 t × 500 km × 0.162 (Appendix E default mode)
    assert r.modules["A4"] == pytest.approx(24 * 40 * 0.162 + 2 * 500 * 0.162)
    assert r.modules["B4"] == 0 and r.modules["D"] == 0
    assert r.per_m2_kgco2e == pytest.approx(r.total_kgco2e / 50)


def test_b6_grid_static_trajectory_renewables_and_sink() -> None:
    ops = [{"carrier": "electricity", "annual_kwh": 1000, "onsite_renewable_kwh": 300,
            "grid": {"region": "CN-HI", "year": 2023}}]
    r = assess_building(boq(operation=ops))
    assert r.modules["B6"] == pytest.approx(700 * 0.3648 * 60)  # Hainan 2023 grid factor row
    ops = [{"carrier": "electricity", "annual_kwh": 1000,
            "trajectory": {"start_year": 2030, "points": {2030: 0.5, 2040: 0.0}}}]
    r = assess_building(boq(operation=ops, building={"name": "x", "gross_floor_area_m2": 10,
                                                       "reference_study_period_years": 20}))
    # 2030..2039 linear 0.5 → 0.05 (sum 2.75), 2040..2049 zero
    assert r.modules["B6"] == pytest.approx(1000 * 2.75)
    ops = [{"carrier": "electricity", "annual_kwh": 1000, "onsite_renewable_kwh": 1500,
            "factor": {"value": 0.5, "unit": "kgCO2e/kWh"}}]
    r = assess_building(boq(operation=ops))
    assert r.modules["B6"] == 0 and r.modules["D"] == pytest.approx(-500 * 0.5 * 60)
    r = assess_building(boq(method="gbt51366", operation=ops,
                            building={"name": "x", "gross_floor_area_m2": 10, "carbon_sink_kgco2e_per_year": 10}))
    assert r.modules["D"] == 0 and r.modules["B6"] == pytest.approx(-10 * 50)  # eq. 4.1.1: − C_p × y


@pytest.mark.parametrize(("change", "field"), [
    ({"factor_id": "no.such.factor", "factor": None}, "factor_id"),
    ({"unit": "m2"}, "unit"),
    ({"density_kg_m3": None}, "density_kg_m3"),
])
def test_bad_items_name_item_and_field(change: dict[str, Any], field: str) -> None:
    item = dict(ISSUE_BOQ["items"][0])
    item.update(change)
    item = {k: v for k, v in item.items() if v is not None}
    with pytest.raises(InputError) as info:
        assess_building(boq(items=[item]))
    assert info.value.field == field and info.value.row == "wall"


def test_bad_file_input(tmp_path: Path) -> None:
    data = json.loads(json.dumps(ISSUE_BOQ))
    data["items"][0]["quantity"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="quantity"):
        assess_file(path)
    data["items"][0]["quantity"] = 1
    for area in (0, "INF", "nan", 1e309):  # 1e309 is read as infinity
        data["building"]["gross_floor_area_m2"] = area
        path.write_text(json.dumps(data))
        with pytest.raises(InputError, match="gross_floor_area_m2"):
            assess_file(path)
    data["building"]["gross_floor_area_m2"] = 100
    data["items"][0]["quantity"] = "inf"  # a number must be finite in every engine's input (core.io.INPUT_CONFIG)
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="quantity"):
        assess_file(path)


def test_csv_boq_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "boq.csv"
    path.write_text("# building: {name: T, gross_floor_area_m2: 10}\n"
                    "id,quantity,unit,factor_id,density_kg_m3\n"
                    "a,1,m3,gbt51366.d.concrete_c30,2400\n"
                    "b,1,t,gbt51366.d.unknown,\n")
    with pytest.raises(InputError) as info:
        assess_file(path)
    assert info.value.row == 4 and info.value.field == "factor_id"


def test_ifc_model_quantities_layers_and_assemblies(tmp_path: Path) -> None:
    elements = [("IfcWall", "W1", {"NetVolume": 10.0, "GrossVolume": 12.0}, [("Brick", 200.0), ("Plaster", 50.0)]),
                ("IfcSlab", "S1", {"GrossVolume": 5.0}, [("Concrete C30", 100.0)])]
    path = make_ifc.build(tmp_path / "m.ifc", elements, assembly=True)
    rows = ifc_quantities(path)
    assert [(r["material"], round(r["quantity"], 6), r["origin"]) for r in rows] == [
        ("Concrete C30", 5.0, "Qto GrossVolume"), ("Brick", 8.0, "Qto NetVolume"), ("Plaster", 2.0, "Qto NetVolume")]
    mapping = tmp_path / "map.yaml"
    mapping.write_text("building: {name: t, gross_floor_area_m2: 20}\nmaterials:\n"
                       "  - {ifc_material: Brick, factor_id: gbt51366.d.brick_shale_hollow, density_kg_m3: 800}\n"
                       "  - {ifc_material: Concrete C30, factor_id: gbt51366.d.concrete_c30, density_kg_m3: 2400}\n")
    with pytest.raises(InputError, match="'Plaster'"):
        assess_ifc(path, mapping)
    mapping.write_text(mapping.read_text() + "  - {ifc_material: Plaster, factor_id: gbt51366.d.hydrated_lime, "
                       "density_kg_m3: 1600}\n")
    r = assess_ifc(path, mapping, overrides={"method": "gbt51366"})
    assert r.modules["A1-A3"] == pytest.approx(8 * 204 + 5 * 295 + 2 * 1.6 * 747)
    assert any(rows[0]["guid"] in it.id for it in r.items)


def test_ifc_without_materials_or_quantities(tmp_path: Path) -> None:
    elements = [("IfcWall", "W1", {"NetVolume": 10.0}, [("Brick", 200.0)])]
    with pytest.raises(InputError, match="no material"):
        ifc_quantities(make_ifc.build(tmp_path / "a.ifc", elements, without_material=True))
    with pytest.raises(InputError, match="no quantities"):
        ifc_quantities(make_ifc.build(tmp_path / "b.ifc", elements, without_quantities=True))


def test_lcax_round_trip() -> None:
    r = assess_building(boq())
    project = lcax.Project.loads(to_lcax_json(r))
    back = json.loads(project.dumps())
    assert back["results"]["gwp"]["a1a3"] == pytest.approx(r.modules["A1-A3"])
    assert back["referenceStudyPeriod"] == 60
    total = lcax.get_impact_total(project.results, lcax.ImpactCategoryKey.GWP, [lcax.LifeCycleModule.D])
    assert total == pytest.approx(r.total_kgco2e)


def test_portfolio_matches_single_building() -> None:
    items = [{"id": "c", "quantity": 10, "unit": "m3", "density_kg_m3": 2400, "factor_id": "gbt51366.d.concrete_c30",
              "service_life_years": 60},
             {"id": "w", "quantity": 5, "unit": "m2", "factor_id": "gbt51366.d.window_al_thermal_break_primary",
              "mass_kg_per_unit": 30, "service_life_years": 25, "waste_rate": 0.1}]
    single = assess_building(boq(items=items, operation=[]))
    table = pa.table({"building_id": ["b1", "b1", "b2"], "gross_floor_area_m2": [100.0, 100.0, 50.0],
                      "factor_id": ["gbt51366.d.concrete_c30", "gbt51366.d.window_al_thermal_break_primary",
                                    "gbt51366.d.concrete_c30"],
                      "quantity": [10.0, 5.0, 1.0], "unit": ["m3", "m2", "m3"],
                      "density_kg_m3": [2400.0, None, 2400.0], "mass_kg_per_unit": [None, 30.0, None],
                      "service_life_years": [60.0, 25.0, 60.0], "waste_rate": [0.0, 0.1, 0.0]})
    result = assess_portfolio(table, study_period=60)
    assert result.total_kgco2e[0] == pytest.approx(single.total_kgco2e)
    assert np.allclose(result.modules[0], [single.modules[m] for m in single.modules])
    bad = table.set_column(3, "quantity", pa.array([1.0, -1.0, 1.0]))
    with pytest.raises(InputError) as info:
        assess_portfolio(bad)
    assert info.value.row == 3 and info.value.field == "quantity"


def test_cli_assess_and_portfolio(tmp_path: Path) -> None:
    runner = CliRunner()
    boq_file = EXAMPLES / "clinic_boq.yaml"
    out = tmp_path / "clinic.lcax.json"
    result = runner.invoke(app, ["assess", str(boq_file), "--method", "gbt51366", "--format", "json",
                                 "--lcax", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "gbt51366" and out.exists()
    result = runner.invoke(app, ["assess", str(EXAMPLES / "clinic.ifc"), "--mapping",
                                 str(EXAMPLES / "clinic_mapping.yaml"), "--format", "table"])
    assert result.exit_code == 0, result.output
    csv = tmp_path / "p.csv"
    csv.write_text("building_id,gross_floor_area_m2,factor_id,quantity,unit,density_kg_m3\n"
                   "a,100,gbt51366.d.concrete_c30,10,m3,2400\nb,0,gbt51366.d.concrete_c30,1,m3,2400\n")
    result = runner.invoke(app, ["portfolio", str(csv), "--format", "json"])
    assert result.exit_code == 2 and "row 3" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("building: {name: x, gross_floor_area_m2: 1}\nitems: [{id: a, quantity: 1, unit: m3, "
                   "factor_id: nope}]\n")
    target = tmp_path / "never.json"
    result = runner.invoke(app, ["assess", str(bad), "--lcax", str(target)])
    assert result.exit_code == 2 and "nope" in result.output and not target.exists()


def test_every_command_is_documented() -> None:
    docs = (ROOT / "docs" / "buildings.md").read_text(encoding="utf-8")
    for command in ("assess", "portfolio"):
        assert f"countyzero buildings {command}" in docs
        assert CliRunner().invoke(app, [command, "--help"]).exit_code == 0


def test_example_clinic_both_routes_agree() -> None:
    for method in ("en15978", "gbt51366"):
        a = assess_file(EXAMPLES / "clinic_boq.yaml", overrides={"method": method})
        b = assess_ifc(EXAMPLES / "clinic.ifc", EXAMPLES / "clinic_mapping.yaml", overrides={"method": method})
        assert a.total_kgco2e == pytest.approx(b.total_kgco2e, rel=1e-5)
