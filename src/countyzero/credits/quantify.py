"""Quantification equations: removals from growth rates, stock differences, allometry and ton-years.

Pure functions on magnitudes in the units named in brackets; every one accepts numpy arrays (vectorised) as
well as floats. Parameters come from the caller — the engine takes them from the project file or from the
factor library and records which — never from literals here. Molar ratio 44/12 is stoichiometry
(:data:`countyzero.core.chemistry.CO2_PER_C`).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt

from countyzero.core.chemistry import CO2_PER_C
from countyzero.core.errors import InputError

FloatArray = npt.NDArray[np.float64]
ArrayLike = TypeVar("ArrayLike", float, FloatArray)


def tier1_removal_rate(growth_t_dm_per_ha_yr: ArrayLike, root_shoot_ratio: ArrayLike,
                       carbon_fraction: ArrayLike) -> ArrayLike:
    """Annual CO2 removal per hectare by the IPCC tier-1 gain–loss method.

    Parameters
    ----------
    growth_t_dm_per_ha_yr : float or array
        Above-ground biomass growth G_W [t d.m. ha⁻¹ yr⁻¹].
    root_shoot_ratio : float or array
        R, below- to above-ground biomass [t d.m./t d.m.].
    carbon_fraction : float or array
        CF [t C/t d.m.], in (0, 1).

    Returns
    -------
    float or array
        Removal [tCO2 ha⁻¹ yr⁻¹] = G_W × (1 + R) × CF × 44/12.

    Equation
    --------
    IPCC 2006 Vol. 4 Ch. 2 Eq. 2.10 (G_TOTAL = G_W × (1 + R)) and Eq. 2.9 (ΔC_G = Σ A × G_TOTAL × CF);
    the CO2 form multiplies by 44/12 (Vol. 4 Ch. 2 §2.2.1).

    Example
    -------
    >>> round(tier1_removal_rate(5.0, 0.33, 0.47), 4)
    11.4602
    """
    return growth_t_dm_per_ha_yr * (1 + root_shoot_ratio) * carbon_fraction * CO2_PER_C


def volume_removal_rate(volume_increment_m3_per_ha_yr: ArrayLike, wood_density_t_per_m3: ArrayLike,
                        biomass_expansion_factor: ArrayLike, root_shoot_ratio: ArrayLike,
                        carbon_fraction: ArrayLike) -> ArrayLike:
    """Annual CO2 removal per hectare from stem-volume increment (the BEF route).

    Parameters
    ----------
    volume_increment_m3_per_ha_yr : float or array
        Stem volume increment I_V [m³ ha⁻¹ yr⁻¹] (or, applied to stocks, stem volume V [m³ ha⁻¹]).
    wood_density_t_per_m3 : float or array
        Basic wood density WD (D) [t d.m. m⁻³].
    biomass_expansion_factor : float or array
        BEF, stem to whole above-ground biomass [–].
    root_shoot_ratio, carbon_fraction : float or array
        R [–] and CF [t C/t d.m.].

    Returns
    -------
    float or array
        [tCO2 ha⁻¹ yr⁻¹] = I_V × WD × BEF × (1 + R) × CF × 44/12.

    Equation
    --------
    B_TREE = V × WD × BEF × (1 + R); C = B × CF × 44/12 — CCER-14-001-V01 / CDM AR-Tool14 family (the species
    parameters of southern China are rows of ``credits_biomass.csv``, several marked for verification);
    IPCC 2006 Vol. 4 Eq. 2.8 and 2.10.

    Example
    -------
    >>> round(volume_removal_rate(10.0, 0.526, 1.251, 0.19, 0.47), 3)
    13.495
    """
    return (volume_increment_m3_per_ha_yr * wood_density_t_per_m3 * biomass_expansion_factor
            * (1 + root_shoot_ratio) * carbon_fraction * CO2_PER_C)


def mangrove_removal_rate(growth_t_dm_per_ha_yr: ArrayLike, root_shoot_ratio: ArrayLike, carbon_fraction: ArrayLike,
                          soil_c_t_per_ha_yr: ArrayLike) -> ArrayLike:
    """Annual CO2 removal per hectare of a mangrove planting: biomass growth plus soil carbon accumulation.

    Parameters
    ----------
    growth_t_dm_per_ha_yr : float or array
        Above-ground biomass growth of mangroves [t d.m. ha⁻¹ yr⁻¹].
    root_shoot_ratio : float or array
        R of mangroves [–].
    carbon_fraction : float or array
        CF of mangrove biomass [t C/t d.m.].
    soil_c_t_per_ha_yr : float or array
        Soil organic carbon accumulation after revegetation [t C ha⁻¹ yr⁻¹] (0 to leave the pool out).

    Returns
    -------
    float or array
        [tCO2 ha⁻¹ yr⁻¹] = (G_W × (1 + R) × CF + ΔSOC) × 44/12.

    Equation
    --------
    IPCC 2013 Wetlands Supplement Ch. 4 (biomass: Eq. 2.9/2.10 of the 2006 Guidelines with Tables 4.2–4.5;
    soil: Table 4.12 revegetation accumulation); CCER-14-002-V01 counts both pools (to be checked against
    the official text).

    Example
    -------
    >>> round(mangrove_removal_rate(9.9, 0.49, 0.451, 1.62), 3)
    30.333
    """
    return (growth_t_dm_per_ha_yr * (1 + root_shoot_ratio) * carbon_fraction + soil_c_t_per_ha_yr) * CO2_PER_C


def chave2014_agb_kg(wood_density_g_cm3: ArrayLike, dbh_cm: ArrayLike, height_m: ArrayLike,
                     coefficient: float, exponent: float) -> ArrayLike:
    """Above-ground biomass of a tropical tree by the Chave et al. (2014) pantropical model.

    Parameters
    ----------
    wood_density_g_cm3 : float or array
        ρ, wood specific gravity [g cm⁻³].
    dbh_cm : float or array
        D, diameter at breast height [cm].
    height_m : float or array
        H, total height [m].
    coefficient, exponent : float
        Model constants 0.0673 and 0.976 (rows ``credits.chave2014.*``).

    Returns
    -------
    float or array
        AGB [kg d.m.] = coefficient × (ρ D² H)^exponent.

    Reference
    ---------
    Chave J. et al. 2014, Global Change Biology 20:3177–3190, Eq. 4.

    Raises
    ------
    InputError
        If any ρ, D or H is not positive.

    Example
    -------
    >>> round(chave2014_agb_kg(0.6, 30.0, 25.0, 0.0673, 0.976), 1)
    723.1
    """
    if np.any(np.asarray(wood_density_g_cm3) <= 0) or np.any(np.asarray(dbh_cm) <= 0) \
            or np.any(np.asarray(height_m) <= 0):
        raise InputError("wood density, diameter and height must be positive")
    result: ArrayLike = coefficient * (wood_density_g_cm3 * dbh_cm ** 2 * height_m) ** exponent
    return result


def impulse_response(amplitudes: FloatArray, time_constants: FloatArray, years: int) -> FloatArray:
    """Fraction of a CO2 pulse still airborne at t = 0, 1, …, ``years`` − 1.

    IRF(t) = a₀ + Σᵢ aᵢ exp(−t/τᵢ) (Joos et al. 2013 Eq. 11 / Table 5; IPCC 2000 SR-LULUCF §2.3.6.3 fn. 4).
    ``time_constants`` has one entry fewer than ``amplitudes`` (a₀ is the permanent fraction).
    """
    t = np.arange(years, dtype=np.float64)
    curve = np.full(years, float(amplitudes[0]))
    for a, tau in zip(amplitudes[1:], time_constants, strict=True):
        curve += a * np.exp(-t / tau)
    return curve


def _trapezoid(values: FloatArray) -> float:
    if values.size < 2:
        return 0.0
    return float(values.sum() - 0.5 * (values[0] + values[-1]))


def ton_year_benefit(method: str, storage_years: int, horizon_years: int,
                     irf: FloatArray | None = None) -> dict[str, float]:
    """Equivalence of temporary storage of 1 tCO2 with a permanent removal, by a ton-year method.

    Parameters
    ----------
    method : {"moura-costa", "lashof", "car"}
        *Moura-Costa*: benefit = ton-years of storage over the storage period (Moura-Costa & Wilson 2000);
        *Lashof*: benefit = the atmospheric ton-years pushed beyond the horizon by the delay (Fearnside,
        Lashof & Moura-Costa 2000; IPCC 2000 SR-LULUCF §2.3.6.3);
        *CAR*: linear — storage years / horizon (Climate Action Reserve, 100-year permanence).
    storage_years : int
        Years the tonne is kept out of the atmosphere (the delay of the emission) [yr], ≥ 0.
    horizon_years : int
        Time horizon [yr] (rows ``credits.tonyear.*.horizon``), > 0.
    irf : array, optional
        CO2 impulse-response curve by year (:func:`impulse_response`); needed by Moura-Costa and Lashof,
        whose baseline cost is the integral of the IRF over the horizon.

    Returns
    -------
    dict
        ``baseline_cost_ton_years``, ``benefit_ton_years``, ``equivalence_fraction`` (benefit / cost, the
        share of a permanent tonne one stored tonne is worth, capped at 1) and ``tonnes_for_equivalence``.

    Raises
    ------
    InputError
        For an unknown method, a negative storage period, a non-positive horizon or an IRF too short.

    Reference values (carbonplan/ton-year tests, IPCC 2000 SR-LULUCF): with the IPCC 2000 IRF, horizon 100 and
    46 years of storage, Moura-Costa gives cost 46 and benefit 46; Lashof gives benefit 17.

    Example
    -------
    >>> ton_year_benefit("car", 25, 100)["equivalence_fraction"]
    0.25
    """
    if storage_years < 0:
        raise InputError("storage period cannot be negative", field="storage_years")
    if horizon_years <= 0:
        raise InputError("time horizon must be positive", field="horizon_years")
    if method == "car":
        cost = float(horizon_years)
        benefit = float(min(storage_years, horizon_years))
    elif method in ("moura-costa", "lashof"):
        if irf is None or irf.size < horizon_years + 1:
            raise InputError(f"the {method} method needs an impulse-response curve of ≥ horizon + 1 years")
        cost = _trapezoid(irf[: horizon_years + 1])
        if method == "moura-costa":
            benefit = float(storage_years)
        else:
            scenario = np.concatenate((np.zeros(storage_years), irf))
            benefit = _trapezoid(scenario[horizon_years:horizon_years + storage_years + 1]) if storage_years else 0.0
    else:
        raise InputError(f"unknown ton-year method {method!r}; use moura-costa, lashof or car", field="method")
    fraction = min(1.0, benefit / cost) if cost > 0 else 0.0
    return {"baseline_cost_ton_years": cost, "benefit_ton_years": benefit, "equivalence_fraction": fraction,
            "tonnes_for_equivalence": cost / benefit if benefit > 0 else float("inf")}
