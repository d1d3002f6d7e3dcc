"""Read a bill of quantities (YAML, JSON, CSV, XLSX) into a validated :class:`BOQInput`.

Tabular files hold one BOQ line per row (dotted columns for nested fields: ``factor.a1a3``,
``transport.distance_km``); building, method and operation come from ``# key: value`` comment lines of a CSV
(``# building: {name: Clinic, gross_floor_area_m2: 1200}``) or from the ``meta`` sheet of a workbook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from countyzero.buildings.engine import assess_building
from countyzero.buildings.model import BOQInput, BuildingResult
from countyzero.core.bulk import bulk_allocation
from countyzero.core.errors import InputError
from countyzero.core.io import Document, located, read_document, validation_error
from countyzero.factors.library import FactorLibrary

ROWS = "items"


def read_boq(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[BOQInput, Document]:
    """Read and validate a BOQ file; ``overrides`` replace top-level fields (e.g. ``method``).

    Raises
    ------
    InputError
        Naming the file, row (line number in a table, else the item id) and field.
    """
    document = read_document(path, ROWS)
    data = dict(document.data)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        with bulk_allocation():
            return BOQInput.model_validate(data), document
    except ValidationError as exc:
        raise validation_error(exc, document) from None


def locate(exc: InputError, data: BOQInput, document: Document) -> InputError:
    """The engine's error (naming an item id) with the file and, for tables, the row number."""
    return located(exc, document, [item.id for item in data.items])


def assess_file(path: str | Path, *, overrides: dict[str, Any] | None = None, library: FactorLibrary | None = None,
                monte_carlo: int = 0) -> BuildingResult:
    """Read, validate and assess a BOQ file (errors name file, row or item, and field)."""
    data, document = read_boq(path, overrides)
    try:
        return assess_building(data, library=library, input_digest=document.sha256, monte_carlo=monte_carlo)
    except InputError as exc:
        raise locate(exc, data, document) from None
