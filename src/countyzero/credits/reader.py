"""Read a removal-project file (YAML or JSON) into a validated :class:`ProjectInput`."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from countyzero.core.errors import InputError
from countyzero.core.io import Document, read_document
from countyzero.credits.model import ProjectInput


def _validation_error(exc: ValidationError, path: str) -> InputError:
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"]]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    return InputError(message, file=path, field=".".join(loc) or None)


def read_project(path: str | Path) -> tuple[ProjectInput, Document]:
    """Read and validate a project file.

    Raises
    ------
    InputError
        Naming the file and the field (``project.area_ha``, ``parameters.carbon_fraction`` …) of the first problem.
    """
    document = read_document(path, "monitoring")
    try:
        return ProjectInput.model_validate(document.data), document
    except ValidationError as exc:
        raise _validation_error(exc, document.path) from None
