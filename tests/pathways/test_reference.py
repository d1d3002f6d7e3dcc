"""Reference tests: hand-made trajectories and small problems with known answers (issue 3, Acceptance)."""

from __future__ import annotations

import numpy as np
import pytest

from countyzero.core.errors import InputError
from countyzero.pathways import lmdi, net_zero_year, net_zero_years, peak_year, peak_years
from countyzero.pathways.analytics import (
    capital_recovery_factor,
    coalition_matrix,
    log_mean,
    shapley_exact,
    shapley_sampled,
)
from countyzero.pathways.engine import PreparedScenario, lmdi_of_run
from countyzero.pathways.montecarlo import monte_carlo
from countyzero.pathways.optimise import LinearPlanProblem, solve_linear_plan
from countyzero.pathways.projection import GROSS, NET, NEUTRALITY, evaluate

YEARS = list(range(2025, 2035))


# peak -----------------------------------------------------------------------------------------------
def test_peak_simple_rise_and_fall() -> None:
    assert peak_year(YEARS[:5], [1, 2, 3, 2, 1]) == 2027


def test_peak_dip_and_rebound_above_first_top() -> None:
    # a first top in 2027, a dip, then a higher rebound in 2030: the peak is the rebound
    values = [10, 11, 12, 11, 11.5, 12.5, 12.0, 11.0, 10.0, 9.0]
    assert peak_year(YEARS, values) == 2030


def test_peak_dip_and_rebound_below_first_top() -> None:
    values = [10, 11, 12, 11, 11.5, 11.8, 11.0, 10.0, 9.0, 8.0]
    assert peak_year(YEARS, values) == 2027


def test_peak_plateau_tolerance() -> None:
    values = [10, 11, 12, 12.04, 12.05, 11.9, 11.5, 11.0, 10.0, 9.0]
    assert peak_year(YEARS, values, tolerance=0.0) == 2029
    assert peak_year(YEARS, values, tolerance=0.005) == 2027  # 12.05 ≤ 12 × 1.005 = 12.06


def test_peak_still_rising_is_none() -> None:
    assert peak_year(YEARS, np.arange(10.0)) is None
    assert peak_year(YEARS, [5, 4, 3, 2, 1, 2, 3, 4, 5, 6]) is None


def test_peak_falling_series_peaks_first_year() -> None:
    assert peak_year(YEARS, np.arange(10.0)[::-1]) == 2025


def test_peak_single_year_and_ties() -> None:
    assert peak_year([2030], [5.0]) == 2030
    assert peak_year(YEARS[:4], [1, 3, 3, 2]) == 2026


def test_peak_years_batch_matches_scalar() -> None:
    rng = np.random.default_rng(1)
    values = rng.normal(size=(200, 10)).cumsum(axis=1)
    batch = peak_years(YEARS, values, 0.01)
    for row, got in zip(values, batch, strict=True):
        expected = peak_year(YEARS, row, 0.01)
        assert got == (-1 if expected is None else expected)


# net zero -------------------------------------------------------------------------------------------
def test_net_zero_sustained() -> None:
    # net dips below zero in 2027, rebounds in 2028, then stays below from 2029
    values = [5, 2, -1, 1, -1, -2, -3, -3, -4, -5]
    assert net_zero_year(YEARS, values) == 2029


def test_net_zero_zero_counts_and_none() -> None:
    assert net_zero_year(YEARS[:4], [3, 0, 0, -1]) == 2026
    assert net_zero_year(YEARS[:4], [-1, -2, -3, 1]) is None
    assert net_zero_year(YEARS[:3], [-1, -2, -3]) == 2025


def test_net_zero_years_batch_matches_scalar() -> None:
    rng = np.random.default_rng(2)
    values = rng.normal(size=(300, 10))
    batch = net_zero_years(YEARS, values)
    for row, got in zip(values, batch, strict=True):
        expected = net_zero_year(YEARS, row)
        assert got == (-1 if expected is None else expected)


@pytest.mark.parametrize(("years", "values"), [([], []), ([2025, 2026], [1.0]), ([2026, 2025], [1.0, 2.0]),
                                               ([2025, 2026], [1.0, float("nan")])])
def test_bad_series(years: list[int], values: list[float]) -> None:
    with pytest.raises(InputError):
        peak_year(years, values)
    with pytest.raises(InputError):
        net_zero_year(years, values)


