"""Readers for input files: YAML, JSON, CSV and XLSX, into one plain structure.

A document is a mapping of metadata plus a list of rows. YAML and JSON files are read as they are.
Tabular files (CSV, XLSX) have one row per record, with dotted column names for nested fields
(``electricity.grid``); metadata comes from ``# key: value`` comment lines at the top of a CSV file, or
from a sheet named ``meta`` (two columns: key, value) of a workbook. Every row remembers its row number
in the file, so errors can name it.

Every reader either returns the whole document or raises :class:`InputError` naming the file and,
where it can, the row and field. Hostile files are refused the same way, within the limits of
:class:`countyzero.core.limits.InputLimits`: YAML is loaded safely (no ``!!python`` tags) with a budget for alias
expansion ("billion laughs") and nesting; an XLSX file's zip members are measured before the workbook is parsed
(zip bombs); formulas are never evaluated (a workbook gives the values its spreadsheet program saved); text is
UTF-8 (a byte-order mark is allowed); duplicate keys and columns, NUL characters and numbers that are not finite
(NaN, infinity) are refused.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from countyzero.core.errors import InputError
from countyzero.core.limits import InputLimits, input_limits
from countyzero.core.trace import sha256_of

INPUT_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)
"""The configuration of every engine's input models: unknown fields are errors, text is stripped, and a number
must be finite ("inf" or "nan" in a file is an error on its field, never a value)."""

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


def _nest(flat: Mapping[Any, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        value = _cell(value)
        if key is None or value is None:
            continue
        _set_dotted(nested, str(key).strip(), value)
    return nested


def _header(names: list[Any], path: str, row: int) -> list[str | None]:
    """Column names of a table's header row; a name given twice is refused (one would silently be lost)."""
    header = [str(v).strip() if v is not None else None for v in names]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:  # unnamed columns (a trailing comma) may repeat
            raise InputError("column given twice in the header", file=path, row=row, field=name)
        if name:
            seen.add(name)
    return header


# YAML ---------------------------------------------------------------------------------------------------------
MERGE_TAG = "tag:yaml.org,2002:merge"


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader (standard tags only) that refuses alias bombs, deep nesting and duplicate keys.

    Each composed node records its expanded size (``_cz_size``: itself plus its children, an alias counting the
    whole node it refers to), so the nodes aliases add are counted before anything is constructed.
    """

    def __init__(self, text: str, limits: InputLimits) -> None:
        super().__init__(text)
        self.limits = limits
        self.depth = 0
        self.alias_nodes = 0

    def _line(self) -> int:
        return int(self.peek_event().start_mark.line) + 1

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            line = self._line()
            node = super().compose_node(parent, index)
            size = getattr(node, "_cz_size", None)
            if size is None:
                raise InputError("an alias refers to a node that contains it (recursive alias)", row=line)
            self.alias_nodes += size
            if self.alias_nodes > self.limits.yaml_alias_nodes:
                raise InputError(f"aliases expand to more than {self.limits.yaml_alias_nodes} nodes (refused as "
                                 "a possible alias bomb; limit COUNTYZERO_MAX_YAML_ALIAS_NODES)", row=line)
            return node
        self.depth += 1
        if self.depth > self.limits.nesting_depth:
            raise InputError(f"nested more than {self.limits.nesting_depth} levels deep "
                             "(limit COUNTYZERO_MAX_NESTING_DEPTH)", row=self._line())
        node = super().compose_node(parent, index)
        self.depth -= 1
        if node is None:
            return None
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(child._cz_size for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(key._cz_size + value._cz_size for key, value in node.value)
        node._cz_size = size  # type: ignore[attr-defined]
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != MERGE_TAG:
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise InputError("key given twice in one mapping", row=key_node.start_mark.line + 1,
                                     field=key_node.value)
                seen.add(key)
        return super().construct_mapping(node, deep)


def _reason(exc: Exception) -> str:
    """A parser's message without advice meant for programmers (``use sys.set_int_max_str_digits() …``)."""
    return str(exc).split("; use ")[0]


