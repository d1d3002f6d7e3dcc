"""Monte Carlo uncertainty of an inventory (IPCC 2006 Vol. 1 Ch. 3, Approach 2).

Each factor row with an uncertainty range is one random variable, drawn once per draw and shared by
every line that uses it (a factor used twice is perfectly correlated with itself); each line's activity
data with ``uncertainty_pct`` is an independent normal variable. Every line's CO2e is a product of its
quantity and its factors, so a draw scales each gas contribution by the product of its variables' ratios
to their central values. Results are the 2.5th, 50th and 97.5th percentiles (the 95 % interval of IPCC).

Distributions of factor rows (lower/upper are the 95 % bounds):
normal — σ = (upper − lower) / 3.92, truncated at 0; lognormal — median = value,
σ_ln = ln(upper / lower) / 3.92; triangular — (lower, value, upper); uniform — [lower, upper].
A range without a named distribution is taken as normal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm

from countyzero.factors.library import Factor, FactorLibrary
from countyzero.inventory.model import InventoryInput, LineResult

Z95 = float(norm.ppf(0.975))  # standard normal quantile of 0.975: a 95 % interval is ±Z95 σ
PERCENTILES = (2.5, 50.0, 97.5)


def _ratios(factor: Factor, draws: int, rng: np.random.Generator) -> np.ndarray:
    lo, hi, value = factor.uncertainty_lower, factor.uncertainty_upper, factor.value
    assert lo is not None and hi is not None
    kind = factor.distribution or "normal"
    if kind == "lognormal" and lo > 0 and value > 0:
        sample = value * np.exp(rng.normal(0.0, np.log(hi / lo) / (2 * Z95), draws))
    elif kind == "triangular" and hi > lo:
        sample = rng.triangular(lo, value, hi, draws)
    elif kind == "uniform":
        sample = rng.uniform(lo, hi, draws)
    else:
        sample = rng.normal(value, (hi - lo) / (2 * Z95), draws)
        if value > 0:
            sample = np.clip(sample, 0.0, None)
    return sample / value if value else np.ones(draws)


def _summary(values: np.ndarray) -> dict[str, float]:
    p = np.percentile(values, PERCENTILES)
    return {"mean": float(values.mean()), "p2_5": float(p[0]), "p50": float(p[1]), "p97_5": float(p[2])}


def monte_carlo(data: InventoryInput, lines: list[LineResult], library: FactorLibrary, draws: int,
                seed: int) -> dict[str, Any]:
    """Percentiles of gross, removals and net over ``draws`` Monte Carlo draws."""
    rng = np.random.default_rng(seed)
    factor_ratios: dict[str, np.ndarray] = {}
    activity_pct = {line.id: line.uncertainty_pct for line in data.activities}
    gross = np.zeros(draws)
    removals = np.zeros(draws)
    for line in lines:
        if line.notation_key is not None:
            continue
        pct = activity_pct.get(line.id)
        activity = (np.clip(rng.normal(1.0, pct / 100 / Z95, draws), 0.0, None) if pct else None)
        total = np.zeros(draws)
        for gas in line.gases:
            ratio = np.ones(draws)
            for factor_id in gas.factor_ids:
                if factor_id not in library:
                    continue
                factor = library.get(factor_id)
                if not factor.has_uncertainty:
                    continue
                if factor_id not in factor_ratios:
                    factor_ratios[factor_id] = _ratios(factor, draws, rng)
                ratio = ratio * factor_ratios[factor_id]
            total += gas.tco2e * ratio
        if activity is not None:
            total = total * activity
        if line.tco2e >= 0:
            gross += total
        else:
            removals += total
    net = gross + removals
    return {
        "method": "IPCC 2006 Vol. 1 Ch. 3 Approach 2 (Monte Carlo)",
        "draws": draws,
        "seed": seed,
        "uncertain_factors": sorted(factor_ratios),
        "gross_tco2e": _summary(gross),
        "removals_tco2e": _summary(removals),
        "net_tco2e": _summary(net),
    }
