"""The carbon-asset ledger on the platform (issue 8): credits issued from a stored estimate, transferred between
holder accounts (of the organisation, or of another organisation named), retired for a beneficiary with a
public retirement certificate, and reconciled.

The ledger is :class:`countyzero.credits.ledger.Ledger` on the request's own database connection, scoped to the
caller's organisation: a ledger act, its audit entry (:mod:`countyzero.services.audit`) and nothing else are one
transaction, which the caller (``kit.write`` in the web layer) commits or rolls back — a refused request changes
nothing.

Roles: a **verifier** issues credits (from an estimate of kind ``credits`` of its organisation, up to the
estimate's issuable tonnes of the vintage, rounded down); **county_admin**, **project_owner** and **financier**
transfer and retire; every role of the organisation reads. Holder accounts are names within an organisation
(e.g. ``owner``, ``bank``): an account exists once it has held credits.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from countyzero.core.errors import InputError
from countyzero.credits.ledger import Block, Certificate, Ledger, VerifyReport
from countyzero.credits.model import ProjectInput
from countyzero.services import assessments, audit
from countyzero.services.accounts import Principal
from countyzero.services.errors import NotFoundError, PermissionDeniedError
from countyzero.store.models import Organisation

ISSUERS = frozenset({"verifier"})
"""Roles that issue credits from an estimate."""
HOLDERS = frozenset({"county_admin", "project_owner", "financier"})
"""Roles that transfer and retire the organisation's credits."""

ISSUE_FIELDS = ("estimate_id", "vintage", "quantity", "account")
TRANSFER_FIELDS = ("standard", "project", "vintage", "quantity", "from_account", "to_account", "to_organisation")
RETIRE_FIELDS = ("standard", "project", "vintage", "account", "quantity", "first_serial", "last_serial",
                 "beneficiary", "purpose", "date")


def book(session: Session, who: Principal | None = None) -> Ledger:
    """The ledger on the session's connection (in its transaction), scoped to ``who``'s organisation."""
    return Ledger(session.connection(), organisation_id=who.organisation_id if who else None)


