"""Valuation of a credit stream: price scenarios, discounting, NPV and pledge-loan collateral.

Prices are dated, sourced rows of ``factors/data/credits_prices.csv`` (``carbon_price`` observations and
``carbon_price_scenario`` proposals, each in its own currency — no exchange rate is implied). The discount rate,
the pledge rate and any quality/rating discount are inputs, never defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from countyzero.core.errors import InputError
from countyzero.core.units import is_convertible
from countyzero.factors.library import Factor, FactorLibrary

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Price:
    """A reference price [currency/tCO2e] and where it comes from."""

    value: float
    currency: str
    year: int | None
    source: str
    factor_id: str | None = None
    confidence: str = "input"

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": f"{self.currency}/tCO2e", "year": self.year, "source": self.source,
                "factor_id": self.factor_id, "confidence": self.confidence}


def _currency(row: Factor) -> str:
    return next(c for c in CURRENCIES if is_convertible(row.unit, f"{c}/tCO2e"))


CURRENCIES = ("CNY", "USD", "EUR")


def _is_credit_price(row: Factor) -> bool:
    return row.parameter in ("carbon_price_scenario", "carbon_price") and any(
        is_convertible(row.unit, f"{c}/tCO2e") for c in CURRENCIES)


def price_rows(library: FactorLibrary) -> list[Factor]:
    """Every price observation and scenario row of the library in a currency per tCO2e, scenarios first."""
    rows = [r for r in library if _is_credit_price(r)]
    return sorted(rows, key=lambda r: (r.parameter != "carbon_price_scenario", r.id))


def resolve_price(library: FactorLibrary, name: str, *, currency: str | None = None) -> Price:
    """A price by scenario name (``cn-central``), by factor id (``credits.price.ccer.2025``) or as a number.

    A bare number needs ``currency`` and is recorded as a user input.

    Raises
    ------
    InputError
        If the name matches no row, or a number comes without a currency or is negative.
    """
    text = name.strip()
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None:
        if value < 0:
            raise InputError("a price cannot be negative", field="price")
        if not currency:
            raise InputError("a price given as a number needs --currency (CNY, USD, EUR)", field="currency")
        return Price(value, currency, None, "user input")
    row: Factor | None = None
    if text in library:
        row = library.get(text)
    else:
        matches = [r for r in price_rows(library) if r.activity == text and r.parameter == "carbon_price_scenario"]
        row = matches[0] if matches else None
    if row is None or not _is_credit_price(row):
        names = sorted({r.activity for r in price_rows(library) if r.parameter == "carbon_price_scenario"})
        raise InputError(f"unknown price {name!r}; use a scenario ({', '.join(names)}), a price row id or a number",
                         field="price")
    return Price(row.value, _currency(row), row.year, row.citation, row.id, row.confidence)


def credit_stream_value(years: list[int] | FloatArray, tonnes: list[float] | FloatArray, price: float, *,
                        discount_rate: float, base_year: int, price_year: int | None = None,
                        price_growth: float = 0.0, quality_discount: float = 0.0,
                        issuance_lag_years: float = 0.0) -> dict[str, Any]:
    """Present value of a stream of credits.

    Parameters
    ----------
    years, tonnes : sequences
        Vintage years and credits of each [tCO2e].
    price : float
        Reference price in ``price_year`` [currency/tCO2e].
    discount_rate : float
        Annual discount rate r [–], > −1 (an input: no default).
    base_year : int
        Year values are discounted to.
    price_year : int, optional
        Year of the price (default ``base_year``).
    price_growth : float
        Annual real price growth g [–] (0 = flat).
    quality_discount : float
        Rating/quality discount q in [0, 1) applied to the price (e.g. from a rating agency's notch spread).
    issuance_lag_years : float
        Years between a vintage and the sale of its credits (verification and issuance time).

    Returns
    -------
    dict
        ``by_year`` (year, tonnes, price, value, discount factor, present value), ``undiscounted_value`` and
        ``npv`` in the price's currency.

    Equation
    --------
    P_y = P₀ (1 + g)^(y − y_P) (1 − q);  PV = Σ_y T_y P_y (1 + r)^−(y + lag − y₀).

    Example
    -------
    >>> round(credit_stream_value([2025, 2026], [100, 100], 70.0, discount_rate=0.05, base_year=2025)["npv"], 2)
    13666.67
    """
    if discount_rate <= -1:
        raise InputError("discount rate must be greater than −1", field="discount_rate")
    if not 0 <= quality_discount < 1:
        raise InputError("quality discount must be in [0, 1)", field="quality_discount")
    if price < 0:
        raise InputError("a price cannot be negative", field="price")
    y = np.asarray(years, dtype=np.float64)
    t = np.asarray(tonnes, dtype=np.float64)
    p_year = base_year if price_year is None else price_year
    prices = price * (1 + price_growth) ** (y - p_year) * (1 - quality_discount)
    values = t * prices
    factors = (1 + discount_rate) ** -(y + issuance_lag_years - base_year)
    present = values * factors
    return {
        "by_year": [{"year": int(yy), "tonnes": float(tt), "price": float(pp), "value": float(vv),
                     "discount_factor": float(ff), "present_value": float(pv)}
                    for yy, tt, pp, vv, ff, pv in zip(y, t, prices, values, factors, present, strict=True)],
        "undiscounted_value": float(values.sum()),
        "npv": float(present.sum()),
    }


def collateral_value(tonnes: float, reference_price: float, pledge_rate: float) -> float:
    """Collateral value of a carbon-sink pledge loan (林业碳汇质押 / 碳汇预期收益权质押).

    Parameters
    ----------
    tonnes : float
        Verified or estimated credits pledged [tCO2e].
    reference_price : float
        Reference price, e.g. the CCER or CEA average [currency/tCO2e].
    pledge_rate : float
        Loan-to-value rate the bank applies, in (0, 1] — always an input (practice varies; the research
        note reports 50–70 % as unsourced common practice, deliberately not encoded).

    Returns
    -------
    float
        tonnes × reference price × pledge rate [currency].

    Raises
    ------
    InputError
        For negative tonnes or price, or a pledge rate outside (0, 1].

    Example
    -------
    >>> collateral_value(10_000, 70.0, 0.6)
    420000.0
    """
    if tonnes < 0 or reference_price < 0:
        raise InputError("tonnes and price must not be negative", field="tonnes")
    if not 0 < pledge_rate <= 1:
        raise InputError("pledge rate must be in (0, 1]", field="pledge_rate")
    return float(tonnes * reference_price * pledge_rate)
