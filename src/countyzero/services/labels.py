"""1.5 °C labels on the platform: apply, review, issue, renew, revoke — by separate users — and verify publicly by
label id.

Applying is creating an assessment of kind ``label`` (:mod:`countyzero.services.engines`, graded at once) — by an
applicant: county_admin, analyst or project_owner; its status is then ``applied``, or ``evidence`` when the
application carries evidence. Then, each step one transaction with one audit entry:

* **evidence** — the applicant attaches a further document (name and SHA-256) while the application is open;
* **review** — a verifier records a decision (approve, request changes, reject), a note and a note per criterion
  of :data:`countyzero.lifestyle.registry.REVIEW_CRITERIA`;
* **issue** — a verifier issues an approved application: a label id, a validity period and a QR payload; the
  assessment is then *published*, so anyone can verify the label by id without logging in;
* **renew** — a verifier independent of the applicant (the renewal is the new independent review of §8.5) renews
  an issued or expired label, never a revoked one: the same label id, the item re-graded in the renewal year,
  against that year's smaller allowance, exactly as the register's renewal
  (:func:`countyzero.lifestyle.registry.renewal_grade`), and a new validity period starts (§8.5);
* **revoke** — a verifier or the county admin revokes an issued label with a public reason; verification then says
  revoked, with the date and the reason.

The rules are the label register's (:mod:`countyzero.lifestyle.registry`, docs/label-standard.md §7–8): from which
status a step may be taken, the verifier's independence (neither the applicant named in the application nor the
user who applied), evidence and a certifiable footprint for an approval, a reason for a revocation. The workflow's
state lives in the assessment's stored result (``workflow``, ``issued``, ``renewals``, ``revoked``) and
``published`` column. Expiry is computed on read, by date: an issued label past its validity is ``expired`` (§8.6)
wherever its status is shown or checked — no background job marks it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from countyzero.core.errors import InputError
from countyzero.lifestyle import GradeResult, IssuedLabel, LabelItem, LabelRules
from countyzero.lifestyle.registry import (
    REVIEW_CRITERIA,
    check_independent,
    check_revocation,
    check_sha256,
    issued_label,
    new_label_id,
    renewal_grade,
    require_step,
    review_status,
    valid_until,
    verification,
)
from countyzero.services import assessments, audit
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.models import Assessment, User

KIND = "label"
APPLICANTS = assessments.WRITERS_BY_KIND[KIND]
"""Roles that apply for a label (create the application) and add evidence to it."""
REVIEWERS = frozenset({"verifier"})
ISSUERS = frozenset({"verifier"})
RENEWERS = frozenset({"verifier"})
REVOKERS = frozenset({"verifier", "county_admin"})


def status(assessment: Assessment, today: date | None = None) -> str:
    """The workflow status of a stored label application on ``today`` (default: today): an issued label past its
    validity is ``expired`` (docs/label-standard.md §8.6), computed by date, never stored."""
    workflow = assessment.result.get("workflow") or {}
    issued = assessment.result.get("issued") or {}
    if workflow.get("status"):
        state = str(workflow["status"])
    elif issued:  # issued before the workflow was stored
        state = "issued"
    else:
        return "evidence" if assessment.input.get("evidence") else "applied"
    if state == "issued" and issued.get("valid_until") and \
            (today or date.today()) > date.fromisoformat(str(issued["valid_until"])):
        return "expired"
    return state


def evidence(assessment: Assessment) -> list[dict[str, Any]]:
    """Every evidence document: those of the application and those attached since."""
    workflow = assessment.result.get("workflow") or {}
    return [*(assessment.input.get("evidence") or []), *(workflow.get("evidence") or [])]


def _applicants(session: Session, assessment: Assessment) -> tuple[str, ...]:
    """The applicant as the application names it and the email of the user who applied."""
    user = session.get(User, assessment.created_by) if assessment.created_by is not None else None
    return str(assessment.input.get("applicant") or ""), user.email if user else ""


def _own(session: Session, who: Principal, assessment: Assessment) -> None:
    """The caller's organisation's application, re-read under a row lock (``SELECT … FOR UPDATE`` where the
    database has it), so two concurrent steps on one application cannot both pass the status check."""
    if assessment.kind != KIND or assessment.organisation_id != who.organisation_id:
        raise NotFoundError(f"no label application {assessment.id}")
    session.refresh(assessment, with_for_update=True)


def require_role(who: Principal, roles: frozenset[str], step: str) -> None:
    """Refuse a role not in ``roles`` (each step's set above) — the routes call it before reading the step's input
    too, so that a refused role is told 403 whatever it sent."""
    if who.role not in roles:
        raise PermissionDeniedError(f"role {who.role} cannot {step} labels ({' or '.join(sorted(roles))} do)")


def _change(assessment: Assessment, **updates: Any) -> None:
    """Store a new workflow state (a new dict, so the JSON column is written)."""
    workflow = {"status": "applied", "evidence": [], "reviews": [], **(assessment.result.get("workflow") or {})}
    for key, value in updates.items():
        workflow[key] = [*workflow[key], value] if key in ("evidence", "reviews") else value
    assessment.result = {**assessment.result, "workflow": workflow}


def add_evidence(session: Session, who: Principal, assessment: Assessment, *, document: str, sha256: str,
                 today: date) -> None:
    """Attach a further evidence document to an open application (by its applicants' organisation)."""
    _own(session, who, assessment)
    require_role(who, APPLICANTS, "add evidence to")
    if not document.strip():
        raise InputError("name the evidence document", field="document")
    check_sha256(sha256)
    require_step(str(assessment.id), status(assessment), "add evidence")
    item = {"document": document.strip(), "sha256": sha256.lower(), "added_by": who.email, "on": today.isoformat()}
    _change(assessment, status="evidence", evidence=item)
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="evidence", entity=KIND,
                 entity_id=assessment.id, payload=item, detail=item["document"])


def review(session: Session, who: Principal, assessment: Assessment, *, decision: str, note: str,
           criteria: dict[str, str] | None = None, today: date) -> dict[str, Any]:
    """Record a verifier's review: ``decision`` approve, request_changes or reject, a note and notes per criterion.

    Raises
    ------
    PermissionDeniedError
        Not a verifier.
    InputError
        Verifier not independent; a step the status does not allow; approval without evidence or of a footprint
        that is not certifiable; no note for a request for changes or a rejection; an unknown criterion.
    """
    _own(session, who, assessment)
    require_role(who, REVIEWERS, "review")
    check_independent(who.email, *_applicants(session, assessment))
    notes = {k: str(v).strip() for k, v in (criteria or {}).items() if str(v).strip()}
    unknown = sorted(set(notes) - set(REVIEW_CRITERIA))
    if unknown:
        raise InputError(f"unknown review criterion {unknown[0]!r}; the criteria are {', '.join(REVIEW_CRITERIA)}",
                         field=f"criteria.{unknown[0]}")
    new_status = review_status(str(assessment.id), status(assessment), decision=decision,
                               grade=GradeResult.model_validate(assessment.result["grade"]),
                               evidence=len(evidence(assessment)))
    if decision != "approve" and not note.strip():
        raise InputError("say what must change, or why the application is rejected", field="note")
    record = {"verifier": who.email, "decision": decision, "status": new_status, "note": note.strip(),
              "criteria": notes, "on": today.isoformat()}
    _change(assessment, status=new_status, reviews=record)
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="review", entity=KIND,
                 entity_id=assessment.id, payload=record, detail=decision)
    return record


