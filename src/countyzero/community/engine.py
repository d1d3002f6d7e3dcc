"""The 1.5 °C future community: household and shared footprints aggregated, per capita against the trajectory.

Privacy is part of the method: a summary covers at least ``privacy_min_households`` households (a sourced row,
5), grouped aggregates are given only when every group reaches it, and nothing per household is returned.
Rooftop PV is reported as a memo (avoided grid emissions), never netted off the footprint — as offsets are never
netted off a label grade.

Example
-------
>>> from countyzero.community.model import CommunityInput
>>> data = CommunityInput.model_validate({"community": "demo", "year": 2030, "households": [
...     {"id": f"h{i}", "persons": 2, "footprint_kgco2e_by_domain": {"nutrition": 1000}} for i in range(5)]})
>>> summary(data).per_capita_tco2e
0.5
"""

from __future__ import annotations

from collections import defaultdict

from countyzero.community.model import (
    ActionEstimate,
    CommunityInput,
    CommunitySummary,
    Household,
)
from countyzero.core.errors import FactorNotFoundError, InputError
from countyzero.core.trace import Provenance, sha256_of
from countyzero.core.units import conversion_factor
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.lifestyle.footprint import lines_footprint
from countyzero.lifestyle.model import DOMAINS
from countyzero.lifestyle.targets import load_trajectory

ENGINE = "countyzero.community"
METHOD = "1.5-Degree Lifestyles six-domain footprints aggregated over households, plus shared community lines"


class PrivacyError(InputError):
    """An aggregate that would cover fewer households than the privacy threshold."""


def privacy_threshold(library: FactorLibrary | None = None) -> int:
    """Smallest number of households an aggregate may cover (row ``community.privacy_min_households``)."""
    lib = library or default_library()
    return int(lib.get("community.privacy_min_households").value)


def check_privacy(households: int, threshold: int, what: str = "community aggregate") -> None:
    """Refuse an aggregate over fewer than ``threshold`` households.

    Raises
    ------
    PrivacyError
        Naming the count and the threshold, never a household.
    """
    if households < threshold:
        raise PrivacyError(f"the {what} would cover {households} household(s), fewer than {threshold}: only "
                           f"aggregates over at least {threshold} households are shown or exported",
                           field="households")


def _household_domains(household: Household, library: FactorLibrary, year: int, region: str) -> dict[str, float]:
    if household.footprint_kgco2e_by_domain is not None:
        return {d: float(household.footprint_kgco2e_by_domain.get(d, 0.0)) for d in DOMAINS}  # type: ignore[call-overload]
    try:
        by_domain, _, _ = lines_footprint(household.lines or [], library, year, region)
    except InputError as exc:
        # name the household, not its consumption: the message goes only to the data owner's own file
        raise InputError(exc.message, row=household.id, field=f"lines.{exc.row}.{exc.field}") from None
    return by_domain


