"""Module arithmetic of EN 15978:2011 and GB/T 51366-2019, vectorised over BOQ lines.

These are the pure functions every assessment (one building, an IFC model, a portfolio of 10⁵ buildings)
runs through. They take magnitudes in fixed units — kgCO2e per unit of item quantity, tonnes, km, years —
and return a matrix with one row per line and one column per module of :data:`MODULES`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from countyzero.buildings.model import MODULES, Method

Array = npt.NDArray[np.float64]
COL = {module: index for index, module in enumerate(MODULES)}


def replacements_b4(study_period_years: float | Array, service_life_years: float | Array) -> npt.NDArray[np.int64]:
    """Number of whole replacements of a component over the reference study period (module B4).

    Parameters
    ----------
    study_period_years : float or array [a]
        Reference study period RSP of the building (EN 15978 §7.3; RICS 2nd ed.: 60 a for buildings).
    service_life_years : float or array [a]
        Estimated service life ESL of the component (> 0).

    Returns
    -------
    numpy.ndarray of int
        ``N = max(ceil(RSP / ESL) − 1, 0)``: the initial installation is not a replacement, and only whole
        replacements count (EN 15978 §9.3.3 as read by EeBGuide; RICS 2nd ed.). A ratio within 1e-9 of an
        integer counts as that integer, so 60/30 gives 1, not 2.

    Raises
    ------
    ValueError
        If a service life is not positive.

    Example
    -------
    >>> replacements_b4(60, [15, 20, 25, 30, 40, 60, 70]).tolist()
    [3, 2, 2, 1, 1, 0, 0]
    """
    rsp = np.asarray(study_period_years, dtype=np.float64)
    esl = np.asarray(service_life_years, dtype=np.float64)
    if np.any(esl <= 0):
        raise ValueError("service life must be positive")
    ratio = rsp / esl
    return np.maximum(np.ceil(ratio - 1e-9) - 1, 0).astype(np.int64)


def waste_factor(waste_rate: Array, basis: str) -> Array:
    """Extra material bought per unit installed, from the waste rate ``w`` (A5 losses).

    ``basis="purchased"``: ``w`` is the share of purchased material wasted, so WF = w / (1 − w) (RICS WLCA
    2nd ed., waste factor); ``basis="installed"``: ``w`` is already per unit installed, WF = w.

    Example
    -------
    >>> float(waste_factor(np.array([0.2]), "purchased")[0])
    0.25
    """
    w = np.asarray(waste_rate, dtype=np.float64)
    return w / (1.0 - w) if basis == "purchased" else w


def embodied_modules(
    *,
    method: Method,
    a1a3: Array,
    mass_t: Array,
    distance_km: Array,
    transport_factor: Array,
    waste_rate: Array,
    replacements: npt.NDArray[np.int64] | Array,
    c1: Array | None = None,
    c2: Array | None = None,
    c3: Array | None = None,
    c4: Array | None = None,
    d: Array | None = None,
    recycled_multiplier: Array | None = None,
    recoverable_credit: Array | None = None,
    waste_rate_basis: str = "purchased",
    replacement_includes_d: bool = True,
) -> Array:
    """Embodied carbon by module for each BOQ line, per unit of the line's quantity [kgCO2e].

    Parameters
    ----------
    method : {"en15978", "gbt51366"}
    a1a3 : array [kgCO2e per unit]
        Production factor already converted to the line's unit.
    mass_t : array [t per unit]
        Mass transported per unit of quantity (0 where nothing is transported).
    distance_km : array [km]
    transport_factor : array [kgCO2e/(t·km)]
    waste_rate : array [-]
        Site losses (see :func:`waste_factor`).
    replacements : array [-]
        Whole replacements over the study period (:func:`replacements_b4`); used by en15978 only.
    c1 … c4, d : arrays [kgCO2e per unit], optional
        End-of-life and module D factors (en15978; 0 when absent).
    recycled_multiplier, recoverable_credit : arrays [-], optional
        GB/T 51366 §6.2 recycled-material rule: production is multiplied by ``1 − rc·(1 − s)`` and reduced
        by ``rf · s_r`` of itself (see :func:`gbt51366_recycled`).

    Returns
    -------
    numpy.ndarray, shape (lines, 15)
        Columns in :data:`MODULES` order.

    Notes
    -----
    en15978 (EN 15978:2011 §7.4, RICS 2nd ed.), with WF the waste factor and EoL = C1+C2+C3+C4::

        A1-A3 = a1a3;  A4 = m · D · T;  A5 = WF · (A1-A3 + A4 + EoL)
        B4    = N · (A1-A3 + A4 + A5 + EoL);  Cj = cj;  D = d · (1 + N)   (N·d only if replacement_includes_d)

    gbt51366 (GB/T 51366-2019 §6.2 eq. 6.2.1 C_sc = Σ M_i F_i; §6.3 eq. 6.3.1 C_ys = Σ M_i D_i T_i), where
    the material consumed M_i includes site losses (M = installed · (1 + WF))::

        A1-A3 = a1a3 · (1 + WF) · recycled_multiplier − a1a3 · recoverable_credit
        A4    = m · (1 + WF) · D · T;  all other columns 0 (B4, C2–C4 and D are not in the standard).

    Example
    -------
    >>> row = embodied_modules(method="en15978", a1a3=np.array([240.0]), mass_t=np.array([2.4]),
    ...                        distance_km=np.array([40.0]), transport_factor=np.array([0.162]),
    ...                        waste_rate=np.array([0.0]), replacements=np.array([0]))
    >>> round(float(row[0, COL["A4"]]), 4)
    15.552
    """
    n = a1a3.shape[0]
    out = np.zeros((n, len(MODULES)), dtype=np.float64)
    zeros = np.zeros(n)
    wf = waste_factor(waste_rate, waste_rate_basis)
    a4 = mass_t * distance_km * transport_factor
    if method == "gbt51366":
        rm = recycled_multiplier if recycled_multiplier is not None else np.ones(n)
        rc = recoverable_credit if recoverable_credit is not None else zeros
        out[:, COL["A1-A3"]] = a1a3 * (1.0 + wf) * rm - a1a3 * rc
        out[:, COL["A4"]] = a4 * (1.0 + wf)
        return out
    cs = [x if x is not None else zeros for x in (c1, c2, c3, c4)]
    eol = cs[0] + cs[1] + cs[2] + cs[3]
    a5 = wf * (a1a3 + a4 + eol)
    reps = np.asarray(replacements, dtype=np.float64)
    out[:, COL["A1-A3"]] = a1a3
    out[:, COL["A4"]] = a4
    out[:, COL["A5"]] = a5
    out[:, COL["B4"]] = reps * (a1a3 + a4 + a5 + eol)
    for j, column in enumerate(("C1", "C2", "C3", "C4")):
        out[:, COL[column]] = cs[j]
    if d is not None:
        out[:, COL["D"]] = d * (1.0 + reps) if replacement_includes_d else d
    return out


def gbt51366_recycled(recycled_content: Array, feedstock_share: Array, recoverable_fraction: Array,
                      recoverable_share: float) -> tuple[Array, Array]:
    """GB/T 51366-2019 §6.2 rule for recycled materials, as multipliers of the production emissions.

    Parameters
    ----------
    recycled_content : array [-]
        Share ``rc`` of the material made from recycled feedstock.
    feedstock_share : array [-]
        Share ``s`` of the replaced virgin material's emissions charged to that feedstock: 0 for low-value
        waste (its upstream is ignored), 0.5 for other recycled feedstock (factor rows
        ``gbt51366.recycled_share.*``).
    recoverable_fraction : array [-]
        Share ``rf`` of the material recovered as recyclable construction or demolition waste.
    recoverable_share : float [-]
        Share ``s_r`` of the replaced virgin material credited for it (0.5), deducted from the total.

    Returns
    -------
    (multiplier, credit)
        ``1 − rc·(1 − s)`` and ``rf · s_r``.

    Example
    -------
    >>> m, c = gbt51366_recycled(np.array([0.3]), np.array([0.5]), np.array([0.2]), 0.5)
    >>> round(float(m[0]), 3), round(float(c[0]), 3)
    (0.85, 0.1)
    """
    return 1.0 - recycled_content * (1.0 - feedstock_share), recoverable_fraction * recoverable_share
