"""Read submissions, the challenge file, the rubric and jury scores; find claims without evidence.

A number a submission claims without evidence (no ``source`` or no ``confidence``, or a bare number where a
cited value belongs) is not refused: it is marked with ``UNSUPPORTED`` as its source and reported as an
``unsupported claim`` flag, so the provider sees both the result and what must be backed up. A flagged
entry is never accepted into the ranking or the gallery (docs/challenge.md). Malformed input raises
:class:`InputError` naming the file, the measure and the field.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from countyzero.challenge.model import ChallengeFile, JuryScores, Rubric, Submission
from countyzero.core.errors import InputError
from countyzero.core.io import Document, read_document
from countyzero.inventory.reader import validation_error

M = TypeVar("M", bound=BaseModel)
UNSUPPORTED = "UNSUPPORTED CLAIM: no evidence given"
UNSUPPORTED_FLAG = "unsupported claim"
#: Cited values of a measure (docs/pathways.md) whose evidence is checked.
CITED_FIELDS: tuple[tuple[str, ...], ...] = (
    ("effect",), ("to_electricity",), ("removal",), ("max_ramp",), ("cost", "capex"), ("cost", "opex"),
    ("cost", "lifetime"),
)


@dataclass(frozen=True)
class Flag:
    """A visible remark on an entry: ``unsupported claim``, ``possible overlap``, ``jury score missing`` …"""

    kind: str
    where: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "message": self.message}


def _missing_evidence(node: dict[str, Any]) -> bool:
    return not str(node.get("source") or "").strip() or node.get("confidence") in (None, "")


def _mark(node: dict[str, Any]) -> None:
    if not str(node.get("source") or "").strip():
        node["source"] = UNSUPPORTED
    if node.get("confidence") in (None, ""):
        node["confidence"] = "estimate"


def find_unsupported(data: dict[str, Any]) -> tuple[dict[str, Any], list[Flag]]:
    """A copy of a raw submission with every unsupported number marked, and the flags naming them."""
    data = copy.deepcopy(data)
    flags: list[Flag] = []
    measures = data.get("measures")
    for m_index, measure in enumerate(measures if isinstance(measures, list) else []):
        if not isinstance(measure, dict):
            continue
        label = str(measure.get("id") or f"#{m_index + 1}")
        for path in CITED_FIELDS:
            parent: Any = measure
            for key in path[:-1]:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if not isinstance(parent, dict) or path[-1] not in parent:
                continue
            node = parent[path[-1]]
            where = f"measures.{label}.{'.'.join(path)}"
            if isinstance(node, int | float) and not isinstance(node, bool):
                parent[path[-1]] = node = {"value": node}
            if isinstance(node, dict) and "factor" not in node and _missing_evidence(node):
                flags.append(Flag(UNSUPPORTED_FLAG, where, f"{node.get('value')!r} is claimed without evidence "
                                                           "(give source and confidence)"))
                _mark(node)
        adoption = measure.get("adoption")
        if isinstance(adoption, dict) and _missing_evidence(adoption):
            flags.append(Flag(UNSUPPORTED_FLAG, f"measures.{label}.adoption",
                              "the adoption path is claimed without evidence (give source and confidence)"))
            _mark(adoption)
        revenue = measure.get("revenue")
        if isinstance(revenue, dict) and _missing_evidence(revenue):
            flags.append(Flag(UNSUPPORTED_FLAG, f"measures.{label}.revenue",
                              "the revenue is claimed without evidence (give source and confidence)"))
            _mark(revenue)
    benefits = data.get("co_benefits")
    for c_index, item in enumerate(benefits if isinstance(benefits, list) else []):
        if isinstance(item, dict) and _missing_evidence(item):
            label = str(item.get("id") or f"#{c_index + 1}")
            flags.append(Flag(UNSUPPORTED_FLAG, f"co_benefits.{label}",
                              f"{item.get('value')!r} is claimed without evidence (give source and confidence)"))
            _mark(item)
    return data, flags


def _validate(model: type[M], document: Document, data: dict[str, Any] | None = None) -> M:
    try:
        return model.model_validate(document.data if data is None else data)
    except ValidationError as exc:
        raise validation_error(exc, document) from None


@dataclass
class SubmissionFile:
    """A submission as read: the validated model, its unsupported-claim flags, the file and its digest."""

    submission: Submission
    flags: list[Flag]
    path: str
    sha256: str


def read_submission(path: str | Path) -> SubmissionFile:
    """Read a submission file (YAML or JSON).

    Raises
    ------
    InputError
        Malformed file, unknown field or category, readiness level outside 1–9, a measure that breaks the
        pathway measure schema — naming the file, the measure and the field.
    """
    document = read_document(path, "measures")
    data, flags = find_unsupported(document.data)
    return SubmissionFile(_validate(Submission, document, data), flags, document.path, document.sha256)


def read_challenge(path: str | Path) -> tuple[ChallengeFile, Document]:
    """Read ``challenge.yaml`` (a folder is taken to hold one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "challenge.yaml"
    document = read_document(path, "solutions")
    return _validate(ChallengeFile, document), document


def read_rubric(path: str | Path) -> tuple[Rubric, Document]:
    """Read a rubric file; weights must sum to 1 and computed criteria must name a metric and a scale."""
    document = read_document(path, "criteria")
    return _validate(Rubric, document), document


def read_scores(path: str | Path) -> tuple[JuryScores, Document]:
    """Read jury scores (YAML/JSON, or CSV/XLSX with one row per juror × submission × criterion)."""
    document = read_document(path, "scores")
    return _validate(JuryScores, document), document


def submission_files(folder: str | Path) -> list[Path]:
    """The submission files of a folder (``*.yaml``, ``*.yml``, ``*.json``), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("the solutions folder does not exist", file=str(folder))
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".yaml", ".yml", ".json"})