def summary(data: CommunityInput, *, library: FactorLibrary | None = None,
            input_digest: str | None = None) -> CommunitySummary:
    """Aggregate footprint of a community, per capita against the 1.5 °C trajectory, with action estimates.

    Parameters
    ----------
    data : CommunityInput
        Households (consumption lines or domain totals), shared lines, rooftop PV, action uptake.

    Equation
    --------
    ``total = Σ_h Σ_d F_h,d + Σ_s q_s × EF_s``; ``per capita = total ÷ Σ_h persons_h`` [tCO2e/person/yr];
    ``target ratio = per capita ÷ B(year)``. Action saving: ``participants × saving`` (absolute rows) or
    ``participants × share × community per-capita footprint of the domain`` (share rows).
    PV memo: ``generation × grid factor`` (not subtracted).

    Raises
    ------
    PrivacyError
        Fewer households than the privacy threshold.
    InputError
        Duplicate household ids, unknown factors or actions, participants above the population.
    """
    lib = library or default_library()
    threshold = privacy_threshold(lib)
    ids = [h.id for h in data.households]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InputError(f"duplicate household id(s): {', '.join(duplicates)}", field="households.id")
    check_privacy(len(data.households), threshold)
    by_domain = dict.fromkeys(DOMAINS, 0.0)
    groups_kg: dict[str, float] = defaultdict(float)
    groups_n: dict[str, int] = defaultdict(int)
    groups_persons: dict[str, float] = defaultdict(float)
    persons = 0.0
    for household in data.households:
        domains = _household_domains(household, lib, data.year, data.region)
        for d, v in domains.items():
            by_domain[d] += v
        persons += household.persons
        key = household.group or "(no group)"
        groups_kg[key] += sum(domains.values())
        groups_n[key] += 1
        groups_persons[key] += household.persons
    shared_by_category: dict[str, float] = defaultdict(float)
    if data.shared:
        _, shared_lines, _ = lines_footprint(list(data.shared), lib, data.year, data.region)
        for line, result in zip(data.shared, shared_lines, strict=True):
            shared_by_category[line.category] += result.kgco2e / 1000.0
    households_t = sum(by_domain.values()) / 1000.0
    shared_t = sum(shared_by_category.values())
    total = households_t + shared_t
    trajectory = load_trajectory(data.trajectory, lib)
    target = trajectory.at(data.year)
    per_capita = total / persons
    pv_kwh, pv_t = 0.0, 0.0
    for pv in data.rooftop_pv:
        try:
            match = lib.find("grid_emission_factor", pv.grid, gas="CO2", year=pv.year or data.year)
        except FactorNotFoundError:
            raise InputError(f"unknown grid {pv.grid!r}", row=pv.id, field="grid") from None
        pv_kwh += pv.generation_kwh
        pv_t += pv.generation_kwh * match.factor.value * conversion_factor(f"kWh*({match.factor.unit})", "t")
    if len(groups_n) > 1 and all(n >= threshold for n in groups_n.values()):
        groups: dict[str, dict[str, float]] | None = {
            g: {"households": float(groups_n[g]), "persons": groups_persons[g], "tco2e": groups_kg[g] / 1000.0,
                "per_capita_tco2e": groups_kg[g] / 1000.0 / groups_persons[g]} for g in sorted(groups_n)}
        groups_note = f"every group covers at least {threshold} households"
    elif len(groups_n) > 1:
        groups = None
        groups_note = (f"grouped aggregates withheld: at least one group has fewer than {threshold} households "
                       "(showing the others would let the small group be derived from the total)")
    else:
        groups, groups_note = None, "no groups given"
    actions = _actions(data, lib, by_domain, persons)
    provenance = Provenance(
        engine=ENGINE, method=METHOD, factor_set_version=lib.version, factor_set_digest=lib.digest,
        gwp_set="as published by each factor's source", factor_overrides=lib.overrides,
        input_sha256=input_digest or sha256_of(data.model_dump_json()),
        extra={"trajectory": trajectory.version, "privacy_min_households": threshold})
    return CommunitySummary(
        community=data.community, year=data.year, households=len(data.households), persons=persons,
        total_tco2e=total, households_tco2e=households_t, shared_tco2e=shared_t,
        by_domain_tco2e={d: v / 1000.0 for d, v in by_domain.items()},
        shared_by_category_tco2e=dict(shared_by_category), per_capita_tco2e=per_capita,
        target_tco2e_per_capita=target, target_ratio=per_capita / target, trajectory=trajectory.version,
        pv_generation_kwh=pv_kwh, pv_avoided_tco2e_memo=pv_t, groups=groups, groups_note=groups_note,
        actions=actions,
        privacy={"min_households": threshold, "households_covered": len(data.households),
                 "individual_data_returned": False, "rule_factor_id": "community.privacy_min_households"},
        provenance=provenance.to_dict())


def _actions(data: CommunityInput, library: FactorLibrary, by_domain: dict[str, float],
             persons: float) -> list[ActionEstimate]:
    estimates = []
    for index, uptake in enumerate(data.actions):
        rows = [r for r in library if r.parameter == "action_saving" and r.activity == uptake.action]
        if not rows:
            known = sorted(r.activity for r in library if r.parameter == "action_saving")
            raise InputError(f"unknown action {uptake.action!r}; the catalogue has {', '.join(known)}",
                             row=f"#{index + 1}", field="actions.action")
        if uptake.participants > persons:
            raise InputError(f"{uptake.participants:g} participants but the community has {persons:g} persons",
                             row=f"#{index + 1}", field="actions.participants")
        row = rows[0]
        domain_per_capita = by_domain[row.technology] / persons
        if row.unit == "dimensionless":
            saving_kg = uptake.participants * row.value * domain_per_capita
        else:
            saving_kg = uptake.participants * row.value * conversion_factor(row.unit, "kgCO2e/yr")
        cap = uptake.participants * domain_per_capita
        capped = saving_kg > cap
        saving_kg = min(saving_kg, cap)
        estimates.append(ActionEstimate(action=row.activity, name_en=row.name_en, name_zh=row.name_zh,
                                        domain=row.technology, participants=uptake.participants,
                                        saving_tco2e=saving_kg / 1000.0, factor_id=row.id, source=row.citation,
                                        confidence=row.confidence, capped_at_domain_footprint=capped))
    return estimates


def action_catalogue(library: FactorLibrary | None = None) -> list[dict[str, object]]:
    """The action catalogue: every ``action_saving`` row with its saving, unit, domain and source."""
    lib = library or default_library()
    return [{"action": r.activity, "name_en": r.name_en, "name_zh": r.name_zh, "domain": r.technology,
             "saving": r.value, "unit": r.unit, "source": r.citation, "confidence": r.confidence, "notes": r.notes}
            for r in lib if r.parameter == "action_saving"]
