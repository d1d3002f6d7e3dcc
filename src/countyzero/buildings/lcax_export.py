"""Export a building result as an LCAx project (https://github.com/ocni-dtu/lcax), validated with ``lcax``.

One LCAx assembly per BOQ line (quantity 1 of the whole line, its ``results`` the line's kgCO2e by module),
plus an assembly for operation, site energy and use-stage amounts; project ``results`` hold the building's
modules. Module D stays its own key. The JSON is parsed back by ``lcax.Project.loads`` before it is returned,
so a file that LCAx cannot read is never written.
"""

from __future__ import annotations

import json
from typing import Any

from countyzero import __version__
from countyzero.buildings.model import MODULES, BuildingResult
from countyzero.core.errors import InputError

LCAX_MODULE = {m: m.lower().replace("-", "") for m in MODULES}
"""EN 15978 key → LCAx ``LifeCycleModule`` (``A1-A3`` → ``a1a3``)."""
TYPOLOGY = {"office": "office", "residential": "residential", "health": "health", "education": "educational",
            "educational": "educational", "science": "science", "research": "science", "public": "public",
            "commercial": "commercial", "industrial": "industrial", "culture": "culture"}


def _impacts(modules: dict[str, float]) -> dict[str, dict[str, float]]:
    return {"gwp": {LCAX_MODULE[m]: float(v) for m, v in modules.items() if m in LCAX_MODULE}}


def _data(name: str, modules: dict[str, float], source: str) -> dict[str, Any]:
    return {"type": "EPD", "id": f"{name}-data", "name": name, "declaredUnit": "pcs",
            "source": {"name": source[:500], "url": None}, "comment": None, "conversions": None,
            "impacts": _impacts(modules), "metaData": None}


def to_lcax_dict(result: BuildingResult) -> dict[str, Any]:
    """The LCAx project (camelCase JSON) of a result."""
    assemblies = []
    for item in result.items:
        impacts = _impacts(item.modules)
        assemblies.append({
            "type": "assembly", "id": item.id, "name": item.material or item.id, "description": item.element,
            "comment": None, "quantity": 1.0, "unit": "pcs", "classification": None,
            "products": [{"type": "product", "id": f"{item.id}-product", "name": item.material or item.id,
                          "description": f"{item.quantity:g} {item.unit}",
                          "referenceServiceLife": round(item.service_life_years),
                          "impactData": [_data(item.factor_id or item.id, item.modules, item.source)],
                          "quantity": 1.0, "unit": "pcs", "transport": None, "results": impacts,
                          "metaData": {"factor_id": item.factor_id, "replacements": item.replacements}}],
            "results": impacts, "metaData": {"quantity": item.quantity, "unit": item.unit}})
    embodied_items: dict[str, float] = {m: 0.0 for m in MODULES}
    for item in result.items:
        for m, v in item.modules.items():
            embodied_items[m] += v
    rest = {m: result.modules[m] - embodied_items[m] for m in MODULES}
    if any(abs(v) > 0 for v in rest.values()):
        rest_modules = {m: v for m, v in rest.items() if v != 0}
        assemblies.append({
            "type": "assembly", "id": "operation-and-site", "name": "Operation, site energy and use stage",
            "description": None, "comment": None, "quantity": 1.0, "unit": "pcs", "classification": None,
            "products": [{"type": "product", "id": "operation-and-site-product", "name": "operation and site",
                          "description": None, "referenceServiceLife": result.reference_study_period_years,
                          "impactData": [_data("operation-and-site", rest_modules, "CountyZero operation lines")],
                          "quantity": 1.0, "unit": "pcs", "transport": None, "results": _impacts(rest_modules),
                          "metaData": None}],
            "results": _impacts(rest_modules), "metaData": None})
    typology = TYPOLOGY.get(result.provenance.get("extra", {}).get("typology", ""), "unknown")
    return {
        "id": f"countyzero-{result.provenance['input_sha256'][:16]}", "name": result.building,
        "description": f"Whole-life carbon, {result.method}", "comment": "; ".join(result.assumptions) or None,
        "location": {"country": "chn", "city": None, "address": None}, "owner": None, "formatVersion": "3.8.0",
        "lciaMethod": "EN 15804 GWP (kgCO2e)", "classificationSystems": None,
        "referenceStudyPeriod": result.reference_study_period_years,
        "lifeCycleModules": [LCAX_MODULE[m] for m in result.modules_in_scope],
        "impactCategories": ["gwp"], "assemblies": assemblies, "results": _impacts(result.modules),
        "projectInfo": {
            "type": "buildingInfo", "buildingType": "new_construction_works", "buildingTypology": [typology],
            "certifications": None, "buildingMass": None, "buildingHeight": None,
            "grossFloorArea": {"value": result.gross_floor_area_m2, "unit": "m2",
                               "definition": result.area_definition},
            "heatedFloorArea": None, "buildingFootprint": None, "floorsAboveGround": 0, "floorsBelowGround": None,
            "roofType": "unknown", "frameType": None, "buildingCompletionYear": None, "buildingPermitYear": None,
            "energyDemandHeating": None, "energySupplyHeating": None, "energyDemandElectricity": None,
            "energySupplyElectricity": None, "exportedElectricity": None, "generalEnergyClass": "unknown",
            "localEnergyClass": None, "buildingUsers": None, "buildingModelScope": None},
        "projectPhase": "technical_design",
        "softwareInfo": {"lcaSoftware": "CountyZero", "lcaSoftwareVersion": __version__,
                         "goalAndScopeDefinition": result.provenance.get("method"), "calculationType": result.method},
        "metaData": {"total_kgco2e_excluding_d": result.total_kgco2e, "provenance": result.provenance},
    }


def to_lcax_json(result: BuildingResult) -> str:
    """LCAx JSON of a result, checked by parsing it with ``lcax.Project.loads``.

    Raises
    ------
    InputError
        If the lcax package cannot read the project (nothing is written then).
    """
    import lcax

    text = json.dumps(to_lcax_dict(result), ensure_ascii=False)
    try:
        lcax.Project.loads(text)
    except (TypeError, ValueError) as exc:
        raise InputError(f"LCAx export does not validate: {exc}", field="lcax") from None
    return text
