"""Pathway analytics: peak and net-zero years, Shapley attribution, LMDI decomposition, discounting.

Pure functions on numpy arrays; each reads like a clause of a method standard and is tested against
hand-made reference cases (tests/pathways/test_reference.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import factorial

import numpy as np
from numpy.typing import ArrayLike, NDArray

from countyzero.core.errors import InputError

FloatArray = NDArray[np.float64]


def _series(years: ArrayLike, values: ArrayLike, name: str) -> tuple[NDArray[np.int64], FloatArray]:
    y = np.asarray(years)
    v = np.asarray(values, dtype=float)
    if y.ndim != 1 or v.ndim != 1:
        raise InputError("years and values must be one-dimensional", field=name)
    if y.size == 0:
        raise InputError("the series is empty", field=name)
    if y.size != v.size:
        raise InputError(f"{y.size} years but {v.size} values", field=name)
    if not np.all(np.isfinite(v)):
        raise InputError("values must be finite numbers", field=name)
    if y.size > 1 and not np.all(np.diff(y) > 0):
        raise InputError("years must increase strictly", field=name)
    if not np.all(np.equal(np.mod(y, 1), 0)):
        raise InputError("years must be whole numbers", field=name)
    return y.astype(np.int64), v


def peak_year(years: ArrayLike, values: ArrayLike, tolerance: float = 0.0) -> int | None:
    """The year emissions peak: the first year that no later year exceeds by more than the tolerance.

    Parameters
    ----------
    years : sequence of int
        Strictly increasing calendar years.
    values : sequence of float
        Emissions in each year (any unit, e.g. tCO2 of energy-related CO2).
    tolerance : float
        Plateau tolerance as a fraction (0.005 = 0.5 %). A year t is the peak when
        ``values[u] <= values[t] + tolerance × |values[t]|`` for every later year u, and no earlier year has
        this property. China's policy wording is "peak, then a plateau, then decline" (碳达峰后稳中有降);
        research/county.md §3.6 suggests 0.5–1 %.

    Returns
    -------
    int or None
        The peak year; ``None`` when the only such year is the last one (still rising at the horizon).
        A series that only falls peaks in its first year.

    Equation
    --------
    peak = min { t : ∀ u > t, E_u ≤ E_t (1 + tol·sign E_t) }, and None if that t is the final year.

    References
    ----------
    research/county.md §3.6; 《2030年前碳达峰行动方案》(国发〔2021〕23号).

    Raises
    ------
    InputError
        If the series is empty, of unequal length, not finite, the years do not increase, or the tolerance
        is negative.

    Example
    -------
    >>> peak_year([2025, 2026, 2027, 2028, 2029], [10, 12, 11, 12.05, 9], tolerance=0.01)
    2026
    >>> peak_year([2025, 2026, 2027, 2028, 2029], [10, 12, 11, 12.5, 9]) # dip, then rebound above the first top
    2028
    >>> peak_year([2025, 2026, 2027], [1, 2, 3]) is None
    True
    """
    y, v = _series(years, values, "values")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise InputError("the plateau tolerance must be zero or positive", field="tolerance")
    # the largest value after each year (−inf after the last)
    later_max = np.concatenate([np.maximum.accumulate(v[::-1])[::-1][1:], [-np.inf]])
    ok = later_max <= v + tolerance * np.abs(v)
    first = int(np.argmax(ok))  # ok[-1] is always True
    if first == v.size - 1 and v.size > 1:
        return None
    return int(y[first])


def net_zero_year(years: ArrayLike, net_values: ArrayLike) -> int | None:
    """The first year from which net emissions stay at or below zero in every later year of the horizon.

    Parameters
    ----------
    years : sequence of int
        Strictly increasing calendar years.
    net_values : sequence of float
        Net emissions (gross minus the removals the target counts), e.g. tCO2e.

    Returns
    -------
    int or None
        The year; ``None`` when net emissions are above zero in the last year.

    Equation
    --------
    nz = min { t : ∀ u ≥ t, N_u ≤ 0 } (sustained neutrality; a single dip below zero does not count).

    References
    ----------
    research/county.md §3.6.

    Raises
    ------
    InputError
        As :func:`peak_year`.

    Example
    -------
    >>> net_zero_year([2038, 2039, 2040, 2041, 2042], [5, -1, 2, -3, -4])
    2041
    """
    y, v = _series(years, net_values, "net_values")
    above = np.flatnonzero(v > 0)
    if above.size == 0:
        return int(y[0])
    last = int(above[-1])
    if last == v.size - 1:
        return None
    return int(y[last + 1])


def peak_years(years: ArrayLike, values: ArrayLike, tolerance: float = 0.0) -> NDArray[np.int64]:
    """:func:`peak_year` for each row of a [B, T] array; −1 where there is no peak within the horizon."""
    y = np.asarray(years, dtype=np.int64)
    v = np.asarray(values, dtype=float)
    later_max = np.concatenate([np.maximum.accumulate(v[:, ::-1], axis=1)[:, ::-1][:, 1:],
                                np.full((v.shape[0], 1), -np.inf)], axis=1)
    ok = later_max <= v + tolerance * np.abs(v)
    first = np.argmax(ok, axis=1)
    out = y[first]
    if y.size > 1:
        out = np.where(first == y.size - 1, -1, out)
    return np.asarray(out, dtype=np.int64)


def net_zero_years(years: ArrayLike, net_values: ArrayLike) -> NDArray[np.int64]:
    """:func:`net_zero_year` for each row of a [B, T] array; −1 where net is above zero in the last year."""
    y = np.asarray(years, dtype=np.int64)
    v = np.asarray(net_values, dtype=float)
    above = v > 0
    t_count = y.size
    # index of the last year above zero (−1 when none)
    last = np.where(above.any(axis=1), t_count - 1 - np.argmax(above[:, ::-1], axis=1), -1)
    out = np.where(last == t_count - 1, -1, y[np.minimum(last + 1, t_count - 1)])
    return np.asarray(out, dtype=np.int64)


# Shapley attribution ------------------------------------------------------------------------------
def _popcount(codes: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    bits = (codes[:, None] >> np.arange(n)) & 1
    return np.asarray(bits.sum(axis=1), dtype=np.int64)


def coalition_matrix(codes: NDArray[np.int64], n: int) -> FloatArray:
    """0/1 rows of the players in each coalition code (bit i = player i)."""
    return ((codes[:, None] >> np.arange(n)) & 1).astype(float)


def shapley_exact(value: Callable[[FloatArray], FloatArray], n: int, *, chunk: int = 1024) -> FloatArray:
    """Exact Shapley values of n players for a vector-valued game.

    Parameters
    ----------
    value : callable
        ``value(coalitions)`` takes a [B, n] 0/1 array and returns [B, T]: the outcome (e.g. tCO2e per year)
        with only those players' measures on.
    n : int
        Number of players (measures), at most 20.
    chunk : int
        Coalitions evaluated per call.

    Returns
    -------
    array [n, T]
        φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)). Efficiency: Σ_i φ_i = v(N) − v(∅)
        for every year, to rounding.

    References
    ----------
    Shapley (1953), "A value for n-person games"; research/county.md §3.2 (wedge attribution).
    """
    if n < 1 or n > 20:
        raise InputError(f"exact Shapley values need 1–20 players, not {n}", field="measures")
    codes = np.arange(2**n, dtype=np.int64)
    parts = [np.asarray(value(coalition_matrix(codes[i:i + chunk], n)), dtype=float)
             for i in range(0, codes.size, chunk)]
    v = np.concatenate(parts, axis=0)
    size = _popcount(codes, n)
    weights = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)])
    phi = np.zeros((n, v.shape[1]))
    for i in range(n):
        without = codes[(codes >> i) & 1 == 0]
        phi[i] = weights[size[without]] @ (v[without | (1 << i)] - v[without])
    return phi


def shapley_sampled(value: Callable[[FloatArray], FloatArray], n: int, permutations: int, seed: int,
                    *, chunk: int = 1024) -> FloatArray:
    """Shapley values estimated from random orderings (with their reverses), for many players.

    Each ordering adds the players one at a time; a player's marginal contribution is the change it makes
    when it joins. The average over orderings is an unbiased estimate of the Shapley value, and because the
    contributions along one ordering telescope to v(N) − v(∅), the estimate sums to the total *exactly*.
    Antithetic pairs (an ordering and its reverse) reduce the variance.

    Parameters
    ----------
    value : callable
        As :func:`shapley_exact`.
    n : int
        Number of players.
    permutations : int
        Orderings to draw (rounded up to an even number: each comes with its reverse).
    seed : int
        Seed of the generator (numpy PCG64), so the result is reproducible.

    References
    ----------
    Castro, Gómez & Tejada (2009), "Polynomial calculation of the Shapley value based on sampling",
    Computers & Operations Research 36(5):1726–1730.
    """
    if permutations < 1:
        raise InputError("at least one permutation is needed", field="permutations")
    rng = np.random.default_rng(seed)
    half = (permutations + 1) // 2
    orders = np.array([rng.permutation(n) for _ in range(half)], dtype=np.int64)
    orders = np.concatenate([orders, orders[:, ::-1]], axis=0)
    p = orders.shape[0]
    # coalition after k players of each ordering: rows [p, n + 1, n]
    member = np.zeros((p, n + 1, n))
    for k in range(1, n + 1):
        member[:, k, :] = member[:, k - 1, :]
        member[np.arange(p), k, orders[:, k - 1]] = 1.0
    flat = member.reshape(-1, n)
    v = np.concatenate([np.asarray(value(flat[i:i + chunk]), dtype=float) for i in range(0, flat.shape[0], chunk)])
    v = v.reshape(p, n + 1, -1)
    gains = v[:, 1:, :] - v[:, :-1, :]  # [p, n, T], gain of the k-th player of each ordering
    phi = np.zeros((n, v.shape[2]))
    for k in range(n):
        np.add.at(phi, orders[:, k], gains[:, k, :])
    return phi / p


# LMDI ----------------------------------------------------------------------------------------------
def log_mean(a: FloatArray, b: FloatArray) -> FloatArray:
    """Logarithmic mean L(a, b) = (a − b)/(ln a − ln b), L(a, a) = a, L(a, 0) = 0 (a, b ≥ 0)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.zeros(np.broadcast(a, b).shape)
    both = (a > 0) & (b > 0)
    same = both & np.isclose(a, b, rtol=1e-12, atol=0.0)
    diff = both & ~same
    out[same] = np.broadcast_to(a, out.shape)[same]
    aa, bb = np.broadcast_to(a, out.shape)[diff], np.broadcast_to(b, out.shape)[diff]
    out[diff] = (aa - bb) / (np.log(aa) - np.log(bb))
    return out


