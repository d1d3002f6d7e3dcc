"""1.5 °C labels on the platform: grade and store, issue (verifiers only), verify publicly by label id.

Grading is an assessment of kind ``label`` (:mod:`countyzero.services.engines`). Issuing follows the engine's
register rules (docs/label-standard.md §7–8: evidence attached, an independent verifier, a certifiable
footprint) by running the application through :class:`countyzero.lifestyle.LabelRegistry` in memory, and keeps
the issued label (id, validity, QR payload) in the stored result, which is then *published*: anyone can verify
it by id, without logging in. Every issue is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from countyzero.core.errors import InputError
from countyzero.lifestyle import IssuedLabel, LabelItem, LabelRegistry
from countyzero.services import assessments, audit
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.models import Assessment

ISSUERS = frozenset({"verifier"})


def create(session: Session, who: Principal, name: str, data: dict[str, Any], *, today: date | None = None
           ) -> Assessment:
    """Grade and store a label application; issue it at once when ``data["issue"]`` is true.

    Raises
    ------
    PermissionDeniedError
        Issuing by a role other than verifier.
    InputError
        Ungradable item, no evidence, verifier not independent of the applicant, footprint not certifiable.
    """
    if data.get("issue") and who.role not in ISSUERS:
        raise PermissionDeniedError(f"role {who.role} cannot issue labels (verifiers issue)")
    assessment = assessments.create(session, who, "label", name, data)
    if data.get("issue"):
        issue(session, who, assessment, today=today or date.today())
    return assessment


def issue(session: Session, who: Principal, assessment: Assessment, *, today: date) -> IssuedLabel:
    """Issue the label of a stored, graded application (see module docstring)."""
    if who.role not in ISSUERS:
        raise PermissionDeniedError(f"role {who.role} cannot issue labels (verifiers issue)")
    if assessment.kind != "label" or assessment.organisation_id != who.organisation_id:
        raise NotFoundError(f"no label application {assessment.id}")
    if assessment.result.get("issued"):
        raise InputError("this label has been issued already", field="issue")
    data = assessment.input
    evidence = data.get("evidence") or []
    registry = LabelRegistry(":memory:")
    try:
        application = registry.apply(LabelItem.model_validate(data["item"]), applicant=data["applicant"],
                                     year=int(data["year"]), at=today, rulebook=data.get("rulebook"),
                                     trajectory=data.get("trajectory"))
        for item in evidence:
            registry.add_evidence(application, document=item["document"], sha256=item["sha256"],
                                  actor=data["applicant"], at=today)
        if not evidence:
            raise InputError("a label is issued only with evidence attached (docs/label-standard.md §7)",
                             field="evidence")
        registry.review(application, verifier=who.email, approve=True, note="approved on the platform", at=today)
        label = registry.issue(application, actor=who.email, at=today)
    finally:
        registry.close()
    assessment.result = {**assessment.result, "issued": label.model_dump(mode="json"), "issued_by": who.email}
    assessment.published = True
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="issue", entity="label",
                 entity_id=label.label_id, payload=assessment.result["issued"], detail=str(assessment.id))
    return label


def find_issued(session: Session, label_id: str) -> tuple[IssuedLabel, Assessment]:
    """The published label with this id (any organisation: verification is public)."""
    wanted = label_id.strip()
    query = select(Assessment).where(Assessment.kind == "label", Assessment.published.is_(True))
    for assessment in session.scalars(query):
        issued = assessment.result.get("issued")
        if issued and issued.get("label_id") == wanted:
            return IssuedLabel.model_validate(issued), assessment
    raise NotFoundError(f"no label {wanted!r}")


def verify(session: Session, label_id: str, *, today: date | None = None) -> dict[str, Any]:
    """Public answer for a label id: ``valid``, ``status`` (valid, expired, not_yet_valid), message, label."""
    label, _ = find_issued(session, label_id)
    today = today or date.today()
    if today > label.valid_until:
        status, message = "expired", f"label {label.label_id} expired on {label.valid_until.isoformat()}"
    elif today < label.issued_on:
        status, message = "not_yet_valid", f"label {label.label_id} is valid from {label.issued_on.isoformat()}"
    else:
        status, message = "valid", (f"label {label.label_id} is valid until {label.valid_until.isoformat()}: "
                                    f"{label.label_text}")
    return {"label_id": label.label_id, "valid": status == "valid", "status": status, "message": message,
            "label": label.model_dump(mode="json")}
