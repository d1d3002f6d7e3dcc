"""Read a farm file (YAML/JSON; or CSV/XLSX with one field per row) and assess it."""

from __future__ import annotations

from pathlib import Path

from countyzero.agrifood.engine import assess_farm
from countyzero.agrifood.model import FarmInput, FarmResult
from countyzero.core.errors import InputError
from countyzero.core.io import located, read_model
from countyzero.factors.library import FactorLibrary

ROWS = "fields"


def read_farm(path: str | Path) -> FarmInput:
    """Read and validate a farm file; errors name file, row and field."""
    return read_model(path, FarmInput, ROWS)[0]


def assess_farm_file(path: str | Path, *, library: FactorLibrary | None = None) -> FarmResult:
    """Read, validate and assess a farm file (see :func:`countyzero.agrifood.assess_farm`)."""
    farm, document = read_model(path, FarmInput, ROWS)
    try:
        return assess_farm(farm, library=library, input_digest=document.sha256)
    except InputError as exc:
        raise located(exc, document, [f.id for f in farm.fields]) from None
