"""The 1.5 °C lifestyle label: allowance per functional unit, grade, basic-needs floor (docs/label-standard.md).

Every number of the rules — domain shares, functional units per year, grade bands, basic-needs floors, validity —
is a row of the factor library in the factor set named by the rulebook version (``cz-label-2026.1``,
``lifestyle_label.csv``); the per-capita budget comes from a trajectory version (``lifestyle_targets.csv``).

Example
-------
>>> rules = LabelRules.load()
>>> round(rules.allowance_kgco2e("meal", 2030), 4)
0.5708
>>> grade_for_ratio(rules, 0.9)
'A'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from countyzero.core.errors import FactorDataError, InputError
from countyzero.core.trace import LineItem, Provenance, sha256_of
from countyzero.core.units import conversion_factor
from countyzero.factors.library import Factor, FactorLibrary, default_library
from countyzero.lifestyle.footprint import lines_footprint
from countyzero.lifestyle.model import (
    DOMAINS,
    FUNCTIONAL_UNITS,
    GradeReport,
    GradeResult,
    LabelFile,
    LabelItem,
)
from countyzero.lifestyle.targets import DEFAULT_TRAJECTORY, Trajectory, load_trajectory

DEFAULT_RULEBOOK = "cz-label-2026.1"
ENGINE = "countyzero.lifestyle.label"
METHOD = "CountyZero 1.5 °C lifestyle label standard (docs/label-standard.md)"
ACCEPTED_STUDIES = ("ISO 14067:2018", "GB/T 24067-2024", "PEF (EU) 2021/2279")
_SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class FunctionalUnitRule:
    """Units per person per year of a functional unit and the domains whose budget it draws on."""

    name: str
    units_per_year: float
    domains: tuple[str, ...]
    per: str
    """The unit one functional unit is counted in (meal, kg, guest_night …)."""
    factor: Factor


@dataclass(frozen=True)
class LabelRules:
    """One rulebook version, read from the factor library.

    Attributes
    ----------
    grades : tuple of str
        Grade names from best to worst (A+ … E).
    lower_ratios : numpy array
        Exclusive lower bound of footprint ÷ allowance of each grade (A+ includes 0).
    """

    version: str
    trajectory: Trajectory
    shares: dict[str, float]
    units: dict[str, FunctionalUnitRule]
    grades: tuple[str, ...]
    lower_ratios: npt.NDArray[np.float64]
    floors: dict[str, float]
    floor_grade: str
    validity_years: float
    factors: tuple[Factor, ...] = field(default=())

    @classmethod
    def load(cls, version: str | None = None, trajectory: str | None = None,
             library: FactorLibrary | None = None) -> LabelRules:
        """Read a rulebook version (default ``cz-label-2026.1``) and a trajectory version (default ``hoc-2021``).

        Raises
        ------
        InputError
            If the rulebook version is unknown.
        FactorDataError
            If the rulebook is incomplete: shares not summing to 1, a functional unit or band missing.
        """
        lib = library or default_library()
        name = version or DEFAULT_RULEBOOK
        rows = [row for row in lib if row.factor_set == name]
        if not rows:
            known = sorted({row.factor_set for row in lib if row.parameter == "grade_lower_ratio"})
            raise InputError(f"unknown label rulebook {name!r}; choose one of {', '.join(known)}", field="rulebook")
        shares = {r.activity: r.value for r in rows if r.parameter == "domain_share"}
        if set(shares) != set(DOMAINS) or abs(sum(shares.values()) - 1.0) > _SHARE_TOLERANCE:
            raise FactorDataError(f"rulebook {name}: domain shares must cover {', '.join(DOMAINS)} and sum to 1 "
                                  f"(got {sum(shares.values()):g})", field="domain_share")
        units: dict[str, FunctionalUnitRule] = {}
        for r in rows:
            if r.parameter != "units_per_year":
                continue
            domains = tuple(r.technology.split("+"))
            if not set(domains) <= set(DOMAINS):
                raise FactorDataError(f"functional unit {r.activity}: unknown domain in {r.technology!r}",
                                      file=r.origin, field="technology")
            per = r.unit.split("/")[0]
            units[r.activity] = FunctionalUnitRule(r.activity, r.value * conversion_factor(r.unit, f"{per}/yr"),
                                                   domains, per, r)
        missing = sorted(set(FUNCTIONAL_UNITS) - set(units))
        if missing:
            raise FactorDataError(f"rulebook {name}: no units_per_year for {', '.join(missing)}",
                                  field="units_per_year")
        bands = sorted((r for r in rows if r.parameter == "grade_lower_ratio"), key=lambda r: r.value)
        if not bands or bands[0].value != 0.0:
            raise FactorDataError(f"rulebook {name}: grade bands must start at ratio 0", field="grade_lower_ratio")
        floor_rows = [r for r in rows if r.parameter == "floor_grade_lower_ratio"]
        validity = [r for r in rows if r.parameter == "label_validity"]
        if len(floor_rows) != 1 or len(validity) != 1:
            raise FactorDataError(f"rulebook {name}: needs one floor_grade_lower_ratio and one label_validity row",
                                  field="parameter")
        floors: dict[str, float] = {}
        for r in rows:
            if r.parameter == "basic_needs_floor":
                floors[r.activity] = r.value * conversion_factor(f"({r.unit})*{units[r.activity].per}", "kgCO2e")
        return cls(
            version=name, trajectory=load_trajectory(trajectory or DEFAULT_TRAJECTORY, lib), shares=shares,
            units=units, grades=tuple(r.activity for r in bands),
            lower_ratios=np.array([r.value for r in bands], dtype=np.float64), floors=floors,
            floor_grade=floor_rows[0].activity, validity_years=validity[0].value * conversion_factor(
                validity[0].unit, "yr"), factors=tuple(rows) + trajectory_rows(lib, trajectory))

    def allowance_kgco2e(self, functional_unit: str, year: float, persons: float = 1.0) -> float:
        """Allowance per functional unit [kgCO2e].

        Parameters
        ----------
        functional_unit : str
            ``meal``, ``kg_food``, ``hotel_room_night``, ``tour_day``, ``visitor_day`` or ``household_year``.
        year : float
            Grading year [a].
        persons : float
            Persons one unit serves (guests of a room-night, members of a household) [-].

        Equation
        --------
        ``a = B(y) × 1000 × Σ_d s_d ÷ n_FU × persons``, with B(y) the per-capita budget [tCO2e/yr], s_d the
        shares of the unit's domains and n_FU the units per person per year (docs/label-standard.md §4).

        Raises
        ------
        InputError
            If the functional unit is unknown.

        Example
        -------
        >>> round(LabelRules.load().allowance_kgco2e("hotel_room_night", 2030), 3)
        2.603
        """
        rule = self.units.get(functional_unit)
        if rule is None:
            raise InputError(f"unknown functional unit {functional_unit!r}; choose one of "
                             + ", ".join(sorted(self.units)), field="functional_unit")
        share = sum(self.shares[d] for d in rule.domains)
        return self.trajectory.at(year) * 1000.0 * share / rule.units_per_year * persons


def trajectory_rows(library: FactorLibrary, version: str | None) -> tuple[Factor, ...]:
    return load_trajectory(version or DEFAULT_TRAJECTORY, library).factors


def grade_for_ratio(rules: LabelRules, ratio: float) -> str:
    """The grade of footprint ÷ allowance: the band with the largest lower bound below the ratio.

    A+ covers 0 ≤ r ≤ 0.5, A 0.5 < r ≤ 1.0, B ≤ 1.5, C ≤ 2, D ≤ 4, E > 4 (rulebook cz-label-2026.1).

    Raises
    ------
    InputError
        If the ratio is negative or not a number.
    """
    if not ratio >= 0.0:
        raise InputError(f"ratio must be a non-negative number (got {ratio})", field="ratio")
    index = int(np.searchsorted(rules.lower_ratios, ratio, side="left")) - 1
    return rules.grades[max(index, 0)]


def grade_array(rules: LabelRules, footprints_kgco2e: npt.ArrayLike, allowances_kgco2e: npt.ArrayLike
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Vectorised grading: grade indices (into ``rules.grades``) and ratios for many items at once.

    Parameters
    ----------
    footprints_kgco2e, allowances_kgco2e : array-like
        Footprints and allowances per functional unit [kgCO2e], same shape; allowances > 0.

    Raises
    ------
    InputError
        If a footprint is negative or NaN, or an allowance is not positive.

    Example
    -------
    >>> idx, r = grade_array(LabelRules.load(), [0.2, 1.0, 5.0], [1.0, 1.0, 1.0])
    >>> [LabelRules.load().grades[i] for i in idx]
    ['A+', 'A', 'E']
    """
    f = np.asarray(footprints_kgco2e, dtype=np.float64)
    a = np.asarray(allowances_kgco2e, dtype=np.float64)
    if not bool(np.all(f >= 0.0)):
        raise InputError("footprints must be non-negative numbers", field="footprint_kgco2e")
    if not bool(np.all(a > 0.0)):
        raise InputError("allowances must be positive", field="allowance_kgco2e")
    ratio = f / a
    index = np.searchsorted(rules.lower_ratios, ratio, side="left").astype(np.int64) - 1
    np.maximum(index, 0, out=index)
    return index, ratio


