"""The label register: application → evidence → verifier review → issued label → verification, renewal,
expiry, revocation — every step an event in an append-only log (docs/label-standard.md §8).

Engine-level store on the standard library's ``sqlite3``: one file (or ``:memory:``), every change in one
transaction, so a failed step changes nothing. The platform's web service wraps the same steps.

Example
-------
>>> from datetime import date
>>> from countyzero.lifestyle.model import LabelItem
>>> reg = LabelRegistry(":memory:")
>>> item = LabelItem.model_validate({"id": "m1", "name": "Li rice bowl", "functional_unit": "meal",
...     "lines": [{"id": "rice", "food": "rice", "quantity": 0.1, "unit": "kg"}]})
>>> app = reg.apply(item, applicant="Hotel A", year=2030, at=date(2030, 1, 5))
>>> reg.add_evidence(app, document="recipe card v1", sha256="0" * 64, actor="Hotel A", at=date(2030, 1, 6))
>>> reg.review(app, verifier="Verifier B", approve=True, note="recipe checked", at=date(2030, 1, 20))
>>> label = reg.issue(app, actor="Verifier B", at=date(2030, 2, 1))
>>> reg.verify(label.label_id, at=date(2031, 1, 1)).valid
True
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.lifestyle.label import LabelRules, grade_item
from countyzero.lifestyle.model import GradeResult, LabelItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (
    application_id TEXT PRIMARY KEY,
    applicant TEXT NOT NULL,
    item_json TEXT NOT NULL,
    grade_json TEXT NOT NULL,
    rulebook TEXT NOT NULL,
    trajectory TEXT NOT NULL,
    status TEXT NOT NULL,
    verifier TEXT,
    label_id TEXT UNIQUE,
    issued_on TEXT,
    valid_until TEXT,
    revoked_on TEXT,
    revocation_reason TEXT
);
CREATE TABLE IF NOT EXISTS evidence (
    application_id TEXT NOT NULL REFERENCES applications(application_id),
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_on TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id TEXT NOT NULL,
    label_id TEXT,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    on_date TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""


class LabelNotFoundError(InputError):
    """No label (or application) with this id in the register."""


class IssuedLabel(BaseModel):
    """What a label shows and what its QR code carries."""

    label_id: str
    application_id: str
    name: str
    grade: str
    footprint_kgco2e: float
    functional_unit: str
    label_text: str
    issued_on: date
    valid_until: date
    rulebook: str
    qr_payload: str

    def qr_svg(self, scale: int = 4) -> str:
        """The QR code of :attr:`qr_payload` as an SVG document (ISO/IEC 18004, error correction M, by segno)."""
        import io

        import segno

        buffer = io.BytesIO()
        segno.make(self.qr_payload, error="m", micro=False).save(buffer, kind="svg", scale=scale,
                                                                 xmldecl=False, title=self.label_id)
        return buffer.getvalue().decode("utf-8")


class Verification(BaseModel):
    """Public answer for a label id."""

    label_id: str
    valid: bool
    status: str
    message: str
    label: IssuedLabel | None = None


def _add_years(day: date, years: float) -> date:
    whole = int(years)
    try:
        return day.replace(year=day.year + whole)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + whole, day=28)


# the rules of the workflow (docs/label-standard.md §7–8) — used by the register below and by the platform
# (countyzero.services.labels), so both follow one set of rules -------------------------------------------------
STEPS: dict[str, tuple[str, ...]] = {
    "add evidence": ("applied", "evidence", "changes_requested"),
    "review": ("evidence", "changes_requested"),
    "issue": ("approved",),
    "renew": ("issued", "expired"),
    "revoke": ("issued", "expired"),
}
"""From which statuses each step may be taken (an application with evidence attached is ``evidence``)."""

REVIEW_DECISIONS: dict[str, str] = {"approve": "approved", "request_changes": "changes_requested",
                                    "reject": "rejected"}
"""A verifier's decision → the application's status after the review."""

REVIEW_CRITERIA: dict[str, str] = {
    "footprint": "§7.1 the footprint is computed from declared quantities and library factors, or from a verified "
                 "ISO 14067 / GB/T 24067 / PEF study",
    "study_statements": "§7.2 functional unit, system boundary, GWP set, data year and verifier are stated",
    "evidence": "§8.2 the attached documents support the declared quantities (SHA-256 of each document)",
    "independence": "§8.3 the verifier is independent of the applicant",
}
"""What a verifier checks (docs/label-standard.md §7–8); a review may carry a note per criterion."""


def require_step(application_id: str, status: str, step: str) -> None:
    """Refuse ``step`` unless the application's ``status`` allows it (:data:`STEPS`).

    Raises
    ------
    InputError
        Naming the status the step needs.
    """
    allowed = STEPS[step]
    if status not in allowed:
        raise InputError(f"cannot {step}: application {application_id} is {status} (needs {' or '.join(allowed)})",
                         field="status")


def check_sha256(sha256: str) -> None:
    """An evidence document is named by the SHA-256 of its content: 64 hexadecimal characters."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        raise InputError("sha256 must be 64 hexadecimal characters", field="sha256")


