"""Lifestyle carbon footprints over the six domains of 1.5-Degree Lifestyles.

A footprint is the sum of consumption lines, each ``quantity × footprint factor``. Factors come from the
library (Poore & Nemecek 2018 foods, UK government conversion factors for hotels and travel, MEE grid factors,
Sitra/D-mat housing) or inline ``{value, unit, source}``. Pure: no I/O.

Example
-------
>>> from countyzero.lifestyle.model import FootprintInput
>>> data = FootprintInput.model_validate({"name": "demo", "year": 2030, "lines": [
...     {"id": "rice", "food": "rice", "quantity": 100, "unit": "kg"}]})
>>> footprint(data).total_kgco2e
445.0
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from countyzero.core.errors import FactorNotFoundError, InputError, UnitError
from countyzero.core.trace import LineItem, Provenance, sha256_of
from countyzero.core.units import conversion_factor
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.lifestyle.model import (
    DOMAINS,
    ConsumptionLine,
    FootprintInput,
    FootprintResult,
    LineFootprint,
)
from countyzero.lifestyle.targets import load_trajectory

ENGINE = "countyzero.lifestyle"
METHOD = "1.5-Degree Lifestyles (IGES/Aalto/D-mat 2019; Hot or Cool 2021) six-domain lifestyle carbon footprint"
TARGET_UNIT = "kgCO2e"


@dataclass(frozen=True, slots=True)
class ResolvedFactor:
    """The footprint factor a line uses, with where it comes from."""

    factor_id: str
    value: float
    unit: str
    source: str
    confidence: str
    domain: str
    note: str = ""


def _library_factor(library: FactorLibrary, factor_id: str, line: ConsumptionLine, field: str) -> ResolvedFactor:
    row = library.get(factor_id)
    domain = line.domain or row.technology
    if domain not in DOMAINS:
        raise InputError(f"factor {factor_id!r} has no lifestyle domain; give the line a domain", row=line.id,
                         field="domain")
    return ResolvedFactor(row.id, row.value, row.unit, row.citation, row.confidence, domain)


def resolve_factor(line: ConsumptionLine, library: FactorLibrary, year: int, region: str) -> ResolvedFactor:
    """The factor of a consumption line.

    Raises
    ------
    InputError
        Naming the line and field, when the food, hotel country, travel mode, grid or factor id is unknown.
    """
    try:
        if line.food is not None:
            key = f"food.{line.food}"
            rows = [r for r in library if r.parameter == "food_footprint" and r.activity == key]
            if not rows:
                known = sorted(r.activity.removeprefix("food.") for r in library if r.parameter == "food_footprint")
                raise InputError(f"unknown food {line.food!r}; known foods: {', '.join(known)}", row=line.id,
                                 field="food")
            return _library_factor(library, rows[0].id, line, "food")
        if line.hotel is not None:
            countries = sorted({r.region for r in library if r.parameter == "hotel_night"})
            if line.hotel.upper() not in countries:
                raise InputError(f"no hotel-night factor for country {line.hotel!r}; countries: "
                                 + ", ".join(countries), row=line.id, field="hotel")
            match = library.find("hotel_night", "hotel_room_night", gas="CO2e", technology="housing",
                                 region=line.hotel.upper(), year=year)
            return replace(_library_factor(library, match.factor.id, line, "hotel"), note=match.fallback_note)
        if line.travel is not None:
            rows = [r for r in library if r.parameter == "travel_footprint" and r.activity == line.travel]
            if not rows:
                known = sorted({r.activity for r in library if r.parameter == "travel_footprint"})
                raise InputError(f"unknown travel mode {line.travel!r}; known: {', '.join(known)}", row=line.id,
                                 field="travel")
            match = library.find("travel_footprint", line.travel, gas="CO2e", technology="mobility", year=year)
            return replace(_library_factor(library, match.factor.id, line, "travel"), note=match.fallback_note)
        if line.electricity is not None:
            grid = line.electricity
            match = library.find("grid_emission_factor", grid.grid, gas="CO2", year=grid.year or year)
            row = match.factor
            note = "; ".join(filter(None, [match.fallback_note, "grid factor is CO2 only, used as CO2e"]))
            return ResolvedFactor(row.id, row.value, row.unit.replace("kg/", "kgCO2e/").replace("t/", "tCO2e/"),
                                  row.citation, row.confidence, line.domain or "housing", note)
        if line.factor_id is not None:
            return _library_factor(library, line.factor_id, line, "factor_id")
    except FactorNotFoundError as exc:
        field = next(n for n in ("food", "hotel", "travel", "electricity", "factor_id")
                     if getattr(line, n) is not None)
        raise InputError(str(exc), row=line.id, field=field) from None
    assert line.factor is not None and line.domain is not None  # the model guarantees one factor source
    return ResolvedFactor(f"inline:{line.id}", line.factor.value, line.factor.unit, line.factor.source, "user",
                          line.domain)


def line_kgco2e(line: ConsumptionLine, factor: ResolvedFactor) -> float:
    """``quantity [unit] × factor [CO2e/unit]`` in kgCO2e.

    Raises
    ------
    InputError
        If the quantity's unit times the factor's unit is not a mass of CO2e.
    """
    try:
        multiplier = conversion_factor(f"({line.unit})*({factor.unit})", TARGET_UNIT)
    except UnitError:
        raise InputError(f"{line.unit} × {factor.unit} is not a CO2e amount; give the quantity in the unit the "
                         f"factor is per ({factor.unit})", row=line.id, field="unit") from None
    return line.quantity * factor.value * multiplier


def lines_footprint(lines: list[ConsumptionLine], library: FactorLibrary, year: int, region: str
                    ) -> tuple[dict[str, float], list[LineFootprint], list[LineItem]]:
    """Footprint of consumption lines: kgCO2e by domain, per line, and the trace.

    Raises
    ------
    InputError
        Naming the line of the first problem; duplicate line ids are refused.
    """
    by_domain = dict.fromkeys(DOMAINS, 0.0)
    results: list[LineFootprint] = []
    items: list[LineItem] = []
    seen: set[str] = set()
    for line in lines:
        if line.id in seen:
            raise InputError(f"duplicate line id {line.id!r}", row=line.id, field="id")
        seen.add(line.id)
        factor = resolve_factor(line, library, year, region)
        kg = line_kgco2e(line, factor)
        domain = line.domain or factor.domain
        by_domain[domain] += kg
        results.append(LineFootprint(id=line.id, domain=domain, kgco2e=kg, factor_id=factor.factor_id,
                                     factor_value=factor.value, factor_unit=factor.unit, source=factor.source,
                                     confidence=factor.confidence))
        items.append(LineItem(line_id=line.id, step=f"{domain}: quantity × footprint factor", quantity=line.quantity,
                              quantity_unit=line.unit, result=kg, result_unit=TARGET_UNIT,
                              factor_id=factor.factor_id, factor_value=factor.value, factor_unit=factor.unit,
                              source=factor.source, note=factor.note))
    return by_domain, results, items


def regional_average(library: FactorLibrary, region: str) -> float | None:
    """Average lifestyle footprint of a country [tCO2e/person/yr] (comparison only), or None."""
    code = region.split("-")[0].upper()
    rows = [r for r in library if r.parameter == "average_lifestyle_footprint" and r.region == code]
    return rows[0].value * conversion_factor(rows[0].unit, "tCO2e/yr") if rows else None


def footprint(data: FootprintInput, *, library: FactorLibrary | None = None,
              input_digest: str | None = None) -> FootprintResult:
    """Lifestyle carbon footprint of a person or household, against the 1.5 °C trajectory.

    Parameters
    ----------
    data : FootprintInput
        Consumption lines over ``period_years`` for ``persons`` people.
    library : FactorLibrary, optional
        Factor rows (the shipped set when omitted).
    input_digest : str, optional
        SHA-256 of the input file (else of the validated input).

    Returns
    -------
    FootprintResult
        ``total_kgco2e`` = Σ quantity × factor; ``by_domain``; per-capita annual footprint
        F = total / persons / period_years / 1000 [tCO2e/person/yr]; ``target_ratio`` = F / B(year).

    References
    ----------
    1.5-Degree Lifestyles (2019, 2021): the six domains and the per-capita targets.

    Raises
    ------
    InputError
        Unknown food, hotel country, travel mode, grid or factor; a unit that does not match its factor.
    """
    lib = library or default_library()
    by_domain, lines, items = lines_footprint(data.lines, lib, data.year, data.region)
    total = sum(by_domain.values())
    trajectory = load_trajectory(data.trajectory, lib)
    target = trajectory.at(data.year)
    per_capita = total / data.persons / data.period_years / 1000.0
    provenance = Provenance(
        engine=ENGINE, method=METHOD, factor_set_version=lib.version, factor_set_digest=lib.digest,
        gwp_set="as published by each factor's source (Poore & Nemecek: AR5; DEFRA: AR5)",
        input_sha256=input_digest or sha256_of(data.model_dump_json()), factor_overrides=lib.overrides,
        extra={"trajectory": trajectory.version, "trajectory_factor_ids": trajectory.factor_ids})
    return FootprintResult(
        name=data.name, year=data.year, persons=data.persons, total_kgco2e=total, by_domain=by_domain,
        per_capita_tco2e_per_year=per_capita, target_tco2e_per_capita=target,
        target_ratio=per_capita / target, trajectory=trajectory.version,
        compatible_until=trajectory.compatible_until(per_capita),
        regional_average_tco2e_per_capita=regional_average(lib, data.region), lines=lines,
        trace=[item.to_dict() for item in items], provenance=provenance.to_dict())
