"""Eligibility of a removal project under a crediting standard, with reasons.

Each rule is a number or date of the standard's profile (with its legal reference); a fact the project file does
not give never counts as a pass — it is a reason ("… not given").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from countyzero.credits.model import ProjectInput
from countyzero.credits.standards import StandardProfile
from countyzero.credits.vintages import add_years


@dataclass
class EligibilityResult:
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    """Rules checked and passed, with their reference (for the trace)."""

    def to_dict(self) -> dict[str, object]:
        return {"eligible": self.eligible, "reasons": list(self.reasons)}


def crediting_end(project: ProjectInput) -> date:
    info = project.project
    return info.end_date or add_years(info.start_date, info.period_years)


def check_eligibility(project: ProjectInput, profile: StandardProfile) -> EligibilityResult:
    """Judge ``project`` against ``profile``.

    Rules (each applied only when the profile has it):

    * project start strictly after ``project_start_after`` (CCER 管理办法 Art. 10: after 2012-11-08);
    * crediting period within [crediting_min_years, crediting_max_years] (CCER-14-001: 20–40; VCS AFOLU
      20–100; GS 30–50 — the last two are rows marked estimate);
    * crediting period ends after ``removals_after`` (CCER Art. 17: 2020-09-22), else nothing is creditable;
    * land non-forest for ≥ land_non_forest_min_years (CCER 3; VCS 10 without clearing; GS 10);
    * (afforestation only) smallest parcel ≥ parcel_min_area (CCER: 400 m², or 667 m² for projects
      started in or before 2019);
    * (afforestation only) economic forest excluded where the profile says so (CCER-14-001);
    * wetland: afforestation on wetland excluded (CCER-14-001 d), GS); a mangrove project under CCER must be
      planted on a tidal flat or a retired aquaculture pond (CCER-14-002 a)); VM0047 and GS A/R do not cover
      mangroves (VM0033 / GS blue-carbon rules apply);
    * shrub removal ≤ max share (CCER-14-001 e)); pre-existing woody cover < max (VM0047 census approach).

    Returns
    -------
    EligibilityResult
        ``eligible`` and the failing ``reasons`` (empty when eligible).

    Example
    -------
    A CCER project started on 2012-11-08 is not eligible (the day itself is not *after* the date); one started
    on 2012-11-09 passes that rule.
    """
    info, facts = project.project, project.eligibility
    reasons: list[str] = []
    checks: list[str] = []
    start, end = info.start_date, crediting_end(project)
    mangrove = project.method == "mangrove"

    after = profile.dates.get("project_start_after")
    if after is not None:
        if start <= after.value:
            reasons.append(f"project start {start} is not after {after.value} ({after.source})")
        else:
            checks.append(f"start after {after.value}")
    removals_after = profile.dates.get("removals_after")
    if removals_after is not None and end <= removals_after.value:
        reasons.append(f"crediting period ends {end}, before removals become creditable after "
                       f"{removals_after.value} ({removals_after.source})")
    lo, hi = profile.value("crediting_min_years"), profile.value("crediting_max_years")
    years = info.period_years
    if lo is not None and years < lo:
        reasons.append(f"crediting period {years} years is shorter than {lo:g} "
                       f"({profile.factors['crediting_min_years'].citation})")
    elif hi is not None and years > hi:
        reasons.append(f"crediting period {years} years is longer than {hi:g} "
                       f"({profile.factors['crediting_max_years'].citation})")
    else:
        checks.append(f"crediting period {years} years")

    min_years = profile.value("land_non_forest_min_years")
    if min_years is not None and not mangrove:
        if facts.land_non_forest_years is None:
            reasons.append("land_non_forest_years not given (missing data is not a pass)")
        elif facts.land_non_forest_years < min_years:
            reasons.append(f"land non-forest for {facts.land_non_forest_years:g} years, less than {min_years:g} "
                           f"({profile.factors['land_non_forest_min_years'].citation})")
        else:
            checks.append(f"land non-forest ≥ {min_years:g} years")

    if "parcel_min_area" in profile.factors and not mangrove:
        limit = profile.require("parcel_min_area")
        until = profile.date_of("early_parcel_rule_until")
        if until is not None and start <= until and "parcel_min_area_early" in profile.factors:
            limit = profile.require("parcel_min_area_early")
        if facts.parcel_min_m2 is None:
            reasons.append("parcel_min_m2 not given (missing data is not a pass)")
        elif facts.parcel_min_m2 < limit:
            reasons.append(f"smallest parcel {facts.parcel_min_m2:g} m² is below {limit:g} m² "
                           f"({profile.factors['parcel_min_area'].citation})")
        else:
            checks.append(f"parcels ≥ {limit:g} m²")

    if profile.excludes_economic_forest and not mangrove:
        if facts.economic_forest is None:
            reasons.append("economic_forest not stated (missing data is not a pass)")
        elif facts.economic_forest:
            reasons.append(f"economic forest (经济林) is excluded ({profile.notes['economic_forest']})")
        else:
            checks.append("not economic forest")

    if mangrove:
        if profile.key == "ccer":
            if facts.site not in ("tidal_flat", "aquaculture_pond"):
                reasons.append("CCER-14-002-V01 a): mangroves must be planted on an unvegetated tidal flat or a "
                               "retired aquaculture pond (eligibility.site)")
            else:
                checks.append(f"mangrove planting on {facts.site}")
        else:
            reasons.append(f"{profile.methodology} does not cover mangrove planting ({profile.notes['wetland']})")
    elif facts.wetland and profile.excludes_wetland_for_afforestation:
        reasons.append(f"afforestation on wetland is excluded ({profile.notes['wetland']})")

    shrub = profile.value("max_shrub_removal_share")
    if shrub is not None and facts.shrub_removal_share is not None and facts.shrub_removal_share > shrub:
        reasons.append(f"shrub removal on {facts.shrub_removal_share:.0%} of the area exceeds {shrub:.0%} "
                       f"({profile.factors['max_shrub_removal_share'].citation})")
    cover = profile.value("max_preexisting_woody_cover")
    if cover is not None and facts.preexisting_woody_cover is not None and facts.preexisting_woody_cover >= cover:
        reasons.append(f"pre-existing woody cover {facts.preexisting_woody_cover:.0%} is not below {cover:.0%} "
                       f"({profile.factors['max_preexisting_woody_cover'].citation})")
    if facts.land_tenure_documented is False:
        reasons.append("land tenure is not documented")
    return EligibilityResult(eligible=not reasons, reasons=reasons, checks=checks)
