"""Result traces and provenance.

Every engine result carries

* line items — for each step: the quantity, the factor (id, value, unit, source), the arithmetic and the
  result — so that ``explain()`` can show a person how a number was made, line by line; and
* provenance — software version, factor-set version and digest, GWP set, SHA-256 of the input and a
  timestamp — so that the result can be reproduced and audited.

The JSON form (``to_dict``) is stable and documented in ``docs/trace.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from countyzero import __version__


@dataclass(frozen=True, slots=True)
class LineItem:
    """One step of a calculation: ``quantity [unit] × factor [unit] = result [unit]``."""

    line_id: str
    step: str
    quantity: float
    quantity_unit: str
    result: float
    result_unit: str
    factor_id: str | None = None
    factor_value: float | None = None
    factor_unit: str | None = None
    source: str | None = None
    note: str = ""
    scales: bool = True
    """Whether quantity and result are proportional to the line's quantity (False for per-unit steps)."""

    def scaled(self, line_id: str, by: float) -> LineItem:
        """The same step for a line ``by`` times as large (engines compute per unit, then scale)."""
        if not self.scales:
            return replace(self, line_id=line_id)
        return replace(self, line_id=line_id, quantity=self.quantity * by, result=self.result * by)

    @property
    def arithmetic(self) -> str:
        if self.factor_value is None:
            return f"{self.quantity:g} {self.quantity_unit} → {self.result:g} {self.result_unit}"
        return (f"{self.quantity:g} {self.quantity_unit} × {self.factor_value:g} {self.factor_unit} "
                f"= {self.result:g} {self.result_unit}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id, "step": self.step, "quantity": self.quantity,
            "quantity_unit": self.quantity_unit, "result": self.result, "result_unit": self.result_unit,
            "factor_id": self.factor_id, "factor_value": self.factor_value, "factor_unit": self.factor_unit,
            "source": self.source, "note": self.note, "arithmetic": self.arithmetic,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineItem:
        return cls(**{k: v for k, v in data.items() if k != "arithmetic"})


def sha256_of(data: bytes | str | Any) -> str:
    """SHA-256 of bytes, text, or (for anything else) its canonical JSON form."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, bytes):
        data = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """What a result was made from and with."""

    engine: str
    method: str
    factor_set_version: str
    factor_set_digest: str
    gwp_set: str
    input_sha256: str
    software_version: str = __version__
    timestamp: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    factor_overrides: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["factor_overrides"] = list(self.factor_overrides)
        return data


@dataclass
class Trace:
    """The line items of a result, in the order they were computed."""

    items: list[LineItem] = field(default_factory=list)

    def add(self, item: LineItem) -> None:
        self.items.append(item)

    def for_line(self, line_id: str) -> list[LineItem]:
        return [item for item in self.items if item.line_id == line_id]

    def explain(self, line_id: str | None = None) -> str:
        """The arithmetic as text a person can check, with each factor's source."""
        rows = []
        for item in self.items if line_id is None else self.for_line(line_id):
            text = f"[{item.line_id}] {item.step}: {item.arithmetic}"
            if item.factor_id:
                text += f"  ({item.factor_id}: {item.source})"
            if item.note:
                text += f"  — {item.note}"
            rows.append(text)
        return "\n".join(rows)

    def to_list(self) -> list[dict[str, Any]]:
        return [item.to_dict() for item in self.items]