def grade_batch(rules: LabelRules, functional_units: npt.ArrayLike, years: npt.ArrayLike,
                footprints_kgco2e: npt.ArrayLike, persons: npt.ArrayLike | None = None,
                essential: npt.ArrayLike | None = None) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64],
                                                                 npt.NDArray[np.float64]]:
    """Grade many items at once, allowance included (the vectorised form of :func:`grade_item`).

    Parameters
    ----------
    functional_units : array-like of str
        Functional unit of each item (Table 1 of the standard).
    years : array-like of float
        Grading year of each item [a].
    footprints_kgco2e : array-like of float
        Footprint per unit before offsets [kgCO2e]; offsets have no argument here because they never count.
    persons : array-like of float, optional
        Persons one unit serves (default 1).
    essential : array-like of bool, optional
        Items that may use the basic-needs floor (§6.1).

    Returns
    -------
    grade indices (into ``rules.grades``), ratios, allowances [kgCO2e]

    Raises
    ------
    InputError
        Unknown functional unit, negative footprint, non-positive persons.

    Example
    -------
    >>> rules = LabelRules.load()
    >>> idx, ratio, allowance = grade_batch(rules, ["meal", "kg_food"], [2030, 2030], [0.2, 3.0])
    >>> [rules.grades[i] for i in idx]
    ['A+', 'D']
    """
    fu = np.asarray(functional_units)
    names, codes = np.unique(fu, return_inverse=True)
    unknown = sorted(set(names.tolist()) - set(rules.units))
    if unknown:
        raise InputError(f"unknown functional unit(s) {', '.join(map(str, unknown))}", field="functional_unit")
    per_unit = np.array([sum(rules.shares[d] for d in rules.units[n].domains) / rules.units[n].units_per_year
                         for n in names.tolist()], dtype=np.float64)
    budget_kg = np.interp(np.asarray(years, dtype=np.float64), rules.trajectory.years, rules.trajectory.targets_t)
    allowance = budget_kg * 1000.0 * per_unit[codes]
    if persons is not None:
        p = np.asarray(persons, dtype=np.float64)
        if not bool(np.all(p > 0)):
            raise InputError("persons must be positive", field="persons")
        allowance = allowance * p
    index, ratio = grade_array(rules, footprints_kgco2e, allowance)
    if essential is not None:
        floors = np.array([rules.floors.get(n, -1.0) for n in names.tolist()], dtype=np.float64)[codes]
        if persons is not None:
            floors = floors * np.asarray(persons, dtype=np.float64)
        floor_index = rules.grades.index(rules.floor_grade)
        mask = np.asarray(essential, dtype=bool) & (np.asarray(footprints_kgco2e, dtype=np.float64) <= floors) \
            & (index > floor_index)
        index[mask] = floor_index
    return index, ratio, allowance


