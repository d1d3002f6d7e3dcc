"""County link: the yearly removals of registered projects as a sink series for the pathways engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from countyzero.core.errors import InputError
from countyzero.credits.engine import CreditEstimate


@dataclass(frozen=True)
class SinkSeries:
    """Removals by year [tCO2e per year, positive = removed from the atmosphere]."""

    years: npt.NDArray[np.int64]
    removals_tco2e: npt.NDArray[np.float64]
    basis: str
    projects: tuple[str, ...]

    def as_emissions(self) -> npt.NDArray[np.float64]:
        """The same series with the inventory sign convention (removals negative)."""
        return -self.removals_tco2e

    def to_dict(self) -> dict[str, Any]:
        return {"years": [int(y) for y in self.years], "removals_tco2e": [float(v) for v in self.removals_tco2e],
                "basis": self.basis, "projects": list(self.projects), "unit": "tCO2e/yr",
                "sign": "positive = removal"}


def sink_series(estimates: Iterable[CreditEstimate], *, basis: Literal["gross", "issuable"] = "gross",
                eligible_only: bool = True, years: Iterable[int] | None = None) -> SinkSeries:
    """Yearly removals of registered projects, summed, as a sink series.

    Parameters
    ----------
    estimates : iterable of CreditEstimate
        One estimate per project (the standard does not change the physical removal; a project given twice is
        refused so that no tonne is counted twice).
    basis : {"gross", "issuable"}
        ``gross``: the physical removals of every year of the crediting period (what the county inventory sees);
        ``issuable``: credits by vintage after deductions (what may be claimed as offsets).
    eligible_only : bool
        Leave out projects that are not eligible under their standard.
    years : iterable of int, optional
        The years of the series (default: every year any project covers); missing years are 0.

    Raises
    ------
    InputError
        If a project appears twice.

    Note
    ----
    A county inventory that already counts the same forest land's growth (GPC AFOLU) must not add this series
    on top of it: use it for the additional, project-level sink, or replace the land line.
    """
    totals: dict[int, float] = {}
    seen: list[str] = []
    for est in estimates:
        if est.project in seen:
            raise InputError(f"project {est.project!r} is given twice; its removals would be counted twice")
        seen.append(est.project)
        if eligible_only and not est.eligibility.eligible:
            continue
        if basis == "gross":
            series = est.removals_all_years
        else:
            series = {y: float(est.deductions.issuable[0, k]) for k, y in enumerate(est.years)}
        for y, v in series.items():
            totals[y] = totals.get(y, 0.0) + v
    span = sorted(set(years) if years is not None else set(totals))
    return SinkSeries(years=np.array(span, dtype=np.int64),
                      removals_tco2e=np.array([totals.get(y, 0.0) for y in span], dtype=np.float64),
                      basis=basis, projects=tuple(seen))
