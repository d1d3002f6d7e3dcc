"""Crediting-standard profiles: CCER, Verra (VM0047 + NPRT) and Gold Standard A/R.

A profile is versioned data (``data/standards.yaml``): the order of deductions, the buffer rule, dates with
their legal references, and the factor ids of every rate and threshold (rows of
``factors/data/credits_standards.csv``). :func:`load_profile` resolves it against a factor library, so a user
file that overrides a row changes the profile and the result records that it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from countyzero.core.errors import InputError
from countyzero.factors.library import Factor, FactorLibrary

DEDUCTIONS = ("baseline", "leakage", "uncertainty", "buffer")
BUFFER_BASES = ("net_after_uncertainty", "net_of_baseline_after_uncertainty")


@dataclass(frozen=True)
class DatedRule:
    value: date
    source: str


@dataclass(frozen=True)
class StandardProfile:
    """One standard's crediting rules, resolved against a factor library."""

    key: str
    name_en: str
    name_zh: str
    methodology: str
    source: str
    version: str
    deduction_order: tuple[str, ...]
    deduction_order_source: str
    buffer_rule: str
    buffer_base: str
    factors: dict[str, Factor]
    dates: dict[str, DatedRule]
    excludes_economic_forest: bool
    excludes_wetland_for_afforestation: bool
    notes: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> float | None:
        row = self.factors.get(name)
        return None if row is None else row.value

    def require(self, name: str) -> float:
        row = self.factors.get(name)
        if row is None:
            raise InputError(f"standard {self.key} has no rule {name!r}")
        return row.value

    def date_of(self, name: str) -> date | None:
        rule = self.dates.get(name)
        return None if rule is None else rule.value

    @property
    def uncertainty_before_leakage(self) -> bool:
        order = self.deduction_order
        return order.index("uncertainty") < order.index("leakage")


@lru_cache(maxsize=4)
def _raw_profiles() -> dict[str, Any]:
    text = files("countyzero.credits").joinpath("data", "standards.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def profile_version() -> str:
    """Version of the shipped standard profiles (recorded in every result)."""
    return str(_raw_profiles()["version"])


def load_profile(key: str, library: FactorLibrary) -> StandardProfile:
    """The profile of standard ``key`` (``ccer``, ``verra``, ``gold-standard``) with its factor rows.

    Raises
    ------
    InputError
        If the standard is unknown or the profile names a factor the library lacks.
    """
    raw = _raw_profiles()
    standards = raw["standards"]
    if key not in standards:
        raise InputError(f"unknown standard {key!r}; use one of {', '.join(standards)}", field="standard")
    spec = standards[key]
    order = tuple(spec["deduction_order"])
    if sorted(order) != sorted(DEDUCTIONS):
        raise InputError(f"profile {key}: deduction_order must list each of {', '.join(DEDUCTIONS)}")
    if spec["buffer_base"] not in BUFFER_BASES:
        raise InputError(f"profile {key}: unknown buffer_base {spec['buffer_base']!r}")
    resolved: dict[str, Factor] = {}
    for name, factor_id in spec["factors"].items():
        if factor_id not in library:
            raise InputError(f"profile {key}: factor {factor_id!r} ({name}) is not in the factor library")
        resolved[name] = library.get(factor_id)
    dates = {name: DatedRule(value=rule["value"], source=rule["source"]) for name, rule in spec["dates"].items()}
    return StandardProfile(
        key=key, name_en=spec["name_en"], name_zh=spec["name_zh"], methodology=spec["methodology"],
        source=spec["source"], version=str(raw["version"]), deduction_order=order,
        deduction_order_source=spec["deduction_order_source"], buffer_rule=spec["buffer_rule"],
        buffer_base=spec["buffer_base"], factors=resolved, dates=dates,
        excludes_economic_forest=bool(spec["excludes_economic_forest"]["value"]),
        excludes_wetland_for_afforestation=bool(spec["excludes_wetland_for_afforestation"]["value"]),
        notes={"economic_forest": spec["excludes_economic_forest"]["source"],
               "wetland": spec["excludes_wetland_for_afforestation"]["source"]},
    )
