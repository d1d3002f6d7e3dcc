"""Read a project file (YAML/JSON) into a validated :class:`ProjectFile`; errors name file and field."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from countyzero.core.errors import InputError
from countyzero.core.io import Document, read_document
from countyzero.finance.model import ProjectFile


def read_project(path: str | Path) -> tuple[ProjectFile, Document]:
    """Read and validate a project file.

    Raises
    ------
    InputError
        Naming the file and the field (e.g. ``evidence.power_density_w_per_m2.sha256``).
    """
    document = read_document(path, "rows")
    data = {k: v for k, v in document.data.items() if k != "rows"}
    try:
        return ProjectFile.model_validate(data), document
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        message = "required field is missing" if error["type"] == "missing" else \
            error["msg"].removeprefix("Value error, ")
        raise InputError(message, file=document.path, field=field) from None
