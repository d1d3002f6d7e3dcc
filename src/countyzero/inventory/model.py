"""Input and result schemas of the inventory engine (the JSON Schema in docs/ is generated from these)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, computed_field, model_validator

from countyzero.core.io import INPUT_CONFIG
from countyzero.core.trace import LineItem
from countyzero.inventory.gpc import Scene

NotationKey = Literal["NO", "IE", "NE", "C"]
FactorSetName = Literal["ipcc2006", "cn-provincial"]
METHODS = ("fuel", "electricity", "activity", "forest", "waste_landfill", "wastewater", "factor")


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class InlineFactor(_Strict):
    """A factor given in the input itself (it must name its source)."""

    value: float
    unit: str = Field(min_length=1, description="per unit of the line's quantity, e.g. t/t, kg/kWh")
    gas: str = Field(default="CO2e", description="gas the factor gives; CO2e means already CO2-equivalent")
    source: str = Field(min_length=3, description="where the number comes from")
    biogenic: bool = False


class GridElectricity(_Strict):
    grid: str = Field(min_length=1, description="grid id in the factor library, e.g. CN-HI, CN-national")
    year: int | None = Field(default=None, description="factor year; defaults to the inventory year")


class Forest(_Strict):
    type: str = Field(min_length=1, description="forest type key with growth-rate rows, e.g. rubber_plantation_asia")


class WasteLandfill(_Strict):
    site: str = Field(default="uncategorised", description="SWDS type for the methane correction factor")
    cover: str = Field(default="default", description="oxidation-factor key: default (0) or covered")
    composition: dict[str, float] | None = Field(
        default=None, description="wet-weight fractions by component; default IPCC Eastern Asia")
    composition_region: str = "eastern_asia"
    recovered_fraction: float = Field(default=0.0, ge=0.0, le=1.0, description="share of CH4 recovered")

    @model_validator(mode="after")
    def _fractions(self) -> WasteLandfill:
        if self.composition is not None:
            if any(v < 0 for v in self.composition.values()):
                raise ValueError("composition fractions must not be negative")
            if sum(self.composition.values()) > 1.0 + 1e-9:
                raise ValueError("composition fractions add up to more than 1")
        return self


class Wastewater(_Strict):
    treatment: str = Field(min_length=1, description="treatment/discharge pathway key for the MCF")
    collected: bool = True
    n2o: bool = Field(default=True, description="also estimate N2O from effluent nitrogen")
    region: str = "china"


class ActivityLine(_Strict):
    """One line of the inventory: an activity in a GPC sub-category, or a notation key."""

    id: str = Field(min_length=1)
    gpc: str = Field(min_length=1)
    scene: Scene | None = None
    description: str = ""
    fuel: str | None = None
    technology: str | None = Field(default=None, description="refines the combustion context, e.g. oxidation_catalyst")
    electricity: GridElectricity | None = None
    activity: str | None = None
    forest: Forest | None = None
    waste_landfill: WasteLandfill | None = None
    wastewater: Wastewater | None = None
    factor: InlineFactor | None = None
    ncv: InlineFactor | None = Field(default=None, description="net calorific value override for a fuel line")
    quantity: float | None = None
    unit: str | None = None
    notation_key: NotationKey | None = None
    explanation: str | None = None
    uncertainty_pct: float | None = Field(default=None, ge=0, description="activity data, 95% half-width in %")
    data_quality: Literal["high", "medium", "low"] | None = None
    source: str | None = Field(default=None, description="source of the activity data")

    @property
    def method(self) -> str | None:
        for name in METHODS:
            if getattr(self, name) is not None:
                return name
        return None

    @model_validator(mode="after")
    def _consistent(self) -> ActivityLine:
        given = [name for name in METHODS if getattr(self, name) is not None]
        if self.notation_key is not None:
            if self.quantity is not None or given:
                raise ValueError("a notation-key line has no quantity or method")
            if self.notation_key in ("IE", "NE") and not (self.explanation or "").strip():
                raise ValueError(f"notation key {self.notation_key} needs an explanation "
                                 "(IE: where it is included; NE: why it is not estimated)")
            return self
        if len(given) != 1:
            raise ValueError("give exactly one of " + ", ".join(METHODS)
                             + (f" (got {', '.join(given)})" if given else "") + ", or a notation_key")
        if self.quantity is None:
            raise ValueError("quantity is missing")
        if not self.unit:
            raise ValueError("unit is missing")
        if self.ncv is not None and self.fuel is None:
            raise ValueError("ncv applies to fuel lines only")
        return self


class Profile(_Strict):
    population: int | None = Field(default=None, gt=0)
    gdp_cny: float | None = Field(default=None, gt=0, description="gross domestic product, CNY")


class InventoryInput(_Strict):
    """A county inventory file (YAML, JSON, CSV or XLSX with the same fields)."""

    county: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    gwp: Literal["AR4", "AR5", "AR6"] = "AR5"
    ch4_by_origin: bool = Field(default=False, description="AR6 only: fossil/non-fossil CH4 GWPs")
    factor_set: FactorSetName = "ipcc2006"
    ipcc_defaults: Literal["ipcc2006", "ipcc2019"] = Field(
        default="ipcc2006",
        description="IPCC default parameters for waste and AFOLU: the 2006 Guidelines or their 2019 Refinement "
                    "(rows the Refinement did not change fall back to 2006, recorded in the trace)")
    region: str = Field(default="CN", description="region code for factor look-ups (ISO 3166 style)")
    profile: Profile = Field(default_factory=Profile)
    activities: list[ActivityLine] = Field(min_length=1)


@dataclass(slots=True)
class GasAmount:
    """A gas contribution of a line (kept for traces and Monte Carlo)."""

    gas: str
    tonnes: float
    tco2e: float
    gwp: float
    factor_ids: list[str]
    biogenic: bool = False


@dataclass(slots=True)
class LineResult:
    """The result of one input line."""

    id: str
    gpc: str
    scene: Scene
    scope: int
    method: str | None
    notation_key: NotationKey | None = None
    explanation: str | None = None
    tco2e: float = 0.0
    gases: list[GasAmount] = dc_field(default_factory=list)
    biogenic_co2_t: float = 0.0
    energy_tj: float | None = None
    energy_tce: float | None = None
    factor_ids: list[str] = dc_field(default_factory=list)
    sources: list[str] = dc_field(default_factory=list)
    fallbacks: list[str] = dc_field(default_factory=list)


class InventoryResult(BaseModel):
    """The output contract of ``countyzero inventory compute --format json`` (docs/inventory.md)."""

    county: str
    year: int
    gwp: str
    factor_set: str
    gross_tco2e: float
    removals_tco2e: float
    net_tco2e: float
    by_scene: dict[str, float]
    by_scope: dict[str, float]
    by_gas: dict[str, float]
    by_sector: dict[str, float]
    gpc_totals: dict[str, float]
    biogenic_co2_t: float
    energy_co2_t: float
    energy_tce: float
    intensity: dict[str, float | None]
    notation_keys: list[dict[str, str]]
    not_reported: list[str]
    uncertainty: dict[str, Any] | None = None
    lines: list[LineResult]
    provenance: dict[str, Any]
    _trace: list[tuple[str, float, tuple[LineItem, ...]]] = PrivateAttr(default_factory=list)

    def trace_items(self, line_id: str | None = None) -> list[LineItem]:
        """The arithmetic of every line (or of one), scaled from the per-unit calculation."""
        return [item.scaled(lid, scale) for lid, scale, items in self._trace
                if line_id is None or lid == line_id for item in items]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def trace(self) -> list[dict[str, Any]]:
        """Every calculation step (docs/trace.md): quantity × factor = result, with the factor's source."""
        return [item.to_dict() for item in self.trace_items()]
