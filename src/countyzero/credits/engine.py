"""The credits engine: a removal project → removals, deductions and issuable credits by vintage, per standard.

Pure: validated :class:`~countyzero.credits.model.ProjectInput` and a factor library in, a
:class:`CreditEstimate` (with line items and provenance) out. Schedules are computed by
:func:`ex_ante_batch`, vectorised over projects, so one project and 10,000 give the same numbers.

Example
-------
>>> from datetime import date
>>> from countyzero.credits.model import ProjectInput
>>> p = ProjectInput.model_validate({
...     "project": {"name": "demo", "start_date": "2024-01-01", "crediting_years": 30, "area_ha": 1000},
...     "method": "ipcc-tier1-gain-loss",
...     "parameters": {"growth_t_dm_per_ha_yr": 5.0, "root_shoot_ratio": 0.33, "carbon_fraction": 0.47},
...     "eligibility": {"land_non_forest_years": 10, "economic_forest": False, "parcel_min_m2": 5000}})
>>> round(estimate_credits(p, "ccer").total_issuable_tco2e)
343805
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from countyzero.core.chemistry import CO2_PER_C
from countyzero.core.errors import InputError
from countyzero.core.trace import LineItem, Provenance, Trace, sha256_of
from countyzero.credits import quantify
from countyzero.credits.eligibility import EligibilityResult, check_eligibility, crediting_end
from countyzero.credits.model import STANDARDS, MonitoringEvent, ProjectInput
from countyzero.credits.standards import StandardProfile, load_profile
from countyzero.credits.vintages import (
    Deductions,
    apply_deductions,
    buffer_share,
    uncertainty_rule,
    uncertainty_share,
    year_fractions,
)
from countyzero.factors.library import Factor, FactorLibrary, default_library

FloatArray = npt.NDArray[np.float64]
ENGINE = "credits"
GWP_NOTE = "none: CO2 removals only, no GWP conversion"
VINTAGE_KEYS = ("year", "gross_removals_tco2e", "baseline_tco2e", "leakage_tco2e", "uncertainty_deduction_tco2e",
                "buffer_tco2e", "issuable_tco2e")


@dataclass
class Parameter:
    """A parameter value used, and where it came from."""

    name: str
    value: float
    unit: str
    source: str
    factor_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "source": self.source, "factor_id": self.factor_id}


@dataclass
class RemovalModel:
    """Per-hectare removal rates of a project and the parameters behind them."""

    rate_young: float
    """tCO2e/ha/yr while the stand is at most ``young_age_limit`` years old."""
    rate_old: float
    young_age_limit: float
    cap_tco2e_per_ha: float
    stock_factor: float
    """tCO2e per unit of the method's stock measure (m³/ha of stem volume, or t d.m./ha above ground)."""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    trace: Trace = field(default_factory=Trace)


class _Resolver:
    def __init__(self, project: ProjectInput, library: FactorLibrary, model: RemovalModel) -> None:
        self.project, self.library, self.model = project, library, model

    def get(self, name: str, unit: str, inline: float | None, parameter: str | None, activity: str | None,
            *, technology: str = "", required: bool = True) -> float | None:
        if inline is not None:
            self.model.parameters[name] = Parameter(name, float(inline), unit, "project file")
            return float(inline)
        if parameter is None or activity is None or activity not in self.library.activities(parameter):
            if not required:
                return None
            hint = f" (no {parameter} row for {activity!r})" if parameter and activity else ""
            raise InputError(f"{name} is required for method {self.project.method}{hint}", field=f"parameters.{name}")
        match = self.library.find(parameter, activity, technology=technology)
        if technology and match.factor.technology != technology:
            return None
        row: Factor = match.factor
        self.model.parameters[name] = Parameter(name, row.value, row.unit, row.citation, row.id)
        return row.value


