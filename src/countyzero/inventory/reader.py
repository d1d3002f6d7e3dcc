"""Read an inventory file (YAML, JSON, CSV, XLSX) into a validated :class:`InventoryInput`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from countyzero.core.bulk import bulk_allocation
from countyzero.core.errors import InputError
from countyzero.core.io import Document, read_document, validation_error
from countyzero.factors.library import FactorLibrary
from countyzero.inventory.engine import compute_inventory
from countyzero.inventory.model import InventoryInput, InventoryResult

ROWS = "activities"


def read_inventory(path: str | Path, overrides: dict[str, Any] | None = None) -> tuple[InventoryInput, Document]:
    """Read and validate an inventory file; ``overrides`` replace top-level fields (e.g. ``gwp``)."""
    document = read_document(path, ROWS)
    data = dict(document.data)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        with bulk_allocation():
            return InventoryInput.model_validate(data), document
    except ValidationError as exc:
        raise validation_error(exc, document) from None


def compute_inventory_file(path: str | Path, *, overrides: dict[str, Any] | None = None,
                           library: FactorLibrary | None = None,
                           uncertainty_draws: int = 0) -> InventoryResult:
    """Read, validate and compute an inventory file; errors name the file, row (or line id) and field."""
    data, document = read_inventory(path, overrides)
    try:
        return compute_inventory(data, library=library, input_digest=document.sha256,
                                 uncertainty_draws=uncertainty_draws)
    except InputError as exc:
        row = exc.row
        if isinstance(row, str) and document.row_numbers:
            ids = [a.id for a in data.activities]
            if row in ids:
                row = document.row_label(ids.index(row))
        raise InputError(exc.message, file=document.path, row=row, field=exc.field) from None
