"""Least-cost measure mix: a linear programme (scipy HiGHS) that meets the peak and neutrality targets.

Variables are the adoption x_m,t ∈ [0, 1] of each candidate measure m (the measures of a scenario file) in
each year t, and penalised slacks s_t ≥ 0 on the target constraints (research/county.md §3.5):

    min  Σ_t δ_t Σ_m [opex_m x_m,t + capex_m (x_m,t − x_m,t−1)]  +  π Σ_t (s^peak_t + s^nz_t)
    s.t. 0 ≤ x_m,t − x_m,t−1 ≤ ρ_m                       (monotone, rate-limited deployment)
         x_m,t = 0 before the measure's first planned year, and in the base year
         P_t − (1 + tol) P_T ≤ s^peak_t  for t > T_peak    (no later year above the target year's level, so
                                                        the peak year of analytics.peak_year is ≤ T_peak)
         N_t ≤ s^nz_t                  for t ≥ T_nz        (sustained neutrality)

with δ_t = (1 + r)^−(t − t0) and π the slack penalty (a factor row, far above any cost per tonne). P and N
are multilinear in the adoptions of one year, so they are linearised around the current plan,
P_t ≈ P_t(x^k) + Σ_m ∂P_t/∂x_m,t (x_m,t − x^k_m,t), the exact partials coming from two runs per measure; the
LP is solved again around its solution (successive linearisation) a fixed number of passes, and the final plan
is re-simulated exactly. Positive slack in the answer is the shortfall: how far the targets are out of reach
with these measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from countyzero.core.errors import InputError
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.pathways.analytics import discount_factors, net_zero_year, peak_year
from countyzero.pathways.compile import Context
from countyzero.pathways.engine import cost_flows
from countyzero.pathways.projection import GROSS, NET, NEUTRALITY, PEAK, CompiledModel, FloatArray, evaluate


@dataclass(frozen=True)
class LinearPlanProblem:
    """The LP in plain arrays (M measures, T years); the pure core of :func:`least_cost_plan`.

    ``peak_const``/``nz_const`` [T] and ``peak_coef``/``nz_coef`` [M, T] give the linearised metrics
    P_t = peak_const_t + Σ_m peak_coef_m,t x_m,t (likewise N). ``upper`` [M, T] bounds each x (0 forbids).
    """

    discount: FloatArray     # [T]
    opex: FloatArray         # [M] CNY/yr at full adoption
    capex: FloatArray        # [M] CNY for full adoption
    ramp: FloatArray         # [M] per year
    upper: FloatArray        # [M, T]
    peak_const: FloatArray
    peak_coef: FloatArray
    nz_const: FloatArray
    nz_coef: FloatArray
    peak_index: int          # index of the peak target year
    nz_index: int            # index of the neutrality target year
    penalty: float           # CNY per tCO2e of slack
    peak_tolerance: float = 0.0  # plateau tolerance of the peak test
    margin: float = 0.0          # tCO2e kept below each bound, so that round-off cannot break a strict test


@dataclass(frozen=True)
class LinearPlanSolution:
    adoption: FloatArray       # [M, T]
    peak_slack: FloatArray     # [T]
    nz_slack: FloatArray       # [T]
    cost: float                # discounted cost of the plan (objective less the penalty)
    status: int
    message: str


def solve_linear_plan(problem: LinearPlanProblem) -> LinearPlanSolution:
    """Solve the least-cost LP with HiGHS.

    Raises
    ------
    InputError
        If HiGHS reports the (always feasible, thanks to the slacks) problem as failed.

    Example
    -------
    One measure cutting 10 t a year at full adoption for 1 CNY/yr, net zero needed from the third year, at
    most half deployed per year: x = (0, 0.5, 1), cost 1.5.

    >>> import numpy as np
    >>> p = LinearPlanProblem(np.ones(3), np.array([1.0]), np.zeros(1), np.array([0.5]),
    ...     np.array([[0.0, 1, 1]]), np.zeros(3), np.zeros((1, 3)), np.full(3, 10.0), np.full((1, 3), -10.0),
    ...     peak_index=2, nz_index=2, penalty=1e6)
    >>> s = solve_linear_plan(p)
    >>> s.adoption.round(6).tolist(), round(s.cost, 6)
    ([[0.0, 0.5, 1.0]], 1.5)
    """
    m_count, t_count = problem.upper.shape
    nx = m_count * t_count
    peak_rows = list(range(problem.peak_index + 1, t_count))
    nz_rows = list(range(problem.nz_index, t_count))
    n_vars = nx + len(peak_rows) + len(nz_rows)

    def xi(m: int, t: int) -> int:
        return m * t_count + t

    cost = np.zeros(n_vars)
    disc = problem.discount
    next_disc = np.append(disc[1:], 0.0)
    for m in range(m_count):
        for t in range(t_count):
            cost[xi(m, t)] = disc[t] * problem.opex[m] + problem.capex[m] * (disc[t] - next_disc[t])
    cost[nx:] = problem.penalty

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []
    r = 0
    for m in range(m_count):  # ramp: x_t − x_t−1 ≤ ρ and x_t−1 − x_t ≤ 0
        for t in range(1, t_count):
            rows += [r, r, r + 1, r + 1]
            cols += [xi(m, t), xi(m, t - 1), xi(m, t), xi(m, t - 1)]
            vals += [1.0, -1.0, -1.0, 1.0]
            rhs += [float(problem.ramp[m]), 0.0]
            r += 2
    top = problem.peak_index
    grow = 1.0 + problem.peak_tolerance
    for k, t in enumerate(peak_rows):  # P_t − (1 + tol) P_T − s ≤ 0
        for m in range(m_count):
            rows += [r, r]
            cols += [xi(m, t), xi(m, top)]
            vals += [float(problem.peak_coef[m, t]), float(-grow * problem.peak_coef[m, top])]
        rows.append(r)
        cols.append(nx + k)
        vals.append(-1.0)
        rhs.append(float(grow * problem.peak_const[top] - problem.peak_const[t] - problem.margin))
        r += 1
    for k, t in enumerate(nz_rows):  # N_t − s ≤ 0
        for m in range(m_count):
            rows.append(r)
            cols.append(xi(m, t))
            vals.append(float(problem.nz_coef[m, t]))
        rows.append(r)
        cols.append(nx + len(peak_rows) + k)
        vals.append(-1.0)
        rhs.append(float(-problem.nz_const[t] - problem.margin))
        r += 1
    a_ub = coo_matrix((vals, (rows, cols)), shape=(r, n_vars)).tocsr()
    bounds: list[tuple[float, float | None]] = [
        (0.0, float(problem.upper[m, t])) for m in range(m_count) for t in range(t_count)]
    bounds += [(0.0, None)] * (n_vars - nx)
    result = linprog(cost, A_ub=a_ub, b_ub=np.array(rhs), bounds=bounds, method="highs")
    if result.x is None:
        raise InputError(f"the least-cost programme failed: {result.message}", field="optimise")
    x = np.asarray(result.x, dtype=float)
    peak_slack = np.zeros(t_count)
    nz_slack = np.zeros(t_count)
    peak_slack[peak_rows] = x[nx:nx + len(peak_rows)]
    nz_slack[nz_rows] = x[nx + len(peak_rows):]
    plan_cost = float(cost[:nx] @ x[:nx])
    return LinearPlanSolution(x[:nx].reshape(m_count, t_count), peak_slack, nz_slack, plan_cost,
                              int(result.status), str(result.message))


class OptimisationResult(BaseModel):
    """``countyzero pathways optimise`` output (docs/pathways.md)."""

    scenario: str
    years: list[int]
    feasible: bool
    shortfall_peak_tco2e: float
    shortfall_neutrality_tco2e: float
    npv_cost_cny: float
    discount_rate: float
    adoption: dict[str, list[float]]
    gross_tco2e: list[float]
    net_tco2e: list[float]
    peak_metric: list[float]
    neutrality_metric: list[float]
    peak_year: int | None
    net_zero_year: int | None
    targets: dict[str, int]
    passes: int
    solver: str
    notes: list[str]


def _linearise(model: CompiledModel, x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    m_count = model.n_measures
    trial = np.repeat(x[None], 2 * m_count, axis=0)
    for m in range(m_count):
        trial[2 * m, m, :] = 0.0
        trial[2 * m + 1, m, :] = 1.0
    metrics = evaluate(model, adoption=trial)[0]
    here = evaluate(model, adoption=x[None])[0][0]
    peak_coef = metrics[1::2, PEAK, :] - metrics[0::2, PEAK, :]
    nz_coef = metrics[1::2, NEUTRALITY, :] - metrics[0::2, NEUTRALITY, :]
    peak_const = here[PEAK] - (peak_coef * x).sum(axis=0)
    nz_const = here[NEUTRALITY] - (nz_coef * x).sum(axis=0)
    return peak_const, peak_coef, nz_const, nz_coef


def least_cost_plan(model: CompiledModel, context: Context, *, discount_rate: float | None = None,
                    library: FactorLibrary | None = None) -> OptimisationResult:
    """The cheapest adoption of a scenario's measures that meets the roadmap's peak and neutrality targets.

    Parameters
    ----------
    model, context
        A compiled scenario (its measures are the candidates; their planned paths give the earliest start).
    discount_rate : float, optional
        Overrides the roadmap's discount rate (fraction per year).

    Raises
    ------
    InputError
        If the scenario has no measures.
    """
    lib = library or default_library()
    if model.n_measures == 0:
        raise InputError("the scenario has no measures to choose from", file=context.scenario_file,
                         field="measures")
    years = model.years
    t_count = years.size
    rate = context.discount_rate if discount_rate is None else discount_rate
    disc = discount_factors(years, rate, int(years[0]))
    upper = np.ones((model.n_measures, t_count))
    upper[:, 0] = 0.0
    for m in range(model.n_measures):
        planned = np.flatnonzero(model.adoption[m] > 0)
        first = int(planned[0]) if planned.size else t_count
        upper[m, :max(first, 1)] = 0.0
    penalty_row = lib.get("pathways.default.lp_slack_penalty")
    passes = int(lib.get("pathways.default.lp_iterations").value)
    peak_index = int(np.flatnonzero(years == context.peak_target_year)[0])
    nz_index = int(np.flatnonzero(years == context.neutrality_target_year)[0])
    x = np.zeros_like(upper)
    # numerical margin: a millionth of the largest gross emissions, far inside any data uncertainty
    margin = 1e-6 * max(float(np.abs(evaluate(model, adoption=x[None])[0][0][GROSS]).max()), 1.0)
    solution: LinearPlanSolution | None = None
    for _ in range(passes):
        pc, pk, nc, nk = _linearise(model, x)
        problem = LinearPlanProblem(disc, context.opex, context.capex, context.max_ramp, upper, pc, pk, nc, nk,
                                    peak_index, nz_index, penalty_row.value, context.peak_tolerance, margin)
        solution = solve_linear_plan(problem)
        if np.allclose(solution.adoption, x, atol=1e-7):
            x = solution.adoption
            break
        x = solution.adoption
    assert solution is not None
    metrics = evaluate(model, adoption=x[None])[0][0]
    peak_metric, nz_metric = metrics[PEAK], metrics[NEUTRALITY]
    rise = np.maximum(peak_metric[peak_index + 1:] - (1 + context.peak_tolerance) * peak_metric[peak_index], 0.0)
    excess = np.maximum(nz_metric[nz_index:], 0.0)
    capex_flow, opex_flow = cost_flows(model, context, x)
    npv = float(((capex_flow + opex_flow).sum(axis=0)) @ disc)
    notes = [
        "least-cost LP (scipy.optimize.linprog, HiGHS) with successive linearisation; the plan is re-simulated",
        "LP costs count first investments; the reported NPV re-costs the plan with renewals and salvage",
        f"slack penalty {penalty_row.value:g} {penalty_row.unit} ({penalty_row.id})",
    ]
    if solution.status != 0:
        notes.append(f"solver status {solution.status}: {solution.message}")
    return OptimisationResult(
        scenario=context.scenario.id, years=[int(y) for y in years],
        feasible=bool(rise.sum() <= 0.0 and excess.sum() <= 0.0),
        shortfall_peak_tco2e=float(rise.sum()), shortfall_neutrality_tco2e=float(excess.sum()),
        npv_cost_cny=npv, discount_rate=rate,
        adoption={mid: x[i].tolist() for i, mid in enumerate(model.measure_ids)},
        gross_tco2e=metrics[GROSS].tolist(), net_tco2e=metrics[NET].tolist(), peak_metric=peak_metric.tolist(),
        neutrality_metric=nz_metric.tolist(),
        peak_year=peak_year(years, peak_metric, context.peak_tolerance),
        net_zero_year=net_zero_year(years, nz_metric),
        targets={"peak": context.peak_target_year, "neutrality": context.neutrality_target_year},
        passes=passes, solver="scipy.optimize.linprog(method='highs')", notes=notes,
    )


def optimise_file(path: str, *, discount_rate: float | None = None,
                  library: FactorLibrary | None = None) -> OptimisationResult:
    """Least-cost plan for the measures of one scenario file."""
    from pathlib import Path

    from countyzero.pathways.compile import check_sink_names, load_county
    from countyzero.pathways.engine import _roadmap_of, prepare

    lib = library or default_library()
    county = load_county(_roadmap_of(Path(path)), lib)
    prep = prepare(county, path, lib)
    check_sink_names(county, [prep.context.scenario])
    return least_cost_plan(prep.model, prep.context, discount_rate=discount_rate, library=lib)
