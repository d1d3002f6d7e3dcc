"""Input and result schemas of the community engine (``countyzero community schema`` prints the JSON Schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from countyzero.core.io import INPUT_CONFIG
from countyzero.lifestyle.model import ConsumptionLine, Domain

SharedCategory = Literal["community_buildings", "ev_charging", "waste", "public_transport", "street_lighting",
                         "other"]


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class Household(_Strict):
    """One household's annual consumption, or its footprint by domain (from its own lifestyle test).

    Individual data stays with its owner: the engine uses it only inside aggregates of at least
    ``privacy_min_households`` households and never returns it.
    """

    id: str = Field(min_length=1)
    persons: float = Field(gt=0)
    group: str | None = Field(default=None, description="village, building or street for grouped aggregates")
    lines: list[ConsumptionLine] | None = None
    footprint_kgco2e_by_domain: dict[Domain, float] | None = Field(
        default=None, description="annual footprint by domain [kgCO2e], e.g. from the household's lifestyle test")

    @model_validator(mode="after")
    def _one_source(self) -> Household:
        if (self.lines is None) == (self.footprint_kgco2e_by_domain is None):
            raise ValueError("give exactly one of lines or footprint_kgco2e_by_domain")
        if self.footprint_kgco2e_by_domain and any(v < 0 for v in self.footprint_kgco2e_by_domain.values()):
            raise ValueError("footprints must not be negative")
        return self


class SharedLine(ConsumptionLine):
    """A community-level line: community buildings, EV charging, waste, public transport, street lighting."""

    category: SharedCategory


class RooftopPV(_Strict):
    id: str = Field(min_length=1)
    generation_kwh: float = Field(ge=0, description="annual generation [kWh]")
    grid: str = Field(default="CN-HI", description="grid whose electricity it displaces")
    year: int | None = None


class ActionUptake(_Strict):
    action: str = Field(min_length=1, description="action id of the catalogue, e.g. plant_based_diet")
    participants: float = Field(ge=0, description="persons taking the action")


class CommunityInput(_Strict):
    community: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    region: str = "CN"
    trajectory: str | None = None
    households: list[Household] = Field(min_length=1)
    shared: list[SharedLine] = Field(default_factory=list)
    rooftop_pv: list[RooftopPV] = Field(default_factory=list)
    actions: list[ActionUptake] = Field(default_factory=list)


class ActionEstimate(BaseModel):
    action: str
    name_en: str
    name_zh: str
    domain: str
    participants: float
    saving_tco2e: float
    factor_id: str
    source: str
    confidence: str
    capped_at_domain_footprint: bool


class CommunitySummary(BaseModel):
    """Output contract of ``countyzero community summary --format json`` (docs/community.md): aggregates only."""

    community: str
    year: int
    households: int
    persons: float
    total_tco2e: float
    households_tco2e: float
    shared_tco2e: float
    by_domain_tco2e: dict[str, float]
    shared_by_category_tco2e: dict[str, float]
    per_capita_tco2e: float
    target_tco2e_per_capita: float
    target_ratio: float
    trajectory: str
    pv_generation_kwh: float
    pv_avoided_tco2e_memo: float
    groups: dict[str, dict[str, float]] | None
    groups_note: str
    actions: list[ActionEstimate]
    privacy: dict[str, Any]
    provenance: dict[str, Any]