def _load_yaml(text: str, limits: InputLimits) -> Any:
    """Safe YAML within ``limits``; a problem raises :class:`InputError` with the line (no file yet)."""
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, limits)  # its reader already refuses control characters
        return loader.get_single_data()
    except InputError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(f"malformed YAML: {exc.problem or exc.context or 'syntax error'}",
                         row=mark.line + 1 if mark is not None else None) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {getattr(exc, 'reason', None) or exc}") from None
    except (ValueError, OverflowError) as exc:  # a constructor's: a date like 2022-02-30, an int of 5,000 digits
        raise InputError(f"malformed YAML: {_reason(exc)}") from None
    finally:
        if loader is not None:
            loader.dispose()


# JSON ---------------------------------------------------------------------------------------------------------
def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InputError("key given twice in one object", field=key)
            seen.add(key)
    return mapping


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", row=exc.lineno) from None
    except InputError:
        raise
    except RecursionError:
        raise InputError("nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(f"malformed JSON: {_reason(exc)}") from None


def _parse_tree(text: str, name: str, suffix: str, limits: InputLimits) -> dict[str, Any]:
    try:
        data = _load_json(text) if suffix == ".json" else _load_yaml(text, limits)
    except InputError as exc:
        raise exc.located(file=name) from None
    if not isinstance(data, dict):
        raise InputError("the file must hold a mapping (key: value) at the top level", file=name)
    return data


KEY_TYPES = (str, int, float, bool, type(None))  # the keys JSON can write (a YAML date cannot be one)


def _check_values(document: Document, limits: InputLimits) -> None:
    """Refuse nesting deeper than the limit, numbers that are not finite, text with NUL characters, and keys
    (YAML dates, say) that no JSON result could hold.

    NaN and infinity pass most validators (``gt=0`` lets infinity through) and break JSON results; a NUL cannot be
    stored in a PostgreSQL text or JSON column.
    """

    def refuse(message: str, where: tuple[Any, ...]) -> InputError:
        row: str | int | None = None
        if len(where) >= 2 and where[0] == document.rows_key and isinstance(where[1], int):
            row, where = document.row_label(where[1]), where[2:]
        name = ".".join(map(str, where[:6])) + (".…" if len(where) > 6 else "")
        return InputError(message, file=document.path, row=row, field=name or None)

    stack: list[tuple[Any, tuple[Any, ...]]] = [(document.data, ())]
    while stack:
        node, where = stack.pop()
        if len(where) >= limits.nesting_depth:
            raise refuse(f"nested more than {limits.nesting_depth} levels deep (limit COUNTYZERO_MAX_NESTING_DEPTH)",
                         where)
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(key, str):
                if "\x00" in key:
                    raise refuse("a key contains a NUL character", where)
            elif not isinstance(key, KEY_TYPES):
                raise refuse(f"a key must be text or a number, not {type(key).__name__} {key!r}", where)
            if isinstance(value, dict | list):
                stack.append((value, (*where, key)))
            elif isinstance(value, float) and not math.isfinite(value):
                raise refuse(f"{value} is not a number that can be used (NaN or infinite)", (*where, key))
            elif isinstance(value, str) and "\x00" in value:
                raise refuse("text contains a NUL character", (*where, key))


# CSV ----------------------------------------------------------------------------------------------------------
def _read_csv(text: str, path: str, rows_key: str, limits: InputLimits) -> Document:
    lines = text.splitlines(keepends=True)
    meta: dict[str, Any] = {}
    start = 0
    for start, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#"):
            body = stripped.lstrip("#").strip()
            if ":" in body:
                key, _, value = body.partition(":")
                try:
                    _set_dotted(meta, key.strip(), _meta_value(value.strip(), limits))
                except InputError as exc:
                    raise InputError(exc.message, file=path, row=start + 1, field=key.strip()) from None
            continue
        if stripped:
            break
    else:
        start = len(lines)
    reader = csv.DictReader(io.StringIO("".join(lines[start:])))
    rows: list[dict[str, Any]] = []
    numbers: list[int | None] = []
    try:
        if reader.fieldnames is not None:
            reader.fieldnames = _header(list(reader.fieldnames), path, start + reader.line_num)  # type: ignore[assignment]
        for raw in reader:
            if None in raw:
                raise InputError("more values than columns", file=path, row=start + reader.line_num)
            if all(_cell(v) is None for v in raw.values()):
                continue
            rows.append(_nest(raw))
            numbers.append(start + reader.line_num)
    except csv.Error as exc:  # the DictReader's line_num is the last good row's; its reader's is the bad one's
        raise InputError(f"malformed CSV: {exc}", file=path, row=start + reader.reader.line_num) from None
    except InputError as exc:
        raise InputError(exc.message, file=path, row=exc.row or start + reader.line_num, field=exc.field) from None
    meta[rows_key] = rows
    return Document(path, meta, rows_key, numbers)


def _meta_value(text: str, limits: InputLimits) -> Any:
    try:
        return _load_yaml(text, limits)
    except InputError:
        return text


# XLSX ---------------------------------------------------------------------------------------------------------
def _check_xlsx_archive(content: bytes, path: str, limits: InputLimits) -> None:
    """Refuse a file that is not a zip archive with an XLSX's parts, or that would expand too far (zip bomb).

    The sizes are those the archive declares; Python's zipfile never inflates a member beyond its declared size
    (it fails the CRC instead), so the declared sum bounds what the workbook reader can be made to read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputError("not a readable XLSX workbook (not a zip archive)", file=path) from None
    if not any(m.filename == "[Content_Types].xml" for m in members):
        raise InputError("a zip archive but not an XLSX workbook (no [Content_Types].xml)", file=path)
    expanded = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members)
    if expanded > limits.xlsx_uncompressed_bytes:
        raise InputError(f"the workbook expands to {expanded:,} bytes, more than the limit of "
                         f"{limits.xlsx_uncompressed_bytes:,} (COUNTYZERO_MAX_XLSX_UNCOMPRESSED_BYTES); "
                         "refused as a possible zip bomb", file=path)
    if expanded > limits.xlsx_compression_ratio * max(compressed, 1):
        raise InputError(f"the workbook is compressed {expanded / max(compressed, 1):,.0f} to 1, more than the "
                         f"limit of {limits.xlsx_compression_ratio:g} (COUNTYZERO_MAX_XLSX_COMPRESSION_RATIO); "
                         "refused as a possible zip bomb", file=path)


def _read_xlsx(content: bytes, path: str, rows_key: str, limits: InputLimits) -> Document:
    from openpyxl import load_workbook

    _check_xlsx_archive(content, path, limits)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=path) from None
    try:
        return _read_sheets(book, path, rows_key, limits)
    except InputError as exc:
        raise exc.located(file=path) from None
    except Exception as exc:  # the sheets' XML is parsed only now, while the rows are read
        raise InputError(f"not a readable XLSX workbook ({type(exc).__name__})", file=path) from None
    finally:
        book.close()


def _read_sheets(book: Any, path: str, rows_key: str, limits: InputLimits) -> Document:
    """Metadata (sheet ``meta``) and rows (sheet ``rows_key``, else the first) of an open read-only workbook.

    Only the header's columns are read, so a stray cell far to the right cannot make every row 16,384 wide.
    """
    meta: dict[str, Any] = {}
    if "meta" in book.sheetnames:
        for number, row in enumerate(book["meta"].iter_rows(max_col=2, values_only=True), start=1):
            if row and row[0] is not None and len(row) > 1:
                try:
                    _set_dotted(meta, str(row[0]).strip(), _cell(row[1]))
                except InputError as exc:
                    raise InputError(exc.message, row=f"meta!{number}", field=exc.field) from None
    sheet = book[rows_key] if rows_key in book.sheetnames else book.worksheets[0]
    first = next(sheet.iter_rows(max_row=1, values_only=True), ())  # one row: at most 16,384 cells
    names = list(first)
    while names and names[-1] is None:
        names.pop()
    if len(names) > limits.xlsx_columns:
        raise InputError(f"the header has more than {limits.xlsx_columns} columns "
                         "(limit COUNTYZERO_MAX_XLSX_COLUMNS)", row=1)
    header = _header(names, path, 1)
    rows: list[dict[str, Any]] = []
    numbers: list[int | None] = []
    if header:
        for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=len(header), values_only=True),
                                        start=2):
            if values.count(None) == len(values) or all(_cell(v) is None for v in values):
                continue
            try:
                rows.append(_nest(dict(zip(header, values, strict=False))))
            except InputError as exc:
                raise InputError(exc.message, row=number, field=exc.field) from None
            numbers.append(number)
    meta[rows_key] = rows
    return Document(path, meta, rows_key, numbers)


# any file -----------------------------------------------------------------------------------------------------
def read_document(path: str | Path, rows_key: str, *, limits: InputLimits | None = None) -> Document:
    """Read a YAML, JSON, CSV or XLSX file whose records are listed under ``rows_key``.

    Raises
    ------
    InputError
        If the file cannot be read, has an unsupported suffix, is malformed or exceeds ``limits``
        (default: :func:`countyzero.core.limits.input_limits`).
    """
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED:
        return read_bytes(str(path), b"", rows_key, limits=limits)  # refuses the suffix
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    return read_bytes(str(path), content, rows_key, limits=limits)


def read_bytes(name: str, content: bytes, rows_key: str, *, limits: InputLimits | None = None) -> Document:
    """A document from the bytes of a file called ``name`` (its suffix chooses the reader), e.g. an upload.

    Raises
    ------
    InputError
        As :func:`read_document`, naming ``name``.
    """
    limits = limits or input_limits()
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(f"unsupported file type {suffix or '(none)'}; use one of "
                         + ", ".join(sorted(SUPPORTED)), file=name)
    if suffix == ".xlsx":
        document = _read_xlsx(content, name, rows_key, limits)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})", file=name) from None
        if "\x00" in text:
            raise InputError("text contains a NUL character (is it a binary file?)", file=name,
                             row=text.count("\n", 0, text.index("\x00")) + 1)
        if suffix == ".csv":
            document = _read_csv(text, name, rows_key, limits)
        else:
            document = Document(name, _parse_tree(text, name, suffix, limits), rows_key)
    _check_values(document, limits)
    document.sha256 = sha256_of(content)
    return document


# writing ------------------------------------------------------------------------------------------------------
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP "CSV injection": what a spreadsheet may run as a formula


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet shows as it is, never runs: text that starts like a formula (``=``, ``+``, ``-``,
    ``@``, tab, carriage return) gets a leading single quote. Numbers, booleans and empty cells are unchanged, so
    ``-5.2`` written from a float stays a number while the text ``-cmd|…`` is neutralised. Every CSV and XLSX
    file the software writes passes its cells through here (:func:`csv_text`, the XLSX exports).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, float_format: str | None = None,
             bom: bool = False) -> str:
    """CSV text (``\\n`` line ends) with every header name and cell through :func:`neutralise`.

    ``float_format`` (e.g. ``"{:.10g}"``) formats floats after neutralising; ``bom`` starts the text with a
    byte-order mark, so spreadsheet programs read it as UTF-8.
    """
    lines = _Lines()
    # "\r\n" makes the writer quote a cell holding a lone carriage return, which spreadsheets take for a line
    # break (a hidden new row could start with a formula); each row then ends with "\n" as before.
    writer = csv.writer(lines, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    for row in rows:
        writer.writerow([float_format.format(value) if float_format and isinstance(value, float)
                         else neutralise(value) for value in row])
    return ("\ufeff" if bom else "") + "".join(lines)


class _Lines(list[str]):
    """A file for :func:`csv.writer` that keeps each written row, its "\r\n" ending made "\n"."""

    def write(self, row: str) -> None:
        self.append(row.removesuffix("\r\n") + "\n")


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
