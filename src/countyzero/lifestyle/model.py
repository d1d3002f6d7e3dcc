"""Input and result schemas of the lifestyle engine and the 1.5 °C lifestyle label.

The JSON Schemas of the inputs are generated from these models (``countyzero lifestyle schema``,
``countyzero label schema``); docs/lifestyle.md and docs/label-standard.md describe each field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from countyzero.core.io import INPUT_CONFIG

Domain = Literal["nutrition", "housing", "mobility", "goods", "leisure", "services"]
DOMAINS: tuple[str, ...] = ("nutrition", "housing", "mobility", "goods", "leisure", "services")
FunctionalUnit = Literal["meal", "kg_food", "hotel_room_night", "tour_day", "visitor_day", "household_year"]
FUNCTIONAL_UNITS: tuple[str, ...] = ("meal", "kg_food", "hotel_room_night", "tour_day", "visitor_day",
                                     "household_year")
StudyStandard = Literal["ISO 14067:2018", "GB/T 24067-2024", "PEF (EU) 2021/2279"]
"""Footprint-study standards the label accepts and recognises mutually (docs/label-standard.md §7)."""


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class InlineFactor(_Strict):
    """A footprint factor given in the input itself; it must name its source."""

    value: float = Field(ge=0, description="kgCO2e (or another CO2e unit) per unit of quantity")
    unit: str = Field(min_length=1, description="e.g. kgCO2e/kg, kgCO2e/room_night, kgCO2e/pkm")
    source: str = Field(min_length=3, description="document, table or page the number comes from")


class Electricity(_Strict):
    grid: str = Field(min_length=1, description="grid id of the factor library, e.g. CN-HI, CN-national")
    year: int | None = Field(default=None, description="factor year; defaults to the footprint year")


class ConsumptionLine(_Strict):
    """One consumption line: a quantity and the footprint factor it is multiplied by.

    Name the factor in exactly one way: ``food`` (a Poore & Nemecek item, e.g. ``rice``), ``hotel`` (a country code
    for the hotel-night factor), ``travel`` (e.g. ``car.petrol``, ``flight.international_economy``),
    ``electricity`` (a grid), ``factor_id`` (any library id) or ``factor`` (inline ``{value, unit, source}``).
    """

    id: str = Field(min_length=1)
    domain: Domain | None = Field(default=None, description="lifestyle domain; defaults to the factor's domain")
    description: str = ""
    quantity: float = Field(ge=0, description="amount consumed, in ``unit``")
    unit: str = Field(min_length=1, description="unit of the quantity, e.g. kg, room_night, pkm, vkm, kWh")
    food: str | None = None
    hotel: str | None = Field(default=None, description="country code of the hotel-night factor, e.g. CN, FR")
    travel: str | None = None
    electricity: Electricity | None = None
    factor_id: str | None = None
    factor: InlineFactor | None = None

    @model_validator(mode="after")
    def _one_factor(self) -> ConsumptionLine:
        given = [name for name in ("food", "hotel", "travel", "electricity", "factor_id", "factor")
                 if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of food, hotel, travel, electricity, factor_id, factor"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.factor is not None and self.domain is None:
            raise ValueError("a line with an inline factor needs a domain")
        return self


class FootprintInput(_Strict):
    """A person's or household's consumption over one year (or any period, with ``period_years``)."""

    name: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    persons: float = Field(default=1.0, gt=0, description="household members sharing the footprint")
    period_years: float = Field(default=1.0, gt=0, description="length of the period the lines cover [yr]")
    region: str = Field(default="CN", description="region for comparison averages and default look-ups")
    trajectory: str | None = Field(default=None, description="1.5 °C trajectory version; default hoc-2021")
    lines: list[ConsumptionLine] = Field(min_length=1)


class LineFootprint(BaseModel):
    id: str
    domain: str
    kgco2e: float
    factor_id: str
    factor_value: float
    factor_unit: str
    source: str
    confidence: str


class FootprintResult(BaseModel):
    """Output contract of ``countyzero lifestyle footprint --format json`` (docs/lifestyle.md)."""

    name: str
    year: int
    persons: float
    total_kgco2e: float
    by_domain: dict[str, float]
    per_capita_tco2e_per_year: float
    target_tco2e_per_capita: float
    target_ratio: float
    trajectory: str
    compatible_until: int | None
    regional_average_tco2e_per_capita: float | None
    lines: list[LineFootprint]
    trace: list[dict[str, Any]]
    provenance: dict[str, Any]


class Study(_Strict):
    """The footprint study behind a declared number (docs/label-standard.md §7)."""

    standard: StudyStandard
    reference: str = Field(min_length=3, description="report title, number and date")
    verified_by: str | None = Field(default=None, description="independent verifier (third party)")
    boundary: Literal["cradle-to-grave", "cradle-to-gate", "cradle-to-farm-gate", "cradle-to-retail"] = \
        "cradle-to-grave"


class LabelItem(_Strict):
    """An item to grade: one functional unit of a product or service."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    name_zh: str | None = None
    functional_unit: FunctionalUnit
    year: int | None = Field(default=None, ge=2000, le=2100, description="grading year; defaults to the file's")
    persons: float = Field(default=1.0, gt=0, description="persons one unit serves (guests in a room, household)")
    footprint_kgco2e: float | None = Field(default=None, ge=0, description="declared footprint per functional unit")
    study: Study | None = None
    lines: list[ConsumptionLine] | None = Field(default=None, description="or: the footprint computed from lines")
    offsets_kgco2e: float = Field(default=0.0, ge=0, description="offsets bought; reported, never used in the grade")
    essential: bool = Field(default=False, description="a basic need (staple food, essential meal)")

    @model_validator(mode="after")
    def _one_footprint(self) -> LabelItem:
        if (self.footprint_kgco2e is None) == (self.lines is None):
            raise ValueError("give exactly one of footprint_kgco2e (with its study) or lines")
        if self.lines is not None and not self.lines:
            raise ValueError("lines is empty")
        return self


class LabelFile(_Strict):
    """A file of items to grade (YAML, JSON, CSV or XLSX)."""

    year: int = Field(default=2030, ge=2000, le=2100, description="grading year of items that give none")
    trajectory: str | None = None
    rulebook: str | None = Field(default=None, description="label rulebook version; default cz-label-2026.1")
    items: list[LabelItem] = Field(min_length=1)


class GradeResult(BaseModel):
    """The grade of one item, with everything a label shows and a verifier checks."""

    id: str
    name: str
    functional_unit: str
    year: int
    grade: str
    footprint_kgco2e: float
    allowance_kgco2e: float
    ratio: float
    label_text: str
    offsets_kgco2e: float
    offsets_note: str
    basic_needs_floor_applied: bool
    certifiable: bool
    certifiable_reason: str
    compatible_until: int | None
    rulebook: str
    trajectory: str
    by_domain: dict[str, float] = Field(default_factory=dict)
    trace: list[dict[str, Any]] = Field(default_factory=list)


class GradeReport(BaseModel):
    """Output contract of ``countyzero label grade --format json``."""

    items: list[GradeResult]
    grade_counts: dict[str, int]
    total_kgco2e: float
    provenance: dict[str, Any]


class LabelApplication(_Strict):
    """An application for a label (``countyzero label apply``): who applies, the grading year and the item."""

    applicant: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100, description="grading year")
    rulebook: str | None = None
    trajectory: str | None = None
    item: LabelItem
