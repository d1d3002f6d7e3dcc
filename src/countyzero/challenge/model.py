"""Input schemas of the Climate Challenge (气候挑战赛): submissions, the challenge file, the rubric, jury scores.

A *submission* expresses a solution's effect as one or more pathway measures (docs/pathways.md, "Scenario
files") — which activity, intensity, share or emission factor it changes, its adoption path, cost and lifetime —
with the evidence behind each number as the measure's cited values (``source`` and ``confidence``). Format and
method: docs/challenge.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from countyzero.core.io import INPUT_CONFIG
from countyzero.pathways.model import Confidence, Measure

Category = Literal["energy", "buildings", "transport", "resources", "land", "consumption", "finance"]
CATEGORIES: tuple[str, ...] = ("energy", "buildings", "transport", "resources", "land", "consumption", "finance")
CriterionKind = Literal["computed", "jury"]
#: Evaluation outputs a computed rubric criterion may score.
COMPUTED_METRICS: tuple[str, ...] = (
    "cumulative_abatement_to_peak_year_tco2e", "cumulative_abatement_to_target_year_tco2e",
    "cost_per_tco2e", "delta_p_peak_by_target", "delta_p_net_zero_by_target", "readiness_level",
)
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = INPUT_CONFIG


class Revenue(_Strict):
    """The revenue or saving behind a negative cost (sales of power, fuel saved, fares …), with its evidence."""

    description: str = Field(min_length=3)
    source: str = Field(min_length=3)
    confidence: Confidence


class SolutionMeasure(Measure):
    """A pathway measure (``countyzero.pathways.model.Measure``) with what the challenge adds.

    ``overlaps`` names measures of the county's plan that this measure would deliver (the same lever): it then
    counts only beyond what the plan already does. ``revenue`` states the income that makes a cost negative.
    """

    overlaps: list[str] = Field(default_factory=list, description="plan measure ids this measure would deliver")
    revenue: Revenue | None = None

    def as_measure(self, measure_id: str) -> Measure:
        """The plain pathway measure, under ``measure_id``."""
        data = self.model_dump(exclude={"overlaps", "revenue"}, exclude_none=True)
        data["id"] = measure_id
        return Measure.model_validate(data)


class CoBenefit(_Strict):
    """A declared co-benefit indicator (jobs, land, air quality, income …) with its evidence."""

    id: str = Field(pattern=ID_PATTERN)
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    value: float
    unit: str = Field(min_length=1)
    source: str = Field(min_length=3)
    confidence: Confidence


class Submission(_Strict):
    """A solution submitted to the Climate Challenge."""

    id: str = Field(pattern=ID_PATTERN)
    title_en: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    country: str = Field(min_length=2)
    category: Category
    description_en: str = Field(min_length=1)
    description_zh: str = Field(min_length=1)
    readiness_level: int = Field(ge=1, le=9, description="technology readiness level 1–9 (EU Horizon 2020 scale)")
    readiness_source: str = Field(default="", description="evidence of the readiness level (pilots, references)")
    measures: list[SolutionMeasure] = Field(min_length=1)
    co_benefits: list[CoBenefit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Submission:
        for name, ids in (("measures", [m.id for m in self.measures]),
                          ("co_benefits", [c.id for c in self.co_benefits])):
            seen = [i for n, i in enumerate(ids) if i in ids[:n]]
            if seen:
                raise ValueError(f"{name}: id {seen[0]!r} is given twice")
        return self


class MonteCarlo(_Strict):
    draws: int | None = Field(default=None, ge=0)
    seed: int | None = None


class ChallengeFile(_Strict):
    """``challenge.yaml``: which county plan solutions are judged against, and where the entries and jury are."""

    id: str = Field(pattern=ID_PATTERN)
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    county: str = Field(default="..", description="county folder (with roadmap.yaml), relative to this file")
    scenario: str = Field(min_length=1, description="id of the county scenario solutions are evaluated against")
    scenario_reason: str = ""
    solutions: str = Field(default="solutions", description="folder of submission files, relative to this file")
    rubric: str = Field(default="rubric.yaml")
    scores: str = Field(default="jury-scores.yaml")
    montecarlo: MonteCarlo = Field(default_factory=MonteCarlo)


class Scale(_Strict):
    """How a computed value becomes a 0–10 score: linear between ``worst`` (0) and ``best`` (10), clipped."""

    worst: float
    best: float

    @model_validator(mode="after")
    def _distinct(self) -> Scale:
        if self.worst == self.best:
            raise ValueError("worst and best must differ")
        return self


class Criterion(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    weight: float = Field(gt=0, le=1)
    kind: CriterionKind
    metric: str | None = Field(default=None, description="computed criteria: the evaluation output scored")
    scale: Scale | None = Field(default=None, description="computed criteria: the anchors of the 0–10 score")
    guidance_en: str = ""
    guidance_zh: str = ""

    @model_validator(mode="after")
    def _kind(self) -> Criterion:
        if self.kind == "computed":
            if self.metric not in COMPUTED_METRICS:
                raise ValueError(f"a computed criterion needs metric, one of {', '.join(COMPUTED_METRICS)}")
            if self.scale is None:
                raise ValueError("a computed criterion needs scale: {worst, best}")
        elif self.metric is not None or self.scale is not None:
            raise ValueError("a jury criterion has no metric or scale (jurors score 0–10)")
        return self


class Rubric(_Strict):
    """The scoring rubric, versioned data: criteria, weights, which are computed and which jurors score."""

    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    score_max: float = Field(default=10.0, gt=0)
    accept_min_total: float = Field(default=0.0, ge=0, description="lowest weighted total of an accepted entry")
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        dup = [i for n, i in enumerate(ids) if i in ids[:n]]
        if dup:
            raise ValueError(f"criterion {dup[0]!r} is given twice")
        total = sum(c.weight for c in self.criteria)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"criterion weights must sum to 1 (they sum to {total:g})")
        if self.accept_min_total > self.score_max:
            raise ValueError("accept_min_total is above score_max")
        return self


class Juror(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    affiliation: str = ""
    conflicts: list[str] = Field(default_factory=list, description="submission ids the juror declared a conflict with")
    conflict_reason: str = ""


class Score(_Strict):
    juror: str
    submission: str
    criterion: str
    score: float
    comment: str = ""


class JuryScores(_Strict):
    """Independent scores of the jurors, one row per juror × submission × criterion."""

    rubric: str = Field(min_length=1, description="id of the rubric the scores use")
    rubric_version: str = Field(min_length=1)
    jurors: list[Juror] = Field(min_length=1)
    scores: list[Score] = Field(default_factory=list)
