"""Jury scoring and ranking: a versioned rubric, independent juror scores, declared conflicts of interest.

Each criterion of the rubric is either *computed* — a 0–``score_max`` score read off an evaluation output
on the rubric's fixed anchors, ``score = score_max × clip((v − worst) / (best − worst), 0, 1)``, so an entry's
score does not depend on the other entries — or *jury*: the mean of the scores of the jurors who declared no
conflict with the entry. A juror's score for an entry they declared a conflict with is excluded (and listed).
Total = Σ weight × score. Entries with an unsupported claim are ranked after every eligible entry and are never
accepted; accepted = eligible and total ≥ ``accept_min_total``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from countyzero.challenge.evaluate import Evaluation
from countyzero.challenge.model import JuryScores, Rubric
from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of


class RankedEntry(BaseModel):
    rank: int
    id: str
    title_en: str
    title_zh: str
    provider: str
    country: str
    category: str
    readiness_level: int
    status: str
    accepted: bool
    total: float
    scores: dict[str, float | None]
    jury_detail: dict[str, dict[str, Any]]
    evidence: dict[str, Any]
    flags: list[dict[str, str]]


class Ranking(BaseModel):
    rubric: dict[str, Any]
    entries: list[RankedEntry]
    excluded_scores: list[dict[str, Any]]
    scores: list[dict[str, Any]]


EVIDENCE_KEYS = ("cumulative_abatement_to_peak_year_tco2e", "cumulative_abatement_to_target_year_tco2e",
                 "cost_per_tco2e", "delta_p_peak_by_target", "delta_p_net_zero_by_target",
                 "overlap_with_plan_to_target_year_tco2e", "npv_cost_cny")


def computed_score(value: float | None, worst: float, best: float, score_max: float) -> float:
    """The score of a computed value on the rubric's anchors (0 when there is no value, e.g. no abatement)."""
    if value is None or not np.isfinite(value):
        return 0.0
    return float(score_max * np.clip((value - worst) / (best - worst), 0.0, 1.0))


def _metric(evaluation: Evaluation, metric: str) -> float | None:
    if metric == "readiness_level":
        return float(evaluation.submission["readiness_level"])
    value = getattr(evaluation, metric)
    return None if value is None else float(value)


def check_scores(rubric: Rubric, jury: JuryScores, submissions: set[str], file: str | None = None) -> None:
    """Scores must use this rubric's version, known jurors, entries and jury criteria, on the 0–max scale.

    Raises
    ------
    InputError
        Naming the file, the score row and the field.
    """
    if jury.rubric != rubric.id or jury.rubric_version != rubric.version:
        raise InputError(f"the scores use rubric {jury.rubric} {jury.rubric_version}, not {rubric.id} "
                         f"{rubric.version}", file=file, field="rubric_version")
    jurors = {j.id for j in jury.jurors}
    for j in jury.jurors:
        for sid in j.conflicts:
            if sid not in submissions:
                raise InputError(f"conflict declared with unknown entry {sid!r}", file=file, row=j.id,
                                 field="conflicts")
    jury_criteria = {c.id for c in rubric.criteria if c.kind == "jury"}
    seen: set[tuple[str, str, str]] = set()
    for n, s in enumerate(jury.scores, start=1):
        for name, value, known in (("juror", s.juror, jurors), ("submission", s.submission, submissions),
                                   ("criterion", s.criterion, jury_criteria)):
            if value not in known:
                raise InputError(f"unknown {name} {value!r}" + (" (computed criteria are not scored by jurors)"
                                                                if name == "criterion" else ""),
                                 file=file, row=f"scores #{n}", field=name)
        if not 0 <= s.score <= rubric.score_max:
            raise InputError(f"score {s.score:g} is outside 0–{rubric.score_max:g}", file=file, row=f"scores #{n}",
                             field="score")
        key = (s.juror, s.submission, s.criterion)
        if key in seen:
            raise InputError("this juror scored this entry on this criterion twice", file=file, row=f"scores #{n}",
                             field="criterion")
        seen.add(key)


