"""Reference values: published equations and worked examples, each test citing its source."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from countyzero.credits import quantify
from countyzero.credits.county import sink_series
from countyzero.credits.engine import claimable_on, estimate_all, estimate_credits, ex_ante_batch
from countyzero.credits.standards import StandardProfile
from countyzero.credits.valuation import collateral_value, credit_stream_value, resolve_price
from countyzero.credits.vintages import apply_deductions, claimable_shares, issuance_window
from countyzero.factors import FactorLibrary
from tests.credits.conftest import issue_project

C_TO_CO2 = 44 / 12


# --- IPCC tier 1 -----------------------------------------------------------------------------------------------------
def test_tier1_arithmetic_ipcc_2006_eq_2_9_2_10() -> None:
    """IPCC 2006 Vol. 4 Eq. 2.10: G_TOTAL = G_W (1 + R); Eq. 2.9: ΔC = A G_TOTAL CF; × 44/12 for CO2.
    5.0 × 1.33 = 6.65 t d.m./ha/yr; × 0.47 = 3.1255 t C; × 44/12 = 11.46017 tCO2/ha/yr."""
    assert quantify.tier1_removal_rate(5.0, 0.33, 0.47) == pytest.approx(3.1255 * C_TO_CO2)
    assert quantify.tier1_removal_rate(5.0, 0.33, 0.47) == pytest.approx(11.460167, rel=1e-6)


def test_issue_project_gross_removals(profiles: dict[str, StandardProfile]) -> None:
    """1000 ha × 11.460167 t/ha/yr = 11,460.17 tCO2e per full year; 30 years = 343,805 t (CCER: no deductions)."""
    est = estimate_credits(issue_project(), profiles["ccer"])
    rows = est.vintages()
    assert [r["year"] for r in rows] == list(range(2024, 2054))
    assert rows[0]["gross_removals_tco2e"] == pytest.approx(11460.1667, rel=1e-6)
    assert est.total_issuable_tco2e == pytest.approx(30 * 11460.1667, rel=1e-6)


def test_library_defaults_young_and_mature_growth(lib: FactorLibrary, profiles: dict[str, StandardProfile]) -> None:
    """IPCC 2006 Table 4.9 classes ≤ 20 / > 20 years (rows *.age_le20 and the default row): tropical rain forest Asia
    natural regeneration 7.0 and 2.2 t d.m./ha/yr, R 0.37 (Table 4.4), CF 0.47 (Table 4.3)."""
    project = issue_project(parameters={"forest_type": "tropical_rainforest_asia_natural"})
    est = estimate_credits(project, profiles["ccer"], library=lib)
    per_ha = [r["gross_removals_tco2e"] / 1000 for r in est.vintages()]
    assert per_ha[0] == pytest.approx(7.0 * 1.37 * 0.47 * C_TO_CO2)
    assert per_ha[19] == pytest.approx(7.0 * 1.37 * 0.47 * C_TO_CO2)  # age 20
    assert per_ha[20] == pytest.approx(2.2 * 1.37 * 0.47 * C_TO_CO2)  # age 21
    ids = {p.factor_id for p in est.parameters.values()}
    assert "ipcc2006.afolu.agb_growth.tropical_rainforest_asia_natural.age_le20" in ids
    assert "ipcc2006.afolu.carbon_fraction.tropical_forest" in ids


def test_stock_cap_limits_cumulative_removals(profiles: dict[str, StandardProfile]) -> None:
    """A maximum above-ground stock Kmax caps cumulative removals at Kmax × (1 + R) × CF × 44/12 per hectare."""
    est = estimate_credits(issue_project(parameters__max_agb_t_dm_per_ha=50.0), profiles["ccer"])
    gross = sum(r["gross_removals_tco2e"] for r in est.vintages())
    assert gross == pytest.approx(1000 * 50.0 * 1.33 * 0.47 * C_TO_CO2)


# --- stock difference, allometry, mangroves --------------------------------------------------------------------------
def test_volume_route_matches_zhu_2020_bcef() -> None:
    """Zhu et al. 2020 (Sci. Silvae Sin. 56(5)): BCEF = WD × BEF = 0.658 t/m³ for Chinese eucalyptus; with R = 0.190,
    CF 0.47: 1 m³ of stem → 0.658 × 1.19 × 0.47 × 44/12 tCO2."""
    rate = quantify.volume_removal_rate(1.0, 0.658 / 1.251, 1.251, 0.190, 0.47)
    assert rate == pytest.approx(0.658 * 1.19 * 0.47 * C_TO_CO2)


def test_chave_2014_equation_4() -> None:
    """Chave et al. 2014, Global Change Biology 20:3177, Eq. 4: AGB = 0.0673 × (ρ D² H)^0.976 [kg; g/cm³, cm, m].
    ρ = 0.6, D = 30 cm, H = 25 m: ρD²H = 13,500 → AGB = 0.0673 × 13500^0.976 ≈ 723.1 kg."""
    assert quantify.chave2014_agb_kg(0.6, 30.0, 25.0, 0.0673, 0.976) == pytest.approx(723.137, abs=0.01)
    assert quantify.chave2014_agb_kg(1.0, 1.0, 1.0, 0.0673, 0.976) == pytest.approx(0.0673)
    trees = quantify.chave2014_agb_kg(np.array([0.5, 0.7]), np.array([20.0, 40.0]), np.array([15.0, 30.0]),
                                      0.0673, 0.976)
    assert trees == pytest.approx([0.0673 * 3000 ** 0.976, 0.0673 * 33600 ** 0.976])


def test_chave_coefficients_are_library_rows(lib: FactorLibrary) -> None:
    assert lib.get("credits.chave2014.coefficient").value == 0.0673
    assert lib.get("credits.chave2014.exponent").value == 0.976


def test_mangrove_biomass_plus_soil(profiles: dict[str, StandardProfile]) -> None:
    """IPCC 2013 Wetlands Supplement (library rows, estimate): tropical wet G_W 9.9, R 0.49, CF 0.451, soil 1.62 t C."""
    project = issue_project(method="mangrove", parameters={"mangrove_type": "tropical_wet"},
                            eligibility={"wetland": True, "site": "aquaculture_pond"})
    est = estimate_credits(project, profiles["ccer"])
    expected = (9.9 * 1.49 * 0.451 + 1.62) * C_TO_CO2
    assert est.vintages()[0]["gross_removals_tco2e"] / 1000 == pytest.approx(expected)
    assert est.eligibility.eligible
    no_soil = issue_project(method="mangrove", parameters={"mangrove_type": "tropical_wet",
                                                           "include_soil_carbon": False})
    assert estimate_credits(no_soil, profiles["ccer"]).vintages()[0]["gross_removals_tco2e"] / 1000 == \
        pytest.approx(9.9 * 1.49 * 0.451 * C_TO_CO2)


def test_ex_post_allometric_annualised_by_day(profiles: dict[str, StandardProfile]) -> None:
    """Stock difference (C_t2 − C_t1)/(t2 − t1), annualised per day (CCER-14-001 / AR-Tool14 family)."""
    plot = {"area_m2": 10_000, "trees": [{"dbh_cm": 30.0, "height_m": 25.0, "wood_density_g_cm3": 0.6}]}
    project = issue_project(monitoring=[{"date": "2024-01-01", "carbon_stock_tco2e": 0},
                                        {"date": "2026-01-01", "plots": [plot]}],
                            method="allometric-chave2014", parameters={"root_shoot_ratio": 0.33,
                                                                       "carbon_fraction": 0.47})
    est = estimate_credits(project, profiles["ccer"])
    stock = 0.7231373 * 1.33 * 0.47 * C_TO_CO2 * 1000  # t AGB/ha × … × 1000 ha
    rows = est.vintages()
    assert [r["year"] for r in rows] == [2024, 2025]
    assert rows[0]["gross_removals_tco2e"] == pytest.approx(stock * 366 / 731, rel=1e-5)
    assert rows[1]["gross_removals_tco2e"] == pytest.approx(stock * 365 / 731, rel=1e-5)
    assert est.mode == "ex-post"


def test_reversal_is_carried_forward(profiles: dict[str, StandardProfile]) -> None:
    """A stock loss (fire) gives negative removals: nothing is issued until later growth has made it good."""
    project = issue_project(monitoring=[{"date": "2024-01-01", "carbon_stock_tco2e": 0},
                                        {"date": "2025-01-01", "carbon_stock_tco2e": 1000},
                                        {"date": "2026-01-01", "carbon_stock_tco2e": 400},
                                        {"date": "2027-01-01", "carbon_stock_tco2e": 1500}])
    rows = estimate_credits(project, profiles["ccer"]).vintages()
    assert [r["issuable_tco2e"] for r in rows] == pytest.approx([1000, 0, 500])


# --- ton-year methods ------------------------------------------------------------------------------------------------
def _irf(lib: FactorLibrary, name: str) -> np.ndarray:
    amps = sorted((r for r in lib if r.parameter == "irf_amplitude" and r.activity == name), key=lambda r: r.technology)
    taus = sorted((r for r in lib if r.parameter == "irf_time_constant" and r.activity == name),
                  key=lambda r: r.technology)
    return quantify.impulse_response(np.array([r.value for r in amps]), np.array([r.value for r in taus]), 1001)


def test_joos_2013_integrated_irf(lib: FactorLibrary) -> None:
    """Joos et al. 2013 Table 4: time-integrated IRF 14.2 (20 yr), 30.3 (50 yr), 52.4 (100 yr) years."""
    curve = _irf(lib, "joos_2013")
    assert round(quantify._trapezoid(curve[:21]), 1) == 14.2
    assert round(quantify._trapezoid(curve[:51]), 1) == 30.3
    assert round(quantify._trapezoid(curve[:101]), 1) == 52.4


def test_ton_year_ipcc_2000_worked_example(lib: FactorLibrary) -> None:
    """IPCC 2000 SR-LULUCF §2.3.6.3 (as tested in carbonplan/ton-year): Bern IRF, 100-yr horizon, 46 years of
    storage: Moura-Costa cost 46 and benefit 46 ton-years; Lashof benefit 17 ton-years."""
    curve = _irf(lib, "ipcc_2000")
    mc = quantify.ton_year_benefit("moura-costa", 46, 100, curve)
    assert round(mc["baseline_cost_ton_years"]) == 46 and round(mc["benefit_ton_years"]) == 46
    lashof = quantify.ton_year_benefit("lashof", 46, 100, curve)
    assert round(lashof["benefit_ton_years"]) == 17
    assert lashof["tonnes_for_equivalence"] == pytest.approx(45.763 / 16.638, rel=1e-3)


def test_ton_year_car_linear() -> None:
    """Climate Action Reserve: 1/100 of a tonne per year of storage over a 100-year permanence period."""
    assert quantify.ton_year_benefit("car", 30, 100)["equivalence_fraction"] == pytest.approx(0.30)
    assert quantify.ton_year_benefit("car", 150, 100)["equivalence_fraction"] == 1.0


# --- deductions, each standard's order -------------------------------------------------------------------------------
def _one(profile: StandardProfile, leakage: float, unc: float, buf: float) -> dict[str, float]:
    d = apply_deductions(np.array([[1000.0]]), np.array([[100.0]]), np.array([leakage]), np.array([unc]),
                         np.array([buf]), profile)
    return {k: float(getattr(d, k)[0, 0]) for k in ("leakage", "uncertainty", "buffer", "issuable")}


def test_deduction_order_ccer(profiles: dict[str, StandardProfile]) -> None:
    """CCER-14-001 [R]: ER = ΔC_P − ΔC_B − LK, uncertainty on that net; no buffer pool (管理办法; research §0.3).
    N = 900; LK = 0.1 × 900 = 90; UNC = 0.05 × 810 = 40.5; issuable 769.5."""
    assert profiles["ccer"].deduction_order == ("baseline", "leakage", "uncertainty", "buffer")
    got = _one(profiles["ccer"], 0.1, 0.05, 0.0)
    assert got == pytest.approx({"leakage": 90, "uncertainty": 40.5, "buffer": 0, "issuable": 769.5})


def test_deduction_order_verra(profiles: dict[str, StandardProfile]) -> None:
    """VM0047 §8: NER = (ΔC_P − ΔC_B)(1 − UNC) − LK; VCS buffer = risk × net stock change (leakage excluded).
    N = 900; UNC = 45; LK = 90; BUF = 0.2 × 855 = 171; issuable 594."""
    assert profiles["verra"].deduction_order == ("baseline", "uncertainty", "leakage", "buffer")
    got = _one(profiles["verra"], 0.1, 0.05, 0.2)
    assert got == pytest.approx({"leakage": 90, "uncertainty": 45, "buffer": 171, "issuable": 594})


def test_deduction_order_gold_standard(profiles: dict[str, StandardProfile]) -> None:
    """GS: 20 % of net certified removals to the Compliance Buffer (GS FAQ). N = 900; LK 90; UNC 40.5;
    BUF = 0.2 × 769.5 = 153.9; issuable 615.6 (= 80 % of 769.5)."""
    assert profiles["gold-standard"].require("buffer_fraction") == 0.20
    got = _one(profiles["gold-standard"], 0.1, 0.05, 0.2)
    assert got == pytest.approx({"leakage": 90, "uncertainty": 40.5, "buffer": 153.9, "issuable": 615.6})


def test_standards_on_the_issue_project(profiles: dict[str, StandardProfile]) -> None:
    """Issue project, ex ante: CCER none; Verra ≥ 10 % uncertainty (VM0047 §8.5) then buffer floor 10 % (estimate)
    on the net after uncertainty; GS 20 % buffer."""
    gross = 30 * 11460.166667
    results = estimate_all(issue_project())
    assert results["ccer"].total_issuable_tco2e == pytest.approx(gross, rel=1e-6)
    assert results["verra"].total_issuable_tco2e == pytest.approx(gross * 0.9 * 0.9, rel=1e-6)
    assert results["gold-standard"].total_issuable_tco2e == pytest.approx(gross * 0.8, rel=1e-6)
    scored = estimate_credits(issue_project(risk={"verra_nprt_score": 17}), profiles["verra"])
    assert scored.total_issuable_tco2e == pytest.approx(gross * 0.9 * 0.83, rel=1e-6)


def test_uncertainty_rules(profiles: dict[str, StandardProfile]) -> None:
    """Excess over the 10 % threshold (default) or all of it (rule: full); VM0047: > 100 % → zero credits."""
    gross = 30 * 11460.166667
    excess = estimate_credits(issue_project(uncertainty={"relative_half_width_90": 0.25}), profiles["ccer"])
    assert excess.total_issuable_tco2e == pytest.approx(gross * 0.85, rel=1e-6)
    full = estimate_credits(issue_project(uncertainty={"relative_half_width_90": 0.25, "rule": "full"}),
                            profiles["ccer"])
    assert full.total_issuable_tco2e == pytest.approx(gross * 0.75, rel=1e-6)
    zero = estimate_credits(issue_project(uncertainty={"relative_half_width_90": 1.2}), profiles["verra"])
    assert zero.total_issuable_tco2e == 0


# --- eligibility edge dates ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "eligible"), [("2012-11-08", False), ("2012-11-09", True)])
def test_ccer_project_start_after_2012_11_08(start: str, eligible: bool, profiles: dict[str, StandardProfile]) -> None:
    """管理办法(试行) Art. 10: a project must have started after 2012-11-08 (the day itself does not qualify)."""
    est = estimate_credits(issue_project(project__start_date=start), profiles["ccer"])
    assert est.eligibility.eligible is eligible


def test_ccer_removals_only_after_2020_09_22(profiles: dict[str, StandardProfile]) -> None:
    """Art. 17: creditable reductions arise after 2020-09-22. A 2020-01-01 start credits 100/366 of 2020 (from
    2020-09-23 to 12-31), and nothing of earlier days; Verra has no such date."""
    project = issue_project(project__start_date="2020-01-01")
    ccer = estimate_credits(project, profiles["ccer"]).vintages()
    verra = estimate_credits(project, profiles["verra"]).vintages()
    assert ccer[0]["year"] == 2020
    assert ccer[0]["gross_removals_tco2e"] == pytest.approx(11460.1667 * 100 / 366, rel=1e-5)
    assert verra[0]["gross_removals_tco2e"] == pytest.approx(11460.1667, rel=1e-5)


@pytest.mark.parametrize(("start", "parcel", "eligible"), [
    ("2019-12-31", 500, False), ("2019-12-31", 667, True), ("2020-01-01", 400, True), ("2020-01-01", 399, False)])
def test_ccer_parcel_minimum(start: str, parcel: float, eligible: bool, profiles: dict[str, StandardProfile]) -> None:
    """CCER-14-001-V01 c): ≥ 400 m² contiguous parcels; ≥ 667 m² for projects started in or before 2019."""
    project = issue_project(project__start_date=start, eligibility__parcel_min_m2=parcel)
    assert estimate_credits(project, profiles["ccer"]).eligibility.eligible is eligible


@pytest.mark.parametrize(("years", "eligible"), [(19, False), (20, True), (40, True), (41, False)])
def test_ccer_crediting_period_20_to_40(years: int, eligible: bool, profiles: dict[str, StandardProfile]) -> None:
    est = estimate_credits(issue_project(project__crediting_years=years), profiles["ccer"])
    assert est.eligibility.eligible is eligible


@pytest.mark.parametrize(("years", "eligible"), [(2.9, False), (3, True)])
def test_ccer_land_non_forest_three_years(years: float, eligible: bool, profiles: dict[str, StandardProfile]) -> None:
    est = estimate_credits(issue_project(eligibility__land_non_forest_years=years), profiles["ccer"])
    assert est.eligibility.eligible is eligible


def test_economic_forest_and_missing_facts(profiles: dict[str, StandardProfile]) -> None:
    """CCER-14-001 excludes economic forest; a fact not given is never a pass; Verra does not exclude plantations."""
    rubber = issue_project(eligibility__economic_forest=True)
    ccer = estimate_credits(rubber, profiles["ccer"])
    assert not ccer.eligibility.eligible and "经济林" in ccer.eligibility.reasons[0]
    assert ccer.total_issuable_tco2e == 0
    assert estimate_credits(rubber, profiles["verra"]).eligibility.eligible
    unknown = issue_project(eligibility={"land_non_forest_years": 10, "parcel_min_m2": 5000})
    assert any("not stated" in r for r in estimate_credits(unknown, profiles["ccer"]).eligibility.reasons)


# --- issuance windows ----------------------------------------------------------------------------------------------
def test_ccer_issuance_window_previous_five_years(profiles: dict[str, StandardProfile]) -> None:
    """Art. 17: each issuance covers removals within the 5 years before the application."""
    ccer = profiles["ccer"]
    assert issuance_window(ccer, date(2030, 7, 1)) == (date(2025, 7, 1), date(2030, 7, 1))
    shares = claimable_shares(ccer, date(2030, 7, 1), list(range(2024, 2032)))
    assert shares[2024] == 0.0
    assert shares[2025] == pytest.approx(184 / 365)
    assert all(shares[y] == 1.0 for y in range(2026, 2030))
    assert shares[2030] == pytest.approx(181 / 365)
    assert shares[2031] == 0.0
    # never before the regime's removals date
    assert issuance_window(ccer, date(2023, 1, 1))[0] == date(2020, 9, 23)


def test_gold_standard_per_five_years_ahead(profiles: dict[str, StandardProfile]) -> None:
    """GS rule update 2017-08-29: Planned Emission Reductions up to 5 years ahead of verification."""
    earliest, latest = issuance_window(profiles["gold-standard"], date(2026, 1, 1))
    assert earliest is None and latest == date(2031, 1, 1)


def test_claimable_on_estimate(profiles: dict[str, StandardProfile]) -> None:
    est = estimate_credits(issue_project(), profiles["ccer"])
    claim = claimable_on(est, date(2030, 1, 1))
    assert claim[2025] == pytest.approx(11460.1667, rel=1e-6) and claim[2024] == 0.0 and claim[2030] == 0.0


# --- batch = single --------------------------------------------------------------------------------------------------
def test_batch_equals_single(profiles: dict[str, StandardProfile]) -> None:
    single = estimate_credits(issue_project(), profiles["verra"])
    rate = quantify.tier1_removal_rate(5.0, 0.33, 0.47)
    batch = ex_ante_batch(profiles["verra"], area_ha=np.array([1000.0, 500.0]), rate_young=np.array([rate, rate]),
                          rate_old=np.array([rate, rate]), young_age_limit=20,
                          start=np.array(["2024-01-01", "2024-01-01"], dtype="datetime64[D]"),
                          end=np.array(["2054-01-01", "2054-01-01"], dtype="datetime64[D]"), first_year=2024,
                          n_years=30)
    assert batch.issuable[0] == pytest.approx(single.deductions.issuable[0])
    assert batch.issuable[1] == pytest.approx(single.deductions.issuable[0] / 2)


# --- valuation and county link -------------------------------------------------------------------------------------
def test_npv_and_collateral(lib: FactorLibrary) -> None:
    """PV = Σ T P (1 + r)^−t; collateral = tonnes × reference price × pledge rate (an input)."""
    value = credit_stream_value([2025, 2026, 2027], [100, 100, 100], 70.0, discount_rate=0.08, base_year=2025)
    assert value["npv"] == pytest.approx(7000 * (1 + 1 / 1.08 + 1 / 1.08 ** 2))
    rated = credit_stream_value([2025], [100], 70.0, discount_rate=0.0, base_year=2025, quality_discount=0.25,
                                price_growth=0.1, price_year=2024)
    assert rated["npv"] == pytest.approx(100 * 70 * 1.1 * 0.75)
    price = resolve_price(lib, "cn-central")
    assert (price.value, price.currency, price.factor_id) == (70.0, "CNY", "credits.price_scenario.cn-central")
    assert resolve_price(lib, "credits.price.ccer.2025").value == 70.76
    assert collateral_value(10_000, price.value, 0.6) == pytest.approx(420_000)


def test_sink_series_for_pathways() -> None:
    a = estimate_credits(issue_project(), "ccer")
    b = estimate_credits(issue_project(project__name="second", project__start_date="2030-01-01",
                                       project__area_ha=100), "gold-standard")
    series = sink_series([a, b])
    assert int(series.years[0]) == 2024 and int(series.years[-1]) == 2059
    assert series.removals_tco2e[0] == pytest.approx(11460.1667, rel=1e-6)
    assert series.removals_tco2e[6] == pytest.approx(11460.1667 * 1.1, rel=1e-6)  # 2030: both projects
    assert (series.as_emissions() <= 0).all()
    issuable = sink_series([a, b], basis="issuable")
    assert issuable.removals_tco2e.sum() == pytest.approx(a.total_issuable_tco2e + b.total_issuable_tco2e)


def test_ex_post_stock_difference_volume_route(profiles: dict[str, StandardProfile]) -> None:
    """CCER-14-001 family: stock = V × WD × BEF × (1 + R) × CF × 44/12; eucalyptus rows of Zhu et al. 2020
    (BEF 1.251, R 0.190; WD derived 0.526). 50 → 110 m³/ha over 2025 on 10 ha."""
    project = issue_project(method="stock-difference", parameters={"species": "cn_south.eucalyptus"},
                            project__area_ha=10,
                            monitoring=[{"date": "2025-01-01", "volume_m3_per_ha": 50},
                                        {"date": "2026-01-01", "volume_m3_per_ha": 110}])
    est = estimate_credits(project, profiles["ccer"])
    factor = 0.526 * 1.251 * 1.19 * 0.47 * C_TO_CO2
    assert est.vintages()[0]["year"] == 2025
    assert est.vintages()[0]["gross_removals_tco2e"] == pytest.approx(60 * 10 * factor)
    assert est.parameters["biomass_expansion_factor"].factor_id == "credits.species.eucalyptus.bef"
