"""Stored assessments: run an engine on validated input, keep input, result and versions, audit it.

Every assessment is scoped to the caller's organisation; another organisation's assessment is
indistinguishable from a missing one (:class:`NotFoundError`). Re-running a stored assessment with the same
software and factor versions reproduces its result (:func:`rerun`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from countyzero import __version__
from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of
from countyzero.factors import default_library
from countyzero.inventory import InventoryInput, compute_inventory
from countyzero.services import audit, engines
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.models import MAX_ID, Assessment, Organisation

WRITERS = frozenset({"county_admin", "analyst"})
"""Roles that may create inventories (and, by default, any assessment)."""
PUBLISHERS = frozenset({"county_admin"})
"""Roles that may publish or unpublish their organisation's assessments (public pages, docs/platform.md)."""


def _inventory(data: dict[str, Any]) -> dict[str, Any]:
    parsed = engines.validate(InventoryInput, data, "activities")
    result = compute_inventory(parsed, input_digest=sha256_of(data))
    dumped: dict[str, Any] = result.model_dump(mode="json")
    return dumped


ENGINES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "inventory": _inventory,
    "building": engines.building,
    "finance": engines.finance,
    "finance_portfolio": engines.finance_portfolio,
    "appraisal": engines.appraisal,
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
    "finance_portfolio": frozenset({"county_admin", "analyst", "financier"}),
    "appraisal": frozenset({"county_admin", "analyst", "financier"}),
    "credits": frozenset({"county_admin", "project_owner", "verifier"}),
    "scenario": WRITERS,
    "label": frozenset({"county_admin", "analyst", "project_owner"}),  # applicants; verifiers review and issue
    "community": WRITERS,
    "farm": frozenset({"county_admin", "analyst", "project_owner"}),
    "challenge": frozenset({"county_admin", "analyst", "project_owner"}),
}
"""Who may create each kind of assessment (docs/platform.md); every role of the organisation may read."""


def may_create(role: str, kind: str) -> bool:
    return role in WRITERS_BY_KIND.get(kind, WRITERS)


def require_writer(who: Principal, kind: str) -> None:
    """Refuse a role that may not create ``kind`` — also before its input is read, so that it is told 403 whatever
    it sent."""
    if not may_create(who.role, kind):
        raise PermissionDeniedError(f"role {who.role} cannot create {kind} assessments")


def create(session: Session, who: Principal, kind: str, name: str, data: dict[str, Any]) -> Assessment:
    """Run the engine ``kind`` on ``data`` and store it; nothing is stored when the input is bad."""
    if kind not in ENGINES:
        raise NotFoundError(f"no engine {kind!r}")
    require_writer(who, kind)
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


def listing(session: Session, who: Principal, kind: str | None = None, *, contents: bool = False) -> list[Assessment]:
    """The organisation's assessments, newest first. Their input and result (JSON that can weigh megabytes) are
    loaded only when read, one at a time, unless ``contents`` asks for them with the list."""
    query = select(Assessment).where(Assessment.organisation_id == who.organisation_id)
    if not contents:
        query = query.options(defer(Assessment.input), defer(Assessment.result))
    if kind:
        query = query.where(Assessment.kind == kind)
    return list(session.scalars(query.order_by(Assessment.id.desc())))


def latest(session: Session, who: Principal, kind: str) -> Assessment | None:
    """The organisation's newest assessment of ``kind`` (one row read; input and result only when touched)."""
    query = select(Assessment).where(Assessment.organisation_id == who.organisation_id, Assessment.kind == kind) \
        .options(defer(Assessment.input), defer(Assessment.result))
    return session.scalars(query.order_by(Assessment.id.desc()).limit(1)).first()


def counts(session: Session, who: Principal) -> dict[str, int]:
    """How many assessments of each kind the caller's organisation has (one query)."""
    query = select(Assessment.kind, func.count()).where(Assessment.organisation_id == who.organisation_id) \
        .group_by(Assessment.kind)
    return {str(kind): int(n) for kind, n in session.execute(query)}


def with_baseline(session: Session, who: Principal, kind: str, data: dict[str, Any], baseline_id: int
                  ) -> dict[str, Any]:
    """A portfolio input with an earlier stored portfolio's screenings as its baseline (what changed and why)."""
    if kind != "finance_portfolio":
        raise InputError("only a finance portfolio is compared with a baseline", field="baseline")
    try:
        earlier = get(session, who, baseline_id, kind)
    except NotFoundError:
        raise InputError(f"no stored portfolio {baseline_id}", field="baseline") from None
    return {**data, "baseline": earlier.result["screenings"], "baseline_id": earlier.id}


def organisation_name(session: Session, organisation_id: int) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation else ""


def rerun(assessment: Assessment) -> dict[str, Any]:
    """The engine's result for the stored input, now (compare with ``assessment.result``)."""
    return ENGINES[assessment.kind](assessment.input)


def publish(session: Session, who: Principal, assessment: Assessment, published: bool) -> Assessment:
    """Publish (or withdraw) one of the organisation's assessments on the public pages; audited.

    Labels are published by issuing them (:mod:`countyzero.services.labels`) and stay public through
    ``/verify``: they cannot be withdrawn here.
    """
    if who.role not in PUBLISHERS:
        raise PermissionDeniedError(f"role {who.role} cannot publish assessments")
    if assessment.organisation_id != who.organisation_id:
        raise NotFoundError(f"no assessment {assessment.id}")
    if assessment.kind == "label":
        raise PermissionDeniedError("labels are published by issuing them and verified at /verify")
    assessment.published = published
    session.flush()
    audit.record(session, actor=who.email, organisation_id=who.organisation_id,
                 action="publish" if published else "unpublish", entity=assessment.kind, entity_id=assessment.id,
                 payload={"published": published, "input_sha256": assessment.input_sha256}, detail=assessment.name)
    return assessment


def public_organisations(session: Session, kinds: Collection[str]) -> list[tuple[Organisation, list[Assessment]]]:
    """Organisations with published assessments of ``kinds``, each with those assessments (newest first)."""
    query = select(Assessment).where(Assessment.published.is_(True), Assessment.kind.in_(list(kinds))) \
        .order_by(Assessment.organisation_id, Assessment.id.desc())
    grouped: dict[int, list[Assessment]] = {}
    for assessment in session.scalars(query):
        grouped.setdefault(assessment.organisation_id, []).append(assessment)
    organisations = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(list(grouped))))}
    return [(organisations[oid], items) for oid, items in grouped.items()]


def public_get(session: Session, organisation_id: int, assessment_id: int, kind: str) -> Assessment:
    """A published assessment of ``kind`` of that organisation; anything else is :class:`NotFoundError`."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None or not assessment.published or assessment.organisation_id != organisation_id \
            or assessment.kind != kind:
        raise NotFoundError(f"no published assessment {assessment_id}")
    return assessment