def issue(session: Session, who: Principal, assessment: Assessment, *, today: date) -> IssuedLabel:
    """Issue the label of an approved application and publish it (verifiers other than the applicant only)."""
    _own(session, who, assessment)
    require_role(who, ISSUERS, "issue")
    check_independent(who.email, *_applicants(session, assessment))
    require_step(str(assessment.id), status(assessment), "issue")
    result = assessment.result
    rules = LabelRules.load(result["rulebook"], result["trajectory"])
    label = issued_label(application_id=str(assessment.id), label_id=new_label_id(today),
                         grade=GradeResult.model_validate(result["grade"]), issued_on=today,
                         until=valid_until(today, rules), rulebook=result["rulebook"])
    assessment.result = {**result, "issued": label.model_dump(mode="json"), "issued_by": who.email}
    _change(assessment, status="issued")
    assessment.published = True
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="issue", entity=KIND,
                 entity_id=label.label_id, payload=assessment.result["issued"], detail=str(assessment.id))
    return label


def renew(session: Session, who: Principal, assessment: Assessment, *, today: date) -> IssuedLabel:
    """Renew an issued or expired label (never a revoked one) on ``today`` (verifiers other than the applicant):
    the same label id, the item re-graded in the renewal year as the register does
    (:func:`countyzero.lifestyle.registry.renewal_grade`), a new validity period from ``today``; the renewal is
    recorded in the stored result (``renewals``) with the previous validity and grade.

    Raises
    ------
    PermissionDeniedError
        Not a verifier.
    InputError
        Verifier not independent; the label is not issued or expired (revoked, or never issued).
    """
    _own(session, who, assessment)
    require_role(who, RENEWERS, "renew")
    check_independent(who.email, *_applicants(session, assessment))
    result = assessment.result
    previous = result.get("issued") or {}
    label_id = str(previous.get("label_id") or assessment.id)
    require_step(label_id, status(assessment, today), "renew")
    rules = LabelRules.load(result["rulebook"], result["trajectory"])
    grade = renewal_grade(LabelItem.model_validate(assessment.input["item"]), rules, at=today)
    label = issued_label(application_id=str(assessment.id), label_id=label_id, grade=grade, issued_on=today,
                         until=valid_until(today, rules), rulebook=result["rulebook"])
    record = {"on": today.isoformat(), "by": who.email, "grade": grade.grade,
              "footprint_kgco2e": grade.footprint_kgco2e, "ratio": grade.ratio,
              "valid_until": label.valid_until.isoformat(), "previous_grade": previous.get("grade"),
              "previous_valid_until": previous.get("valid_until")}
    assessment.result = {**result, "grade": grade.model_dump(mode="json"), "issued": label.model_dump(mode="json"),
                         "renewals": [*(result.get("renewals") or []), record]}
    _change(assessment, status="issued")
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="renew", entity=KIND,
                 entity_id=label_id, payload=record, detail=str(assessment.id))
    return label


