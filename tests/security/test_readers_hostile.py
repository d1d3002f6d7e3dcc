"""Hostile input to the file readers (``countyzero.core.io``): every file gives a document or an InputError naming
the file (and the row and field where there is one) — never another exception, never a hang.

Named attacks first (each asserts the specific refusal), then hypothesis properties over random and mutated bytes
of the example files, and a round trip: any finite, NUL-free tree written as YAML or JSON reads back unchanged.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyzero.core.errors import InputError
from countyzero.core.io import Document, read_bytes, read_document
from countyzero.core.limits import InputLimits, input_limits
from tests.security.hostile_files import (
    EXAMPLES,
    SHEET,
    lying_zip_member,
    mutated,
    rezip,
    sheet_xml,
    xlsx_bytes,
    xlsx_zip_bomb,
)

HYPOTHESIS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refused(name: str, content: bytes, rows_key: str = "rows", limits: InputLimits | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        read_bytes(name, content, rows_key, limits=limits)
    assert caught.value.file == name, caught.value
    return caught.value


def read_or_refuse(name: str, content: bytes, rows_key: str = "rows") -> Document | InputError:
    """The property every reader keeps: a document, or an InputError that names the file."""
    try:
        return read_bytes(name, content, rows_key)
    except InputError as exc:
        assert exc.file == name, f"error does not name the file: {exc}"
        assert exc.message, "error without a message"
        return exc


# YAML ---------------------------------------------------------------------------------------------------------
BILLION_LAUGHS = "\n".join(
    ['lol0: &lol0 "lol"']
    + [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 10)}]" for i in range(1, 10)]
    + ["rows: [*lol9]"]).encode()


def test_yaml_billion_laughs_is_refused_before_it_expands() -> None:
    error = refused("bomb.yaml", BILLION_LAUGHS)
    assert "alias" in error.message and "COUNTYZERO_MAX_YAML_ALIAS_NODES" in error.message
    assert isinstance(error.row, int)  # the line where the budget ran out


def test_yaml_aliases_within_the_budget_still_work() -> None:
    text = b"defaults: &d {unit: t, year: 2022}\nrows:\n- {<<: *d, id: a}\n- {<<: *d, id: b, year: 2023}\n"
    document = read_bytes("anchors.yaml", text, "rows")
    assert document.data["rows"] == [{"unit": "t", "year": 2022, "id": "a"}, {"unit": "t", "year": 2023, "id": "b"}]
    small = InputLimits(yaml_alias_nodes=3)
    assert "alias" in refused("anchors.yaml", text, limits=small).message


def test_yaml_recursive_alias_is_refused() -> None:
    assert "recursive alias" in refused("loop.yaml", b"a: &a [1, *a]\n").message


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
def test_deep_nesting_is_refused_without_recursion_error(name: str) -> None:
    for depth in (150, 100_000):
        error = refused(name, b'{"a": ' + b"[" * depth + b"]" * depth + b"}")
        assert "nested" in error.message


def test_nesting_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    text = b"a: [[[[1]]]]\n"
    assert read_bytes("ok.yaml", text, "rows").data["a"] == [[[[1]]]]
    monkeypatch.setenv("COUNTYZERO_MAX_NESTING_DEPTH", "3")
    assert input_limits().nesting_depth == 3
    assert "COUNTYZERO_MAX_NESTING_DEPTH" in refused("ok.yaml", text).message


@pytest.mark.parametrize(("name", "content", "field"), [
    ("nan.json", b'{"rows": [{"id": "x", "quantity": NaN}]}', "quantity"),
    ("inf.json", b'{"rows": [{"id": "x", "quantity": 1e999}]}', "quantity"),
    ("inf.json", b'{"rows": [{"id": "x", "quantity": -Infinity}]}', "quantity"),
    ("nan.yaml", b"rows:\n- id: x\n  quantity: .nan\n", "quantity"),
    ("inf.yaml", b"rows:\n- id: x\n  quantity: -.inf\n", "quantity"),
    ("top.yaml", b"price: .inf\nrows: []\n", "price"),
])
def test_numbers_that_are_not_finite_are_refused_naming_row_and_field(name: str, content: bytes, field: str) -> None:
    error = refused(name, content)
    assert error.field == field and "finite" in error.message
    assert error.row == ("x" if content.count(b"id") else None)


@pytest.mark.parametrize(("name", "content"), [
    ("big.json", b'{"a": ' + b"9" * 5000 + b"}"),
    ("big.yaml", b"a: " + b"9" * 5000 + b"\n"),
    ("date.yaml", b"a: 2022-02-30\n"),
    ("datekey.yaml", b"2022-01-01: x\n"),
])
def test_numbers_and_dates_that_cannot_be_built_are_refused(name: str, content: bytes) -> None:
    error = refused(name, content)
    assert "set_int_max_str_digits" not in error.message  # no advice for programmers


def test_huge_but_readable_integers_are_read() -> None:
    assert read_bytes("big.json", b'{"a": ' + b"9" * 4000 + b"}", "rows").data["a"] == int("9" * 4000)


@pytest.mark.parametrize(("name", "content", "field", "row"), [
    ("dup.yaml", b"county: A\nyear: 2022\ncounty: B\n", "county", 3),
    ("dup.json", b'{"county": "A", "year": 2022, "county": "B"}', "county", None),
    ("dup.yaml", b"rows:\n- {id: a, quantity: 1, quantity: 2}\n", "quantity", 2),
])
def test_duplicate_keys_are_refused(name: str, content: bytes, field: str, row: int | None) -> None:
    error = refused(name, content)
    assert error.field == field and "twice" in error.message and error.row == row


def test_yaml_merge_keys_are_not_duplicates() -> None:
    document = read_bytes("merge.yaml", b"base: &b {a: 1, b: 2}\nc: {<<: *b, a: 3}\n", "rows")
    assert document.data["c"] == {"a": 3, "b": 2}


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.mkdir", "!!python/object/new:os.mkdir",
                                 "!!python/name:os.mkdir", "!!python/module:os"])
def test_python_tags_never_construct(tmp_path: Path, tag: str) -> None:
    target = tmp_path / "made-by-yaml"
    content = f"a: {tag} [{json.dumps(str(target))}]\n".encode()
    error = refused("tag.yaml", content)
    assert "constructor" in error.message and error.row == 1
    assert not target.exists()


def test_byte_order_mark_is_accepted_and_other_encodings_refused() -> None:
    assert read_bytes("bom.json", b'\xef\xbb\xbf{"a": 1}', "rows").data == {"a": 1}
    assert read_bytes("bom.yaml", "\ufeffa: 保亭\n".encode(), "rows").data == {"a": "保亭"}
    assert read_bytes("bom.csv", "\ufeffid,name\nx,保亭\n".encode(), "rows").data["rows"] == [{"id": "x",
                                                                                                "name": "保亭"}]
    assert "UTF-8" in refused("utf16.yaml", "a: 保亭\n".encode("utf-16")).message
    assert "UTF-8" in refused("gbk.csv", "id,name\nx,保亭\n".encode("gbk")).message


@pytest.mark.parametrize(("name", "content", "row"), [
    ("nul.yaml", b"a: 1\nb: x\x00y\n", 2),
    ("nul.csv", b"id,name\nx,a\x00b\n", 2),
    ("nul.json", b'{"a": "x\\u0000y"}', None),
])
def test_nul_characters_are_refused(name: str, content: bytes, row: int | None) -> None:
    error = refused(name, content)
    assert "NUL" in error.message and error.row == row


# CSV ----------------------------------------------------------------------------------------------------------
def test_csv_huge_field_is_refused_naming_the_row() -> None:
    content = b"id,note\na,short\nb," + b"x" * 200_000 + b"\n"
    error = refused("huge.csv", content)
    assert "field larger than field limit" in error.message and error.row == 3


def test_csv_ragged_rows() -> None:
    error = refused("ragged.csv", b"id,quantity\na,1\nb,2,3\n")
    assert "more values than columns" in error.message and error.row == 3
    short = read_bytes("short.csv", b"id,quantity,unit\na,1\n", "rows")
    assert short.data["rows"] == [{"id": "a", "quantity": "1"}] and short.row_numbers == [2]
    trailing = read_bytes("trailing.csv", b"id,quantity,,\na,1,,\n", "rows")  # as spreadsheets export it
    assert trailing.data["rows"] == [{"id": "a", "quantity": "1"}]


def test_csv_duplicate_and_conflicting_columns() -> None:
    duplicate = refused("dup.csv", b"id,quantity,quantity\na,1,2\n")
    assert duplicate.row == 1 and duplicate.field == "quantity"
    conflict = refused("conflict.csv", b"id,fuel,fuel.kind\na,diesel,liquid\n")
    assert conflict.row == 2 and conflict.field == "fuel.kind"
    meta = refused("meta.csv", b"# year: &a [*a]\n# year.x: 1\nid\na\n")
    assert meta.row == 2 and meta.field == "year.x"


def test_csv_unterminated_quote_is_read_or_refused_not_crashed() -> None:
    result = read_or_refuse("quote.csv", b'id,name\na,"unterminated\n')
    assert isinstance(result, Document | InputError)


# XLSX ---------------------------------------------------------------------------------------------------------
def test_xlsx_that_is_not_a_zip_and_zip_that_is_not_xlsx() -> None:
    assert "not a zip archive" in refused("plain.xlsx", b"id,quantity\na,1\n").message
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "not an XLSX workbook" in refused("notes.xlsx", buffer.getvalue()).message


def test_xlsx_zip_bomb_is_refused_before_parsing() -> None:
    bomb = xlsx_zip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000  # under any upload limit
    error = refused("bomb.xlsx", bomb)
    assert "zip bomb" in error.message and "COUNTYZERO_MAX_XLSX_COMPRESSION_RATIO" in error.message


def test_xlsx_expanded_size_limit() -> None:
    workbook = xlsx_bytes([["id", "note"], *[[f"r{i}", f"note {i * 7919 % 104729}"] for i in range(3000)]])
    assert len(read_bytes("ok.xlsx", workbook, "rows").data["rows"]) == 3000
    error = refused("ok.xlsx", workbook, limits=InputLimits(xlsx_uncompressed_bytes=50_000))
    assert "COUNTYZERO_MAX_XLSX_UNCOMPRESSED_BYTES" in error.message


def test_xlsx_member_that_lies_about_its_size_is_not_inflated_past_it() -> None:
    error = refused("liar.xlsx", lying_zip_member(xlsx_bytes([["id"], ["a"]])))
    assert "not a readable XLSX" in error.message


def test_xlsx_sparse_cell_far_right_does_not_widen_every_row() -> None:
    workbook = xlsx_bytes([["id", "quantity"], ["a", 1]])
    xml = sheet_xml(workbook)
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>r{i}</t></is></c><c r="XFD{i}"><v>1</v></c></row>'
                   for i in range(2, 3000))
    start, end = xml.index("<sheetData>") + len("<sheetData>"), xml.index("</sheetData>")
    header = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
    sparse = xml[:start] + header + rows + xml[end:]
    sparse = sparse.replace('<dimension ref="A1:B2" />', "")
    document = read_bytes("sparse.xlsx", rezip(workbook, {SHEET: sparse.encode()}), "rows")
    assert len(document.data["rows"]) == 2998 and document.data["rows"][0] == {"id": "r2"}
    wide_header = xml[:start] + '<row r="1"><c r="XFD1" t="inlineStr"><is><t>far</t></is></c></row>' + xml[end:]
    error = refused("wide.xlsx", rezip(workbook, {SHEET: wide_header.replace('<dimension ref="A1:B2" />', "")
                                                  .encode()}))
    assert "COUNTYZERO_MAX_XLSX_COLUMNS" in error.message and error.row == 1


def test_xlsx_formulas_are_never_evaluated_only_saved_values_read() -> None:
    workbook = xlsx_bytes([["id", "quantity", "unit"], ["a", "=1+1", "=HYPERLINK(\"http://x\",\"t\")"],
                           ["b", 5, "t"]])
    document = read_bytes("formula.xlsx", workbook, "rows")
    # openpyxl saved no computed values: the cells are empty, never the formula text or a computed 2
    assert document.data["rows"] == [{"id": "a"}, {"id": "b", "quantity": 5, "unit": "t"}]
    # a spreadsheet program saves the value beside the formula: that value is read, the formula is not
    saved = sheet_xml(workbook).replace("<f>1+1</f><v />", "<f>1+1</f><v>2</v>")
    assert saved != sheet_xml(workbook)
    assert read_bytes("saved.xlsx", rezip(workbook, {SHEET: saved.encode()}), "rows").data["rows"][0] == \
        {"id": "a", "quantity": 2}


def test_xlsx_xml_entity_expansion_is_refused() -> None:
    workbook = xlsx_bytes([["id"], ["a"]])
    entities = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"
    xml = sheet_xml(workbook).replace("<t>a</t>", "<t>&i;</t>")
    bomb = rezip(workbook, {SHEET: (entities + xml).encode()})
    assert "not a readable XLSX" in refused("entities.xlsx", bomb).message  # expat's amplification limit


def test_xlsx_external_entity_is_not_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    workbook = xlsx_bytes([["id"], ["a"]])
    xml = sheet_xml(workbook).replace("<t>a</t>", "<t>&e;</t>")
    doctype = f'<!DOCTYPE x [<!ENTITY e SYSTEM "{secret.as_uri()}">]>'
    result = read_or_refuse("external.xlsx", rezip(workbook, {SHEET: (doctype + xml).encode()}))
    assert "top secret" not in repr(getattr(result, "data", result))


def test_xlsx_not_finite_number_and_duplicate_column() -> None:
    workbook = xlsx_bytes([["id", "quantity"], ["a", 1]])
    xml = sheet_xml(workbook)
    refused("nan.xlsx", rezip(workbook, {SHEET: xml.replace("<v>1</v>", "<v>NaN</v>").encode()}))  # by openpyxl
    error = refused("inf.xlsx", rezip(workbook, {SHEET: xml.replace("<v>1</v>", "<v>1e999</v>").encode()}))
    assert error.row == 2 and error.field == "quantity" and "finite" in error.message
    duplicate = refused("dup.xlsx", xlsx_bytes([["id", "id"], ["a", "b"]]))
    assert duplicate.row == 1 and duplicate.field == "id"


# properties ---------------------------------------------------------------------------------------------------
def _examples() -> list[Path]:
    files = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in {".yaml", ".json", ".csv"})
    assert len(files) >= 20
    return files


EXAMPLE_FILES = _examples()


def _example_workbook() -> bytes:
    document = read_document(EXAMPLES / "baoting_activities.csv", "activities")
    header = list(document.data["activities"][0])
    rows = [[row.get(k) for k in header] for row in document.data["activities"][:20]]
    return xlsx_bytes([header, *rows], title="activities", meta=[["county", "Baoting"], ["year", 2022]])


EXAMPLE_WORKBOOK = _example_workbook()


@HYPOTHESIS
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".yaml", ".yml", ".json", ".csv", ".xlsx", ".txt"]))
def test_random_bytes_give_a_document_or_an_error_naming_the_file(data: bytes, suffix: str) -> None:
    read_or_refuse(f"random{suffix}", data)


@HYPOTHESIS
@given(st.data())
def test_mutated_example_files_give_a_document_or_an_error_naming_the_file(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(EXAMPLE_FILES))
    content = data.draw(mutated(path.read_bytes()))
    read_or_refuse(path.name, content, "activities")


@HYPOTHESIS
@given(st.data())
def test_mutated_workbooks_give_a_document_or_an_error_naming_the_file(data: st.DataObject) -> None:
    if data.draw(st.booleans()):  # bytes of the zip itself
        content = data.draw(mutated(EXAMPLE_WORKBOOK, ["PK\x03\x04", "PK\x01\x02", "\x00" * 8, "\xff" * 4]))
    else:  # the XML inside, re-zipped
        xml = sheet_xml(EXAMPLE_WORKBOOK).encode()
        fragments = ['<c r="XFD9"><v>1</v></c>', '<row r="1048576"/>', "<v>NaN</v>", "<v>1e999</v>", "&amp;",
                     '<c r="A2" t="s"><v>99999</v></c>', '<c t="e"><v>#DIV/0!</v></c>', "<f>1+1</f>", "<", ">",
                     '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', "&e;", '<c r="A1"/>']
        content = rezip(EXAMPLE_WORKBOOK, {SHEET: data.draw(mutated(xml, fragments))})
    read_or_refuse("activities.xlsx", content, "activities")


# YAML folds the Unicode line breaks NEL, LS and PS (PyYAML's emitter writes them raw): left out of the round trip
text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x85\u2028\u2029"), max_size=20)
keys = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x85\u2028\u2029"), max_size=8)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | text
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                     max_leaves=30)


def _acceptable(tree: Any, depth: int = 0) -> bool:
    """Whether the readers must accept a tree: finite numbers, no NUL, nesting within the default limit."""
    if depth >= InputLimits().nesting_depth:
        return False
    if isinstance(tree, float):
        return math.isfinite(tree)
    if isinstance(tree, str):
        return "\x00" not in tree
    if isinstance(tree, list):
        return all(_acceptable(v, depth + 1) for v in tree)
    if isinstance(tree, dict):
        return all("\x00" not in k and _acceptable(v, depth + 1) for k, v in tree.items())
    return True


@HYPOTHESIS
@given(tree=st.dictionaries(keys, trees, min_size=1, max_size=5), as_json=st.booleans())
def test_documents_round_trip_or_are_refused_for_a_reason(tree: dict[str, Any], as_json: bool) -> None:
    if as_json:
        name, content = "tree.json", json.dumps(tree, ensure_ascii=False).encode("utf-8")
    else:
        name, content = "tree.yaml", yaml.safe_dump(tree, allow_unicode=True).encode("utf-8")
    result = read_or_refuse(name, content)
    if _acceptable(tree):
        assert isinstance(result, Document), result
        assert result.data == tree
    else:
        assert isinstance(result, InputError)
