"""Global warming potentials (GWP100) by named IPCC assessment.

The values come from the maintained ``globalwarmingpotentials`` package (CC0; SAR/AR4/AR5 per the GHG
Protocol tables, AR6 per WG1 Ch. 7 Table 7.SM.7). AR6 fossil and non-fossil CH4 (Table 7.15), which the
package does not carry, are rows of the factor library (parameter ``gwp``), so they carry their source.

AR5 is the default, for comparability with China's and the UNFCCC's reporting (research/county.md §1.7).
CO2-equivalence is never implicit: every conversion names its set.

Example
-------
>>> GWPSet.load("AR5").value("CH4")
28.0
>>> GWPSet.load("AR6", ch4_by_origin=True).value("CH4", origin="fossil")
29.8
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Literal

import globalwarmingpotentials

from countyzero.core.errors import InputError
from countyzero.factors.library import FactorLibrary, default_library

GWPName = Literal["AR4", "AR5", "AR6"]
DEFAULT_GWP: GWPName = "AR5"
_PACKAGE_KEYS: dict[str, str] = {"AR4": "AR4GWP100", "AR5": "AR5GWP100", "AR6": "AR6GWP100"}
CH4_ORIGINS = ("fossil", "non_fossil")


def _canonical_gas(gas: str) -> str:
    return gas.replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class GWPSet:
    """One GWP100 table.

    Parameters
    ----------
    name : {"AR4", "AR5", "AR6"}
    ch4_by_origin : bool
        AR6 only: use the fossil (29.8) and non-fossil (27.0) CH4 values of AR6 Table 7.15 for lines whose
        CH4 origin is known, instead of the single 27.9 of Table 7.SM.7.
    """

    name: GWPName
    values: dict[str, float]
    source: str
    ch4_by_origin: bool = False
    ch4_origin_values: dict[str, float] = field(default_factory=dict)
    ch4_origin_factor_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str = DEFAULT_GWP, *, ch4_by_origin: bool = False,
             library: FactorLibrary | None = None) -> GWPSet:
        key = name.upper()
        if key not in _PACKAGE_KEYS:
            raise InputError(f"unknown GWP set {name!r}; choose one of {', '.join(_PACKAGE_KEYS)}", field="gwp")
        if ch4_by_origin and key != "AR6":
            raise InputError("CH4 by origin (fossil / non-fossil) is defined for AR6 only", field="gwp")
        table = {_canonical_gas(g): float(v) for g, v in globalwarmingpotentials.data[_PACKAGE_KEYS[key]].items()}
        table["CO2"] = 1.0
        source = (f"globalwarmingpotentials {version('globalwarmingpotentials')} "
                  f"({_PACKAGE_KEYS[key]}; AR6 from IPCC AR6 WG1 Table 7.SM.7)")
        origin_values: dict[str, float] = {}
        origin_ids: dict[str, str] = {}
        if ch4_by_origin:
            lib = library or default_library()
            for origin in CH4_ORIGINS:
                row = lib.find("gwp", "CH4", factor_set="AR6", technology=origin).factor
                origin_values[origin] = row.value
                origin_ids[origin] = row.id
        return cls(key, table, source, ch4_by_origin, origin_values, origin_ids)  # type: ignore[arg-type]

    def value(self, gas: str, origin: str | None = None) -> float:
        """GWP100 of a gas (kgCO2e per kg). ``CO2e`` returns 1 (already equivalent)."""
        if gas == "CO2e":
            return 1.0
        if gas == "CH4" and self.ch4_by_origin and origin in self.ch4_origin_values:
            return self.ch4_origin_values[origin]
        try:
            return self.values[_canonical_gas(gas)]
        except KeyError:
            raise InputError(f"gas {gas!r} has no GWP in {self.name}", field="gas") from None

    def knows(self, gas: str) -> bool:
        return gas == "CO2e" or _canonical_gas(gas) in self.values

    def label(self) -> str:
        return f"{self.name} GWP100" + (" (CH4 by origin, AR6 Table 7.15)" if self.ch4_by_origin else "")
