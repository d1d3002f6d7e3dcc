"""The Climate Challenge on the platform: entries evaluated against the organisation's county plan, and ranked.

An entry (``challenge`` assessment) is evaluated against the organisation's latest stored roadmap
(``scenario`` assessment) — its input bundle is copied into the entry's stored input, so a re-run reproduces the
evaluation — or, without one, against the Baoting example folder shipped with the repository. The ranking scores
the organisation's evaluated entries on the computed criteria of the rubric (``countyzero.challenge.rank``);
jury criteria are not scored on the platform yet and count 0. Entries with an unsupported claim stay visible and
rank after every eligible entry; they are never accepted (docs/challenge.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from countyzero.services import assessments, engines
from countyzero.services.accounts import Principal
from countyzero.store.models import Assessment

KIND = "challenge"
RUBRIC = engines.BAOTING / "challenge" / "rubric.yaml"
JURY_NOTE = "jury criteria are not scored on the platform: they count 0 here"


def plan_input(session: Session, who: Principal) -> dict[str, Any]:
    """The county part of an entry's input: the latest stored roadmap's bundle, or nothing (the Baoting example)."""
    roadmaps = assessments.listing(session, who, "scenario")
    if not roadmaps:
        return {"county_source": "examples/baoting"}
    latest = roadmaps[0]
    bundle = {k: latest.input[k] for k in ("roadmap", "inventory", "scenarios")}
    return {"county": bundle, "county_source": f"roadmap assessment #{latest.id} ({latest.name})"}


def submit(session: Session, who: Principal, solution: dict[str, Any], *, name: str = "", scenario: str | None = None,
           draws: int | None = None, seed: int | None = None) -> Assessment:
    """Evaluate ``solution`` against the county plan and store it; bad input stores nothing."""
    data: dict[str, Any] = {"solution": solution, **plan_input(session, who)}
    for key, value in (("scenario", scenario), ("draws", draws), ("seed", seed)):
        if value is not None:
            data[key] = value
    title = solution.get("title_en") if isinstance(solution, dict) else None
    label = name.strip() or str(title or (solution.get("id") if isinstance(solution, dict) else None) or KIND)
    return assessments.create(session, who, KIND, label, data)


def ranking(session: Session, who: Principal, rubric_file: str | Path = RUBRIC) -> dict[str, Any]:
    """The organisation's evaluated entries ranked on the rubric's computed criteria (place 1 = best).

    Every stored entry is ranked (two submissions of one solution are two entries, keyed by the assessment id);
    each entry carries its place, total, scores per criterion, the computed evidence and its flags.
    """
    from countyzero.challenge import Evaluation, rank
    from countyzero.challenge.model import JuryScores
    from countyzero.challenge.reader import read_rubric

    rubric, document = read_rubric(rubric_file)
    stored = assessments.listing(session, who, KIND, contents=True)
    evaluations = []
    for a in stored:
        evaluation = Evaluation.model_validate(a.result)
        evaluations.append(evaluation.model_copy(update={"submission": {**evaluation.submission, "id": str(a.id)}}))
    # no juror has scored on the platform: an empty score sheet of this rubric (built without the "at least one
    # juror" rule of score files, which describes a real jury)
    jury = JuryScores.model_construct(rubric=rubric.id, rubric_version=rubric.version, jurors=[], scores=[])
    result = rank(evaluations, rubric, jury, rubric_sha256=document.sha256)
    by_id = {str(a.id): a for a in stored}
    entries = []
    for entry in result.entries:
        a = by_id[entry.id]
        entries.append({
            "place": entry.rank, "assessment_id": a.id, "submission_id": a.result["submission"]["id"],
            "name": a.name, "title_en": entry.title_en, "title_zh": entry.title_zh, "provider": entry.provider,
            "country": entry.country, "category": entry.category, "status": entry.status, "accepted": entry.accepted,
            "total": entry.total, "scores": entry.scores, "evidence": entry.evidence,
            "scenario": a.result["scenario"], "county": a.result["county"],
            "flags": [f for f in entry.flags if f["kind"] != "jury score missing"]})
    return {"rubric": result.rubric, "jury": JURY_NOTE, "entries": entries}