def test_negative_tolerance() -> None:
    with pytest.raises(InputError, match="tolerance"):
        peak_year(YEARS[:3], [1, 2, 1], tolerance=-0.1)


# Shapley --------------------------------------------------------------------------------------------
def _multiplicative_game(reductions: np.ndarray, base: np.ndarray):
    def value(coalitions: np.ndarray) -> np.ndarray:
        keep = np.prod(1 - coalitions[:, :, None] * reductions[None], axis=1)
        return base[None] * keep

    return value


def test_shapley_two_players_by_hand() -> None:
    # v(∅)=100, v({a})=50, v({b})=80, v({a,b})=40 → φ_a = ½(−50) + ½(−40) = −45, φ_b = ½(−20) + ½(−10) = −15
    table = {0: 100.0, 1: 50.0, 2: 80.0, 3: 40.0}

    def value(coalitions: np.ndarray) -> np.ndarray:
        codes = (coalitions * [1, 2]).sum(axis=1).astype(int)
        return np.array([[table[c]] for c in codes])

    phi = shapley_exact(value, 2)
    assert phi[:, 0] == pytest.approx([-45.0, -15.0])


def test_shapley_exact_sums_to_total_every_year() -> None:
    rng = np.random.default_rng(3)
    n, t = 8, 12
    reductions = rng.uniform(0, 0.5, size=(n, t))
    base = rng.uniform(50, 100, size=t)
    value = _multiplicative_game(reductions, base)
    phi = shapley_exact(value, n)
    total = value(np.ones((1, n)))[0] - value(np.zeros((1, n)))[0]
    assert phi.sum(axis=0) == pytest.approx(total, rel=1e-12)


def test_shapley_symmetric_players_equal() -> None:
    reductions = np.full((3, 1), 0.2)
    phi = shapley_exact(_multiplicative_game(reductions, np.array([100.0])), 3)
    assert phi[0, 0] == pytest.approx(phi[1, 0]) == pytest.approx(phi[2, 0])


def test_shapley_sampled_sums_exactly_and_approximates() -> None:
    rng = np.random.default_rng(4)
    n = 9
    reductions = rng.uniform(0, 0.4, size=(n, 3))
    value = _multiplicative_game(reductions, np.array([100.0, 120.0, 90.0]))
    exact = shapley_exact(value, n)
    sampled = shapley_sampled(value, n, 400, seed=7)
    assert sampled.sum(axis=0) == pytest.approx(exact.sum(axis=0), rel=1e-12)
    assert np.abs(sampled - exact).max() < 0.5
    assert np.array_equal(sampled, shapley_sampled(value, n, 400, seed=7))


def test_coalition_matrix_bits() -> None:
    assert coalition_matrix(np.array([0, 5]), 3).tolist() == [[0, 0, 0], [1, 0, 1]]


def test_wedges_sum_to_total_abatement(policy: PreparedScenario, reference: PreparedScenario) -> None:
    from countyzero.pathways.engine import run_prepared

    result = run_prepared(policy, reference=reference, draws=0)
    assert result.wedges is not None and "exact Shapley" in (result.wedge_method or "")
    wedges = np.array(list(result.wedges.values())).sum(axis=0)
    ref = evaluate(reference.model)[0][0][NEUTRALITY]
    assert wedges == pytest.approx(ref - np.array(result.neutrality_metric), abs=1e-6)


# LMDI -----------------------------------------------------------------------------------------------
def test_log_mean() -> None:
    assert log_mean(np.array([2.0]), np.array([2.0]))[0] == 2.0
    assert log_mean(np.array([np.e]), np.array([1.0]))[0] == pytest.approx(np.e - 1)
    assert log_mean(np.array([3.0]), np.array([0.0]))[0] == 0.0


def test_lmdi_kaya_by_hand() -> None:
    start = {"population": [100.0, 50.0], "intensity": [2.0, 4.0], "factor": [0.5, 0.5]}
    end = {"population": [110.0, 40.0], "intensity": [1.5, 4.4], "factor": [0.4, 0.5]}
    effects = lmdi(start, end)
    change = (110 * 1.5 * 0.4 + 40 * 4.4 * 0.5) - (100 + 100)
    assert sum(effects.values()) == pytest.approx(change, rel=1e-12)
    # stream 1: population effect = L(66, 100) ln(1.1); stream 2: L(88, 100) ln(0.8)
    expected_pop = float(log_mean(np.array([66.0]), np.array([100.0]))[0] * np.log(1.1)
                         + log_mean(np.array([88.0]), np.array([100.0]))[0] * np.log(0.8))
    assert effects["population"] == pytest.approx(expected_pop)


