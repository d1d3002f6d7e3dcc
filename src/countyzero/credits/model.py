"""Input schema of the credits engine: a removal project (the JSON Schema in docs/ is generated from it).

A project file names the project (start, crediting years, area), the quantification ``method``, the method's
``parameters`` (inline values override library defaults; every value used is traced), the facts eligibility is
judged on, and optionally the sampling uncertainty, the Verra non-permanence risk score and monitoring events
(ex-post). See ``docs/credits.md`` for the format with examples.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from countyzero.core.io import INPUT_CONFIG

Method = Literal["ipcc-tier1-gain-loss", "stock-difference", "allometric-chave2014", "mangrove"]
METHODS: tuple[str, ...] = ("ipcc-tier1-gain-loss", "stock-difference", "allometric-chave2014", "mangrove")
StandardName = Literal["ccer", "verra", "gold-standard"]
STANDARDS: tuple[str, ...] = ("ccer", "verra", "gold-standard")


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class ProjectInfo(_Strict):
    """Who, where, when and how large."""

    name: str = Field(min_length=1)
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                           description="registry id used by the ledger; defaults to a slug of the name")
    start_date: date = Field(description="project start (planting) date; crediting starts here")
    crediting_years: int | None = Field(default=None, gt=0, le=200, description="length of the crediting period")
    end_date: date | None = Field(default=None, description="end of the crediting period (instead of crediting_years)")
    area_ha: float = Field(gt=0, description="project area [ha]")
    region: str = Field(default="CN-HI", description="ISO 3166-2 region, for factor look-ups")
    stand_age_at_start: float = Field(default=0, ge=0, description="stand age at the start date [yr]")

    @model_validator(mode="after")
    def _period(self) -> ProjectInfo:
        if self.crediting_years is None and self.end_date is None:
            raise ValueError("give crediting_years or end_date")
        if self.end_date is not None:
            if self.end_date <= self.start_date:
                raise ValueError(f"end_date {self.end_date} is not after start_date {self.start_date}")
            years = self.end_date.year - self.start_date.year
            if self.crediting_years is not None and years != self.crediting_years:
                raise ValueError(f"end_date {self.end_date} does not match crediting_years {self.crediting_years}")
        return self

    @property
    def registry_id(self) -> str:
        if self.id:
            return self.id
        slug = "".join(c if c.isalnum() else "-" for c in self.name.lower()).strip("-")
        return "-".join(part for part in slug.split("-") if part) or "project"

    @property
    def period_years(self) -> int:
        if self.crediting_years is not None:
            return self.crediting_years
        assert self.end_date is not None
        return self.end_date.year - self.start_date.year


class Parameters(_Strict):
    """Method parameters. Any value left out comes from the factor library (the trace names the row)."""

    forest_type: str | None = Field(default=None,
                                    description="IPCC growth-table key, e.g. other_broadleaf_plantation_asia")
    growth_t_dm_per_ha_yr: float | None = Field(default=None, ge=0,
                                                description="above-ground growth G_W [t d.m./ha/yr]")
    growth_young_t_dm_per_ha_yr: float | None = Field(
        default=None, ge=0, description="G_W for stands up to the young-stand age limit [t d.m./ha/yr]")
    root_shoot_ratio: float | None = Field(default=None, ge=0, le=5, description="R [t root d.m./t shoot d.m.]")
    carbon_fraction: float | None = Field(default=None, gt=0, lt=1, description="CF [t C/t d.m.]")
    max_agb_t_dm_per_ha: float | None = Field(default=None, gt=0, description="cap on above-ground stock [t d.m./ha]")
    species: str | None = Field(default=None, description="species key for WD/BEF/R rows, e.g. cn_south.eucalyptus")
    volume_increment_m3_per_ha_yr: float | None = Field(default=None, ge=0,
                                                        description="stem volume increment [m³/ha/yr]")
    wood_density_t_per_m3: float | None = Field(default=None, gt=0, lt=1.5, description="basic wood density WD [t/m³]")
    biomass_expansion_factor: float | None = Field(default=None, ge=1, lt=5, description="BEF, stem → above-ground")
    mangrove_type: str | None = Field(default=None, description="tropical_wet | tropical_dry | subtropical")
    soil_c_accumulation_t_c_per_ha_yr: float | None = Field(default=None, ge=0, description="soil C gain [t C/ha/yr]")
    include_soil_carbon: bool = Field(default=True, description="mangroves: count soil carbon accumulation")
    baseline_tco2e_per_ha_yr: float | None = Field(default=None, ge=0, description="baseline removals [tCO2e/ha/yr]")
    leakage_fraction: float | None = Field(default=None, ge=0, lt=1, description="leakage share of net removals")


class Eligibility(_Strict):
    """Facts the standards' eligibility rules are judged on. Missing facts never count as a pass."""

    land_non_forest_years: float | None = Field(default=None, ge=0, description="years non-forest before start")
    economic_forest: bool | None = Field(default=None, description="fruit, rubber, oil or medicinal crop trees")
    parcel_min_m2: float | None = Field(default=None, gt=0, description="smallest contiguous parcel [m²]")
    wetland: bool = Field(default=False, description="the land is wetland (incl. tidal flats)")
    site: Literal["tidal_flat", "aquaculture_pond", "upland", "other"] | None = None
    preexisting_woody_cover: float | None = Field(default=None, ge=0, le=1, description="share of area")
    shrub_removal_share: float | None = Field(default=None, ge=0, le=1, description="share of area cleared")
    land_tenure_documented: bool | None = None