def check_independent(verifier: str, *applicants: str) -> None:
    """The verifier must not be the applicant (§8.3): compared case-insensitively with every name given for it."""
    mine = verifier.strip().casefold()
    if any(mine == a.strip().casefold() for a in applicants if a):
        raise InputError("the verifier must be independent of the applicant", field="verifier")


def review_status(application_id: str, status: str, *, decision: str, grade: GradeResult, evidence: int) -> str:
    """The status after a verifier's ``decision`` (:data:`REVIEW_DECISIONS`); approval needs evidence (§8.2) and
    a certifiable footprint (§7.3). Check independence with :func:`check_independent` too.

    Raises
    ------
    InputError
        A step the status does not allow, an unknown decision, an approval without evidence or of a footprint
        that is not certifiable.
    """
    if decision not in REVIEW_DECISIONS:
        raise InputError(f"unknown decision {decision!r}; choose one of {', '.join(REVIEW_DECISIONS)}",
                         field="decision")
    require_step(application_id, status, "review")
    if decision == "approve":
        if evidence < 1:
            raise InputError("cannot approve: a label is approved only with evidence attached "
                             "(docs/label-standard.md §8.2)", field="evidence")
        if not grade.certifiable:
            raise InputError(f"cannot approve: {grade.certifiable_reason}", field="approve")
    return REVIEW_DECISIONS[decision]


def check_revocation(label_id: str, status: str, *, reason: str, revoked_on: str | None = None) -> None:
    """A revocation needs a (public) reason and a label that is issued or expired — never one revoked already.

    Raises
    ------
    InputError
        No reason; the label is revoked already, or was never issued.
    """
    if not reason.strip():
        raise InputError("give the reason for the revocation", field="reason")
    if status == "revoked":
        raise InputError(f"label {label_id} is already revoked (on {revoked_on})", field="label_id")
    require_step(label_id, status, "revoke")


def new_label_id(at: date) -> str:
    """A fresh, unguessable label id ``CZ15-<year>-<8 hex>`` (§8.4)."""
    return f"CZ15-{at.year}-{secrets.token_hex(4).upper()}"


def valid_until(at: date, rules: LabelRules) -> date:
    """The end of the validity period of a label issued (or renewed) on ``at`` (``label.validity_years``)."""
    return _add_years(at, rules.validity_years)


def renewal_grade(item: LabelItem, rules: LabelRules, *, at: date,
                  library: FactorLibrary | None = None) -> GradeResult:
    """The item of an application re-graded for a renewal on ``at`` (§8.5): in the renewal year, against that
    year's (smaller) allowance — whatever year the application named. Used by :meth:`LabelRegistry.renew` and by
    the platform (:func:`countyzero.services.labels.renew`)."""
    return grade_item(item.model_copy(update={"year": at.year}), rules, year=at.year, library=library)