def test_lmdi_zero_values_stay_exact() -> None:
    start = {"a": [1.0, 0.0, 2.0], "b": [3.0, 2.0, 1.0]}
    end = {"a": [2.0, 1.0, 0.0], "b": [3.0, 2.0, 1.0]}
    effects = lmdi(start, end)
    assert sum(effects.values()) == pytest.approx((6 + 2 + 0) - (3 + 0 + 2))
    assert effects["b"] == pytest.approx(0.0)


def test_lmdi_of_baoting_sums(nz: PreparedScenario) -> None:
    metrics, comp, _ = evaluate(nz.model, detail=True)
    assert comp is not None
    out = lmdi_of_run(nz.model, comp[0], 0, 18)
    change = metrics[0, GROSS, 18] - metrics[0, GROSS, 0]
    assert sum(out["effects_tco2e"].values()) == pytest.approx(change, rel=1e-9)
    assert out["change_tco2e"] == pytest.approx(change, rel=1e-9)


# LP -------------------------------------------------------------------------------------------------
def test_lp_known_optimum_one_measure() -> None:
    p = LinearPlanProblem(np.ones(3), np.array([1.0]), np.zeros(1), np.array([0.5]), np.array([[0.0, 1, 1]]),
                          np.zeros(3), np.zeros((1, 3)), np.full(3, 10.0), np.full((1, 3), -10.0),
                          peak_index=2, nz_index=2, penalty=1e6)
    s = solve_linear_plan(p)
    assert s.adoption[0] == pytest.approx([0.0, 0.5, 1.0])
    assert s.cost == pytest.approx(1.5)
    assert s.nz_slack.sum() == pytest.approx(0.0)


def test_lp_picks_the_cheaper_measure_and_discounts() -> None:
    # two measures, each able to cut 10 t; need net ≤ 0 from year 1 where base is 10
    disc = np.array([1.0, 1 / 1.1])
    p = LinearPlanProblem(disc, np.array([3.0, 1.0]), np.zeros(2), np.ones(2), np.array([[0.0, 1], [0.0, 1]]),
                          np.zeros(2), np.zeros((2, 2)), np.full(2, 10.0), np.full((2, 2), -10.0),
                          peak_index=1, nz_index=1, penalty=1e6)
    s = solve_linear_plan(p)
    assert s.adoption[:, 1] == pytest.approx([0.0, 1.0])
    assert s.cost == pytest.approx(1.0 / 1.1)


def test_lp_infeasible_reports_shortfall() -> None:
    # the measure can cut only 6 of 10 t: 4 t shortfall in each of the two constrained years
    p = LinearPlanProblem(np.ones(3), np.array([1.0]), np.zeros(1), np.ones(1), np.array([[0.0, 1, 1]]),
                          np.zeros(3), np.zeros((1, 3)), np.full(3, 10.0), np.full((1, 3), -6.0),
                          peak_index=2, nz_index=1, penalty=1e3)
    s = solve_linear_plan(p)
    assert s.nz_slack.tolist() == pytest.approx([0.0, 4.0, 4.0])
    assert s.adoption[0, 1:] == pytest.approx([1.0, 1.0])


def test_lp_peak_constraint() -> None:
    # metric rises 10 → 12 → 14 without the measure; the measure cuts up to 5 t; peak by year 0 needs
    # P1 ≤ P0 and P2 ≤ P1: x1 ≥ 0.4, x2 ≥ 0.8 (cheapest: exactly that)
    p = LinearPlanProblem(np.ones(3), np.array([1.0]), np.zeros(1), np.ones(1), np.array([[0.0, 1, 1]]),
                          np.array([10.0, 12.0, 14.0]), np.full((1, 3), -5.0), np.full(3, -1.0), np.zeros((1, 3)),
                          peak_index=0, nz_index=2, penalty=1e6)
    s = solve_linear_plan(p)
    assert s.adoption[0] == pytest.approx([0.0, 0.4, 0.8])


