"""Readers for input files: YAML, JSON, CSV and XLSX, into one plain structure.

A document is a mapping of metadata plus a list of rows. YAML and JSON files are read as they are.
Tabular files (CSV, XLSX) have one row per record, with dotted column names for nested fields
(``electricity.grid``); metadata comes from ``# key: value`` comment lines at the top of a CSV file, or
from a sheet named ``meta`` (two columns: key, value) of a workbook. Every row remembers its row number
in the file, so errors can name it.

Every reader either returns the whole document or raises :class:`InputError` naming the file and,
where it can, the row and field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of

ModelT = TypeVar("ModelT", bound=BaseModel)
TABULAR = {".csv", ".xlsx"}
SUPPORTED = {".yaml", ".yml", ".json", ".csv", ".xlsx"}


@dataclass
class Document:
    """A file read into metadata and rows."""

    path: str
    data: dict[str, Any]
    rows_key: str
    row_numbers: list[int | None] = field(default_factory=list)
    sha256: str = ""

    def row_label(self, index: int) -> str | int:
        """How errors name row ``index``: its row number in a tabular file, else its id (or position)."""
        if index < len(self.row_numbers) and self.row_numbers[index] is not None:
            return self.row_numbers[index]  # type: ignore[return-value]
        rows = self.data.get(self.rows_key)
        if isinstance(rows, list) and index < len(rows) and isinstance(rows[index], dict) \
                and rows[index].get("id"):
            return str(rows[index]["id"])
        return f"#{index + 1}"


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise InputError(f"column {key!r} conflicts with column {part!r}", field=key)
    node[parts[-1]] = value


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return text if text != "" else None
    return value


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        value = _cell(value)
        if key is None or value is None:
            continue
        _set_dotted(nested, str(key).strip(), value)
    return nested


def _meta_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _read_csv(text: str, path: str, rows_key: str) -> Document:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    meta: dict[str, Any] = {}
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 - start is used after the loop
        stripped = line.strip()
        if stripped.startswith("#"):
            body = stripped.lstrip("#").strip()
            if ":" in body:
                key, _, value = body.partition(":")
                _set_dotted(meta, key.strip(), _meta_value(value.strip()))
            continue
        if stripped:
            break
    else:
        start = len(lines)
    reader = csv.DictReader(io.StringIO("".join(lines[start:])))
    rows: list[dict[str, Any]] = []
    numbers: list[int | None] = []
    try:
        for raw in reader:
            if None in raw:
                raise InputError("more values than columns", file=path, row=start + reader.line_num)
            if all(_cell(v) is None for v in raw.values()):
                continue
            rows.append(_nest(raw))
            numbers.append(start + reader.line_num)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=path, row=start + reader.line_num) from None
    meta[rows_key] = rows
    return Document(path, meta, rows_key, numbers)


def _read_xlsx(content: bytes, path: str, rows_key: str) -> Document:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=path) from None
    try:
        meta: dict[str, Any] = {}
        if "meta" in book.sheetnames:
            for row in book["meta"].iter_rows(values_only=True):
                if row and row[0] is not None and len(row) > 1:
                    _set_dotted(meta, str(row[0]).strip(), _cell(row[1]))
        sheet = book[rows_key] if rows_key in book.sheetnames else book[book.sheetnames[0]]
        rows: list[dict[str, Any]] = []
        numbers: list[int | None] = []
        header: list[Any] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is None:
                header = [str(v).strip() if v is not None else None for v in values]
                continue
            if all(_cell(v) is None for v in values):
                continue
            rows.append(_nest(dict(zip(header, values, strict=False))))
            numbers.append(number)
        meta[rows_key] = rows
        return Document(path, meta, rows_key, numbers)
    finally:
        book.close()


def read_document(path: str | Path, rows_key: str) -> Document:
    """Read a YAML, JSON, CSV or XLSX file whose records are listed under ``rows_key``.

    Raises
    ------
    InputError
        If the file cannot be read, has an unsupported suffix, or is malformed.
    """
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"unsupported file type {suffix or '(none)'}; use one of "
                         + ", ".join(sorted(SUPPORTED)), file=name)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=name) from None
    if suffix == ".xlsx":
        document = _read_xlsx(content, name, rows_key)
    else:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})", file=name) from None
        if suffix == ".csv":
            document = _read_csv(text, name, rows_key)
        else:
            document = Document(name, _parse_tree(text, name, suffix), rows_key)
    document.sha256 = sha256_of(content)
    return document


def _parse_tree(text: str, name: str, suffix: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", file=name, row=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", file=name,
                         row=mark.line + 1 if mark is not None else None) from None
    if not isinstance(data, dict):
        raise InputError("the file must hold a mapping (key: value) at the top level", file=name)
    return data


def write_files(files: Mapping[Path, str | bytes]) -> None:
    """Write text (UTF-8) and binary files all-or-nothing as far as a file system allows.

    Every file is first written in full beside its target (``.NAME.tmp``); only when all are written are
    they moved over their targets (an atomic rename each). A failure while writing leaves every target as it
    was and removes the temporary files.
    """
    temporary: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
            temporary.append((tmp, target))
    except OSError as exc:
        for tmp, _ in temporary:
            tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror or exc}", file=str(exc.filename or "")) from None
    for tmp, target in temporary:
        tmp.replace(target)


def validation_error(exc: ValidationError, document: Document) -> InputError:
    """The first pydantic error of a document as an :class:`InputError` naming file, row and field.

    The row is the record's row number in a tabular file, else its id (or position); a problem inside another
    list of the document is named by that list and position (``operation #2``).
    """
    error = exc.errors()[0]
    loc = list(error["loc"])
    row: str | int | None = None
    if len(loc) >= 2 and loc[0] == document.rows_key and isinstance(loc[1], int):
        row = document.row_label(loc[1])
        loc = loc[2:]
    elif len(loc) >= 2 and isinstance(loc[1], int):
        row = f"{loc[0]} #{loc[1] + 1}"
        loc = loc[2:]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    return InputError(message, file=document.path, row=row, field=".".join(str(p) for p in loc) or None)


def read_model(path: str | Path, model: type[ModelT], rows_key: str,
               overrides: dict[str, Any] | None = None) -> tuple[ModelT, Document]:
    """Read a file whose records are listed under ``rows_key`` and validate it as ``model``.

    ``overrides`` replace top-level fields (None values are ignored). Validation runs with the cyclic garbage
    collector paused (:func:`countyzero.core.bulk.bulk_allocation`), as files may hold 10⁵ records.

    Raises
    ------
    InputError
        Naming file, row and field of the first problem.
    """
    from countyzero.core.bulk import bulk_allocation

    document = read_document(path, rows_key)
    data = dict(document.data)
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        with bulk_allocation():
            return model.model_validate(data), document
    except ValidationError as exc:
        raise validation_error(exc, document) from None


def located(exc: InputError, document: Document, ids: list[str]) -> InputError:
    """An engine error (which names a record id) re-stated with the file and, in a table, the row number."""
    row = exc.row
    if isinstance(row, str) and row in ids and document.row_numbers:
        row = document.row_label(ids.index(row))
    return InputError(exc.message, file=document.path, row=row, field=exc.field)