def issued_label(*, application_id: str, label_id: str, grade: GradeResult, issued_on: date, until: date,
                 rulebook: str) -> IssuedLabel:
    """The label as shown and as its QR code carries it: ``CZ15|id|grade|footprint per unit|valid until|digest``."""
    record = {"label_id": label_id, "grade": grade.grade, "footprint_kgco2e": round(grade.footprint_kgco2e, 4),
              "functional_unit": grade.functional_unit, "valid_until": until.isoformat()}
    payload = (f"CZ15|{label_id}|{grade.grade}|{grade.footprint_kgco2e:.2f} kgCO2e/"
               f"{grade.functional_unit}|{until.isoformat()}|{sha256_of(record)[:16]}")
    return IssuedLabel(label_id=label_id, application_id=application_id, name=grade.name, grade=grade.grade,
                       footprint_kgco2e=grade.footprint_kgco2e, functional_unit=grade.functional_unit,
                       label_text=grade.label_text, issued_on=issued_on, valid_until=until, rulebook=rulebook,
                       qr_payload=payload)


def verification(label: IssuedLabel, *, status: str, at: date, revoked_on: str | None = None,
                 reason: str | None = None) -> Verification:
    """Public answer for an issued label (§8.8): valid only when not revoked and within its validity period."""
    label_id = label.label_id
    if status == "revoked":
        return Verification(label_id=label_id, valid=False, status="revoked", label=label,
                            message=f"label {label_id} was revoked on {revoked_on}: {reason}")
    if at > label.valid_until or status == "expired":
        return Verification(label_id=label_id, valid=False, status="expired", label=label,
                            message=f"label {label_id} expired on {label.valid_until.isoformat()}")
    if at < label.issued_on:
        return Verification(label_id=label_id, valid=False, status="not_yet_valid", label=label,
                            message=f"label {label_id} is valid from {label.issued_on.isoformat()}")
    return Verification(label_id=label_id, valid=True, status="valid", label=label,
                        message=f"label {label_id} is valid until {label.valid_until.isoformat()}: "
                                f"{label.label_text}")


