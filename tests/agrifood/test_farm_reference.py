"""Farm emissions: IPCC 2019 Tier 1 arithmetic with cited factors, measures, product footprints, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from countyzero.agrifood import FarmInput, assess_farm, assess_farm_file
from countyzero.agrifood.cli import app
from countyzero.core.errors import InputError
from countyzero.inventory import InventoryInput, compute_inventory
from tests.conftest import ROOT

FARM = ROOT / "examples" / "baoting" / "farms" / "demo-farm-2025.yaml"
runner = CliRunner()


def farm(**fields: object) -> FarmInput:
    data: dict[str, object] = {"farm": "t", "year": 2025}
    data.update(fields)
    return FarmInput.model_validate(data)


def rice_field(**rice: object) -> dict[str, object]:
    return {"id": "p", "crop": "rice", "area_ha": 1, "rice": rice}


def test_rice_ch4_reproduces_the_climateview_worked_value() -> None:
    # IPCC 2019: EFc global 1.19 kg CH4/ha/day × 113 days (Table 5.11a) × 1 ha = 134.47 kg CH4;
    # × 27.0 (AR6 non-fossil CH4) = 3,630.69 kg CO2e/ha (research/lifestyle.md §4.1, ClimateView)
    result = assess_farm(farm(gwp="AR6", ch4_by_origin=True, rice_region="", fields=[rice_field()]))
    assert result.by_gas_t["CH4"] == pytest.approx(0.13447)
    assert result.total_tco2e * 1000 == pytest.approx(3630.69)


def test_rice_scaling_factors_multiply() -> None:
    # East Asia EFc 1.32 × SFw 0.55 (multiple drainage) × SFp 0.89 (> 180 d non-flooded) ×
    # SFo (1 + 2 t/ha × 0.19 straw > 30 d + 5 t/ha × 0.17 compost)^0.59 × 100 days × 2 ha × 2 seasons (2019 Refinement)
    sfo = (1 + 2 * 0.19 + 5 * 0.17) ** 0.59
    expected_kg = 1.32 * 0.55 * 0.89 * sfo * 100 * 2 * 2
    field = {"id": "p", "crop": "rice", "area_ha": 2, "rice": {
        "water_regime": "intermittent_multiple_aeration", "preseason": "non_flooded_gt_180d",
        "cultivation_days": 100, "seasons": 2, "organic_amendments": [
            {"type": "straw_gt_30d", "t_per_ha": 2}, {"type": "compost", "t_per_ha": 5}]}}
    result = assess_farm(farm(fields=[field]))
    assert result.by_gas_t["CH4"] * 1000 == pytest.approx(expected_kg)
    assert result.by_source["rice_ch4"] == pytest.approx(expected_kg / 1000 * 28)  # AR5 CH4 = 28


def test_2006_defaults_can_be_chosen() -> None:
    # IPCC 2006: EFc 1.30 × SFw 0.52 (multiple aeration) × 120 d × 1 ha = 81.12 kg CH4
    field = rice_field(water_regime="intermittent_multiple_aeration", cultivation_days=120)
    result = assess_farm(farm(ipcc_defaults="ipcc2006", fields=[field]))
    assert result.by_gas_t["CH4"] * 1000 == pytest.approx(81.12)


def test_n2o_on_flooded_rice_reproduces_the_climateview_value() -> None:
    # 1 t N × EF1FR 0.004 × 44/28 × 273 (AR6) = 1.716 t CO2e (research/lifestyle.md §4.2)
    result = assess_farm(farm(gwp="AR6", fields=[{**rice_field(), "area_ha": 0, "synthetic_n_kg": 1000}]))
    assert result.by_source["n2o_direct"] == pytest.approx(1.716)


def test_direct_and_indirect_n2o_on_an_upland_crop() -> None:
    # 2019, wet climate: direct 1000 × 0.016 + 500 × 0.006 = 19 kg N2O-N;
    # volatilised 1000 × 0.11 + 500 × 0.21 = 215 kg N × EF4 0.014 = 3.01; leached 1500 × 0.24 = 360 × EF5 0.011 = 3.96
    result = assess_farm(farm(fields=[{"id": "m", "crop": "mango", "area_ha": 5, "synthetic_n_kg": 1000,
                                       "organic_n_kg": 500}]))
    n2o_direct_t = 19 * 44 / 28 / 1000
    n2o_indirect_t = (3.01 + 3.96) * 44 / 28 / 1000
    assert result.by_source["n2o_direct"] == pytest.approx(n2o_direct_t * 265)
    assert result.by_source["n2o_indirect"] == pytest.approx(n2o_indirect_t * 265)


def test_urea_and_livestock() -> None:
    # urea: 2 t × 0.20 t C/t × 44/12 = 1.4667 t CO2 (Eq. 11.13); buffalo 10 × (68 enteric 2019 + 2 manure 2006)
    # = 700 kg CH4; swine 100 × (1.0 + 5) = 600 kg CH4 → 1.3 t CH4 × 28
    result = assess_farm(farm(fields=[{"id": "m", "crop": "mango", "area_ha": 1, "urea_t": 2}],
                              livestock=[{"id": "b", "species": "buffalo", "heads": 10},
                                         {"id": "s", "species": "swine", "heads": 100}]))
    assert result.by_source["urea_co2"] == pytest.approx(2 * 0.2 * 44 / 12)
    assert result.by_source["enteric_ch4"] == pytest.approx((680 + 100) / 1000 * 28)
    assert result.by_source["manure_ch4"] == pytest.approx((20 + 500) / 1000 * 28)
    assert result.total_tco2e == pytest.approx(sum(result.by_source.values()))


def test_measures_and_product_footprints() -> None:
    field = {**rice_field(cultivation_days=100, organic_amendments=[{"type": "straw_lt_30d", "t_per_ha": 3}]),
             "synthetic_n_kg": 100}
    result = assess_farm(farm(fields=[field], products=[{"name": "rice", "quantity_kg": 6000, "fields": ["p"]}],
                              measures=[{"type": "alternate_wetting_drying"},
                                        {"type": "straw_management", "straw": "removed"},
                                        {"type": "fertiliser_reduction", "fraction": 0.5}]))
    awd, straw, fert = result.measures
    base_ch4_t = 1.32 * 100 * (1 + 3) ** 0.59 / 1000
    # AWD: SFw 1.0 → 0.55 saves 45 % of rice CH4; straw removal: SFo 4^0.59 → 1
    assert awd.tco2e_saved == pytest.approx(base_ch4_t * 0.45 * 28)
    assert straw.tco2e_saved == pytest.approx((base_ch4_t - 1.32 * 100 / 1000) * 28)
    assert fert.tco2e_saved > 0
    assert result.total_with_measures_tco2e is not None
    assert result.total_with_measures_tco2e < result.total_tco2e - awd.tco2e_saved
    product = result.products[0]
    assert product.kgco2e_per_kg == pytest.approx(result.total_tco2e * 1000 / 6000)
    assert product.kgco2e_per_kg_with_measures == pytest.approx(result.total_with_measures_tco2e * 1000 / 6000)


def test_farm_results_feed_the_county_inventory() -> None:
    result = assess_farm_file(FARM)
    inventory = InventoryInput.model_validate({"county": "Baoting", "year": 2025, "gwp": "AR5",
                                               "activities": result.inventory_lines})
    computed = compute_inventory(inventory)
    assert computed.gross_tco2e == pytest.approx(result.total_tco2e)
    assert computed.by_scene["land"] == pytest.approx(result.total_tco2e)


@pytest.mark.parametrize(("fields", "message"), [
    ({"fields": [rice_field(water_regime="swamp")]}, "unknown rice scaling factor 'swamp'"),
    ({"fields": [rice_field(organic_amendments=[{"type": "peat", "t_per_ha": 1}])]}, "Input should be"),
    ({"fields": [{"id": "m", "crop": "mango", "area_ha": -1}]}, "greater than or equal to 0"),
    ({"fields": [{"id": "p", "crop": "rice", "area_ha": 1}]}, "needs its rice practice"),
    ({"livestock": [{"id": "y", "species": "yak", "heads": 1}]}, "Input should be"),
    ({"fields": [rice_field()], "measures": [{"type": "fertiliser_reduction"}]}, "needs the fraction"),
    ({"fields": [rice_field()], "measures": [{"type": "alternate_wetting_drying", "fields": ["zz"]}]},
     "unknown field 'zz'"),
    ({"fields": [rice_field()], "products": [{"name": "r", "quantity_kg": 1, "fields": ["zz"]}]}, "unknown field"),
    ({"fields": [rice_field(), rice_field()]}, "duplicate field id"),
    ({}, "at least one field or herd"),
])
def test_bad_farm_input(fields: dict[str, object], message: str) -> None:
    with pytest.raises((InputError, ValueError), match=message):
        assess_farm(farm(**fields))


def test_cli_assess(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["assess", str(FARM), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"total_tco2e", "by_source", "provenance", "measures", "products", "inventory_lines"} <= set(data)
    table = runner.invoke(app, ["assess", str(FARM), "--format", "table"])
    assert table.exit_code == 0 and "排放源" in table.output
    bad = tmp_path / "f.yaml"
    bad.write_text("farm: x\nyear: 2025\nfields:\n  - {id: p, crop: rice, area_ha: 1, rice: {water_regime: swamp}}\n",
                   encoding="utf-8")
    out = runner.invoke(app, ["assess", str(bad)])
    assert out.exit_code == 2 and "swamp" in out.output and "Traceback" not in out.output
    text = (ROOT / "docs" / "agrifood.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        assert runner.invoke(app, [str(command.name), "--help"]).exit_code == 0
        assert f"countyzero farm {command.name}" in text


def test_product_footprints_feed_the_label() -> None:
    from countyzero.agrifood import product_label_item
    from countyzero.lifestyle import LabelRules, grade_item

    result = assess_farm_file(FARM)
    item = product_label_item(result, "paddy rice (稻谷)", with_measures=True)
    graded = grade_item(item, LabelRules.load(), year=2030)
    product = result.products[0]
    assert graded.footprint_kgco2e == pytest.approx(product.kgco2e_per_kg_with_measures)
    # 0.582 kg/kg against 2500 × 0.25 / 420 = 1.488 kg → ratio 0.39 → A+
    assert graded.grade == "A+" and graded.certifiable
    assert "countyzero.agrifood assessment" in graded.trace[0]["source"]
    with pytest.raises(InputError, match="no product"):
        product_label_item(result, "durian")