def removal_model(project: ProjectInput, library: FactorLibrary) -> RemovalModel:
    """Per-hectare removal rates of ``project`` by its method, parameters resolved and traced.

    Inline parameters win; otherwise rows are found by ``forest_type`` (IPCC growth tables), ``species``
    (WD, BEF, R of ``credits_biomass.csv``) or ``mangrove_type``. The carbon fraction falls back to the IPCC
    tropical-forest default (``ipcc2006.afolu.carbon_fraction.tropical_forest``).

    Raises
    ------
    InputError
        If a needed parameter is neither given nor in the library (field ``parameters.<name>``).
    """
    p = project.parameters
    model = RemovalModel(0.0, 0.0, float("inf"), float("inf"), 0.0)
    r = _Resolver(project, library, model)
    limit_row = library.get("credits.ipcc.young_stand_age_limit")
    model.young_age_limit = limit_row.value
    method = project.method
    if method == "ipcc-tier1-gain-loss":
        kind = p.forest_type
        old = r.get("growth_t_dm_per_ha_yr", "t/ha/yr", p.growth_t_dm_per_ha_yr, "above_ground_biomass_growth", kind)
        young = r.get("growth_young_t_dm_per_ha_yr", "t/ha/yr", p.growth_young_t_dm_per_ha_yr,
                      "above_ground_biomass_growth", kind if p.growth_t_dm_per_ha_yr is None else None,
                      technology="age_le20", required=False)
        ratio = r.get("root_shoot_ratio", "dimensionless", p.root_shoot_ratio, "root_shoot_ratio", kind)
        cf = _carbon_fraction(r, p.carbon_fraction, kind, library)
        assert old is not None and ratio is not None
        young = old if young is None else young
        model.rate_old = quantify.tier1_removal_rate(old, ratio, cf)
        model.rate_young = quantify.tier1_removal_rate(young, ratio, cf)
        model.stock_factor = (1 + ratio) * cf * CO2_PER_C
        if p.max_agb_t_dm_per_ha is not None:
            model.cap_tco2e_per_ha = p.max_agb_t_dm_per_ha * model.stock_factor
        _trace_rate(model, "G_W × (1 + R) × CF × 44/12 (IPCC 2006 Vol. 4 Eq. 2.9, 2.10)",
                    ["growth_t_dm_per_ha_yr", "root_shoot_ratio", "carbon_fraction"], model.rate_old)
        if young != old:
            _trace_rate(model, "young stand (≤ age limit): G_W,young × (1 + R) × CF × 44/12",
                        ["growth_young_t_dm_per_ha_yr"], model.rate_young)
    elif method in ("stock-difference", "allometric-chave2014"):
        sp = p.species
        ratio = r.get("root_shoot_ratio", "dimensionless", p.root_shoot_ratio, "root_shoot_ratio", sp or p.forest_type)
        cf = _carbon_fraction(r, p.carbon_fraction, sp or p.forest_type, library)
        assert ratio is not None
        if method == "stock-difference":
            wd = r.get("wood_density_t_per_m3", "t/m**3", p.wood_density_t_per_m3, "basic_wood_density", sp)
            bef = r.get("biomass_expansion_factor", "dimensionless", p.biomass_expansion_factor,
                        "biomass_expansion_factor", sp)
            assert wd is not None and bef is not None
            model.stock_factor = quantify.volume_removal_rate(1.0, wd, bef, ratio, cf)
            if project.monitoring is None:
                inc = p.volume_increment_m3_per_ha_yr
                if inc is None:
                    raise InputError("volume_increment_m3_per_ha_yr is required for an ex-ante stock-difference "
                                     "estimate (or give monitoring events)",
                                     field="parameters.volume_increment_m3_per_ha_yr")
                r.get("volume_increment_m3_per_ha_yr", "m**3/ha/yr", inc, None, None)
                model.rate_old = model.rate_young = inc * model.stock_factor
                _trace_rate(model, "I_V × WD × BEF × (1 + R) × CF × 44/12 (CCER-14-001 / AR-Tool14 family)",
                            ["volume_increment_m3_per_ha_yr", "wood_density_t_per_m3", "biomass_expansion_factor",
                             "root_shoot_ratio", "carbon_fraction"], model.rate_old)
        else:
            model.stock_factor = (1 + ratio) * cf * CO2_PER_C
            for name in ("coefficient", "exponent"):
                row = library.get(f"credits.chave2014.{name}")
                model.parameters[f"chave2014_{name}"] = Parameter(f"chave2014_{name}", row.value, row.unit,
                                                                  row.citation, row.id)
    elif method == "mangrove":
        kind = p.mangrove_type
        activity = f"mangrove_{kind}" if kind else None
        growth = r.get("growth_t_dm_per_ha_yr", "t/ha/yr", p.growth_t_dm_per_ha_yr, "above_ground_biomass_growth",
                       activity)
        ratio = r.get("root_shoot_ratio", "dimensionless", p.root_shoot_ratio, "root_shoot_ratio", activity)
        cf_value = r.get("carbon_fraction", "dimensionless", p.carbon_fraction, "carbon_fraction", "mangrove")
        soil = 0.0
        if p.include_soil_carbon:
            value = r.get("soil_c_accumulation_t_c_per_ha_yr", "t/ha/yr", p.soil_c_accumulation_t_c_per_ha_yr,
                          "soil_carbon_accumulation", "mangrove")
            soil = value or 0.0
        assert growth is not None and ratio is not None and cf_value is not None
        model.rate_old = model.rate_young = quantify.mangrove_removal_rate(growth, ratio, cf_value, soil)
        model.stock_factor = (1 + ratio) * cf_value * CO2_PER_C
        _trace_rate(model, "(G_W × (1 + R) × CF + ΔSOC) × 44/12 (IPCC 2013 Wetlands Supplement Ch. 4)",
                    ["growth_t_dm_per_ha_yr", "root_shoot_ratio", "carbon_fraction",
                     "soil_c_accumulation_t_c_per_ha_yr"], model.rate_old)
    return model