class LabelRegistry:
    """A label register in one SQLite file.

    Parameters
    ----------
    path : str or Path
        Database file (created when missing) or ``":memory:"``.
    library : FactorLibrary, optional
        Factor rows for grading (the shipped set when omitted).
    """

    def __init__(self, path: str | Path, *, library: FactorLibrary | None = None) -> None:
        self.path = str(path)
        self._library = library
        self._conn = sqlite3.connect(self.path, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.executescript(SCHEMA)  # idempotent: every statement is CREATE … IF NOT EXISTS

    def close(self) -> None:
        self._conn.close()

    @property
    def library(self) -> FactorLibrary:
        return self._library or default_library()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")

    @staticmethod
    def _event(cur: sqlite3.Cursor, application_id: str, label_id: str | None, action: str, actor: str,
               on: date, detail: dict[str, Any]) -> None:
        cur.execute("INSERT INTO events (application_id, label_id, action, actor, on_date, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (application_id, label_id, action, actor, on.isoformat(),
                     json.dumps(detail, ensure_ascii=False, sort_keys=True)))

    def _application(self, cur: sqlite3.Cursor, application_id: str) -> sqlite3.Row:
        row = cur.execute("SELECT * FROM applications WHERE application_id = ?", (application_id,)).fetchone()
        if row is None:
            raise LabelNotFoundError(f"no application {application_id!r} in the register", field="application_id")
        return row

    def _label_row(self, cur: sqlite3.Cursor, label_id: str) -> sqlite3.Row:
        row = cur.execute("SELECT * FROM applications WHERE label_id = ?", (label_id,)).fetchone()
        if row is None:
            raise LabelNotFoundError(f"no label {label_id!r} in the register; check the id on the label",
                                     field="label_id")
        return row

    # workflow -------------------------------------------------------------------------------------
    def apply(self, item: LabelItem, *, applicant: str, year: int, at: date, rulebook: str | None = None,
              trajectory: str | None = None) -> str:
        """Open an application: the item is graded now and the grade is stored with the rule versions.

        Raises
        ------
        InputError
            If the item cannot be graded (unknown food, factor, unit …); nothing is stored then.
        """
        if not applicant.strip():
            raise InputError("applicant is empty", field="applicant")
        rules = LabelRules.load(rulebook, trajectory, self.library)
        result = grade_item(item, rules, year=year, library=self.library)
        application_id = "APP-" + secrets.token_hex(6).upper()
        with self._transaction() as cur:
            cur.execute("INSERT INTO applications (application_id, applicant, item_json, grade_json, rulebook, "
                        "trajectory, status) VALUES (?, ?, ?, ?, ?, ?, 'applied')",
                        (application_id, applicant, item.model_dump_json(), result.model_dump_json(), rules.version,
                         rules.trajectory.version))
            self._event(cur, application_id, None, "apply", applicant, at,
                        {"grade": result.grade, "footprint_kgco2e": result.footprint_kgco2e,
                         "ratio": result.ratio, "certifiable": result.certifiable})
        return application_id

    def add_evidence(self, application_id: str, *, document: str, sha256: str, actor: str, at: date) -> None:
        """Attach an evidence document (by name and SHA-256 of its content) to an open application."""
        check_sha256(sha256)
        with self._transaction() as cur:
            row = self._application(cur, application_id)
            require_step(application_id, row["status"], "add evidence")
            cur.execute("INSERT INTO evidence VALUES (?, ?, ?, ?, ?)",
                        (application_id, document, sha256.lower(), actor, at.isoformat()))
            cur.execute("UPDATE applications SET status = 'evidence' WHERE application_id = ?", (application_id,))
            self._event(cur, application_id, None, "evidence", actor, at, {"document": document, "sha256": sha256})

    def review(self, application_id: str, *, verifier: str, approve: bool, note: str, at: date) -> None:
        """Verifier's decision. The verifier must not be the applicant; approval needs evidence and a
        certifiable footprint (docs/label-standard.md §7–8)."""
        with self._transaction() as cur:
            row = self._application(cur, application_id)
            check_independent(verifier, row["applicant"])
            evidence = cur.execute("SELECT COUNT(*) FROM evidence WHERE application_id = ?",
                                   (application_id,)).fetchone()[0]
            status = review_status(application_id, row["status"], decision="approve" if approve else "reject",
                                   grade=GradeResult.model_validate_json(row["grade_json"]), evidence=evidence)
            cur.execute("UPDATE applications SET status = ?, verifier = ? WHERE application_id = ?",
                        (status, verifier, application_id))
            self._event(cur, application_id, None, "review", verifier, at, {"decision": status, "note": note})

    def issue(self, application_id: str, *, actor: str, at: date) -> IssuedLabel:
        """Issue the label of an approved application: a unique id, a validity period and the QR payload."""
        with self._transaction() as cur:
            row = self._application(cur, application_id)
            require_step(application_id, row["status"], "issue")
            rules = LabelRules.load(row["rulebook"], row["trajectory"], self.library)
            label_id = new_label_id(at)
            until = valid_until(at, rules)
            cur.execute("UPDATE applications SET status = 'issued', label_id = ?, issued_on = ?, valid_until = ? "
                        "WHERE application_id = ?", (label_id, at.isoformat(), until.isoformat(), application_id))
            self._event(cur, application_id, label_id, "issue", actor, at, {"valid_until": until.isoformat()})
            row = self._application(cur, application_id)
        return self._issued(row)

    @staticmethod
    def _issued(row: sqlite3.Row) -> IssuedLabel:
        return issued_label(application_id=row["application_id"], label_id=row["label_id"],
                            grade=GradeResult.model_validate_json(row["grade_json"]),
                            issued_on=date.fromisoformat(row["issued_on"]),
                            until=date.fromisoformat(row["valid_until"]), rulebook=row["rulebook"])

    def verify(self, label_id: str, *, at: date) -> Verification:
        """Public verification by id: valid only when issued, not revoked and within its validity period.

        Raises
        ------
        LabelNotFoundError
            If no label has this id. Verification reads only; it changes nothing.
        """
        row = self._label_row(self._conn.cursor(), label_id.strip())
        return verification(self._issued(row), status=row["status"], at=at, revoked_on=row["revoked_on"],
                            reason=row["revocation_reason"])

    def renew(self, label_id: str, *, verifier: str, at: date) -> IssuedLabel:
        """Renew an issued (or expired, not revoked) label after a new review: the item is re-graded in the
        renewal year — the allowance shrinks with the trajectory — and a new validity period starts."""
        with self._transaction() as cur:
            row = self._label_row(cur, label_id)
            require_step(row["application_id"], row["status"], "renew")
            check_independent(verifier, row["applicant"])
            rules = LabelRules.load(row["rulebook"], row["trajectory"], self.library)
            result = renewal_grade(LabelItem.model_validate_json(row["item_json"]), rules, at=at,
                                   library=self.library)
            until = valid_until(at, rules)
            cur.execute("UPDATE applications SET status = 'issued', grade_json = ?, issued_on = ?, valid_until = ?, "
                        "verifier = ? WHERE label_id = ?",
                        (result.model_dump_json(), at.isoformat(), until.isoformat(), verifier, label_id))
            self._event(cur, row["application_id"], label_id, "renew", verifier, at,
                        {"grade": result.grade, "ratio": result.ratio, "valid_until": until.isoformat()})
            row = self._label_row(cur, label_id)
        return self._issued(row)

    def expire_due(self, *, at: date, actor: str = "system") -> list[str]:
        """Mark every issued label whose validity ended before ``at`` as expired; return their ids."""
        with self._transaction() as cur:
            rows = cur.execute("SELECT application_id, label_id, valid_until FROM applications "
                               "WHERE status = 'issued' AND valid_until < ?", (at.isoformat(),)).fetchall()
            for row in rows:
                cur.execute("UPDATE applications SET status = 'expired' WHERE label_id = ?", (row["label_id"],))
                self._event(cur, row["application_id"], row["label_id"], "expire", actor, at,
                            {"valid_until": row["valid_until"]})
        return [row["label_id"] for row in rows]

    def revoke(self, label_id: str, *, reason: str, actor: str, at: date) -> None:
        """Revoke a label for good (it never verifies again).

        Raises
        ------
        LabelNotFoundError
            Unknown id. InputError: already revoked, or no reason given.
        """
        with self._transaction() as cur:
            row = self._label_row(cur, label_id)
            check_revocation(label_id, row["status"], reason=reason, revoked_on=row["revoked_on"])
            cur.execute("UPDATE applications SET status = 'revoked', revoked_on = ?, revocation_reason = ? "
                        "WHERE label_id = ?", (at.isoformat(), reason, label_id))
            self._event(cur, row["application_id"], label_id, "revoke", actor, at, {"reason": reason})

    def events(self, identifier: str | None = None) -> list[dict[str, Any]]:
        """The event log (of one application or label id, or all), oldest first."""
        cur = self._conn.cursor()
        if identifier is None:
            rows = cur.execute("SELECT * FROM events ORDER BY seq").fetchall()
        else:
            rows = cur.execute("SELECT * FROM events WHERE application_id = ? OR label_id = ? ORDER BY seq",
                               (identifier, identifier)).fetchall()
        return [{**dict(row), "detail": json.loads(row["detail"])} for row in rows]

    def status(self, application_id: str) -> str:
        """Current status of an application (applied, evidence, changes_requested, approved, rejected, issued,
        expired, revoked)."""
        return str(self._application(self._conn.cursor(), application_id)["status"])