def revoke(session: Session, who: Principal, assessment: Assessment, *, reason: str, today: date) -> None:
    """Revoke an issued label for good, with a public reason (verifiers and the county admin)."""
    _own(session, who, assessment)
    require_role(who, REVOKERS, "revoke")
    issued = assessment.result.get("issued") or {}
    label_id = str(issued.get("label_id") or assessment.id)
    revoked = assessment.result.get("revoked") or {}
    check_revocation(label_id, status(assessment, today), reason=reason, revoked_on=revoked.get("on"))
    record = {"on": today.isoformat(), "reason": reason.strip(), "by": who.email}
    assessment.result = {**assessment.result, "revoked": record}
    _change(assessment, status="revoked")
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="revoke", entity=KIND,
                 entity_id=label_id, payload=record, detail=str(assessment.id))


def find_issued(session: Session, label_id: str) -> tuple[IssuedLabel, Assessment]:
    """The published label with this id (any organisation: verification is public)."""
    wanted = label_id.strip()
    query = select(Assessment).where(Assessment.kind == KIND, Assessment.published.is_(True))
    for assessment in session.scalars(query):
        issued = assessment.result.get("issued")
        if issued and issued.get("label_id") == wanted:
            return IssuedLabel.model_validate(issued), assessment
    raise NotFoundError(f"no label {wanted!r}")


def verify(session: Session, label_id: str, *, today: date | None = None) -> dict[str, Any]:
    """Public answer for a label id: ``valid``, ``status`` (valid, expired, not_yet_valid, revoked), message, label
    and, when revoked, ``revoked`` (date and reason)."""
    label, assessment = find_issued(session, label_id)
    revoked = assessment.result.get("revoked") or {}
    today = today or date.today()
    answer = verification(label, status=status(assessment, today), at=today, revoked_on=revoked.get("on"),
                          reason=revoked.get("reason"))
    return {**answer.model_dump(mode="json"),
            "revoked": {"on": revoked["on"], "reason": revoked["reason"]} if revoked else None}