def _certifiable(item: LabelItem) -> tuple[bool, str]:
    if item.lines is not None:
        return True, "computed from sourced factor-library rows and declared quantities (verify the quantities)"
    if item.study is None:
        return False, "a declared footprint needs a study to ISO 14067:2018, GB/T 24067-2024 or PEF (§7)"
    if item.study.verified_by is None:
        return False, f"study to {item.study.standard} is not independently verified (§7)"
    return True, f"study to {item.study.standard}, verified by {item.study.verified_by}"


def grade_item(item: LabelItem, rules: LabelRules, *, year: int, library: FactorLibrary | None = None,
               region: str = "CN") -> GradeResult:
    """Grade one item: footprint per functional unit against its 1.5 °C allowance.

    Parameters
    ----------
    item : LabelItem
        The item, with a declared footprint [kgCO2e per unit] or consumption lines per unit.
    rules : LabelRules
        Rulebook and trajectory versions.
    year : int
        Grading year when the item gives none [a].

    Equation
    --------
    ``r = F ÷ a`` with F the footprint per unit before any offset and a the allowance (see
    :meth:`LabelRules.allowance_kgco2e`); grade = band of r. Offsets are reported beside the label and never
    subtracted (Directive (EU) 2024/825, Annex I point 4c). An essential item whose footprint is at or below the
    basic-needs floor of its unit is never graded worse than the floor grade (§6).

    Raises
    ------
    InputError
        Unknown functional unit, food or factor; a unit mismatch in a line.
    """
    lib = library or default_library()
    grading_year = item.year or year
    trace: list[LineItem] = []
    by_domain: dict[str, float] = {}
    if item.lines is not None:
        domains, _, trace = lines_footprint(item.lines, lib, grading_year, region)
        by_domain = {d: v for d, v in domains.items() if v}
        footprint_kg = sum(domains.values())
    else:
        footprint_kg = float(item.footprint_kgco2e or 0.0)
    allowance = rules.allowance_kgco2e(item.functional_unit, grading_year, item.persons)
    ratio = footprint_kg / allowance
    grade = grade_for_ratio(rules, ratio)
    floor_applied = False
    floor = rules.floors.get(item.functional_unit)
    if item.essential and floor is not None and footprint_kg <= floor * item.persons + 1e-12 \
            and rules.grades.index(grade) > rules.grades.index(rules.floor_grade):
        grade, floor_applied = rules.floor_grade, True
    rule = rules.units[item.functional_unit]
    trace.append(LineItem(
        line_id=item.id, step="allowance = B(y) × Σ domain shares ÷ units per year × persons",
        quantity=rules.trajectory.at(grading_year) * 1000.0, quantity_unit="kgCO2e/yr per person",
        result=allowance, result_unit="kgCO2e", factor_id=rule.factor.id,
        factor_value=sum(rules.shares[d] for d in rule.domains) / rule.units_per_year * item.persons,
        factor_unit="yr per unit", source=f"{rules.version}; trajectory {rules.trajectory.version}",
        note=f"domains {'+'.join(rule.domains)}; {rule.units_per_year:g} units/yr", scales=False))
    certifiable, reason = _certifiable(item)
    unit_word = item.functional_unit.replace("_", " ")
    offsets_note = ("offsets are reported separately and do not change the grade (Directive (EU) 2024/825)"
                    if item.offsets_kgco2e else "no offsets declared")
    per_capita_equiv = footprint_kg / allowance * rules.trajectory.at(grading_year)
    return GradeResult(
        id=item.id, name=item.name, functional_unit=item.functional_unit, year=grading_year, grade=grade,
        footprint_kgco2e=footprint_kg, allowance_kgco2e=allowance, ratio=ratio,
        label_text=f"{grade} · {footprint_kg:.2f} kg CO2e per {unit_word} (1.5 °C allowance {allowance:.2f} kg, "
                   f"{grading_year})",
        offsets_kgco2e=item.offsets_kgco2e, offsets_note=offsets_note, basic_needs_floor_applied=floor_applied,
        certifiable=certifiable, certifiable_reason=reason,
        compatible_until=rules.trajectory.compatible_until(per_capita_equiv),
        rulebook=rules.version, trajectory=rules.trajectory.version, by_domain=by_domain,
        trace=[t.to_dict() for t in trace])


