"""Tourist package calculator: a package's footprint per visitor-day, graded against the whole daily budget.

A package (hotel nights, meals, transfers, flights, activities) is given for the whole group and the whole stay;
its footprint per person-day is graded as the functional unit ``visitor_day`` (docs/label-standard.md §3).

Example
-------
>>> pkg = TouristPackage.model_validate({"id": "p", "name": "2 days", "days": 2, "persons": 2, "year": 2030,
...     "components": [{"id": "hotel", "hotel": "CN", "quantity": 1, "unit": "room_night"}]})
>>> result = tourist_package(pkg)
>>> round(result.footprint_kgco2e, 3), result.grade
(13.375, 'C')
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from countyzero.core.io import INPUT_CONFIG
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.lifestyle.label import LabelRules, grade_item
from countyzero.lifestyle.model import ConsumptionLine, GradeResult, LabelItem


class TouristPackage(BaseModel):
    """A tourist package for a group over a number of days."""

    model_config = INPUT_CONFIG

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    days: float = Field(gt=0, description="length of the stay [d]")
    persons: float = Field(gt=0, description="visitors in the group")
    year: int = Field(ge=2000, le=2100)
    components: list[ConsumptionLine] = Field(min_length=1, description="everything the package includes")
    offsets_kgco2e: float = Field(default=0.0, ge=0)


def tourist_package(package: TouristPackage, *, rules: LabelRules | None = None,
                    library: FactorLibrary | None = None) -> GradeResult:
    """Footprint of a tourist package per visitor-day and its grade.

    Parameters
    ----------
    package : TouristPackage
        Components for the whole group and stay.
    rules : LabelRules, optional
        Rulebook (default ``cz-label-2026.1`` with trajectory ``hoc-2021``).

    Equation
    --------
    ``F_visitor_day = Σ_i q_i × EF_i ÷ (days × persons)``; allowance ``a = B(y) × 1000 ÷ 365`` (all six domains).

    Raises
    ------
    InputError
        Unknown component factor or a unit mismatch.
    """
    lib = library or default_library()
    scale = 1.0 / (package.days * package.persons)
    lines = [line.model_copy(update={"quantity": line.quantity * scale}) for line in package.components]
    item = LabelItem(id=package.id, name=package.name, functional_unit="visitor_day", year=package.year,
                     lines=lines, offsets_kgco2e=package.offsets_kgco2e * scale)
    return grade_item(item, rules or LabelRules.load(library=lib), year=package.year, library=lib)
