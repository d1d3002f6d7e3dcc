"""Reference values: IPCC 2006 arithmetic and the GPC v1.1 totals rules.

Expected numbers are computed by hand from the cited tables, so the engine is checked against the
standard and not against itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from countyzero.core.errors import InputError
from countyzero.inventory import InventoryInput, compute_inventory


def run(activities: list[dict[str, Any]], **meta: Any) -> Any:
    data = {"county": "Test", "year": 2022, **meta, "activities": activities}
    return compute_inventory(InventoryInput.model_validate(data))


def test_one_tj_natural_gas_residential_ar5() -> None:
    # IPCC 2006 Vol.2 Table 1.4: CO2 56 100 kg/TJ; Table 2.5 residential: CH4 5, N2O 0.1 kg/TJ; AR5 28 / 265
    result = run([{"id": "res-gas", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "TJ"}])
    expected = 56.1 + 0.005 * 28 + 0.0001 * 265
    assert result.gross_tco2e == pytest.approx(expected, rel=1e-12)
    assert result.by_gas["CO2"] == pytest.approx(56.1)
    assert result.by_gas["CH4"] == pytest.approx(0.14)
    assert result.by_gas["N2O"] == pytest.approx(0.0265)
    assert result.by_scene["buildings"] == pytest.approx(expected)
    assert result.by_scope["1"] == pytest.approx(expected)


def test_one_tj_natural_gas_residential_ar6() -> None:
    # AR6 WG1 Table 7.SM.7: CH4 27.9, N2O 273
    result = run([{"id": "g", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "TJ"}], gwp="AR6")
    assert result.gross_tco2e == pytest.approx(56.1 + 0.005 * 27.9 + 0.0001 * 273, rel=1e-12)


def test_commercial_context_uses_table_2_4() -> None:
    # Table 2.4 commercial/institutional, oil: CH4 10, N2O 0.6 kg/TJ; diesel CO2 74 100 kg/TJ
    result = run([{"id": "c", "gpc": "I.2.1", "fuel": "diesel", "quantity": 1, "unit": "TJ"}])
    assert result.gross_tco2e == pytest.approx(74.1 + 0.010 * 28 + 0.0006 * 265, rel=1e-12)


def test_diesel_road_transport_by_mass() -> None:
    # Table 1.2 NCV 43.0 TJ/Gg; Table 1.4 CO2 74 100 kg/TJ; Table 3.2.2 diesel CH4 3.9, N2O 3.9 kg/TJ
    result = run([{"id": "d", "gpc": "II.1.1", "fuel": "diesel", "quantity": 100, "unit": "t"}])
    energy = 100 * 43.0 / 1000  # TJ
    expected = energy * (74.1 + 0.0039 * 28 + 0.0039 * 265)
    assert result.lines[0].energy_tj == pytest.approx(4.3)
    assert result.gross_tco2e == pytest.approx(expected, rel=1e-12)
    assert result.by_scene["transport"] == pytest.approx(expected)


def test_china_provincial_factor_set_diesel() -> None:
    # Provincial guideline defaults: NCV 42.652 GJ/t, 20.2 tC/TJ, oxidation 0.98 → 3.0959 tCO2/t (county.md §1.5)
    line = {"id": "d", "gpc": "I.3.1", "fuel": "diesel", "quantity": 1, "unit": "t"}
    result = run([line], factor_set="cn-provincial")
    co2 = 42.652e-3 * 20.2 * 0.98 * 44 / 12
    assert result.by_gas["CO2"] == pytest.approx(co2, rel=1e-12)
    assert co2 == pytest.approx(3.096, abs=5e-4)


def test_china_provincial_natural_gas_per_10000_m3() -> None:
    # 389.31 GJ/10^4 m³ × 15.3 tC/TJ × 0.99 × 44/12 = 21.62 tCO2 per 10^4 m³ (county.md §1.5)
    result = run([{"id": "g", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "wan_m3"}],
                 factor_set="cn-provincial")
    assert result.by_gas["CO2"] == pytest.approx(21.62, abs=0.005)


def test_grid_electricity_scope_2() -> None:
    # MEE/NBS 2022 national average grid factor 0.5366 kgCO2/kWh
    result = run([{"id": "e", "gpc": "I.2.2", "electricity": {"grid": "CN-national", "year": 2022},
                   "quantity": 1000, "unit": "MWh"}])
    assert result.gross_tco2e == pytest.approx(536.6)
    assert result.by_scope == {"1": 0.0, "2": pytest.approx(536.6), "3": 0.0}
    assert result.energy_co2_t == pytest.approx(536.6)
    assert result.lines[0].energy_tce == pytest.approx(1e6 * 0.1229 / 1000)  # GB/T 2589 calorific equivalent


def test_biogenic_co2_is_a_memo_item() -> None:
    # Table 1.4 wood 112 000 kg/TJ CO2 (biogenic, memo); Table 2.5 residential wood CH4 300, N2O 4 kg/TJ
    result = run([{"id": "w", "gpc": "I.1.1", "fuel": "wood", "quantity": 1, "unit": "TJ"}])
    assert result.biogenic_co2_t == pytest.approx(112.0)
    assert result.gross_tco2e == pytest.approx(0.3 * 28 + 0.004 * 265)
    assert "CO2" not in result.by_gas


def test_inline_ch4_factor_uses_gwp() -> None:
    result = run([{"id": "landfill", "gpc": "III.1.1", "quantity": 10, "unit": "t",
                   "factor": {"value": 1, "unit": "t/t", "gas": "CH4", "source": "user: site study"}}])
    assert result.gross_tco2e == pytest.approx(280)
    assert result.lines[0].sources == ["user: site study"]


def _co2e(ref: str, value: float) -> dict[str, Any]:
    return {"id": ref, "gpc": ref, "quantity": value, "unit": "t",
            "factor": {"value": 1, "unit": "tCO2e/t", "source": "test"}}


def test_gpc_totals_rules() -> None:
    # GPC v1.1 Ch. 3: BASIC = stationary + transport scopes 1, 2 (not I.4.4) + waste scopes 1, 3
    # (generated in the city); BASIC+ adds IPPU, AFOLU, transboundary transport (scope 3) and T&D losses;
    # the territorial total is every scope 1 source, including I.4.4 and waste from outside.
    values = {"I.1.1": 1, "I.1.2": 2, "I.1.3": 4, "I.4.4": 8, "II.1.1": 16, "II.1.3": 32, "III.1.1": 64,
              "III.1.2": 128, "III.1.3": 256, "IV.1": 512, "V.2": -1024, "VI.1": 2048, "II.5.2": 4096}
    result = run([_co2e(ref, v) for ref, v in values.items()])
    basic = 1 + 2 + 16 + 64 + 128 + 4096
    assert result.gpc_totals["basic"] == pytest.approx(basic)
    assert result.gpc_totals["basic_plus"] == pytest.approx(basic + 4 + 32 + 512 - 1024)
    assert result.gpc_totals["territorial"] == pytest.approx(1 + 8 + 16 + 64 + 256 + 512 - 1024)
    assert result.gross_tco2e == pytest.approx(sum(v for v in values.values() if v > 0))
    assert result.removals_tco2e == pytest.approx(-1024)
    assert result.by_scope["3"] == pytest.approx(4 + 32 + 128 + 2048)


def test_notation_keys_and_completeness() -> None:
    result = run([
        _co2e("I.1.1", 1),
        {"id": "rail", "gpc": "II.2.1", "notation_key": "NO"},
        {"id": "aviation", "gpc": "II.4.1", "notation_key": "IE", "explanation": "included in II.1.1"},
    ])
    assert {n["gpc"] for n in result.notation_keys} == {"II.2.1", "II.4.1"}
    assert "II.2.1" not in result.not_reported and "II.4.1" not in result.not_reported
    assert "I.2.1" in result.not_reported


@pytest.mark.parametrize("key", ["IE", "NE"])
def test_ie_and_ne_need_an_explanation(key: str) -> None:
    with pytest.raises(ValueError, match="explanation"):
        run([{"id": "x", "gpc": "II.2.1", "notation_key": key}])


def test_forest_growth_is_a_removal_in_the_land_scene(library: Any) -> None:
    kinds = sorted(library.activities("above_ground_biomass_growth"))
    if not kinds:
        pytest.skip("no forest growth rows shipped")
    kind = kinds[0]
    growth = library.find("above_ground_biomass_growth", kind).factor.value
    ratio = library.find("root_shoot_ratio", kind).factor.value
    cf = library.find("carbon_fraction", "tropical_forest").factor.value
    result = run([{"id": "f", "gpc": "V.2", "forest": {"type": kind}, "quantity": 100, "unit": "ha"}])
    # IPCC 2006 Vol.4 Eq. 2.9/2.10: ΔC = A × G_W × (1 + R) × CF; CO2 = −ΔC × 44/12
    assert result.removals_tco2e == pytest.approx(-100 * growth * (1 + ratio) * cf * 44 / 12, rel=1e-12)
    assert result.by_scene["land"] == pytest.approx(result.removals_tco2e)
    assert result.gross_tco2e == 0


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"fuel": "unobtainium", "quantity": 1, "unit": "t"}, "fuel"),
        ({"fuel": "diesel", "quantity": 1, "unit": "kWh/m"}, "unit"),
        ({"fuel": "diesel", "quantity": 1, "unit": "bogus_unit"}, "unit"),
        ({"electricity": {"grid": "Atlantis"}, "quantity": 1, "unit": "kWh", "gpc": "I.1.2"}, "electricity.grid"),
        ({"electricity": {"grid": "CN-HI"}, "quantity": 1, "unit": "kWh"}, "gpc"),
        ({"fuel": "diesel", "quantity": 1, "unit": "t", "gpc": "I.9.9"}, "gpc"),
    ],
)
def test_bad_lines_name_the_line_and_field(line: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        run([{"id": "bad-line", "gpc": "I.1.1", **line}])
    assert info.value.row == "bad-line"
    assert info.value.field == field


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(InputError, match="duplicate"):
        run([_co2e("I.1.1", 1), _co2e("I.1.1", 2)])
