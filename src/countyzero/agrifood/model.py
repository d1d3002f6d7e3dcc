"""Input and result schemas of the farm engine (``countyzero farm schema`` prints the JSON Schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from countyzero.core.io import INPUT_CONFIG

Species = Literal["dairy_cattle", "other_cattle", "buffalo", "swine"]
MeasureType = Literal["alternate_wetting_drying", "straw_management", "fertiliser_reduction"]


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class InlineFactor(_Strict):
    """A factor given in the input itself instead of a library row; it must name its source."""

    value: float = Field(ge=0)
    unit: str = Field(min_length=1, description="the unit the library row would have, e.g. kg/ha/day, kg/yr")
    source: str = Field(min_length=3)


class OrganicAmendment(_Strict):
    type: Literal["straw_lt_30d", "straw_gt_30d", "compost", "farmyard_manure", "green_manure"]
    t_per_ha: float = Field(ge=0, description="application rate ROA [t/ha]: dry weight for straw, fresh otherwise")


class RiceCultivation(_Strict):
    """Flooded-rice practice of a field (IPCC 2019 Vol. 4 Ch. 5.5)."""

    water_regime: str = Field(default="continuously_flooded",
                              description="SFw key: continuously_flooded, intermittent_single_aeration, "
                                          "intermittent_multiple_aeration (AWD), rainfed_regular, "
                                          "rainfed_drought_prone, deep_water")
    preseason: str = Field(default="non_flooded_lt_180d",
                           description="SFp key: non_flooded_lt_180d, non_flooded_gt_180d, flooded_gt_30d, "
                                       "non_flooded_gt_365d")
    cultivation_days: float | None = Field(default=None, gt=0, le=366,
                                           description="days per season; default Table 5.11a (113 d)")
    seasons: int = Field(default=1, ge=1, le=3, description="crops per year on the field")
    organic_amendments: list[OrganicAmendment] = Field(default_factory=list)
    baseline_ef: InlineFactor | None = Field(default=None, description="EFc override [kg CH4/ha/day]")


class FieldInput(_Strict):
    id: str = Field(min_length=1)
    crop: str = Field(min_length=1, description="rice, mango, lychee, rubber, betel_nut, vegetables …")
    area_ha: float = Field(ge=0)
    rice: RiceCultivation | None = Field(default=None, description="required for flooded rice")
    synthetic_n_kg: float = Field(default=0.0, ge=0, description="synthetic fertiliser N applied per year [kg N]")
    organic_n_kg: float = Field(default=0.0, ge=0, description="manure/compost N applied per year [kg N]")
    urea_t: float = Field(default=0.0, ge=0, description="urea applied per year [t urea] (its N is in synthetic_n_kg)")

    @model_validator(mode="after")
    def _rice(self) -> FieldInput:
        if self.crop == "rice" and self.rice is None:
            raise ValueError("a rice field needs its rice practice (water_regime, seasons …)")
        if self.crop != "rice" and self.rice is not None:
            raise ValueError("rice practice given for a field whose crop is not rice")
        return self


class Herd(_Strict):
    id: str = Field(min_length=1)
    species: Species
    heads: float = Field(ge=0, description="average annual population [head]")
    enteric_ef: InlineFactor | None = Field(default=None, description="override [kg CH4/head/yr]")
    manure_ef: InlineFactor | None = Field(default=None, description="override [kg CH4/head/yr]")


class Product(_Strict):
    """A product of the farm, with the fields and herds whose emissions it carries (farm-gate)."""

    name: str = Field(min_length=1)
    quantity_kg: float = Field(gt=0, description="annual output [kg]")
    fields: list[str] = Field(default_factory=list)
    herds: list[str] = Field(default_factory=list)


class Measure(_Strict):
    """A low-carbon practice and the fields it applies to (all eligible fields when none are named)."""

    type: MeasureType
    fields: list[str] = Field(default_factory=list)
    fraction: float | None = Field(default=None, gt=0, le=1, description="fertiliser_reduction: share of N cut")
    straw: Literal["straw_gt_30d", "removed"] = Field(
        default="straw_gt_30d", description="straw_management: incorporate > 30 days before cultivation, or remove")

    @model_validator(mode="after")
    def _fraction(self) -> Measure:
        if self.type == "fertiliser_reduction" and self.fraction is None:
            raise ValueError("fertiliser_reduction needs the fraction of N cut (0 < fraction ≤ 1)")
        return self


class FarmInput(_Strict):
    """A farm file (YAML/JSON; CSV/XLSX with one field per row)."""

    farm: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    county: str | None = None
    ipcc_defaults: Literal["ipcc2019", "ipcc2006"] = "ipcc2019"
    gwp: Literal["AR4", "AR5", "AR6"] = "AR5"
    ch4_by_origin: bool = Field(default=False, description="AR6 only: non-fossil CH4 GWP (27.0) for biogenic CH4")
    rice_region: str = Field(default="east_asia", description="technology key of the EFc row; '' for global")
    fields: list[FieldInput] = Field(default_factory=list)
    livestock: list[Herd] = Field(default_factory=list)
    products: list[Product] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> FarmInput:
        if not self.fields and not self.livestock:
            raise ValueError("a farm needs at least one field or herd")
        return self


class SourceAmount(BaseModel):
    source: str
    gas: str
    tonnes_gas: float
    tco2e: float


class UnitResult(BaseModel):
    id: str
    tco2e: float
    sources: list[SourceAmount]


class ProductFootprint(BaseModel):
    name: str
    quantity_kg: float
    kgco2e_per_kg: float
    kgco2e_per_kg_with_measures: float | None


class MeasureEffect(BaseModel):
    type: str
    fields: list[str]
    tco2e_saved: float
    percent_of_farm: float


class FarmResult(BaseModel):
    """Output contract of ``countyzero farm assess --format json`` (docs/agrifood.md)."""

    farm: str
    year: int
    gwp: str
    ipcc_defaults: str
    total_tco2e: float
    by_source: dict[str, float]
    by_gas_t: dict[str, float]
    fields: list[UnitResult]
    herds: list[UnitResult]
    products: list[ProductFootprint]
    measures: list[MeasureEffect]
    total_with_measures_tco2e: float | None
    inventory_lines: list[dict[str, Any]]
    trace: list[dict[str, Any]]
    provenance: dict[str, Any]