def rank(evaluations: list[Evaluation], rubric: Rubric, jury: JuryScores, *, scores_file: str | None = None,
         rubric_sha256: str = "") -> Ranking:
    """Score and rank the entries; the computed evidence stands beside the scores."""
    ids = [e.submission["id"] for e in evaluations]
    dup = [i for n, i in enumerate(ids) if i in ids[:n]]
    if dup:
        raise InputError(f"two entries have the id {dup[0]!r}", field="id")
    check_scores(rubric, jury, set(ids), scores_file)
    conflicts = {(j.id, sid) for j in jury.jurors for sid in j.conflicts}
    excluded = [s.model_dump() | {"reason": "declared conflict of interest"} for s in jury.scores
                if (s.juror, s.submission) in conflicts]
    counted = [s for s in jury.scores if (s.juror, s.submission) not in conflicts]
    entries: list[RankedEntry] = []
    for e in evaluations:
        sid = e.submission["id"]
        flags = list(e.flags)
        scores: dict[str, float | None] = {}
        detail: dict[str, dict[str, Any]] = {}
        total = 0.0
        for c in rubric.criteria:
            if c.kind == "computed":
                assert c.metric is not None and c.scale is not None
                value = _metric(e, c.metric)
                score = computed_score(value, c.scale.worst, c.scale.best, rubric.score_max)
                detail[c.id] = {"kind": "computed", "metric": c.metric, "value": value}
            else:
                given = {s.juror: s.score for s in counted if s.submission == sid and s.criterion == c.id}
                if given:
                    values = np.array(list(given.values()))
                    score = float(values.mean())
                    detail[c.id] = {"kind": "jury", "jurors": given, "n": len(given),
                                    "min": float(values.min()), "max": float(values.max())}
                else:
                    score = 0.0
                    detail[c.id] = {"kind": "jury", "jurors": {}, "n": 0}
                    flags.append({"kind": "jury score missing", "where": c.id,
                                  "message": "no juror without a conflict scored this criterion: counted as 0"})
            scores[c.id] = score
            total += c.weight * score
        eligible = e.status == "eligible"
        entries.append(RankedEntry(
            rank=0, id=sid, title_en=e.submission["title_en"], title_zh=e.submission["title_zh"],
            provider=e.submission["provider"], country=e.submission["country"], category=e.submission["category"],
            readiness_level=e.submission["readiness_level"], status=e.status,
            accepted=eligible and total >= rubric.accept_min_total, total=total, scores=scores, jury_detail=detail,
            evidence={k: getattr(e, k) for k in EVIDENCE_KEYS}, flags=flags))
    entries.sort(key=lambda r: (r.status != "eligible", -round(r.total, 9), r.id))
    for n, entry in enumerate(entries, start=1):
        entry.rank = n
    return Ranking(
        rubric={"id": rubric.id, "version": rubric.version, "sha256": rubric_sha256 or sha256_of(rubric.model_dump()),
                "name_en": rubric.name_en, "name_zh": rubric.name_zh, "score_max": rubric.score_max,
                "accept_min_total": rubric.accept_min_total,
                "criteria": [c.model_dump(exclude_none=True) for c in rubric.criteria]},
        entries=entries, excluded_scores=excluded, scores=[s.model_dump() for s in counted])


class ChallengeResult(BaseModel):
    """Every evaluation of a challenge folder and the ranking (``countyzero challenge rank``)."""

    challenge: dict[str, Any]
    evaluations: list[Evaluation]
    ranking: Ranking


def run_challenge(folder: str | Path, *, county: str | Path | None = None, scenario: str | None = None,
                  draws: int | None = None, seed: int | None = None) -> ChallengeResult:
    """Evaluate every submission of a challenge folder (``challenge.yaml``) and rank them with the jury scores.

    Raises
    ------
    InputError
        Any bad submission, rubric or score file (nothing is written by the callers then).
    """
    from countyzero.challenge.evaluate import evaluate_submission, load_plan
    from countyzero.challenge.reader import read_challenge, read_rubric, read_scores, read_submission, submission_files

    config, document = read_challenge(folder)
    base = Path(document.path).parent
    plan = load_plan(county if county is not None else base / config.county, scenario or config.scenario)
    mc_draws = config.montecarlo.draws if draws is None else draws
    mc_seed = config.montecarlo.seed if seed is None else seed
    evaluations = [evaluate_submission(plan, read_submission(p), draws=mc_draws, seed=mc_seed)
                   for p in submission_files(base / config.solutions)]
    rubric, rubric_doc = read_rubric(base / config.rubric)
    jury, jury_doc = read_scores(base / config.scores)
    ranking = rank(evaluations, rubric, jury, scores_file=jury_doc.path, rubric_sha256=rubric_doc.sha256)
    return ChallengeResult(
        challenge={"id": config.id, "name_en": config.name_en, "name_zh": config.name_zh,
                   "county": plan.county.roadmap.county, "county_zh": plan.county.roadmap.county_zh,
                   "scenario": plan.scenario.id, "scenario_name_en": plan.scenario.name_en,
                   "scenario_name_zh": plan.scenario.name_zh, "scenario_reason": config.scenario_reason,
                   "file": document.path, "sha256": document.sha256},
        evaluations=evaluations, ranking=ranking)
