"""The Climate Challenge on the platform: entries evaluated against the organisation's county plan, scored by the
jury, ranked, and the accepted ones shown in a public gallery.

An entry (``challenge`` assessment) is evaluated against the organisation's latest stored roadmap
(``scenario`` assessment) — its input bundle is copied into the entry's stored input, so a re-run reproduces the
evaluation — or, without one, against the Baoting example folder shipped with the repository. The ranking scores
the organisation's evaluated entries on the rubric (``countyzero.challenge.rank``): computed criteria from the
evaluation, jury criteria as the mean of the scores of the organisation's jury (:data:`JURY_ROLES`: verifiers and
the county admin), each stored with the entry (``result["jury"]``, one audit entry per scoring). A juror never
scores an entry they submitted: the platform's form of the rubric's conflict-of-interest rule (the submitter is a
juror with a declared conflict with that entry; such scores are refused, and would be excluded by ``rank``). Entries
with an unsupported claim stay visible and rank after every eligible entry; they are never accepted
(docs/challenge.md). The gallery (:func:`gallery`) is public: accepted entries only, with what the submission
itself publishes and the computed abatement — no flags, jury comments, scores or users.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from countyzero.core.errors import InputError
from countyzero.services import assessments, audit, engines
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.models import Assessment, Organisation

KIND = "challenge"
RUBRIC = engines.BAOTING / "challenge" / "rubric.yaml"
JURY_ROLES = frozenset({"verifier", "county_admin"})
"""Who scores the jury criteria: the roles that are independent of the entries (verifiers) or answer for the
challenge (the county admin); the roles that submit (analyst, project_owner) do not."""
JURY_NOTE = ("jury criteria: the mean of the scores of the organisation's jury (verifiers, county admin); a juror "
             "never scores an entry they submitted; a criterion no juror has scored counts 0")


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


def juror_id(user_id: int) -> str:
    """A platform user as a juror of the rubric's score sheet."""
    return f"user-{user_id}"


def require_juror(who: Principal, assessment: Assessment) -> None:
    """Refuse a caller who may not score this entry: not on the jury (:data:`JURY_ROLES`), or its submitter. The
    routes call it before reading the scores too, so that a refused caller is told 403 whatever it sent."""
    if who.role not in JURY_ROLES:
        raise PermissionDeniedError(f"role {who.role} is not on the jury ({' or '.join(sorted(JURY_ROLES))} are)")
    if assessment.created_by == who.user_id:
        raise PermissionDeniedError("you submitted this entry: a juror does not score their own entry "
                                    "(conflict of interest, docs/challenge.md \"Jury\")")


def score(session: Session, who: Principal, assessment: Assessment, scores: list[dict[str, Any]], *, today: date,
          rubric_file: str | Path = RUBRIC) -> list[dict[str, Any]]:
    """Record the caller's jury scores for one entry: ``[{"criterion", "score", "comment"}]`` on jury criteria of the
    rubric (0–``score_max``). A new score of a criterion replaces the caller's earlier one; all rows or none.

    Raises
    ------
    PermissionDeniedError
        Not a juror (:data:`JURY_ROLES`), or the caller submitted this entry (conflict of interest).
    InputError
        An unknown or computed criterion, a score out of range, a criterion twice (``check_scores`` of the rubric).
    """
    from countyzero.challenge.jury import check_scores
    from countyzero.challenge.model import Juror, JuryScores, Score
    from countyzero.challenge.reader import read_rubric

    if assessment.kind != KIND or assessment.organisation_id != who.organisation_id:
        raise NotFoundError(f"no challenge entry {assessment.id}")
    session.refresh(assessment, with_for_update=True)  # concurrent scorings of one entry: one after the other
    require_juror(who, assessment)
    if not scores:
        raise InputError("give at least one score", field="scores")
    rubric, _ = read_rubric(rubric_file)
    me = juror_id(who.user_id)
    rows: list[dict[str, Any]] = []
    for n, row in enumerate(scores, start=1):
        value = row.get("score")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError("score must be a number", row=f"scores #{n}", field="score")
        rows.append({"juror": me, "submission": str(assessment.id), "criterion": str(row.get("criterion") or ""),
                     "score": float(value), "comment": str(row.get("comment") or "").strip()})
    check_scores(rubric, JuryScores(rubric=rubric.id, rubric_version=rubric.version,
                                    jurors=[Juror(id=me, name=who.email)], scores=[Score(**r) for r in rows]),
                 {str(assessment.id)})
    stamped = [{**r, "email": who.email, "on": today.isoformat()} for r in rows]
    mine = {r["criterion"] for r in rows}
    kept = [r for r in assessment.result.get("jury") or [] if not (r["juror"] == me and r["criterion"] in mine)]
    assessment.result = {**assessment.result, "jury": [*kept, *stamped]}
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="score", entity=KIND,
                 entity_id=assessment.id, payload=stamped, detail=", ".join(sorted(mine)))
    return stamped