def lmdi(start: Mapping[str, ArrayLike], end: Mapping[str, ArrayLike]) -> dict[str, float]:
    """Additive LMDI-I decomposition of the change in C = Σ_s Π_k x_k,s between two years.

    Parameters
    ----------
    start, end : mapping of factor name → array [S]
        The factors of each stream s in the first and second year (the same names; all ≥ 0). Their product
        is the stream's emissions.

    Returns
    -------
    dict
        Effect of each factor, ΔC_k = Σ_s L(C_T,s, C_0,s) · ln(x_k,T,s / x_k,0,s), with L the logarithmic mean.
        The effects sum exactly to C_T − C_0 (no residual).

    Zero values: a stream that appears or disappears (a factor 0 in one year) cannot use logarithms; its whole
    change is given to the factor(s) that are zero, in equal parts (Ang & Liu 2007, "Handling zero values in
    the logarithmic mean Divisia index decomposition approach", Energy Policy 35:238–246). So the sum stays
    exact.

    References
    ----------
    Ang (2005), "The LMDI approach to decomposition analysis: a practical guide", Energy Policy 33:867–871;
    research/county.md §3.1.

    Raises
    ------
    InputError
        If the factor names differ, shapes differ, or a factor is negative or not finite.

    Example
    -------
    >>> effects = lmdi({"activity": [10.0], "intensity": [2.0]}, {"activity": [12.0], "intensity": [1.5]})
    >>> round(sum(effects.values()), 9) == 12 * 1.5 - 10 * 2
    True
    """
    if set(start) != set(end) or not start:
        raise InputError("the two years must have the same, non-empty set of factors", field="factors")
    names = list(start)
    x0 = np.array([np.asarray(start[k], dtype=float) for k in names])
    xt = np.array([np.asarray(end[k], dtype=float) for k in names])
    if x0.shape != xt.shape or x0.ndim != 2:
        raise InputError("every factor must be a vector of the same length in both years", field="factors")
    if not (np.all(np.isfinite(x0)) and np.all(np.isfinite(xt))):
        raise InputError("factors must be finite", field="factors")
    if (x0 < 0).any() or (xt < 0).any():
        raise InputError("LMDI needs factors ≥ 0 (decompose gross emissions, not removals)", field="factors")
    c0, ct = x0.prod(axis=0), xt.prod(axis=0)
    effects = np.zeros(len(names))
    positive = (x0 > 0).all(axis=0) & (xt > 0).all(axis=0)
    if positive.any():
        # ΔC_k = L(C_T, C_0) ln r_k = ΔC · ln r_k / Σ_k ln r_k (as L = ΔC / ln(C_T/C_0)); the second form stays
        # exact when a product under- or overflows, the first when C_T = C_0
        logs = np.log(xt[:, positive]) - np.log(x0[:, positive])
        total = logs.sum(axis=0)
        change = ct[positive] - c0[positive]
        flat = np.abs(total) < 1e-12
        share = np.divide(logs, total, out=np.zeros_like(logs), where=~flat)
        effects += (np.where(flat, log_mean(ct[positive], c0[positive]) * logs, change * share)).sum(axis=1)
    for s in np.flatnonzero(~positive):
        zero = (x0[:, s] == 0) | (xt[:, s] == 0)
        effects[zero] += (ct[s] - c0[s]) / zero.sum()
    return {name: float(value) for name, value in zip(names, effects, strict=True)}


# Discounting ---------------------------------------------------------------------------------------
def discount_factors(years: Sequence[int] | NDArray[np.int64], rate: float, base_year: int) -> FloatArray:
    """(1 + r)^−(t − t0) for each year t.

    Raises
    ------
    InputError
        If the rate is not above −1.
    """
    if not rate > -1:
        raise InputError(f"discount rate {rate} must be above −1", field="discount_rate")
    return np.asarray((1.0 + rate) ** -(np.asarray(years, dtype=float) - base_year), dtype=float)


def capital_recovery_factor(rate: float, years: float) -> float:
    """CRF = r(1 + r)^n / ((1 + r)^n − 1); 1/n when r = 0 (research/county.md §3.4).

    Example
    -------
    >>> round(capital_recovery_factor(0.08, 10), 6)
    0.149029
    """
    if years <= 0:
        raise InputError("lifetime must be positive", field="lifetime")
    if rate == 0:
        return 1.0 / years
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)
