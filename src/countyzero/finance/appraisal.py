"""Financing appraisal: cash flows, NPV, IRR, DSCR, LCOE; non-financial results; instruments and incentives.

All money in CNY, pre-tax, constant prices; year 0 is the investment year, years 1..N operation.
Default discount rate, loan rate, tariff and carbon price are factor-library rows (``finance_appraisal.csv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import brentq

from countyzero.core.errors import FactorNotFoundError, InputError
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.finance.guidance import Guidance, default_guidance
from countyzero.finance.model import ProjectFile


def npv(rate: float, cashflows: Sequence[float]) -> float:
    """Net present value, NPV = Σₜ CFₜ / (1 + r)ᵗ, t = 0 … N.

    Parameters
    ----------
    rate : float [1/year]  discount rate r.
    cashflows : sequence [CNY]  CF₀ (usually negative), CF₁ … CF_N at year ends.

    Example
    -------
    >>> round(npv(0.10, [-100, 60, 60]), 4)
    4.1322
    """
    flows = np.asarray(cashflows, dtype=float)
    return float(np.sum(flows / (1.0 + rate) ** np.arange(flows.size)))


def irr(cashflows: Sequence[float]) -> float | None:
    """Internal rate of return: the r with NPV(r) = 0, searched on (−99 %, 1000 %); None when NPV does not
    change sign there.

    Example
    -------
    >>> round(irr([-100, 60, 60]), 6)
    0.130662
    """
    low, high = -0.99, 10.0
    f_low, f_high = npv(low, cashflows), npv(high, cashflows)
    if np.sign(f_low) == np.sign(f_high):
        return None
    return float(brentq(lambda r: npv(r, cashflows), low, high, xtol=1e-12))


def annuity_payment(principal: float, rate: float, years: int) -> float:
    """Level annual debt service A = P · r(1+r)ⁿ / ((1+r)ⁿ − 1) (A = P/n when r = 0).

    Example
    -------
    >>> round(annuity_payment(1000, 0.05, 10), 4)
    129.5046
    """
    if rate == 0:
        return principal / years
    growth = (1.0 + rate) ** years
    return principal * rate * growth / (growth - 1.0)


def dscr(cfads: Sequence[float], debt_service: Sequence[float]) -> list[float]:
    """Debt service coverage ratio per year, DSCRₜ = CFADSₜ / debt serviceₜ (years with debt service only)."""
    return [float(c / d) for c, d in zip(cfads, debt_service, strict=True) if d > 0]


def lcoe(capex: float, opex_per_year: Sequence[float], output_kwh: Sequence[float], rate: float) -> float:
    """Levelised cost of electricity, LCOE = (I₀ + Σₜ Oₜ/(1+r)ᵗ) / Σₜ Eₜ/(1+r)ᵗ, t = 1 … N [CNY/kWh].

    Example
    -------
    With constant O and E this is (I₀·CRF + O)/E, CRF = r(1+r)ⁿ/((1+r)ⁿ−1):
    >>> round(lcoe(1000, [0] * 20, [1] * 20, 0.08), 6)
    101.852209
    """
    years = np.arange(1, len(output_kwh) + 1)
    discount = (1.0 + rate) ** years
    energy = float(np.sum(np.asarray(output_kwh, float) / discount))
    if energy <= 0:
        raise InputError("no electricity output to levelise", field="finance.annual_output_kwh")
    return float((capex + np.sum(np.asarray(opex_per_year, float) / discount)) / energy)


def _row(library: FactorLibrary, parameter: str, activity: str, region: str | None = None) -> tuple[float, str]:
    match = library.find(parameter, activity, region=region)
    return match.factor.value, match.factor.id


def _instrument_verdict(rules: Sequence[Any], statuses: dict[str, str]) -> tuple[str, str]:
    if not rules:
        return "qualifies", "no taxonomy condition"
    for rule in rules:
        if statuses.get(rule.framework) == rule.status:
            return "qualifies", f"{rule.framework}: {rule.status}"
    if any(statuses.get(rule.framework) == "incomplete" for rule in rules):
        return "incomplete", "would need the missing criteria of: " + ", ".join(
            r.framework for r in rules if statuses.get(r.framework) == "incomplete")
    return "does_not_qualify", "; ".join(f"{r.framework}: {statuses.get(r.framework, 'not screened')}"
                                         for r in rules)


def appraise_project(project: ProjectFile, screening: dict[str, Any], *, library: FactorLibrary | None = None,
                     guidance: Guidance | None = None, grid: str = "CN-HI") -> dict[str, Any]:
    """Appraise a screened project: cash flows and financial metrics, non-financial results, instruments.

    Revenue per year t = output·(1−d)^(t−1)·tariff + other revenue + carbon revenue (credits of the linked
    credits result, spread over its vintages, × carbon price). CFADS = revenue − opex. Debt: a level annuity.

    Raises
    ------
    InputError
        No ``finance`` section (field ``finance``).
    """
    if project.finance is None:
        raise InputError("the project has no finance section to appraise", field="finance")
    fin = project.finance
    library = library or default_library()
    guidance = guidance or default_guidance()
    used: dict[str, str] = {}
    if fin.discount_rate is not None:
        rate = fin.discount_rate
    else:
        rate, used["discount_rate"] = _row(library, "discount_rate", "social", "CN")
    years = np.arange(1, fin.lifetime_years + 1)
    output: np.ndarray = np.zeros(years.size)
    if fin.annual_output_kwh is not None:
        output = fin.annual_output_kwh * (1.0 - fin.degradation_per_year) ** (years - 1)
    tariff = fin.tariff_cny_per_kwh
    if tariff is None and fin.annual_output_kwh is not None:
        tariff, used["tariff"] = _row(library, "electricity_tariff", grid, grid)
    revenue = output * (tariff or 0.0) + fin.other_revenue_per_year
    carbon = np.zeros(years.size)
    linked = screening.get("linked", {})
    if "credits" in linked:
        price = fin.carbon_price_cny_per_t
        if price is None:
            price, used["carbon_price"] = _row(library, "carbon_price", "cn_ets_cea", "CN")
        vintages = linked["credits"]["vintages"]
        start = project.project.date.year
        if isinstance(vintages, dict):
            pairs = [(int(k), float(v)) for k, v in vintages.items()]
        else:
            pairs = [(int(v["year"]), float(v.get("issuable_tco2e", v.get("tco2e", 0.0)))) for v in vintages]
        for year, tonnes in pairs:
            index = year - start
            if 1 <= index <= years.size:
                carbon[index - 1] += tonnes * price
    revenue = revenue + carbon
    opex = np.full(years.size, fin.opex_per_year)
    cfads = revenue - opex
    flows = [-fin.capex, *cfads.tolist()]
    result: dict[str, Any] = {
        "currency": "CNY", "discount_rate": rate, "npv": npv(rate, flows), "irr": irr(flows),
        "cashflows": [{"year": 0, "capex": fin.capex}] + [
            {"year": int(t), "output_kwh": float(o), "revenue": float(r), "carbon_revenue": float(c),
             "opex": float(x), "cfads": float(f)} for t, o, r, c, x, f in zip(years, output, revenue, carbon, opex,
                                                                               cfads, strict=True)],
        "factor_rows_used": used,
    }
    if fin.annual_output_kwh is not None:
        result["lcoe_cny_per_kwh"] = lcoe(fin.capex, opex.tolist(), output.tolist(), rate)
    if fin.loan is not None:
        loan_rate = fin.loan.rate
        if loan_rate is None:
            loan_rate, used["loan_rate"] = _row(library, "loan_rate", "lpr_5y", "CN")
        payment = annuity_payment(fin.loan.amount, loan_rate, fin.loan.tenor_years)
        service = np.where(years <= fin.loan.tenor_years, payment, 0.0)
        ratios = dscr(cfads.tolist(), service.tolist())
        result["debt"] = {"amount": fin.loan.amount, "rate": loan_rate, "annual_debt_service": payment,
                          "dscr_min": min(ratios), "dscr_average": float(np.mean(ratios))}
    statuses = {fw: r["status"] for fw, r in screening["frameworks"].items()}
    eu_code = project.activity.get("eu")
    nonfinancial: dict[str, Any] = {"alignment": statuses}
    if "buildings" in linked:
        nonfinancial["whole_life_carbon_kgco2e_per_m2"] = linked["buildings"]["per_m2_kgco2e"]
    if fin.annual_output_kwh is not None:
        try:
            match = library.find("grid_emission_factor", grid, gas="CO2", year=project.project.date.year)
            lifecycle = float(project.metrics.get("lifecycle_gco2e_per_kwh", 0.0) or 0.0) \
                if isinstance(project.metrics.get("lifecycle_gco2e_per_kwh", 0.0), int | float) else 0.0
            factor_kg = match.factor.value
            avoided = float(np.sum(output) * (factor_kg - lifecycle / 1000.0) / 1000.0)
            nonfinancial["emissions_avoided_tco2e_lifetime"] = avoided
            nonfinancial["grid_factor"] = {"id": match.factor.id, "value": factor_kg, "unit": match.factor.unit,
                                           "fallbacks": match.fallback_note}
        except FactorNotFoundError as exc:
            nonfinancial["emissions_avoided_tco2e_lifetime"] = None
            nonfinancial["grid_factor"] = {"error": str(exc)}
    result["non_financial"] = nonfinancial
    instruments = []
    for instrument in guidance.instruments:
        verdict, why = _instrument_verdict(instrument.requires_any, statuses)
        entry: dict[str, Any] = {"id": instrument.id, "name_en": instrument.name_en, "name_zh": instrument.name_zh,
                                 "verdict": verdict, "why": why, "reference": instrument.reference}
        if instrument.id == "sustainability_linked_loan":
            entry["suggested_kpis"] = list(fin.sll_kpis) or list(
                guidance.sll_kpis.get(eu_code or "", guidance.sll_kpis.get("default", ())))
        instruments.append(entry)
    incentives = []
    for incentive in guidance.incentives:
        if incentive.eu_activities and eu_code not in incentive.eu_activities:
            continue
        verdict, why = _instrument_verdict(incentive.requires_any, statuses)
        incentives.append({"id": incentive.id, "name_en": incentive.name_en, "name_zh": incentive.name_zh,
                           "verdict": verdict, "why": why, "reference": incentive.reference})
    result["instruments"] = instruments
    result["incentives"] = incentives
    result["guidance"] = f"{guidance.label} sha256:{guidance.sha256}"
    result["factor_set"] = {"version": library.version, "digest": library.digest}
    return result