def _carbon_fraction(r: _Resolver, inline: float | None, kind: str | None, library: FactorLibrary) -> float:
    activity = kind if kind and kind in library.activities("carbon_fraction") else "tropical_forest"
    value = r.get("carbon_fraction", "dimensionless", inline, "carbon_fraction", activity)
    assert value is not None
    return value


def _trace_rate(model: RemovalModel, step: str, names: list[str], result: float) -> None:
    used = [model.parameters[n] for n in names if n in model.parameters]
    note = "; ".join(f"{q.name} = {q.value:g} {q.unit} ({q.factor_id or q.source})" for q in used)
    model.trace.add(LineItem(line_id="removal_rate", step=step, quantity=1.0, quantity_unit="ha",
                             result=result, result_unit="tCO2e/yr", note=note, scales=False))


# --- schedules --------------------------------------------------------------------------------------------------
def _as_days(values: Any) -> npt.NDArray[np.datetime64]:
    return np.asarray(values, dtype="datetime64[D]")


def ex_ante_gross(area_ha: FloatArray, rate_young: FloatArray, rate_old: FloatArray, young_age_limit: float,
                  stand_age_at_start: FloatArray, cap_tco2e_per_ha: FloatArray, start: npt.NDArray[np.datetime64],
                  end: npt.NDArray[np.datetime64], first_year: int, n_years: int) -> FloatArray:
    """Ex-ante gross removals by calendar year [tCO2e], shape (projects, n_years).

    removal_y = A × rate(age_y) × f_y, with f_y the share of year y inside [start, end) and age_y the stand age
    in year y (1 in the planting year, plus ``stand_age_at_start``); cumulative removals per hectare are capped
    at ``cap_tco2e_per_ha`` (from a maximum above-ground stock; ``inf`` for none).
    """
    fractions = year_fractions(start, end, first_year, n_years)
    start_year = start.astype("datetime64[Y]").astype(np.int64) + 1970
    ages = (first_year + np.arange(n_years))[None, :] - start_year[:, None] + 1 + stand_age_at_start[:, None]
    rate = np.where(ages <= young_age_limit, rate_young[:, None], rate_old[:, None])
    per_ha = rate * fractions
    if np.isfinite(cap_tco2e_per_ha).any():
        cumulative = np.minimum(np.cumsum(per_ha, axis=1), cap_tco2e_per_ha[:, None])
        per_ha = np.diff(cumulative, axis=1, prepend=0.0)
    gross: FloatArray = per_ha * area_ha[:, None]
    return gross