def ranking(session: Session, who: Principal, rubric_file: str | Path = RUBRIC) -> dict[str, Any]:
    """The organisation's evaluated entries ranked on the rubric (place 1 = best); see :func:`ranking_of`."""
    return ranking_of(session, who.organisation_id, rubric_file)


def ranking_of(session: Session, organisation_id: int, rubric_file: str | Path = RUBRIC) -> dict[str, Any]:
    """An organisation's evaluated entries ranked on the rubric with its jury's scores (place 1 = best).

    Every stored entry is ranked (two submissions of one solution are two entries, keyed by the assessment id);
    each entry carries its place, total, scores per criterion, the jury's detail, the computed evidence and its flags.
    """
    from countyzero.challenge import Evaluation, rank
    from countyzero.challenge.model import Juror, JuryScores, Score
    from countyzero.challenge.reader import read_rubric

    rubric, document = read_rubric(rubric_file)
    stored = list(session.scalars(select(Assessment).where(
        Assessment.organisation_id == organisation_id, Assessment.kind == KIND).order_by(Assessment.id.desc())))
    evaluations = []
    for a in stored:
        evaluation = Evaluation.model_validate(a.result)
        evaluations.append(evaluation.model_copy(update={"submission": {**evaluation.submission, "id": str(a.id)}}))
    rows = [r for a in stored for r in a.result.get("jury") or []]
    names = {r["juror"]: r["email"] for r in rows}
    jurors = [Juror(id=j, name=names[j], conflicts=[str(a.id) for a in stored if juror_id(a.created_by or 0) == j])
              for j in sorted(names)]
    scores = [Score(**{k: r[k] for k in ("juror", "submission", "criterion", "score", "comment")}) for r in rows]
    # with no juror yet, an empty score sheet of this rubric (built without the "at least one juror" rule of score
    # files, which describes a real jury)
    jury = (JuryScores(rubric=rubric.id, rubric_version=rubric.version, jurors=jurors, scores=scores) if jurors
            else JuryScores.model_construct(rubric=rubric.id, rubric_version=rubric.version, jurors=[], scores=[]))
    result = rank(evaluations, rubric, jury, rubric_sha256=document.sha256)
    by_id = {str(a.id): a for a in stored}
    entries = []
    for entry in result.entries:
        a = by_id[entry.id]
        submission = a.result["submission"]
        entries.append({
            "place": entry.rank, "assessment_id": a.id, "submission_id": submission["id"],
            "name": a.name, "title_en": entry.title_en, "title_zh": entry.title_zh, "provider": entry.provider,
            "country": entry.country, "category": entry.category, "status": entry.status, "accepted": entry.accepted,
            "description_en": submission.get("description_en", ""),
            "description_zh": submission.get("description_zh", ""),
            "total": entry.total, "scores": entry.scores, "evidence": entry.evidence,
            "jury": {c: {"n": d["n"], "jurors": {names[j]: v for j, v in d["jurors"].items()}}
                     for c, d in entry.jury_detail.items() if d["kind"] == "jury"},
            "scenario": a.result["scenario"], "county": a.result["county"],
            "flags": [f for f in entry.flags if f["kind"] != "jury score missing"]})
    return {"rubric": result.rubric, "jury": JURY_NOTE, "entries": entries,
            "excluded_scores": result.excluded_scores}


GALLERY_FIELDS = ("place", "title_en", "title_zh", "description_en", "description_zh", "category", "country",
                  "provider", "county", "scenario")
"""What the public gallery shows of an accepted entry (what the submission publishes), besides the abatement."""


def gallery(session: Session, rubric_file: str | Path = RUBRIC) -> list[dict[str, Any]]:
    """Public: per organisation with entries, its accepted entries in ranking order — title, summary, computed
    abatement and place; nothing flagged (flagged entries are never accepted), no scores, comments or users."""
    organisations = session.scalars(select(Organisation).where(Organisation.id.in_(
        select(Assessment.organisation_id).where(Assessment.kind == KIND))).order_by(Organisation.name))
    shown = []
    for organisation in organisations:
        entries = [{**{k: e[k] for k in GALLERY_FIELDS},
                    "abatement_to_peak_year_tco2e": e["evidence"]["cumulative_abatement_to_peak_year_tco2e"],
                    "abatement_to_target_year_tco2e": e["evidence"]["cumulative_abatement_to_target_year_tco2e"]}
                   for e in ranking_of(session, organisation.id, rubric_file)["entries"]
                   if e["accepted"] and e["status"] == "eligible"]
        if entries:
            shown.append({"organisation": organisation.name, "entries": entries})
    return shown
