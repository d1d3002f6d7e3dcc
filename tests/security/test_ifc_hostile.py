"""Hostile IFC models (``countyzero.buildings.ifc.boq_from_ifc``): garbage, broken syntax, references to the wrong
kind of entity, no quantities, no materials, a hostile mapping — a BOQ or an InputError naming the file."""

from __future__ import annotations

import importlib.util
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyzero.buildings.ifc import boq_from_ifc
from countyzero.core.errors import InputError
from tests.security.hostile_files import EXAMPLES, mutated

IFC = EXAMPLES / "buildings" / "clinic.ifc"
MAPPING = EXAMPLES / "buildings" / "clinic_mapping.yaml"


def _make_ifc() -> object:
    spec = importlib.util.spec_from_file_location("make_ifc", EXAMPLES / "buildings" / "make_ifc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def boq_or_refusal(ifc: bytes, mapping: bytes = MAPPING.read_bytes(), mapping_name: str = "mapping.yaml") -> object:
    with tempfile.TemporaryDirectory() as folder:
        ifc_path, mapping_path = Path(folder) / "model.ifc", Path(folder) / mapping_name
        ifc_path.write_bytes(ifc)
        mapping_path.write_bytes(mapping)
        try:
            return boq_from_ifc(ifc_path, mapping_path)
        except InputError as exc:
            assert exc.file in (str(ifc_path), str(mapping_path)), f"error does not name the file: {exc}"
            return exc


@pytest.mark.parametrize("content", [b"", b"\x00\xff garbage", IFC.read_bytes()[:300],
                                     b"ISO-10303-21;\nEND-ISO-10303-21;\n", IFC.read_text().encode("utf-16")])
def test_garbage_is_not_a_readable_ifc_file(content: bytes) -> None:
    result = boq_or_refusal(content)
    assert isinstance(result, InputError) and result.file is not None and result.file.endswith("model.ifc")


def test_reference_to_the_wrong_kind_of_entity_is_refused() -> None:
    text = IFC.read_text()
    # the project's units point at the project itself instead of an IfcUnitAssignment (syntax fine, schema not)
    broken = re.sub(r"^(#1=IFCPROJECT\(.*,)#\d+\);$", r"\g<1>#1);", text, flags=re.MULTILINE)
    assert broken != text
    result = boq_or_refusal(broken.encode())
    assert isinstance(result, InputError) and "IFC schema" in result.message


def test_models_without_quantities_or_materials(tmp_path: Path) -> None:
    make_ifc = _make_ifc()
    elements = [("IfcWall", "Wall", {}, [("Brick", 200.0)]), ("IfcSlab", "Slab", {"NetVolume": 5.0}, [("C30", 1.0)])]
    no_material = make_ifc.build(tmp_path / "a.ifc", elements, without_material=True)  # type: ignore[attr-defined]
    error = boq_or_refusal(no_material.read_bytes())
    assert isinstance(error, InputError) and error.field in ("material", "quantity") and error.row
    no_quantities = make_ifc.build(tmp_path / "b.ifc", elements,  # type: ignore[attr-defined]
                                   without_quantities=True)
    error = boq_or_refusal(no_quantities.read_bytes())
    assert isinstance(error, InputError) and error.field == "quantity" and error.row


@pytest.mark.parametrize(("mapping", "field"), [(b"materials: 5\n", "materials"),
                                                (b"materials: [{factor_id: x}]\n", "ifc_material"),
                                                (b"materials: &a [*a]\n", None)])
def test_hostile_mapping_files(mapping: bytes, field: str | None) -> None:
    result = boq_or_refusal(IFC.read_bytes(), mapping)
    assert isinstance(result, InputError) and result.file is not None and result.file.endswith("mapping.yaml")
    assert result.field == field


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_models_give_a_boq_or_an_error_naming_the_file(data: st.DataObject) -> None:
    text = IFC.read_text()
    if data.draw(st.booleans()):  # keep the syntax: change digits and references only
        places = [m.start() for m in re.finditer(r"[0-9]", text)]
        chars = list(text)
        for _ in range(data.draw(st.integers(1, 4))):
            chars[data.draw(st.sampled_from(places))] = data.draw(st.sampled_from("0123456789"))
        content = "".join(chars).encode()
    else:
        content = data.draw(mutated(text.encode(), ["#", "$", "*", "'", "(", ")", ",", ";", "=", ".", "1E999",
                                                    "-1.", "IFCWALL(", "#999999", "\x00"]))
    boq_or_refusal(content)