def creditable_share(start: npt.NDArray[np.datetime64], end: npt.NDArray[np.datetime64], profile: StandardProfile,
                     first_year: int, n_years: int) -> FloatArray:
    """Share of each year's removals that the standard credits: inside the crediting period and, for CCER,
    after the regime's removals date (管理办法 Art. 17: after 2020-09-22)."""
    full = year_fractions(start, end, first_year, n_years)
    after = profile.date_of("removals_after")
    if after is None:
        return (full > 0).astype(np.float64)
    first_day = np.datetime64(after + timedelta(days=1), "D")
    credit = year_fractions(np.maximum(start, first_day), end, first_year, n_years)
    share: FloatArray = np.divide(credit, full, out=np.zeros_like(full), where=full > 0)
    return share


def ex_ante_batch(profile: StandardProfile, *, area_ha: FloatArray, rate_young: FloatArray, rate_old: FloatArray,
                  young_age_limit: float, start: npt.NDArray[np.datetime64], end: npt.NDArray[np.datetime64],
                  first_year: int, n_years: int, stand_age_at_start: FloatArray | None = None,
                  cap_tco2e_per_ha: FloatArray | None = None, baseline_tco2e_per_ha_yr: FloatArray | None = None,
                  leakage_fraction: FloatArray | None = None, relative_uncertainty: FloatArray | None = None,
                  risk_score: FloatArray | None = None, full_uncertainty: bool = False) -> Deductions:
    """Ex-ante credit schedules of many projects under one standard, vectorised.

    Parameters
    ----------
    profile : StandardProfile
        The standard (order of deductions, buffer, uncertainty rule, creditable dates).
    area_ha, rate_young, rate_old : arrays (projects,)
        Area [ha] and per-hectare removal rates [tCO2e ha⁻¹ yr⁻¹] (:func:`removal_model`).
    young_age_limit : float
        Age [yr] up to which ``rate_young`` applies.
    start, end : datetime64[D] arrays (projects,)
        Crediting period, end exclusive.
    first_year, n_years : int
        Calendar years of the columns.
    stand_age_at_start, cap_tco2e_per_ha : arrays, optional
        Default 0 and no cap.
    baseline_tco2e_per_ha_yr : array, optional
        Baseline removals; NaN (or absent) → the standard's ``baseline_fraction`` of gross removals.
    leakage_fraction : array, optional
        NaN (or absent) → the standard's ``leakage_fraction`` row.
    relative_uncertainty : array, optional
        Half-width of the 90 % CI as a share; NaN → none given (the ex-ante minimum still applies).
    risk_score : array, optional
        Verra NPRT score [points]; NaN → the standard's minimum buffer.
    full_uncertainty : bool
        ``rule: full`` instead of ``excess`` (see :func:`~countyzero.credits.vintages.uncertainty_share`).

    Returns
    -------
    Deductions
        gross (creditable), baseline, leakage, uncertainty, buffer, issuable — each (projects, n_years) [tCO2e].
    """
    n = area_ha.shape[0]
    nan = np.full(n, np.nan)
    age0 = np.zeros(n) if stand_age_at_start is None else stand_age_at_start
    cap = np.full(n, np.inf) if cap_tco2e_per_ha is None else cap_tco2e_per_ha
    gross_all = ex_ante_gross(area_ha, rate_young, rate_old, young_age_limit, age0, cap, start, end,
                              first_year, n_years)
    gross = gross_all * creditable_share(start, end, profile, first_year, n_years)
    return _deduct(profile, gross, area_ha, start, end, first_year, n_years, ex_ante=True,
                   baseline_rate=nan if baseline_tco2e_per_ha_yr is None else baseline_tco2e_per_ha_yr,
                   leakage=nan if leakage_fraction is None else leakage_fraction,
                   unc=nan if relative_uncertainty is None else relative_uncertainty,
                   risk=nan if risk_score is None else risk_score, full_uncertainty=full_uncertainty)


