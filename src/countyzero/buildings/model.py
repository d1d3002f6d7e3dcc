"""Input and result schemas of the building whole-life carbon engine (docs/buildings.md; JSON Schema there).

The bill of quantities (BOQ) is the input contract; :class:`BuildingResult` is the output contract of
``countyzero buildings assess --format json``. Module keys follow EN 15978:2011 §6.2 (Figure 6):
``A1-A3, A4, A5, B1 … B7, C1 … C4`` and ``D`` (reported beside, never inside, the total).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from countyzero.core.io import INPUT_CONFIG
from countyzero.core.trace import LineItem

MODULES: tuple[str, ...] = (
    "A1-A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "C1", "C2", "C3", "C4", "D",
)
"""EN 15978 module keys in report order; column order of every module matrix in this package."""
TOTAL_MODULES: tuple[str, ...] = MODULES[:-1]
"""Modules summed into ``total_kgco2e`` (A1 to C4; D is reported separately, EN 15978 §12.5)."""
GBT51366_MODULES: tuple[str, ...] = ("A1-A3", "A4", "A5", "B6", "B7", "C1")
"""Modules GB/T 51366-2019 covers: 建材生产 A1–A3, 建材运输 A4, 建造 A5, 运行 B6 (+ water B7), 拆除 C1."""
Method = Literal["en15978", "gbt51366"]


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class InlineFactor(_Strict):
    """A factor given in the BOQ itself (e.g. from a product EPD), per declared unit ``unit``."""

    a1a3: float = Field(description="A1–A3 production, kgCO2e per declared unit")
    unit: str = Field(min_length=1, description="e.g. kgCO2e/kg, kgCO2e/m3, kgCO2e/m2")
    c1: float | None = None
    c2: float | None = None
    c3: float | None = None
    c4: float | None = None
    d: float | None = Field(default=None, description="module D (negative = benefit), reported separately")
    biogenic: float | None = Field(
        default=None, description="biogenic carbon stored, kgCO2e per declared unit (negative = uptake, −1/+1 rule)")
    source: str = Field(default="BOQ inline factor (user input)", min_length=3)


class Transport(_Strict):
    """A4 transport to site: distance and either a factor or a library transport mode."""

    distance_km: float | None = Field(default=None, ge=0, description="km; default by material class (GB/T 51366)")
    factor_kgco2e_per_tkm: float | None = Field(default=None, ge=0)
    mode: str | None = Field(default=None, description="library id of a transport_emission_factor row")

    @model_validator(mode="after")
    def _one_factor(self) -> Transport:
        if self.factor_kgco2e_per_tkm is not None and self.mode is not None:
            raise ValueError("give factor_kgco2e_per_tkm or mode, not both")
        return self


class BOQItem(_Strict):
    """One line of a bill of quantities: a material (or product) in an element."""

    id: str = Field(min_length=1)
    material: str = Field(default="", description="material or product name")
    element: str = Field(default="", description="element (name or IFC GUID) it belongs to, for hotspots")
    quantity: float = Field(ge=0, description="installed (net) quantity, in `unit`")
    unit: str = Field(min_length=1, description="m3, t, kg, m2, pcs …")
    density_kg_m3: float | None = Field(default=None, gt=0, description="needed when mass and volume meet")
    mass_kg_per_unit: float | None = Field(default=None, gt=0, description="for m2/pcs items: mass of one unit")
    factor_id: str | None = Field(default=None, description="library id (parameter embodied_carbon_a1a3)")
    factor: InlineFactor | None = None
    transport: Transport | None = None
    waste_rate: float = Field(default=0.0, ge=0, lt=1, description="material losses on site, fraction")
    service_life_years: float | None = Field(default=None, gt=0, description="default: the study period")
    service_life_category: str | None = Field(default=None, description="library default_service_life key")
    material_class: Literal["concrete", "other"] | None = Field(
        default=None, description="for GB/T 51366 default distances; inferred from the name when absent")
    recycled_content: float = Field(default=0.0, ge=0, le=1, description="GB/T 51366 §6.2: recycled share")
    recycled_feedstock: Literal["low_value_waste", "other_recycled_feedstock"] = "other_recycled_feedstock"
    recoverable_fraction: float = Field(default=0.0, ge=0, le=1,
                                        description="GB/T 51366 §6.2: share recovered as recyclable waste")
    uncertainty_pct: float | None = Field(default=None, ge=0, description="A1–A3 factor, 95 % half-width in %")

    @model_validator(mode="after")
    def _one_factor(self) -> BOQItem:
        if (self.factor_id is None) == (self.factor is None):
            raise ValueError("give exactly one of factor_id or factor")
        return self


class OperationFactor(_Strict):
    value: float = Field(ge=0)
    unit: str = Field(min_length=1, description="e.g. kgCO2e/kWh")
    source: str = Field(default="BOQ inline factor (user input)", min_length=3)


class GridFactor(_Strict):
    """Static grid factor from the library (parameter grid_emission_factor), by region and year."""

    region: str = Field(min_length=1, description="grid id, e.g. CN-HI, CN-south, CN-national")
    year: int | None = None


class Trajectory(_Strict):
    """A decarbonising factor trajectory (e.g. from a pathways scenario): year → factor, linear between."""

    points: dict[int, float] = Field(min_length=1)
    unit: str = Field(default="kgCO2e/kWh", min_length=1)
    start_year: int = Field(description="first year of operation")
    source: str = Field(default="user trajectory", min_length=3)

    @model_validator(mode="after")
    def _non_negative(self) -> Trajectory:
        if any(v < 0 for v in self.points.values()):
            raise ValueError("trajectory factors must not be negative")
        return self


class OperationLine(_Strict):
    """Annual operational use (B6 energy by carrier, B7 water) and on-site renewables."""

    carrier: str = Field(min_length=1)
    module: Literal["B6", "B7"] = "B6"
    annual_kwh: float | None = Field(default=None, ge=0)
    annual_quantity: float | None = Field(default=None, ge=0)
    unit: str | None = None
    onsite_renewable_kwh: float = Field(default=0.0, ge=0, description="on-site generation serving this carrier")
    factor: OperationFactor | None = None
    factor_id: str | None = None
    grid: GridFactor | None = None
    trajectory: Trajectory | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OperationLine:
        given = [n for n in ("factor", "factor_id", "grid", "trajectory") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of factor, factor_id, grid or trajectory")
        if (self.annual_kwh is None) == (self.annual_quantity is None):
            raise ValueError("give annual_kwh or annual_quantity (with unit), not both")
        if self.annual_quantity is not None and not self.unit:
            raise ValueError("annual_quantity needs a unit")
        return self


class SiteEnergy(_Strict):
    """Energy used on site: construction (A5, GB/T 51366 §5.2) or demolition (C1, §5.3)."""

    module: Literal["A5", "C1"]
    carrier: str = Field(min_length=1)
    quantity: float = Field(ge=0)
    unit: str = Field(min_length=1)
    factor: OperationFactor | None = None
    factor_id: str | None = None
    grid: GridFactor | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> SiteEnergy:
        if sum(x is not None for x in (self.factor, self.factor_id, self.grid)) != 1:
            raise ValueError("give exactly one of factor, factor_id or grid")
        return self


class UseStage(_Strict):
    """A use-stage amount assessed elsewhere (B1 in use, B2 maintenance, B3 repair, B5 refurbishment)."""

    module: Literal["B1", "B2", "B3", "B5"]
    kgco2e: float | None = None
    annual_kgco2e: float | None = None
    description: str = ""
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _one(self) -> UseStage:
        if (self.kgco2e is None) == (self.annual_kgco2e is None):
            raise ValueError("give kgco2e (whole study period) or annual_kgco2e")
        return self


class Building(_Strict):
    name: str = Field(min_length=1)
    gross_floor_area_m2: float = Field(gt=0, description="area results are normalised by")
    area_definition: str = Field(default="GFA", description="GFA, GIA, 建筑面积 … (stated in reports and LCAx)")
    reference_study_period_years: int | None = Field(
        default=None, gt=0, le=200, description="default: 60 (en15978, RICS) or 50 (gbt51366 design life)")
    typology: str = Field(default="other", description="office, residential, education, health …")
    benchmark_typology: str | None = Field(default=None, description="typology whose benchmarks apply")
    country: str = Field(default="CN")
    location: str = ""
    carbon_sink_kgco2e_per_year: float = Field(default=0.0, ge=0, description="GB/T 51366 §4.1 C_p (green space)")


class Options(_Strict):
    """Choices the standards leave open, made explicit (docs/buildings.md §Choices)."""

    waste_rate_basis: Literal["purchased", "installed"] = Field(
        default="purchased", description="purchased: waste factor = w/(1−w) (RICS 2nd ed.); installed: = w")
    default_transport_mode: str = Field(
        default="gbt51366.e.road_diesel_heavy_10t", description="library mode for items without a transport factor")
    default_distances: bool = Field(default=True, description="use GB/T 51366 default distances when none given")
    exported_energy: Literal["module_d", "ignore"] = Field(
        default="module_d", description="en15978: surplus on-site renewables credited in D (RICS D2)")
    replacement_includes_d: bool = Field(default=True, description="B4 replacements also add their D")


class BOQInput(_Strict):
    """A building's bill of quantities and operation (YAML, JSON, CSV or XLSX with these fields)."""

    building: Building
    method: Method = "en15978"
    items: list[BOQItem] = Field(min_length=1)
    operation: list[OperationLine] = Field(default_factory=list)
    site_energy: list[SiteEnergy] = Field(default_factory=list)
    use_stage: list[UseStage] = Field(default_factory=list)
    options: Options = Field(default_factory=Options)


