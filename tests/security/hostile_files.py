"""Hostile files for the security tests, built in memory: workbooks, zip bombs, mutations of the examples.

Nothing here is a test; the test modules import these builders.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "baoting"

# Fragments that break parsers in known ways: aliases and tags, brackets, numbers that are not finite or are
# too long, impossible dates, a byte-order mark, NUL, quotes and separators, formula starts.
TEXT_FRAGMENTS = ["\x00", "&a ", "*a", "*b", "!!python/object/apply:os.system ['true'] ",
                  "!!python/name:os.system ", "[" * 150, "{" * 150, "]", "}", ".nan", ".inf", "-.inf", "NaN",
                  "Infinity", "1e999", "9" * 5000, "2022-02-30", "\ufeff", "\r", "\t", '"', "'", ",", ";",
                  "\n", "\n- ", ": ", "? ", "<<: *a\n", "=cmd|' /C calc'!A0", "@SUM(1)", "+1", "-1", "\\u0000",
                  "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"), "\u202e", "0x1F", "~", "null",
                  "a.b.c", "\"id\": 1, \"id\": 2", "id: x\nid: y\n"]


def xlsx_bytes(rows: list[list[Any]], *, title: str = "rows", meta: list[list[Any]] | None = None) -> bytes:
    """A workbook with one sheet of ``rows`` (the first is the header) and optionally a ``meta`` sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if meta is not None:
        extra = book.create_sheet("meta")
        for row in meta:
            extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(workbook: bytes, replace: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The workbook with some members' content replaced (others copied as they are)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def sheet_xml(workbook: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(workbook)).read(SHEET).decode("utf-8")


def xlsx_zip_bomb(expanded_bytes: int = 64 * 1024 * 1024) -> bytes:
    """A valid small workbook whose sheet XML is padded with whitespace to ``expanded_bytes``: tiny compressed,
    huge uncompressed (deflate compresses runs of spaces about 1000 to 1)."""
    workbook = xlsx_bytes([["id", "quantity"], ["a", 1]])
    xml = sheet_xml(workbook).encode("utf-8")
    cut = xml.index(b"<sheetData>")
    padded = xml[:cut] + b" " * (expanded_bytes - len(xml)) + xml[cut:]
    return rezip(workbook, {SHEET: padded})


def lying_zip_member(workbook: bytes) -> bytes:
    """The workbook with its sheet padded by 2 MB but declared 1,000 bytes long, in both the local header and the
    central directory (a bomb that hides its size from the directory the readers measure)."""
    data = bytearray(rezip(workbook, {SHEET: sheet_xml(workbook).encode() + b" " * 2_000_000}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    real, declared = info.file_size.to_bytes(4, "little"), (1000).to_bytes(4, "little")
    local = info.header_offset  # local file header: uncompressed size at offset 22
    assert data[local + 22:local + 26] == real
    data[local + 22:local + 26] = declared
    entry = data.find(b"PK\x01\x02")  # central directory entries: size at 24, name length at 28, name at 46
    while entry != -1:
        length = int.from_bytes(data[entry + 28:entry + 30], "little")
        if bytes(data[entry + 46:entry + 46 + length]) == SHEET.encode():
            assert data[entry + 24:entry + 28] == real
            data[entry + 24:entry + 28] = declared
        entry = data.find(b"PK\x01\x02", entry + 4)
    return bytes(data)


@st.composite
def mutated(draw: st.DrawFn, original: bytes, fragments: list[str] | None = None) -> bytes:
    """``original`` with a few random edits: bytes flipped, hostile fragments inserted, slices cut or doubled."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "cut", "double", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            fragment = draw(st.sampled_from(fragments or TEXT_FRAGMENTS))
            data[at:at] = fragment.encode("utf-8", "surrogatepass")
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "double":
            data[at:at] = data[at:at + draw(st.integers(1, 256))]
        else:
            del data[at:]
    return bytes(data)