def test_least_cost_plan_baoting_runs(nz: PreparedScenario) -> None:
    from countyzero.pathways.optimise import least_cost_plan

    result = least_cost_plan(nz.model, nz.context)
    assert set(result.adoption) == set(nz.model.measure_ids)
    x = np.array(list(result.adoption.values()))
    assert (x >= -1e-9).all() and (x <= 1 + 1e-9).all()
    assert (np.diff(x, axis=1) >= -1e-9).all()
    assert result.net_zero_year is not None and result.net_zero_year <= 2040


# Monte Carlo ----------------------------------------------------------------------------------------
def test_monte_carlo_reproducible_with_seed(policy: PreparedScenario) -> None:
    a = monte_carlo(policy.model, policy.context, 300, seed=11)
    b = monte_carlo(policy.model, policy.context, 300, seed=11)
    c = monte_carlo(policy.model, policy.context, 300, seed=12)
    assert a == b
    assert a["fan"] != c["fan"]
    assert 0.0 <= a["p_peak_by_target"] <= 1.0 and 0.0 <= a["p_net_zero_by_target"] <= 1.0
    fan = a["fan"]["net"]
    assert (np.array(fan["p2.5"]) <= np.array(fan["p50"]) + 1e-9).all()
    assert (np.array(fan["p50"]) <= np.array(fan["p97.5"]) + 1e-9).all()


# stacking -------------------------------------------------------------------------------------------
def test_stacking_never_negative_activity_at_full_effects(nz: PreparedScenario) -> None:
    model = nz.model
    effect = np.where(model.measure_type == 4, model.effect, 1.0)  # every reduction at 100 %
    adoption = np.ones((1, model.n_measures, model.years.size))
    metrics, comp, mult = evaluate(model, adoption=adoption, effect=effect[None], detail=True)
    assert mult is not None and comp is not None
    assert (mult >= 0).all()
    gross = comp[0][model.metric_weights[GROSS] > 0]
    assert (gross >= -1e-9).all()
    assert metrics[0, GROSS].min() >= -1e-6


def test_stacking_is_multiplicative_not_additive(nz: PreparedScenario) -> None:
    model = nz.model
    i = model.measure_ids.index("green-buildings")
    j = model.measure_ids.index("efficient-hotels")
    stream = model.stream_ids.index("BT22-007")
    active = np.zeros((1, model.n_measures))
    active[0, [i, j]] = 1.0
    _, _, mult = evaluate(model, active, detail=True)
    assert mult is not None
    t = -1
    expected = np.exp(model.log_activity[stream, t]) * (1 - 0.25) * (1 - 0.3)
    assert mult[0, stream, t] == pytest.approx(expected)


def test_shift_moves_demand_onto_grid(nz: PreparedScenario) -> None:
    model = nz.model
    m = model.measure_ids.index("nev-private-cars")
    g = model.measure_ids.index("clean-grid-2040")
    derived = model.stream_ids.index("BT22-018>electricity")
    active = np.zeros((3, model.n_measures))
    active[1, m] = 1.0
    active[2, [m, g]] = 1.0
    _, comp, _ = evaluate(model, active, detail=True)
    assert comp is not None
    c = int(np.flatnonzero(model.comp_stream == derived)[0])
    t = -1
    assert comp[0, c, t] == 0.0
    assert comp[1, c, t] > 0.0                      # EVs draw grid electricity …
    assert comp[2, c, t] == pytest.approx(comp[1, c, t] * (1 - 0.9))  # … which grid decarbonisation cleans


def test_base_year_matches_inventory(reference: PreparedScenario) -> None:
    inventory = reference.context.inventory
    metrics = evaluate(reference.model)[0][0]
    assert metrics[GROSS, 0] == pytest.approx(inventory.gross_tco2e, rel=1e-9)
    assert metrics[NET, 0] == pytest.approx(inventory.net_tco2e, rel=1e-9)
    assert metrics[3, 0] == pytest.approx(inventory.energy_co2_t, rel=1e-9)


def test_capital_recovery_factor() -> None:
    assert capital_recovery_factor(0.0, 4) == 0.25
    assert capital_recovery_factor(0.08, 10) == pytest.approx(0.149029, rel=1e-5)