class Uncertainty(_Strict):
    """Sampling uncertainty of the removal estimate."""

    relative_half_width_90: float = Field(ge=0, description="half-width of the 90 % CI as a share of the mean")
    rule: Literal["excess", "full"] = Field(
        default="excess",
        description="deduct the uncertainty in excess of the standard's free threshold (excess) or all of it (full)")


class Risk(_Strict):
    verra_nprt_score: float = Field(ge=0, le=100, description="AFOLU Non-Permanence Risk Tool overall score [points]")


class Tree(_Strict):
    dbh_cm: float = Field(gt=0, lt=500)
    height_m: float = Field(gt=0, lt=120)
    wood_density_g_cm3: float = Field(gt=0, lt=1.5)


class Plot(_Strict):
    area_m2: float = Field(gt=0)
    trees: list[Tree] = Field(default_factory=list)


class MonitoringEvent(_Strict):
    """A measured stock at a date: give exactly one of the stock fields."""

    date: date
    carbon_stock_tco2e: float | None = Field(default=None, ge=0, description="whole project [tCO2e]")
    stock_tco2e_per_ha: float | None = Field(default=None, ge=0)
    volume_m3_per_ha: float | None = Field(default=None, ge=0, description="stem volume [m³/ha]")
    plots: list[Plot] | None = None

    @model_validator(mode="after")
    def _one_stock(self) -> MonitoringEvent:
        given = [n for n in ("carbon_stock_tco2e", "stock_tco2e_per_ha", "volume_m3_per_ha", "plots")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of carbon_stock_tco2e, stock_tco2e_per_ha, volume_m3_per_ha, plots")
        return self


class ProjectInput(_Strict):
    """A removal project as read from its file."""

    project: ProjectInfo
    method: Method
    parameters: Parameters = Field(default_factory=Parameters)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    uncertainty: Uncertainty | None = None
    risk: Risk | None = None
    monitoring: list[MonitoringEvent] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProjectInput:
        if self.monitoring is not None:
            if len(self.monitoring) < 2:
                raise ValueError("monitoring needs at least two events (a stock change)")
            for before, after in itertools.pairwise(self.monitoring):
                if after.date <= before.date:
                    raise ValueError(f"monitoring dates are not in increasing order: {before.date} then {after.date}")
            if self.monitoring[0].date < self.project.start_date:
                raise ValueError(f"first monitoring date {self.monitoring[0].date} is before start_date")
        elif self.method == "allometric-chave2014":
            raise ValueError("allometric-chave2014 is an ex-post method: give monitoring events with plots")
        return self


def project_json_schema() -> dict[str, object]:
    """JSON Schema of a project file (reproduced in docs/credits.md; a test keeps the two equal)."""
    schema = ProjectInput.model_json_schema()
    schema["title"] = "CountyZero credits project"
    return schema
