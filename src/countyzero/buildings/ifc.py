"""Bill of quantities from an IFC model (ifcopenshell), then the same assessment as a BOQ.

For every physical element (``IfcElement`` that is not an opening or a virtual element):

1. quantity from its ``Qto_*BaseQuantities`` (or legacy ``BaseQuantities``) set: ``NetVolume``, else
   ``GrossVolume``; windows and doors by ``Area`` (m²); else the volume computed from the geometry; scaled from
   the project's units to m³/m² (``IfcUnitAssignment``);
2. materials: a layer set split by layer thickness, a constituent set by ``Fraction``, a single material whole;
3. an element decomposed into parts (``IfcElementAssembly``, a wall of parts) is counted through its parts only,
   never twice.

Material names go through a mapping table (IFC material name → factor id and line data) that the user writes,
confirms and reuses; a name not in it is listed in the error, never guessed. Items keep the element GUID.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from countyzero.buildings.engine import assess_building
from countyzero.buildings.model import BOQInput, BuildingResult
from countyzero.core.errors import InputError
from countyzero.core.io import read_document
from countyzero.core.trace import sha256_of
from countyzero.factors.library import FactorLibrary

SKIP = ("IfcOpeningElement", "IfcVirtualElement", "IfcFeatureElement", "IfcSpatialElement")
AREA_BASED = ("IfcWindow", "IfcDoor")
LINE_FIELDS = ("factor_id", "factor", "density_kg_m3", "mass_kg_per_unit", "transport", "waste_rate",
               "service_life_years", "service_life_category", "material_class", "recycled_content",
               "recycled_feedstock", "recoverable_fraction", "uncertainty_pct")


def _open(path: str | Path) -> Any:
    import ifcopenshell

    try:
        return ifcopenshell.open(str(path))
    except (OSError, RuntimeError, ifcopenshell.Error) as exc:  # Error: the parser's (no header, bad syntax)
        raise InputError(f"not a readable IFC file ({exc})", file=str(path)) from None


def _qto(element: Any) -> dict[str, Any]:
    import ifcopenshell.util.element as ue

    sets = ue.get_psets(element, qtos_only=True)
    for name, values in sets.items():
        if name.startswith("Qto_") and name.endswith("BaseQuantities"):
            return values
    return sets.get("BaseQuantities", {})


def _materials(element: Any) -> list[tuple[str, float]]:
    """(material name, share) of an element: layer thickness shares, constituent fractions, or one material."""
    import ifcopenshell.util.element as ue

    material = ue.get_material(element, should_skip_usage=True)
    if material is None:
        return []
    kind = material.is_a()
    if kind == "IfcMaterial":
        return [(material.Name, 1.0)]
    if kind == "IfcMaterialLayerSet":
        layers = [(layer.Material.Name if layer.Material else "", float(layer.LayerThickness or 0.0))
                  for layer in material.MaterialLayers]
        total = sum(t for _, t in layers)
        return [(name, t / total) for name, t in layers] if total > 0 else []
    if kind == "IfcMaterialConstituentSet":
        parts = [(c.Material.Name if c.Material else "", c.Fraction) for c in material.MaterialConstituents or ()]
        if parts and all(f is not None for _, f in parts):
            total = sum(float(f) for _, f in parts)
            return [(name, float(f) / total) for name, f in parts]
        return [(name, 1.0 / len(parts)) for name, _ in parts]
    if kind == "IfcMaterialProfileSet":
        profiles = [p.Material.Name for p in material.MaterialProfiles if p.Material]
        return [(name, 1.0 / len(profiles)) for name in profiles]
    if kind == "IfcMaterialList":
        names = [m.Name for m in material.Materials]
        return [(name, 1.0 / len(names)) for name in names]
    return []


def _geometry_volume(element: Any) -> float | None:
    try:
        import ifcopenshell.geom
        import ifcopenshell.util.shape

        settings = ifcopenshell.geom.settings()
        shape: Any = ifcopenshell.geom.create_shape(settings, element)
        return float(ifcopenshell.util.shape.get_volume(shape.geometry))
    except Exception:  # no or unsupported representation: the caller reports the element
        return None


def ifc_quantities(path: str | Path) -> list[dict[str, Any]]:
    """Quantities by element and material: ``guid, ifc_class, name, material, share, quantity, unit, origin``.

    Raises
    ------
    InputError
        An element without quantities or geometry, or without a material (naming its GUID).
    """
    import ifcopenshell.util.element as ue
    import ifcopenshell.util.unit as uu

    model = _open(path)
    rows: list[dict[str, Any]] = []
    guid = None
    try:
        volume_scale = uu.calculate_unit_scale(model, "VOLUMEUNIT")
        area_scale = uu.calculate_unit_scale(model, "AREAUNIT")
        length_scale = uu.calculate_unit_scale(model, "LENGTHUNIT")
        for element in model.by_type("IfcElement"):
            if any(element.is_a(kind) for kind in SKIP):
                continue
            if ue.get_parts(element) if hasattr(ue, "get_parts") else element.IsDecomposedBy:
                continue  # counted through its parts
            guid = element.GlobalId
            qto = _qto(element)
            if element.is_a() in AREA_BASED:
                value = qto.get("Area")
                if value is None and element.OverallHeight and element.OverallWidth:
                    height, width = float(element.OverallHeight), float(element.OverallWidth)
                    value = height * width * length_scale**2 / area_scale
                    origin = "OverallHeight × OverallWidth"
                else:
                    origin = "Qto Area"
                quantity, unit = (float(value) * area_scale if value is not None else None), "m2"
            else:
                unit = "m3"
                if qto.get("NetVolume") is not None:
                    quantity, origin = float(qto["NetVolume"]) * volume_scale, "Qto NetVolume"
                elif qto.get("GrossVolume") is not None:
                    quantity, origin = float(qto["GrossVolume"]) * volume_scale, "Qto GrossVolume"
                else:
                    geometry = _geometry_volume(element)
                    quantity = geometry
                    origin = "computed from geometry"
            if quantity is not None and not math.isfinite(quantity):
                raise InputError(f"element {guid} ({element.is_a()} {element.Name or ''}) has a quantity that is "
                                 f"not a finite number ({quantity})", file=str(path), row=guid, field="quantity")
            if quantity is None:
                raise InputError(f"element {guid} ({element.is_a()} {element.Name or ''}) has no quantities "
                                 "(Qto_*BaseQuantities) and no geometry to compute them from",
                                 file=str(path), row=guid, field="quantity")
            materials = _materials(element)
            if not materials:
                raise InputError(f"element {guid} ({element.is_a()} {element.Name or ''}) has no material",
                                 file=str(path), row=guid, field="material")
            for name, share in materials:
                rows.append({"guid": guid, "ifc_class": element.is_a(), "name": element.Name or "",
                             "material": name or "", "share": share, "quantity": quantity * share, "unit": unit,
                             "origin": origin})
    except InputError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        # a reference to the wrong kind of entity (the parser checks syntax, not the schema's types)
        raise InputError(f"the IFC model breaks the IFC schema ({type(exc).__name__}: {exc})", file=str(path),
                         row=guid) from None
    if not rows:
        raise InputError("the model has no physical elements with quantities", file=str(path))
    return rows


def mapping_template(path: str | Path) -> str:
    """A mapping file (YAML) listing every material name in the model, for the user to complete and confirm."""
    names = sorted({row["material"] for row in ifc_quantities(path)})
    return yaml.safe_dump({
        "building": {"name": Path(path).stem, "gross_floor_area_m2": None},
        "method": "en15978",
        "materials": [{"ifc_material": name, "factor_id": None, "density_kg_m3": None} for name in names],
    }, allow_unicode=True, sort_keys=False)


def boq_from_ifc(path: str | Path, mapping_path: str | Path) -> dict[str, Any]:
    """The BOQ (as a plain document) of an IFC model under a mapping; unmapped names are all listed.

    Raises
    ------
    InputError
        Unmapped material names (all of them, in one message), bad mapping rows, elements without data.
    """
    mapping = read_document(mapping_path, "materials")
    table: dict[str, dict[str, Any]] = {}
    materials = mapping.data.get("materials") or []
    if not isinstance(materials, list):
        raise InputError("materials must be a list of rows (ifc_material, factor_id …)", file=mapping.path,
                         field="materials")
    for index, row in enumerate(materials):
        name = row.get("ifc_material") if isinstance(row, dict) else None
        if not name:
            raise InputError("ifc_material is missing", file=mapping.path, row=mapping.row_label(index),
                             field="ifc_material")
        table[str(name)] = {k: v for k, v in row.items() if k in LINE_FIELDS and v is not None}
    rows = ifc_quantities(path)
    unmapped = sorted({r["material"] for r in rows if r["material"] not in table})
    if unmapped:
        raise InputError("IFC material(s) not in the mapping (add them; nothing is guessed): "
                         + ", ".join(repr(n) for n in unmapped), file=str(mapping_path), field="materials")
    items = []
    for r in rows:
        line = dict(table[r["material"]])
        items.append({"id": f"{r['guid']}:{r['material']}", "material": r["material"],
                      "element": f"{r['ifc_class']} {r['name']} ({r['guid']})".replace("  ", " "),
                      "quantity": r["quantity"], "unit": r["unit"], **line})
    document = {k: v for k, v in mapping.data.items() if k != "materials"}
    document["items"] = items
    return document


def assess_ifc(path: str | Path, mapping_path: str | Path, *, overrides: dict[str, Any] | None = None,
               library: FactorLibrary | None = None, monte_carlo: int = 0) -> BuildingResult:
    """Assess an IFC model: quantities and materials from the model, factors from the confirmed mapping."""
    document = boq_from_ifc(path, mapping_path)
    document.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        data = BOQInput.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = list(error["loc"])
        row = None
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            row = document["items"][loc[1]]["id"]
            loc = loc[2:]
        raise InputError(error["msg"].removeprefix("Value error, "), file=str(mapping_path), row=row,
                         field=".".join(str(p) for p in loc) or None) from None
    digest = sha256_of(Path(path).read_bytes() + Path(mapping_path).read_bytes())
    try:
        return assess_building(data, library=library, input_digest=digest, monte_carlo=monte_carlo)
    except InputError as exc:
        raise InputError(exc.message, file=str(path), row=exc.row, field=exc.field) from None
