"""Stored assessments: run an engine on validated input, keep input, result and versions, audit it.

Every assessment is scoped to the caller's organisation; another organisation's assessment is
indistinguishable from a missing one (:class:`NotFoundError`). Re-running a stored assessment with the same
software and factor versions reproduces its result (:func:`rerun`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from countyzero import __version__
from countyzero.core.trace import sha256_of
from countyzero.factors import default_library
from countyzero.inventory import InventoryInput, compute_inventory
from countyzero.services import audit, engines
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.models import MAX_ID, Assessment

WRITERS = frozenset({"county_admin", "analyst"})
"""Roles that may create inventories (and, by default, any assessment)."""


def _inventory(data: dict[str, Any]) -> dict[str, Any]:
    parsed = engines.validate(InventoryInput, data, "activities")
    result = compute_inventory(parsed, input_digest=sha256_of(data))
    dumped: dict[str, Any] = result.model_dump(mode="json")
    return dumped


ENGINES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "inventory": _inventory,
    "building": engines.building,
    "finance": engines.finance,
    "credits": engines.credits,
    "scenario": engines.scenarios,
    "label": engines.label,
    "community": engines.community,
    "farm": engines.farm,
    "challenge": engines.challenge,
}

WRITERS_BY_KIND: dict[str, frozenset[str]] = {
    "inventory": WRITERS,
    "building": frozenset({"county_admin", "analyst", "project_owner"}),
    "finance": frozenset({"county_admin", "analyst", "financier"}),
    "credits": frozenset({"county_admin", "project_owner", "verifier"}),
    "scenario": WRITERS,
    "label": frozenset({"county_admin", "analyst", "project_owner", "verifier"}),
    "community": WRITERS,
    "farm": frozenset({"county_admin", "analyst", "project_owner"}),
    "challenge": frozenset({"county_admin", "analyst", "project_owner"}),
}
"""Who may create each kind of assessment (docs/platform.md); every role of the organisation may read."""


def may_create(role: str, kind: str) -> bool:
    return role in WRITERS_BY_KIND.get(kind, WRITERS)


def create(session: Session, who: Principal, kind: str, name: str, data: dict[str, Any]) -> Assessment:
    """Run the engine ``kind`` on ``data`` and store it; nothing is stored when the input is bad."""
    if kind not in ENGINES:
        raise NotFoundError(f"no engine {kind!r}")
    if not may_create(who.role, kind):
        raise PermissionDeniedError(f"role {who.role} cannot create {kind} assessments")
    data = engines.plain(data)
    result = ENGINES[kind](data)
    assessment = Assessment(
        organisation_id=who.organisation_id, kind=kind, name=name.strip() or kind, input=data, result=result,
        input_sha256=sha256_of(data), software_version=__version__,
        factor_set_version=default_library().version, created_by=who.user_id)
    session.add(assessment)
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="assess", entity=kind,
                 entity_id=assessment.id, payload=data, detail=name)
    return assessment


def get(session: Session, who: Principal, assessment_id: int, kind: str | None = None) -> Assessment:
    assessment = session.get(Assessment, assessment_id) if 0 < assessment_id <= MAX_ID else None
    if assessment is None or assessment.organisation_id != who.organisation_id or (kind and assessment.kind != kind):
        raise NotFoundError(f"no assessment {assessment_id}")
    return assessment


def listing(session: Session, who: Principal, kind: str | None = None) -> list[Assessment]:
    query = select(Assessment).where(Assessment.organisation_id == who.organisation_id)
    if kind:
        query = query.where(Assessment.kind == kind)
    return list(session.scalars(query.order_by(Assessment.id.desc())))


def count(session: Session, who: Principal, kind: str) -> int:
    """How many assessments of ``kind`` the caller's organisation has."""
    query = select(func.count()).select_from(Assessment).where(
        Assessment.organisation_id == who.organisation_id, Assessment.kind == kind)
    return int(session.scalar(query) or 0)


def rerun(assessment: Assessment) -> dict[str, Any]:
    """The engine's result for the stored input, now (compare with ``assessment.result``)."""
    return ENGINES[assessment.kind](assessment.input)