class ItemResult(BaseModel):
    """One BOQ line's results by module, with the factors it used."""

    id: str
    material: str
    element: str
    quantity: float
    unit: str
    mass_t: float | None
    factor_id: str | None
    factor_value: float
    factor_unit: str
    source: str
    confidence: str
    transport_distance_km: float
    transport_factor_id: str | None
    transport_factor: float
    service_life_years: float
    replacements: int
    modules: dict[str, float]
    total_kgco2e: float
    notes: list[str] = Field(default_factory=list)


class BenchmarkComparison(BaseModel):
    id: str
    name_en: str
    name_zh: str
    scope: str
    modules: list[str]
    limit: float
    value: float
    unit: str
    meets: bool
    confidence: str
    source: str


class BuildingResult(BaseModel):
    """The output contract of ``countyzero buildings assess --format json`` (docs/buildings.md)."""

    building: str
    method: Method
    reference_study_period_years: int
    gross_floor_area_m2: float
    area_definition: str
    modules: dict[str, float]
    total_kgco2e: float
    per_m2_kgco2e: float
    per_m2_year_kgco2e: float
    module_d_kgco2e: float
    upfront_kgco2e: float
    embodied_kgco2e: float
    operational_kgco2e: float
    biogenic_carbon_kgco2e: float
    stages: dict[str, dict[str, Any]]
    modules_in_scope: list[str]
    items: list[ItemResult]
    hotspots: dict[str, list[dict[str, Any]]]
    operation: list[dict[str, Any]]
    benchmarks: list[BenchmarkComparison]
    assumptions: list[str]
    monte_carlo: dict[str, Any] | None = None
    provenance: dict[str, Any]
    _trace: list[LineItem] = PrivateAttr(default_factory=list)
    _trace_builder: Callable[[], list[LineItem]] | None = PrivateAttr(default=None)

    def trace_items(self) -> list[LineItem]:
        """Every step of the calculation: quantity × factor = result, with the factor's source (built on first
        use: an assessment of 10⁴ lines does not pay for its trace unless it is asked for)."""
        if self._trace_builder is not None:
            self._trace = self._trace_builder() + self._trace
            self._trace_builder = None
        return list(self._trace)

    def to_json_dict(self, *, with_trace: bool = True) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if with_trace:
            data["trace"] = [item.to_dict() for item in self.trace_items()]
        return data
