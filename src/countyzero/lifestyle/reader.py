"""Read lifestyle, label, community and farm files (YAML, JSON, CSV, XLSX) into validated models.

Errors name the file, the row (its number in a tabular file, else its id) and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from countyzero.core.errors import InputError
from countyzero.core.io import Document, read_document

ModelT = TypeVar("ModelT", bound=BaseModel)


def validation_error(exc: ValidationError, document: Document) -> InputError:
    """The first pydantic error as an :class:`InputError` naming file, row and field."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    row: str | int | None = None
    if len(loc) >= 2 and loc[0] == document.rows_key and isinstance(loc[1], int):
        row = document.row_label(loc[1])
        loc = loc[2:]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    return InputError(message, file=document.path, row=row, field=".".join(str(p) for p in loc) or None)


def read_model(path: str | Path, model: type[ModelT], rows_key: str,
               overrides: dict[str, Any] | None = None) -> tuple[ModelT, Document]:
    """Read a file whose records are listed under ``rows_key`` and validate it as ``model``.

    Raises
    ------
    InputError
        Naming file, row and field of the first problem.
    """
    document = read_document(path, rows_key)
    data = dict(document.data)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return model.model_validate(data), document
    except ValidationError as exc:
        raise validation_error(exc, document) from None


def located(exc: InputError, document: Document, ids: list[str]) -> InputError:
    """An engine error (which names a line id) re-stated with the file and, for tabular files, the row number."""
    row = exc.row
    if isinstance(row, str) and row in ids and document.row_numbers:
        row = document.row_label(ids.index(row))
    return InputError(exc.message, file=document.path, row=row, field=exc.field)
