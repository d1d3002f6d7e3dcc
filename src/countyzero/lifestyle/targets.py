"""1.5 °C per-capita lifestyle carbon footprint trajectories (1.5-Degree Lifestyles), as versioned data.

Each version is a factor set of ``per_capita_target`` rows (``lifestyle_targets.csv``): one row per anchor year,
in tCO2e per person per year. ``hoc-2019`` (2.5 t in 2030, 1.4 t in 2040, 0.7 t in 2050) and ``hoc-2021``
(the same globally unified targets, restated) ship beside the alternatives ``hoc-2019-nets`` (with negative-emission
technologies) and ``hoc-2025`` (1.1 t in 2035, 0.3 t in 2050, an estimate until the 2025 report is read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from countyzero.core.errors import InputError
from countyzero.core.units import conversion_factor
from countyzero.factors.library import Factor, FactorLibrary, default_library

DEFAULT_TRAJECTORY = "hoc-2021"
"""The trajectory version a result uses when none is named (docs/label-standard.md §4)."""

PARAMETER = "per_capita_target"
DAYS_PER_YEAR = 365
"""Calendar days used to turn an annual budget into a daily one (the 2019 report's 6.85 kg/day = 2.5 t/365)."""


@dataclass(frozen=True)
class Trajectory:
    """One version of the per-capita trajectory: anchor years and targets [tCO2e/person/yr]."""

    version: str
    years: tuple[int, ...]
    targets_t: tuple[float, ...]
    factors: tuple[Factor, ...]

    def at(self, year: float) -> float:
        """Target for ``year`` [tCO2e/person/yr]; linear between anchors, flat outside them."""
        return float(np.interp(year, self.years, self.targets_t))

    def compatible_until(self, footprint_tco2e_per_capita: float) -> int | None:
        """Last whole anchor-range year whose target covers the footprint (see :func:`compatible_until`)."""
        years = np.arange(self.years[0], self.years[-1] + 1)
        covered = years[np.interp(years, self.years, self.targets_t) >= footprint_tco2e_per_capita - 1e-9]
        return int(covered.max()) if covered.size else None

    @property
    def factor_ids(self) -> list[str]:
        return [f.id for f in self.factors]

    @property
    def citation(self) -> str:
        return self.factors[0].citation


def trajectory_versions(library: FactorLibrary | None = None) -> list[str]:
    """Every trajectory version the library holds (factor sets with ``per_capita_target`` rows)."""
    lib = library or default_library()
    return sorted({row.factor_set for row in lib if row.parameter == PARAMETER})


def load_trajectory(version: str | None = None, library: FactorLibrary | None = None) -> Trajectory:
    """The anchor points of one trajectory version.

    Raises
    ------
    InputError
        If the version is unknown, or a row of it has two values for the same year.
    """
    lib = library or default_library()
    name = version or DEFAULT_TRAJECTORY
    rows = sorted((row for row in lib if row.parameter == PARAMETER and row.factor_set == name),
                  key=lambda row: row.year or 0)
    if not rows:
        raise InputError(f"unknown trajectory version {name!r}; choose one of "
                         + ", ".join(trajectory_versions(lib)), field="trajectory")
    years: list[int] = []
    values: list[float] = []
    for row in rows:
        if row.year is None:
            raise InputError(f"trajectory row {row.id!r} has no year", field="year")
        if row.year in years:
            raise InputError(f"trajectory {name!r} has two targets for {row.year}", field="year")
        years.append(row.year)
        values.append(row.value * conversion_factor(row.unit, "tCO2e/yr"))
    return Trajectory(name, tuple(years), tuple(values), tuple(rows))


def target_tco2e_per_capita(year: float, version: str | None = None, *, library: FactorLibrary | None = None) -> float:
    """Per-capita 1.5 °C lifestyle carbon footprint target for a year.

    Parameters
    ----------
    year : float
        Calendar year [a]; fractional years are allowed.
    version : str, optional
        Trajectory version (a factor set of ``per_capita_target`` rows): ``hoc-2021`` (default), ``hoc-2019``,
        ``hoc-2019-nets``, ``hoc-2025``.
    library : FactorLibrary, optional
        The factor rows to read (the shipped set when omitted).

    Returns
    -------
    float
        Target B(y) [tCO2e per person per year].

    Equation
    --------
    For anchors (y_i, B_i) sorted by year, ``B(y) = B_i + (B_{i+1} − B_i)·(y − y_i)/(y_{i+1} − y_i)``
    for ``y_i ≤ y ≤ y_{i+1}``; ``B(y) = B_first`` before the first anchor and ``B_last`` after the last
    (docs/label-standard.md §4).

    References
    ----------
    IGES, Aalto University & D-mat (2019) *1.5-Degree Lifestyles*, targets 2.5 / 1.4 / 0.7 t (2030/2040/2050);
    Akenji et al. (2021) *1.5-Degree Lifestyles: Towards a Fair Consumption Space for All*, Hot or Cool
    Institute, Figure C.

    Raises
    ------
    InputError
        If the version is unknown.

    Example
    -------
    >>> target_tco2e_per_capita(2035)
    1.95
    >>> round(target_tco2e_per_capita(2045, "hoc-2019"), 2)
    1.05
    """
    return round(load_trajectory(version, library).at(year), 12)


def daily_budget_kgco2e(year: float, version: str | None = None, *, library: FactorLibrary | None = None) -> float:
    """Daily per-capita budget [kgCO2e/person/day] = B(y) × 1000 / 365.

    Example
    -------
    >>> round(daily_budget_kgco2e(2030), 2)
    6.85
    """
    return target_tco2e_per_capita(year, version, library=library) * 1000.0 / DAYS_PER_YEAR


def compatible_until(footprint_tco2e_per_capita: float, version: str | None = None, *,
                     library: FactorLibrary | None = None) -> int | None:
    """The last whole year whose target still covers a per-capita footprint ("1.5 °C-compatible until").

    Parameters
    ----------
    footprint_tco2e_per_capita : float
        Annual footprint per person [tCO2e/yr].
    version : str, optional
        Trajectory version (default ``hoc-2021``).

    Returns
    -------
    int or None
        The last year Y* in [first anchor, last anchor] with B(Y*) ≥ footprint; the last anchor year when even it
        covers the footprint; None when not even the first anchor year does.

    Example
    -------
    >>> compatible_until(1.4)
    2040
    >>> compatible_until(3.0) is None
    True
    """
    return load_trajectory(version, library).compatible_until(footprint_tco2e_per_capita)