def grade_items(data: LabelFile, *, library: FactorLibrary | None = None, input_digest: str | None = None,
                region: str = "CN") -> GradeReport:
    """Grade every item of a label file (see :func:`grade_item`).

    Raises
    ------
    InputError
        Naming the item (by id) and field of the first problem; duplicate item ids are refused.
    """
    lib = library or default_library()
    rules = LabelRules.load(data.rulebook, data.trajectory, lib)
    results: list[GradeResult] = []
    seen: set[str] = set()
    for item in data.items:
        if item.id in seen:
            raise InputError(f"duplicate item id {item.id!r}", row=item.id, field="id")
        seen.add(item.id)
        try:
            results.append(grade_item(item, rules, year=data.year, library=lib, region=region))
        except InputError as exc:
            field = f"lines.{exc.row}.{exc.field}" if exc.row is not None and exc.row != item.id else exc.field
            raise InputError(exc.message, row=item.id, field=field) from None
    counts = Counter(r.grade for r in results)
    provenance = Provenance(
        engine=ENGINE, method=METHOD, factor_set_version=lib.version, factor_set_digest=lib.digest,
        gwp_set="as published by each factor's or study's source",
        input_sha256=input_digest or sha256_of(data.model_dump_json()), factor_overrides=lib.overrides,
        extra={"rulebook": rules.version, "trajectory": rules.trajectory.version,
               "rule_factor_ids": [f.id for f in rules.factors]})
    return GradeReport(items=results, grade_counts={g: counts.get(g, 0) for g in rules.grades},
                       total_kgco2e=sum(r.footprint_kgco2e for r in results), provenance=provenance.to_dict())
