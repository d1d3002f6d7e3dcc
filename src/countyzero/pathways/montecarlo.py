"""Monte Carlo over uncertain drivers, grid factors, measure effects and base-year activity data.

Latin hypercube sampling (scipy.stats.qmc.LatinHypercube, seeded) in the unit cube, mapped to each
quantity's distribution by its inverse CDF:

* cited values with a ``low``/``high`` range (or a factor row with uncertainty bounds): triangular with the
  value as its mode;
* base-year activity of an inventory line with ``uncertainty_pct`` (95 % half-width): normal with
  σ = pct / 1.96, truncated at zero.

The draws run through the same vectorised projection as a single run, in blocks of 1 000. Results: the
probability of peaking by the target year, of net zero by the target year, and fan-chart percentiles.

References
----------
IPCC 2006 Guidelines Vol. 1 Ch. 3 (Approach 2); McKay, Beckman & Conover (1979), Technometrics 21:239–245
(Latin hypercube); research/county.md §3.7.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm, qmc, triang

from countyzero.core.errors import InputError
from countyzero.pathways.analytics import net_zero_years, peak_years
from countyzero.pathways.compile import Context
from countyzero.pathways.projection import GROSS, NET, NEUTRALITY, PEAK, CompiledModel, FloatArray, evaluate

BLOCK = 1000
FAN_PERCENTILES = (2.5, 5.0, 25.0, 50.0, 75.0, 95.0, 97.5)


def _inverse(u: FloatArray, low: float, mode: float, high: float, distribution: str) -> FloatArray:
    if distribution == "normal":
        sd = high / 1.96
        return np.asarray(np.maximum(norm.ppf(u, loc=mode, scale=sd), 0.0), dtype=float)
    if high <= low:
        return np.full(u.shape, mode)
    c = (mode - low) / (high - low)
    return np.asarray(triang.ppf(u, c, loc=low, scale=high - low), dtype=float)


def sample_inputs(model: CompiledModel, context: Context, draws: int, seed: int) -> dict[str, FloatArray]:
    """Latin-hypercube samples of every uncertain input, as the arrays :func:`evaluate` takes.

    Returns
    -------
    dict with ``effect`` [N, M], ``driver_log_index`` [N, Dr, T], ``grid_scale`` [N, T], ``stream_scale`` [N, S].
    """
    if draws < 1:
        raise InputError("Monte Carlo needs at least one draw", field="draws")
    uncertain = context.uncertain
    years = model.years
    n_streams = len(model.stream_ids)
    effect = np.broadcast_to(model.effect, (draws, model.n_measures)).copy()
    driver_log = np.broadcast_to(model.driver_log_index, (draws, *model.driver_log_index.shape)).copy()
    grid_values = np.broadcast_to(np.array([v for _, v in context.grid_points]),
                                  (draws, len(context.grid_points))).copy()
    stream_scale = np.ones((draws, n_streams))
    if uncertain:
        cube = qmc.LatinHypercube(d=len(uncertain), rng=np.random.default_rng(seed)).random(draws)
        for j, item in enumerate(uncertain):
            sample = _inverse(cube[:, j], item.low, item.mode, item.high, item.distribution)
            if item.kind == "effect":
                effect[:, item.index] = sample
            elif item.kind == "grid":
                grid_values[:, item.index] = sample
            elif item.kind == "activity":
                stream_scale[:, item.index] = sample
            elif item.kind == "driver":
                d, start, end, rate = context.driver_periods[item.index]
                step = ((years > start) & (years <= end)).astype(float)
                driver_log[:, d, :] += np.cumsum(step)[None, :] * (np.log1p(sample) - np.log1p(rate))[:, None]
    derived = np.flatnonzero(model.parent >= 0)
    stream_scale[:, derived] = stream_scale[:, model.parent[derived]]
    grid_years = [y for y, _ in context.grid_points]
    grid = np.array([np.interp(years, grid_years, row) for row in grid_values])
    grid_scale = np.divide(grid, model.grid[None, :], out=np.ones_like(grid), where=model.grid[None, :] > 0)
    return {"effect": effect, "driver_log_index": driver_log, "grid_scale": grid_scale,
            "stream_scale": stream_scale}


def monte_carlo(model: CompiledModel, context: Context, draws: int, seed: int) -> dict[str, Any]:
    """Run ``draws`` Latin-hypercube draws; probabilities of meeting the targets and fan percentiles.

    Returns
    -------
    dict
        ``draws``, ``seed``, ``p_peak_by_target``, ``p_net_zero_by_target``, ``p_peak_by_year`` (share of
        draws peaked by each year), ``fan`` ({metric: {percentile: [per year]}}), ``parameters`` (how many
        uncertain inputs of each kind).
    """
    samples = sample_inputs(model, context, draws, seed)
    peaks = np.empty(draws, dtype=np.int64)
    zeros = np.empty(draws, dtype=np.int64)
    fan_source: dict[str, list[FloatArray]] = {"gross": [], "net": [], "peak_metric": [], "neutrality_metric": []}
    for start in range(0, draws, BLOCK):
        block = slice(start, min(start + BLOCK, draws))
        metrics = evaluate(model, None, effect=samples["effect"][block],
                           driver_log_index=samples["driver_log_index"][block],
                           grid_scale=samples["grid_scale"][block], stream_scale=samples["stream_scale"][block])[0]
        peaks[block] = peak_years(model.years, metrics[:, PEAK, :], context.peak_tolerance)
        zeros[block] = net_zero_years(model.years, metrics[:, NEUTRALITY, :])
        fan_source["gross"].append(metrics[:, GROSS, :])
        fan_source["net"].append(metrics[:, NET, :])
        fan_source["peak_metric"].append(metrics[:, PEAK, :])
        fan_source["neutrality_metric"].append(metrics[:, NEUTRALITY, :])
    fan = {}
    for name, parts in fan_source.items():
        values = np.concatenate(parts, axis=0)
        pct = np.percentile(values, FAN_PERCENTILES, axis=0)
        fan[name] = {f"p{p:g}": pct[i].tolist() for i, p in enumerate(FAN_PERCENTILES)}
    peaked = peaks >= 0
    p_peak = float(np.mean(peaked & (peaks <= context.peak_target_year)))
    p_nz = float(np.mean((zeros >= 0) & (zeros <= context.neutrality_target_year)))
    kinds: dict[str, int] = {}
    for item in context.uncertain:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    return {
        "draws": draws, "seed": seed, "sampling": "Latin hypercube (scipy.stats.qmc.LatinHypercube)",
        "p_peak_by_target": p_peak, "p_net_zero_by_target": p_nz,
        "p_peak_by_year": [float(np.mean(peaked & (peaks <= y))) for y in model.years],
        "p_net_zero_by_year": [float(np.mean((zeros >= 0) & (zeros <= y))) for y in model.years],
        "fan": fan, "parameters": kinds,
    }