def _deduct(profile: StandardProfile, gross: FloatArray, area_ha: FloatArray, start: npt.NDArray[np.datetime64],
            end: npt.NDArray[np.datetime64], first_year: int, n_years: int, *, ex_ante: bool,
            baseline_rate: FloatArray, leakage: FloatArray, unc: FloatArray, risk: FloatArray,
            full_uncertainty: bool) -> Deductions:
    share = creditable_share(start, end, profile, first_year, n_years) * year_fractions(start, end, first_year,
                                                                                       n_years)
    given = ~np.isnan(baseline_rate)
    baseline = np.where(given[:, None], np.nan_to_num(baseline_rate)[:, None] * area_ha[:, None] * share,
                        profile.require("baseline_fraction") * gross)
    lk = np.where(np.isnan(leakage), profile.require("leakage_fraction"), leakage)
    u = uncertainty_share(unc, uncertainty_rule(profile), ex_ante=ex_ante, full=full_uncertainty)
    b = buffer_share(profile, risk)
    return apply_deductions(gross, baseline, lk, u, b, profile)


# --- ex-post ----------------------------------------------------------------------------------------------------
def _plot_stats(event: MonitoringEvent, model: RemovalModel) -> tuple[float, float]:
    """Mean above-ground biomass [t d.m./ha] of an event's plots and its relative 90 % CI half-width."""
    assert event.plots is not None
    a = model.parameters["chave2014_coefficient"].value
    b = model.parameters["chave2014_exponent"].value
    per_plot = []
    for plot in event.plots:
        if not plot.trees:
            per_plot.append(0.0)
            continue
        rho = np.array([t.wood_density_g_cm3 for t in plot.trees])
        d = np.array([t.dbh_cm for t in plot.trees])
        h = np.array([t.height_m for t in plot.trees])
        kg = quantify.chave2014_agb_kg(rho, d, h, a, b)
        per_plot.append(float(kg.sum()) / 1000.0 / (plot.area_m2 / 10_000.0))
    values = np.array(per_plot)
    mean = float(values.mean())
    if values.size < 2 or mean <= 0:
        return mean, float("nan")
    half = float(stats.t.ppf(0.95, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, half / mean


def ex_post_stocks(project: ProjectInput, model: RemovalModel) -> tuple[FloatArray, float]:
    """Project carbon stock [tCO2e] at each monitoring event, and the largest plot-sampling uncertainty (or NaN)."""
    assert project.monitoring is not None
    area = project.project.area_ha
    stocks, uncertainties = [], []
    for i, event in enumerate(project.monitoring):
        if event.carbon_stock_tco2e is not None:
            stocks.append(event.carbon_stock_tco2e)
        elif event.stock_tco2e_per_ha is not None:
            stocks.append(event.stock_tco2e_per_ha * area)
        elif event.volume_m3_per_ha is not None:
            if project.method != "stock-difference":
                raise InputError("volume_m3_per_ha needs method stock-difference", field=f"monitoring.{i}")
            stocks.append(event.volume_m3_per_ha * model.stock_factor * area)
        else:
            if project.method != "allometric-chave2014":
                raise InputError("plots need method allometric-chave2014", field=f"monitoring.{i}.plots")
            agb, rel = _plot_stats(event, model)
            stocks.append(agb * model.stock_factor * area)
            uncertainties.append(rel)
    finite = [u for u in uncertainties if np.isfinite(u)]
    return np.array(stocks, dtype=np.float64), (max(finite) if finite else float("nan"))


def ex_post_gross(project: ProjectInput, model: RemovalModel, first_year: int, n_years: int) -> FloatArray:
    """Removals by calendar year from monitored stocks [tCO2e], shape (1, n_years).

    ΔC between events is annualised per day ((C_t2 − C_t1)/(t2 − t1), CCER-14-001 / AR-Tool14 stock difference)
    and allotted to calendar years by days; a fall in stock gives negative removals (a reversal).
    """
    assert project.monitoring is not None
    stocks, _ = ex_post_stocks(project, model)
    dates = _as_days([e.date for e in project.monitoring])
    days = (dates[1:] - dates[:-1]).astype(np.int64).astype(np.float64)
    per_day = np.diff(stocks) / days
    fractions = year_fractions(dates[:-1], dates[1:], first_year, n_years)
    years = np.arange(first_year, first_year + n_years + 1)
    length = np.diff(np.array([f"{y:04d}-01-01" for y in years], dtype="datetime64[D]")).astype(np.int64)
    gross: FloatArray = (per_day[:, None] * fractions * length[None, :]).sum(axis=0)[None, :]
    return gross


# --- the estimate -------------------------------------------------------------------------------------------------
@dataclass
class CreditEstimate:
    """Credits of one project under one standard."""

    project: str
    standard: StandardProfile
    method: str
    mode: str
    eligibility: EligibilityResult
    years: list[int]
    deductions: Deductions
    removals_all_years: dict[int, float]
    """Gross removals of every year of the crediting period, creditable or not (the county sink)."""
    parameters: dict[str, Parameter]
    trace: Trace
    provenance: Provenance
    warnings: list[str] = field(default_factory=list)

    @property
    def total_issuable_tco2e(self) -> float:
        return float(self.deductions.issuable.sum())

    def vintages(self) -> list[dict[str, float | int]]:
        d = self.deductions
        rows: list[dict[str, float | int]] = []
        for k, year in enumerate(self.years):
            rows.append({"year": year, "gross_removals_tco2e": float(d.gross[0, k]),
                         "baseline_tco2e": float(d.baseline[0, k]), "leakage_tco2e": float(d.leakage[0, k]),
                         "uncertainty_deduction_tco2e": float(d.uncertainty[0, k]),
                         "buffer_tco2e": float(d.buffer[0, k]), "issuable_tco2e": float(d.issuable[0, k])})
        return rows

    def to_dict(self) -> dict[str, Any]:
        d = self.deductions
        return {
            "project": self.project, "standard": self.standard.key, "standard_name": self.standard.name_en,
            "standard_name_zh": self.standard.name_zh, "methodology": self.standard.methodology,
            "method": self.method, "mode": self.mode,
            "eligibility": self.eligibility.to_dict(),
            "vintages": self.vintages(),
            "total_issuable_tco2e": self.total_issuable_tco2e,
            "totals": {"gross_removals_tco2e": float(d.gross.sum()), "baseline_tco2e": float(d.baseline.sum()),
                       "leakage_tco2e": float(d.leakage.sum()),
                       "uncertainty_deduction_tco2e": float(d.uncertainty.sum()),
                       "buffer_tco2e": float(d.buffer.sum())},
            "deduction_order": list(self.standard.deduction_order),
            "warnings": list(self.warnings),
            "parameters": {k: v.to_dict() for k, v in self.parameters.items()},
            "lines": self.trace.to_list(),
            "provenance": self.provenance.to_dict(),
        }


def _float_or_nan(value: float | None) -> FloatArray:
    return np.array([np.nan if value is None else value], dtype=np.float64)


def estimate_credits(project: ProjectInput, standard: str | StandardProfile, *,
                     library: FactorLibrary | None = None, input_digest: str | None = None) -> CreditEstimate:
    """Eligibility, removals, deductions and issuable credits by vintage of ``project`` under ``standard``.

    Ex-ante (no monitoring): :func:`ex_ante_batch` on the project's removal rates. Ex-post (monitoring events):
    :func:`ex_post_gross`, then the same deductions without the ex-ante minimum uncertainty; the uncertainty is
    the project's, else the plot-sampling uncertainty of allometric monitoring.
    A project that is not eligible keeps its removals and deductions but issues nothing (issuable 0).

    Raises
    ------
    InputError
        For a missing parameter or an unknown standard.
    """
    library = library or default_library()
    profile = standard if isinstance(standard, StandardProfile) else load_profile(standard, library)
    model = removal_model(project, library)
    info = project.project
    start_day, end_day = info.start_date, crediting_end(project)
    start = _as_days([start_day])
    end = _as_days([end_day])
    first_year = start_day.year
    n_years = (end_day - timedelta(days=1)).year - first_year + 1
    area = np.array([info.area_ha])
    params = project.parameters
    warnings: list[str] = []
    unc_value = project.uncertainty.relative_half_width_90 if project.uncertainty else None
    full = bool(project.uncertainty and project.uncertainty.rule == "full")
    risk = _float_or_nan(project.risk.verra_nprt_score if project.risk else None)
    if profile.buffer_rule == "risk_score" and project.risk is None:
        warnings.append("no Verra NPRT score given (risk.verra_nprt_score): the minimum buffer "
                        f"{profile.require('buffer_min_fraction'):.0%} is used")
    if project.monitoring is None:
        mode = "ex-ante"
        gross_all = ex_ante_gross(area, np.array([model.rate_young]), np.array([model.rate_old]),
                                  model.young_age_limit, np.array([info.stand_age_at_start]),
                                  np.array([model.cap_tco2e_per_ha]), start, end, first_year, n_years)
        deductions = ex_ante_batch(
            profile, area_ha=area, rate_young=np.array([model.rate_young]), rate_old=np.array([model.rate_old]),
            young_age_limit=model.young_age_limit, start=start, end=end, first_year=first_year, n_years=n_years,
            stand_age_at_start=np.array([info.stand_age_at_start]), cap_tco2e_per_ha=np.array([model.cap_tco2e_per_ha]),
            baseline_tco2e_per_ha_yr=_float_or_nan(params.baseline_tco2e_per_ha_yr),
            leakage_fraction=_float_or_nan(params.leakage_fraction), relative_uncertainty=_float_or_nan(unc_value),
            risk_score=risk, full_uncertainty=full)
    else:
        mode = "ex-post"
        assert project.monitoring is not None
        start_day = max(start_day, project.monitoring[0].date)
        start = _as_days([start_day])
        first_year = start_day.year
        end_day = min(end_day, project.monitoring[-1].date)
        if end_day <= start_day:
            raise InputError(f"the monitoring events lie outside the crediting period (ends {end_day})",
                             field="monitoring")
        end = _as_days([end_day])
        n_years = (end_day - timedelta(days=1)).year - first_year + 1
        gross_all = ex_post_gross(project, model, first_year, n_years)
        if unc_value is None:
            _, plot_unc = ex_post_stocks(project, model)
            if np.isfinite(plot_unc):
                unc_value = plot_unc
                warnings.append(f"uncertainty from plot sampling: 90 % CI half-width {plot_unc:.1%} of the mean")
        gross = gross_all * creditable_share(start, end, profile, first_year, n_years)
        deductions = _deduct(profile, gross, area, start, end, first_year, n_years, ex_ante=False,
                             baseline_rate=_float_or_nan(params.baseline_tco2e_per_ha_yr),
                             leakage=_float_or_nan(params.leakage_fraction), unc=_float_or_nan(unc_value),
                             risk=risk, full_uncertainty=full)
    eligibility = check_eligibility(project, profile)
    years_all = list(range(first_year, first_year + n_years))
    removals_all = {y: float(gross_all[0, k]) for k, y in enumerate(years_all)}
    keep = [k for k in range(n_years) if creditable_share(start, end, profile, first_year, n_years)[0, k] > 0]
    if not eligibility.eligible:
        deductions = Deductions(deductions.gross, deductions.baseline, deductions.leakage, deductions.uncertainty,
                                deductions.buffer, np.zeros_like(deductions.issuable))
        warnings.append(f"not eligible under {profile.key}: issuable credits set to 0")
    deductions = Deductions(*(getattr(deductions, f)[:, keep] for f in
                              ("gross", "baseline", "leakage", "uncertainty", "buffer", "issuable")))
    years = [years_all[k] for k in keep]
    warnings.extend(_plausibility(project, model, library))
    trace = Trace(list(model.trace.items))
    _trace_totals(trace, deductions, profile)
    factor_ids = sorted({q.factor_id for q in model.parameters.values() if q.factor_id}
                        | {f.id for f in profile.factors.values()})
    provenance = Provenance(
        engine=ENGINE, method=project.method, factor_set_version=library.version, factor_set_digest=library.digest,
        gwp_set=GWP_NOTE, input_sha256=input_digest or sha256_of(project.model_dump_json()),
        factor_overrides=library.overrides,
        extra={"standard": profile.key, "methodology": profile.methodology, "profile_version": profile.version,
               "mode": mode, "deduction_order": list(profile.deduction_order),
               "deduction_order_source": profile.deduction_order_source, "factor_ids": factor_ids},
    )
    return CreditEstimate(project=info.name, standard=profile, method=project.method, mode=mode,
                          eligibility=eligibility, years=years, deductions=deductions,
                          removals_all_years=removals_all, parameters=dict(model.parameters), trace=trace,
                          provenance=provenance, warnings=warnings)


def _trace_totals(trace: Trace, d: Deductions, profile: StandardProfile) -> None:
    gross = float(d.gross.sum())
    remaining = gross
    labels = {"baseline": ("baseline removals ΔC_BSL", d.baseline), "leakage": ("leakage LK", d.leakage),
              "uncertainty": ("uncertainty deduction UNC", d.uncertainty),
              "buffer": ("non-permanence buffer BUF", d.buffer)}
    for step in profile.deduction_order:
        label, values = labels[step]
        amount = float(values.sum())
        after = remaining - amount
        trace.add(LineItem(line_id=profile.key, step=f"− {label}", quantity=remaining, quantity_unit="tCO2e",
                           result=after, result_unit="tCO2e", note=f"deducted {amount:g} tCO2e"))
        remaining = after
    trace.add(LineItem(line_id=profile.key, step="issuable credits (carry-forward of deficits applied)",
                       quantity=remaining, quantity_unit="tCO2e", result=float(d.issuable.sum()),
                       result_unit="tCO2e", note=profile.deduction_order_source))


def _plausibility(project: ProjectInput, model: RemovalModel, library: FactorLibrary) -> list[str]:
    if project.method == "mangrove" or project.monitoring is not None:
        return []
    lo = library.get("credits.plausibility.arr_cn_south.min")
    hi = library.get("credits.plausibility.arr_cn_south.max")
    out = []
    for label, rate in (("young-stand", model.rate_young), ("mature-stand", model.rate_old)):
        if not lo.value <= rate <= hi.value:
            out.append(f"plausibility: {label} removal {rate:.2f} tCO2e/ha/yr is outside {lo.value:g}–{hi.value:g} "
                       f"tCO2e/ha/yr for southern-China ARR ({lo.id}, {hi.id}; estimate) — check the parameters")
    return out


def estimate_all(project: ProjectInput, standards: tuple[str, ...] = STANDARDS, *,
                 library: FactorLibrary | None = None, input_digest: str | None = None) -> dict[str, CreditEstimate]:
    """:func:`estimate_credits` under several standards (default: all three)."""
    library = library or default_library()
    return {s: estimate_credits(project, s, library=library, input_digest=input_digest) for s in standards}


def claimable_on(estimate: CreditEstimate, application_date: date) -> dict[int, float]:
    """Issuable credits of each vintage that one issuance applied for on ``application_date`` may claim [tCO2e]
    (the standard's issuance window, :func:`~countyzero.credits.vintages.claimable_shares`)."""
    from countyzero.credits.vintages import claimable_shares

    if not estimate.years:
        return {}
    shares = claimable_shares(estimate.standard, application_date, estimate.years)
    return {y: float(estimate.deductions.issuable[0, k]) * shares[y] for k, y in enumerate(estimate.years)}