# --- request fields --------------------------------------------------------------------------------------------
def _fields(data: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError("the request must be a JSON object")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InputError(f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    return {k: v for k, v in data.items() if v is not None and v != ""}


def _whole(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    """A whole number from JSON (int) or a form (digits); positivity is the ledger's check."""
    value = data.get(name)
    if value is None:
        if required:
            raise InputError(f"{name} is required", field=name)
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InputError(f"{name} must be a whole number, not {value!r}", field=name)


def _text(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} is required (a non-empty text)", field=name)
    return value.strip()


def require(who: Principal, roles: frozenset[str], act: str) -> None:
    """Refuse a role not in ``roles`` (:data:`ISSUERS`, :data:`HOLDERS`); the API routes call it before the body is
    validated too, so that a refused role is told 403 whatever it sent."""
    if who.role not in roles:
        raise PermissionDeniedError(f"role {who.role} cannot {act} credits ({', '.join(sorted(roles))} can)")


# --- acts ------------------------------------------------------------------------------------------------------
def project_id(estimate_input: dict[str, Any]) -> str:
    """The registry id under which an estimate's credits are issued (the project file's ``id``, or a slug)."""
    return ProjectInput.model_validate(estimate_input["project"]).project.registry_id


def issue(session: Session, who: Principal, data: dict[str, Any]) -> Block:
    """Issue credits of one vintage of a stored estimate to a holder account of the organisation.

    ``data``: ``estimate_id``, ``vintage``, ``quantity`` (whole tCO2e), ``account``. The vintage's cumulative
    issuance is capped at the estimate's issuable tonnes rounded down; an ineligible estimate issues nothing.

    Raises
    ------
    PermissionDeniedError
        The caller is not a verifier.
    NotFoundError
        No such estimate in the caller's organisation.
    InputError
        A bad or missing field (named), or more than the estimate allows.
    """
    require(who, ISSUERS, "issue")
    fields = _fields(data, ISSUE_FIELDS)
    estimate_id = _whole(fields, "estimate_id")
    assert estimate_id is not None
    estimate = assessments.get(session, who, estimate_id, "credits")
    vintage, quantity = _whole(fields, "vintage"), _whole(fields, "quantity")
    account = _text(fields, "account")
    assert vintage is not None and quantity is not None and account is not None
    result = estimate.result
    if not result["eligibility"]["eligible"]:
        raise InputError(f"estimate {estimate.id} is not eligible: {'; '.join(result['eligibility']['reasons'])}",
                         field="estimate_id")
    issuable = {int(v["year"]): float(v["issuable_tco2e"]) for v in result["vintages"]}
    if vintage not in issuable:
        raise InputError(f"vintage {vintage} is outside the estimate's years {min(issuable)}–{max(issuable)}"
                         if issuable else "the estimate has no vintages", field="vintage")
    project = project_id(estimate.input)
    block = book(session, who).issue(str(result["standard"]), project, vintage, quantity, account,
                                     max_total=float(math.floor(issuable[vintage])))
    record = {**block.to_dict(), "estimate_id": estimate.id}
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="issue", entity="credits",
                 entity_id=f"{block.standard}/{block.project}/{block.vintage}", payload=record,
                 detail=f"{block.serials} from estimate {estimate.id}")
    return block


def _organisation_id(session: Session, who: Principal, name: str | None) -> int | None:
    if name is None or name == who.organisation:
        return None
    found = session.scalars(select(Organisation).where(Organisation.name == name)).first()
    if found is None:
        raise InputError(f"no organisation {name!r}", field="to_organisation")
    return found.id


def transfer(session: Session, who: Principal, data: dict[str, Any]) -> list[Block]:
    """Transfer held credits (lowest serials first) to another account of the organisation, or of the
    organisation named by ``to_organisation``.

    ``data``: ``standard``, ``project``, ``vintage``, ``quantity``, ``from_account``, ``to_account``,
    ``to_organisation`` (optional, by name).
    """
    require(who, HOLDERS, "transfer")
    fields = _fields(data, TRANSFER_FIELDS)
    standard, project = _text(fields, "standard"), _text(fields, "project")
    vintage, quantity = _whole(fields, "vintage"), _whole(fields, "quantity")
    from_account, to_account = _text(fields, "from_account"), _text(fields, "to_account")
    to_org = _organisation_id(session, who, _text(fields, "to_organisation", required=False))
    assert standard and project and vintage is not None and quantity is not None and from_account and to_account
    blocks = book(session, who).transfer(from_account, to_account, standard, project, vintage, quantity,
                                         to_organisation_id=to_org)
    record = {"blocks": [b.to_dict() for b in blocks], "from_account": from_account}
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="transfer", entity="credits",
                 entity_id=f"{standard}/{project}/{vintage}", payload=record,
                 detail=f"{quantity} t {from_account} → {to_account}"
                        + (f" ({fields['to_organisation']})" if to_org is not None else ""))
    return blocks


def retire(session: Session, who: Principal, data: dict[str, Any], *, today: date | None = None) -> Certificate:
    """Retire credits for a beneficiary and purpose → the retirement certificate.

    ``data``: ``standard``, ``project``, ``vintage``, ``account``, ``quantity`` *or* ``first_serial`` and
    ``last_serial``, ``beneficiary``, ``purpose``, ``date`` (optional ISO date of the retirement, not in the
    future; default now).
    """
    require(who, HOLDERS, "retire")
    fields = _fields(data, RETIRE_FIELDS)
    standard, project, account = _text(fields, "standard"), _text(fields, "project"), _text(fields, "account")
    vintage = _whole(fields, "vintage")
    beneficiary, purpose = _text(fields, "beneficiary"), _text(fields, "purpose")
    quantity = _whole(fields, "quantity", required=False)
    first, last = _whole(fields, "first_serial", required=False), _whole(fields, "last_serial", required=False)
    if (first is None) != (last is None):
        raise InputError("give both first_serial and last_serial", field="last_serial" if last is None else
                         "first_serial")
    serials = (first, last) if first is not None and last is not None else None
    if quantity is None and serials is None:
        raise InputError("give a quantity or a serial range (first_serial, last_serial)", field="quantity")
    on = None
    if "date" in fields:
        try:
            on = date.fromisoformat(str(fields["date"]))
        except ValueError:
            raise InputError(f"date must be an ISO date (YYYY-MM-DD), not {fields['date']!r}", field="date") from None
        if on > (today or date.today()):
            raise InputError(f"the retirement date {on} is in the future", field="date")
    assert standard and project and account and vintage is not None and beneficiary and purpose
    try:
        cert = book(session, who).retire(account, standard, project, vintage, quantity, beneficiary=beneficiary,
                                         purpose=purpose, serials=serials, retired_on=on)
    except InputError as exc:
        if exc.field != "serials":
            raise
        raise InputError(exc.message, field="first_serial") from None
    audit.record(session, actor=who.email, organisation_id=who.organisation_id, action="retire",
                 entity="credit_retirement", entity_id=cert.certificate, payload=cert.to_dict(),
                 detail=f"{cert.quantity} t for {cert.beneficiary}")
    return cert


# --- reading ---------------------------------------------------------------------------------------------------
def holdings(session: Session, who: Principal) -> list[dict[str, Any]]:
    """Balances of the organisation by holder and vintage: held, retired and cancelled tonnes side by side."""
    rows: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for b in book(session, who).balance():
        key = (b.account, b.standard, b.project, b.vintage)
        row = rows.setdefault(key, {"account": b.account, "standard": b.standard, "project": b.project,
                                    "vintage": b.vintage, "held": 0, "retired": 0, "cancelled": 0})
        row[b.status] += b.quantity
    return list(rows.values())


def estimates(session: Session, who: Principal) -> list[dict[str, Any]]:
    """The organisation's eligible credit estimates with, per vintage, the issuable and the already issued."""
    issued = book(session, who).issued_by_vintage()
    out = []
    for a in assessments.listing(session, who, "credits"):
        if not a.result["eligibility"]["eligible"]:
            continue
        standard, project = str(a.result["standard"]), project_id(a.input)
        out.append({"id": a.id, "name": a.name, "standard": standard, "project": project, "vintages": [
            {"year": int(v["year"]), "issuable": math.floor(float(v["issuable_tco2e"])),
             "issued": issued.get((standard, project, int(v["year"])), 0)} for v in a.result["vintages"]]})
    return out


def overview(session: Session, who: Principal) -> dict[str, Any]:
    """What the ledger page and ``GET /api/v1/credits/ledger`` show: holdings, journal, certificates."""
    led = book(session, who)
    return {"organisation": who.organisation, "holdings": holdings(session, who),
            "events": [e.to_dict() for e in led.events()],
            "certificates": [c.to_dict() for c in led.certificates()]}


def certificate(session: Session, certificate_id: str, who: Principal | None = None) -> dict[str, Any]:
    """A retirement certificate with the retiring organisation's name — public when ``who`` is None, else only
    the caller's organisation's (another's is :class:`NotFoundError`)."""
    try:
        cert = book(session).certificate(certificate_id.strip())
    except InputError:
        raise NotFoundError(f"no retirement certificate {certificate_id!r}") from None
    if who is not None and cert.organisation_id != who.organisation_id:
        raise NotFoundError(f"no retirement certificate {certificate_id!r}")
    org = session.get(Organisation, cert.organisation_id) if cert.organisation_id is not None else None
    return {**cert.to_dict(), "organisation": org.name if org else None}


def reconcile(session: Session) -> VerifyReport:
    """Reconcile the platform's whole ledger: hash chain and head, journal replay, no serial in two places,
    issued = held + retired + cancelled per vintage (``countyzero credits reconcile``)."""
    return book(session).verify()
