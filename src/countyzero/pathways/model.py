"""Input schemas of the pathways engine: the county roadmap file and scenario files (docs/pathways.md).

Every number in these files is a *cited value*: either a row of the factor library (``factor: id``) or a
value with its ``source`` and ``confidence`` (``verified``, ``secondary`` or ``estimate``). The engine never
falls back to a number of its own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from countyzero.core.io import INPUT_CONFIG

Confidence = Literal["verified", "secondary", "estimate"]
MeasureType = Literal["demand", "shift", "efficiency", "supply", "sink"]
#: The fixed causal order in which measures are stacked (research/county.md §3.2).
STACKING_ORDER: tuple[MeasureType, ...] = ("demand", "shift", "efficiency", "supply", "sink")
Metric = Literal["energy_co2", "gross", "net"]
Carrier = Literal["fuel", "electricity", "process", "sink"]


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class Cited(_Strict):
    """A number with its source: a factor-library row (``factor``) or a value with ``source`` and ``confidence``.

    ``low`` and ``high`` (same unit) bound the value for Monte Carlo; the sample is triangular with the value
    as its mode.
    """

    value: float | None = None
    factor: str | None = Field(default=None, description="id of a factor-library row")
    unit: str = "dimensionless"
    source: str | None = Field(default=None, min_length=3)
    confidence: Confidence | None = None
    low: float | None = None
    high: float | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one_origin(self) -> Cited:
        if (self.value is None) == (self.factor is None):
            raise ValueError("give either value (with source and confidence) or factor (a factor-library id)")
        if self.value is not None and (not self.source or self.confidence is None):
            raise ValueError("a value needs its source and confidence (verified, secondary or estimate)")
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low is above high")
        return self


class DriverPeriod(_Strict):
    """Compound growth of a driver from ``start`` to ``end`` (years, inclusive of ``end``)."""

    start: int
    end: int
    rate: Cited = Field(description="growth per year as a fraction, e.g. 0.004 = 0.4 %/yr")

    @model_validator(mode="after")
    def _ordered(self) -> DriverPeriod:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Driver(_Strict):
    """A projected driver (population, GDP, tourist nights …) as an index relative to the base year."""

    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    unit: str = "dimensionless"
    base: Cited | None = Field(default=None, description="base-year level (for reports; the engine uses the index)")
    growth: list[DriverPeriod] = Field(default_factory=list)


class StreamRule(_Strict):
    """How inventory lines are projected: which drivers (with elasticities) move their activity.

    A rule matches a line by id, by GPC prefix or by scene; the first matching rule applies. ``follows``
    makes a line's activity follow the (post-measure) activity of other lines, e.g. the carbon loss from
    fuelwood gathering follows fuelwood use.
    """

    id: str = Field(min_length=1)
    lines: list[str] = Field(default_factory=list)
    gpc: list[str] = Field(default_factory=list)
    scenes: list[str] = Field(default_factory=list)
    drivers: dict[str, Cited] = Field(default_factory=dict, description="driver → elasticity")
    intensity_trend: Cited | None = Field(default=None, description="autonomous intensity change per year")
    follows: list[str] = Field(default_factory=list)


class GridPoint(_Strict):
    year: int
    factor: Cited = Field(description="grid CO2 factor, e.g. kg/kWh")


class Grid(_Strict):
    """The grid emission-factor trajectory every electricity user follows (linear between points)."""

    id: str = Field(min_length=1, description="grid id of the inventory's electricity lines, e.g. CN-HI")
    points: list[GridPoint] = Field(min_length=1)


class PeakTarget(_Strict):
    year: Cited
    metric: Metric = "energy_co2"
    gases: list[str] = Field(default_factory=lambda: ["CO2"])
    tolerance: Cited


class NeutralityTarget(_Strict):
    year: Cited
    metric: Metric = "net"
    gases: list[str] = Field(default_factory=lambda: ["CO2", "CH4", "N2O"])
    sinks: Literal["all", "none"] | list[str] = Field(
        default="all", description="all, none, or the inventory line ids and measure ids whose removals count")


class Targets(_Strict):
    peak: PeakTarget
    neutrality: NeutralityTarget


class Economics(_Strict):
    discount_rate: Cited
    discount_rate_sensitivity: list[Cited] = Field(default_factory=list)
    base_cost_year: int | None = None


class Horizon(_Strict):
    start: int = Field(ge=1990, le=2100)
    end: int = Field(ge=1990, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Roadmap(_Strict):
    """The county roadmap file (``roadmap.yaml``): inventory, horizon, drivers, grid, targets, scenarios."""

    county: str = Field(min_length=1)
    county_zh: str = ""
    region: str = Field(default="CN", description="IAMC region label, e.g. CN-HI-469029")
    model: str = Field(default="CountyZero", description="IAMC model label")
    inventory: str = Field(min_length=1, description="base-year inventory file, relative to this file")
    horizon: Horizon
    drivers: dict[str, Driver] = Field(default_factory=dict)
    streams: list[StreamRule] = Field(min_length=1)
    grid: Grid
    targets: Targets
    economics: Economics
    reference: str = Field(min_length=1, description="scenario id of the reference (business-as-usual) scenario")
    scenarios: list[str] = Field(min_length=1, description="scenario files, relative to this file")


class YearsAdoption(_Strict):
    years: dict[int, float] = Field(min_length=1, description="year → adoption (0–1), linear between years")


class SCurve(_Strict):
    start: int
    midpoint: int
    steepness: float = Field(gt=0, description="logistic slope per year")
    ceiling: float = Field(default=1.0, description="adoption reached in the long run (0–1)")


class Levels(_Strict):
    """2050-Calculator style ambition: four level paths, and the chosen (possibly fractional) level."""

    level: float = Field(ge=1, le=4)
    paths: dict[int, dict[int, float]] = Field(description="level (1–4) → {year: adoption}")

    @field_validator("paths")
    @classmethod
    def _four_levels(cls, paths: dict[int, dict[int, float]]) -> dict[int, dict[int, float]]:
        if sorted(paths) != [1, 2, 3, 4]:
            raise ValueError("give the paths of levels 1, 2, 3 and 4")
        return paths


class Adoption(_Strict):
    """How far a measure is deployed each year, as a fraction of its full effect."""

    years: dict[int, float] | None = None
    s_curve: SCurve | None = None
    levels: Levels | None = None
    source: str = Field(min_length=3, description="why this path: policy text or the estimate's reasoning")
    confidence: Confidence

    @model_validator(mode="after")
    def _one_form(self) -> Adoption:
        given = [n for n in ("years", "s_curve", "levels") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of years, s_curve or levels")
        return self


class Selection(_Strict):
    """Which streams a measure acts on: inventory line ids, GPC prefixes, scenes, carriers, fuels, gases."""

    lines: list[str] = Field(default_factory=list)
    gpc: list[str] = Field(default_factory=list)
    scenes: list[str] = Field(default_factory=list)
    carriers: list[Carrier] = Field(default_factory=list)
    gases: list[str] = Field(default_factory=list, description="supply measures only: gases whose factor falls")
    grid: bool = Field(default=False, description="supply measures only: the measure lowers the grid factor")


class Cost(_Strict):
    """Costs at full adoption: investment, yearly operating cost (negative = saving), and lifetime."""

    capex: Cited | None = Field(default=None, description="investment for full adoption, CNY")
    opex: Cited | None = Field(default=None, description="change in yearly operating cost at full adoption, CNY/yr")
    lifetime: Cited | None = Field(default=None, description="asset life, years; investments are renewed")


class Measure(_Strict):
    """A lever: what it changes, on which streams, how much at full adoption, how fast, at what cost."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    scene: str = Field(min_length=1, description="energy, buildings, transport, resources or land")
    type: MeasureType
    applies_to: Selection = Field(default_factory=Selection)
    effect: Cited | None = Field(default=None, description="fraction removed/shifted at full adoption (0–1)")
    to_electricity: Cited | None = Field(
        default=None, description="shift only: electricity per unit of fuel energy displaced, e.g. MWh/TJ")
    to_gpc: str | None = Field(default=None, description="shift only: GPC reference of the new electricity use")
    removal: Cited | None = Field(default=None, description="sink only: removals at full adoption, tCO2e/yr")
    adoption: Adoption
    max_ramp: Cited | None = Field(default=None, description="optimiser: largest adoption increase per year")
    cost: Cost = Field(default_factory=Cost)


class MonteCarloSettings(_Strict):
    draws: int = Field(default=0, ge=0)
    seed: int = 0


class Scenario(_Strict):
    """A scenario file: a named set of measures on top of the roadmap's reference projection."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    description: str = ""
    roadmap: str = Field(default="../roadmap.yaml", description="the county roadmap file, relative to this file")
    measures: list[Measure] = Field(default_factory=list)
    montecarlo: MonteCarloSettings = Field(default_factory=MonteCarloSettings)
