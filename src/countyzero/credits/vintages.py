"""Vintages and deductions: from yearly gross removals to issuable credits, vectorised over projects.

Arrays have shape ``(projects, years)``; column k is calendar year ``first_year + k``. All functions are pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from countyzero.core.errors import InputError
from countyzero.credits.standards import StandardProfile

FloatArray = npt.NDArray[np.float64]


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def year_fractions(start: npt.NDArray[np.datetime64], end: npt.NDArray[np.datetime64], first_year: int,
                   n_years: int) -> FloatArray:
    """Share of each calendar year that lies inside ``[start, end)``, per project.

    Parameters
    ----------
    start, end : arrays of datetime64[D], shape (projects,)
        Creditable period of each project (end exclusive).
    first_year : int
        Calendar year of column 0.
    n_years : int
        Number of columns.

    Returns
    -------
    array (projects, n_years)
        Days of overlap / days of the year (leap years counted), in [0, 1].
    """
    years = np.arange(first_year, first_year + n_years + 1)
    bounds = np.array([f"{y:04d}-01-01" for y in years], dtype="datetime64[D]")
    lo = np.maximum(start[:, None], bounds[None, :-1])
    hi = np.minimum(end[:, None], bounds[None, 1:])
    days = np.clip((hi - lo).astype(np.int64), 0, None).astype(np.float64)
    length = (bounds[1:] - bounds[:-1]).astype(np.int64).astype(np.float64)
    fractions: FloatArray = days / length[None, :]
    return fractions


@dataclass(frozen=True)
class UncertaintyRule:
    """How a standard turns a sampling uncertainty into a deduction (all shares of the amount deducted on)."""

    free_threshold: float
    zero_credit_threshold: float | None
    ex_ante_minimum: float


def uncertainty_share(relative_half_width_90: FloatArray, rule: UncertaintyRule, *, ex_ante: bool,
                      full: bool = False) -> FloatArray:
    """Share of the net removals deducted for uncertainty.

    Parameters
    ----------
    relative_half_width_90 : array
        U, half-width of the 90 % confidence interval as a share of the estimate (NaN = not given).
    rule : UncertaintyRule
        The standard's thresholds (rows ``credits.*.uncertainty_*``).
    ex_ante : bool
        Ex-ante schedules take at least ``rule.ex_ante_minimum`` (VM0047 v1.1 §8.5: ≥ 10 %).
    full : bool
        Deduct all of U when it exceeds the free threshold (``rule: full``) instead of the excess only
        (``rule: excess``, the default; a documented choice where the methodology text is not transcribed).

    Returns
    -------
    array
        share = 0 if U ≤ threshold; U − threshold (excess) or U (full) above it; 1 (nothing issued) when U exceeds
        the zero-credit threshold; then at least the ex-ante minimum when ``ex_ante``; clipped to [0, 1].
    """
    u = np.nan_to_num(relative_half_width_90, nan=0.0)
    share = np.where(u <= rule.free_threshold, 0.0, u if full else u - rule.free_threshold)
    if rule.zero_credit_threshold is not None:
        share = np.where(u > rule.zero_credit_threshold, 1.0, share)
    if ex_ante:
        share = np.maximum(share, rule.ex_ante_minimum)
    clipped: FloatArray = np.clip(share, 0.0, 1.0)
    return clipped


def uncertainty_rule(profile: StandardProfile) -> UncertaintyRule:
    return UncertaintyRule(
        free_threshold=profile.require("uncertainty_free_threshold"),
        zero_credit_threshold=profile.value("uncertainty_zero_credit_threshold"),
        ex_ante_minimum=profile.value("uncertainty_min_deduction_ex_ante") or 0.0,
    )


def buffer_share(profile: StandardProfile, risk_score: FloatArray) -> FloatArray:
    """Non-permanence buffer share: fixed (CCER 0, Gold Standard 0.20) or from the Verra NPRT score.

    Verra: share = max(score × buffer_per_risk_point, buffer_min_fraction) (NPRT v4.2: 1 point = 1 %; the floor
    is a row marked estimate). A missing score (NaN) takes the floor.
    """
    if profile.buffer_rule == "fixed":
        return np.full(risk_score.shape, profile.require("buffer_fraction"))
    if profile.buffer_rule == "risk_score":
        per_point = profile.require("buffer_per_risk_point")
        floor = profile.require("buffer_min_fraction")
        share = np.nan_to_num(risk_score, nan=0.0) * per_point
        result: FloatArray = np.clip(np.maximum(share, floor), 0.0, 1.0)
        return result
    raise InputError(f"profile {profile.key}: unknown buffer rule {profile.buffer_rule!r}")


@dataclass(frozen=True)
class Deductions:
    """Yearly amounts [tCO2e], shape (projects, years)."""

    gross: FloatArray
    baseline: FloatArray
    leakage: FloatArray
    uncertainty: FloatArray
    buffer: FloatArray
    issuable: FloatArray


def apply_deductions(gross: FloatArray, baseline: FloatArray, leakage_fraction: FloatArray,
                     uncertainty: FloatArray, buffer: FloatArray, profile: StandardProfile) -> Deductions:
    """Take baseline, leakage, uncertainty and buffer from gross removals in the standard's order.

    Parameters
    ----------
    gross, baseline : arrays (projects, years)
        Project removals ΔC_P and baseline removals ΔC_B [tCO2e].
    leakage_fraction, uncertainty, buffer : arrays (projects,)
        LK share of net removals (ΔC_P − ΔC_B); uncertainty share (:func:`uncertainty_share`); buffer share
        (:func:`buffer_share`).
    profile : StandardProfile
        Gives the order and the buffer base.

    Equation
    --------
    N = ΔC_P − ΔC_B; LK = l × N.
    *Leakage before uncertainty* (CCER, Gold Standard): UNC = u × (N − LK).
    *Uncertainty before leakage* (Verra VM0047 §8: NER = N × (1 − u) − LK): UNC = u × N.
    Buffer base: ``net_after_uncertainty`` → b × (N − LK − UNC) (GS: 20 % of net certified removals);
    ``net_of_baseline_after_uncertainty`` → b × (N − UNC) (VCS: risk × net change in carbon stocks, leakage
    excluded). Issuable = N − LK − UNC − BUF. A year whose net is negative (a reversal) has no uncertainty or
    buffer deduction, and its deficit is carried forward against later years (issuable never negative;
    cumulative issuable = running maximum of cumulative net).
    """
    net = gross - baseline
    lk = leakage_fraction[:, None] * net
    positive = np.maximum(net, 0.0)
    lk_pos = leakage_fraction[:, None] * positive
    if profile.uncertainty_before_leakage:
        unc = uncertainty[:, None] * positive
    else:
        unc = uncertainty[:, None] * (positive - lk_pos)
    if profile.buffer_base == "net_after_uncertainty":
        buf = buffer[:, None] * (positive - lk_pos - unc)
    else:
        buf = buffer[:, None] * (positive - unc)
    after = net - lk - unc - buf
    cumulative = np.maximum(np.maximum.accumulate(np.cumsum(after, axis=1), axis=1), 0.0)
    issuable = np.diff(cumulative, axis=1, prepend=0.0)
    return Deductions(gross=gross, baseline=baseline, leakage=lk, uncertainty=unc, buffer=buf, issuable=issuable)


def issuance_window(profile: StandardProfile, application_date: date) -> tuple[date | None, date]:
    """Dates between which removals may be claimed in one issuance applied for on ``application_date``.

    CCER: removals within the previous N years (管理办法 Art. 17; N = row ``credits.ccer.issuance_lookback_years``)
    and after the regime's removals date (Art. 17: after 2020-09-22). Gold Standard: Planned Emission Reductions
    up to N years ahead of the verification date (GS rule update 2017-08-29). Verra: no window rule in the
    profile — everything up to the date.

    Returns
    -------
    (earliest, latest)
        ``earliest`` exclusive-start date (None = no limit), ``latest`` the last date (exclusive end).
    """
    earliest: date | None = None
    latest = application_date
    lookback = profile.value("issuance_lookback_years")
    if lookback is not None:
        earliest = add_years(application_date, -int(lookback))
    after = profile.date_of("removals_after")
    if after is not None:
        first = after + timedelta(days=1)
        earliest = first if earliest is None else max(earliest, first)
    ahead = profile.value("issuance_ahead_years")
    if ahead is not None:
        latest = add_years(application_date, int(ahead))
    return earliest, latest


def claimable_shares(profile: StandardProfile, application_date: date, years: list[int]) -> dict[int, float]:
    """Share of each vintage year's removals that an issuance on ``application_date`` may claim.

    Example
    -------
    A CCER application on 2030-07-01 may claim 2025 from 2025-07-01 (184/365 of the year), 2026–2029 whole,
    and 2030 up to 2030-07-01 (181/365).
    """
    earliest, latest = issuance_window(profile, application_date)
    start = np.array([earliest or date(min(years), 1, 1)], dtype="datetime64[D]")
    end = np.array([latest], dtype="datetime64[D]")
    shares = year_fractions(start, end, min(years), max(years) - min(years) + 1)[0]
    return {y: float(shares[y - min(years)]) for y in years}
