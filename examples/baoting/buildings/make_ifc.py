"""Write a small IFC4 model with ifcopenshell: elements with Qto_*BaseQuantities and material layer sets.

Used for the illustrative Jiamao clinic (``clinic.ifc``, run this file) and by the tests. Quantities are
illustrative, not from drawings. Lengths are in millimetres (the project unit), volumes in m³, areas in m².

    .venv/bin/python examples/baoting/buildings/make_ifc.py examples/baoting/buildings/clinic.ifc
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api

# (ifc class, name, quantity set values, material layers [(material, thickness mm)] or a single material)
CLINIC: list[tuple[str, str, dict[str, float], list[tuple[str, float]]]] = [
    ("IfcSlab", "Ground slab", {"NetVolume": 180.0, "GrossVolume": 185.0}, [("Concrete C30", 200.0)]),
    ("IfcSlab", "Floor slabs L2-L3", {"NetVolume": 288.0}, [("Concrete C30", 160.0), ("Screed", 40.0)]),
    ("IfcSlab", "Roof slab", {"NetVolume": 170.0},
     [("Concrete C30", 150.0), ("XPS insulation", 60.0), ("Screed", 40.0)]),
    ("IfcColumn", "Columns", {"NetVolume": 62.0}, [("Concrete C50", 1.0)]),
    ("IfcBeam", "Beams", {"NetVolume": 118.0}, [("Concrete C30", 1.0)]),
    ("IfcWall", "External walls", {"NetVolume": 236.0, "GrossVolume": 262.0},
     [("Shale hollow brick", 200.0), ("Rock wool", 50.0), ("Plaster", 20.0)]),
    ("IfcWall", "Internal walls", {"NetVolume": 198.0}, [("Shale hollow brick", 200.0), ("Plaster", 20.0)]),
    ("IfcWindow", "Windows", {"Area": 420.0}, [("Aluminium window", 1.0)]),
]


def build(path: str | Path, elements: list[tuple[str, str, dict[str, float], list[tuple[str, float]]]],
          *, assembly: bool = False, without_material: bool = False, without_quantities: bool = False) -> Path:
    """Write an IFC4 file with the given elements; options add the edge cases the tests need."""
    model = ifcopenshell.file(schema="IFC4")
    run: Any = ifcopenshell.api.run
    project = run("root.create_entity", model, ifc_class="IfcProject", name="CountyZero example")
    run("unit.assign_unit", model)  # millimetres, m², m³
    site = run("root.create_entity", model, ifc_class="IfcSite", name="Jiamao")
    building = run("root.create_entity", model, ifc_class="IfcBuilding", name="Clinic")
    storey = run("root.create_entity", model, ifc_class="IfcBuildingStorey", name="L1")
    run("aggregate.assign_object", model, relating_object=project, products=[site])
    run("aggregate.assign_object", model, relating_object=site, products=[building])
    run("aggregate.assign_object", model, relating_object=building, products=[storey])
    materials: dict[str, Any] = {}

    def material(name: str) -> Any:
        if name not in materials:
            materials[name] = run("material.add_material", model, name=name)
        return materials[name]

    products = []
    for ifc_class, name, quantities, layers in elements:
        element = run("root.create_entity", model, ifc_class=ifc_class, name=name)
        products.append(element)
        if not without_quantities:
            qto_name = f"Qto_{ifc_class.removeprefix('Ifc')}BaseQuantities"
            qto = run("pset.add_qto", model, product=element, name=qto_name)
            run("pset.edit_qto", model, qto=qto, properties=quantities)
        if without_material:
            continue
        if len(layers) == 1 and ifc_class in ("IfcColumn", "IfcBeam", "IfcWindow"):
            run("material.assign_material", model, products=[element], material=material(layers[0][0]))
            continue
        layer_set = run("material.add_material_set", model, name=f"{name} layers", set_type="IfcMaterialLayerSet")
        for mat, thickness in layers:
            layer = run("material.add_layer", model, layer_set=layer_set, material=material(mat))
            run("material.edit_layer", model, layer=layer, attributes={"LayerThickness": thickness})
        run("material.assign_material", model, products=[element], type="IfcMaterialLayerSet",
            material=layer_set)
    run("spatial.assign_container", model, relating_structure=storey, products=products)
    if assembly:
        whole = run("root.create_entity", model, ifc_class="IfcElementAssembly", name="Assembly of all")
        qto = run("pset.add_qto", model, product=whole, name="Qto_ElementAssemblyBaseQuantities")
        run("pset.edit_qto", model, qto=qto, properties={"NetVolume": 9999.0})
        run("aggregate.assign_object", model, relating_object=whole, products=products[:2])
    path = Path(path)
    model.write(str(path))
    return path


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("clinic.ifc"), CLINIC)
