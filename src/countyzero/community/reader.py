"""Read a community file (YAML/JSON; or CSV/XLSX with one household per row) and summarise it."""

from __future__ import annotations

from pathlib import Path

from countyzero.community.engine import summary
from countyzero.community.model import CommunityInput, CommunitySummary
from countyzero.core.errors import InputError
from countyzero.core.io import located, read_model
from countyzero.factors.library import FactorLibrary

ROWS = "households"


def read_community(path: str | Path) -> CommunityInput:
    """Read and validate a community file; errors name file, row and field."""
    return read_model(path, CommunityInput, ROWS)[0]


def summary_file(path: str | Path, *, library: FactorLibrary | None = None) -> CommunitySummary:
    """Read, validate and summarise a community file (see :func:`countyzero.community.summary`)."""
    data, document = read_model(path, CommunityInput, ROWS)
    try:
        return summary(data, library=library, input_digest=document.sha256)
    except InputError as exc:
        raise located(exc, document, [h.id for h in data.households]) from None
