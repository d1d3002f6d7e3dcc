"""The inventory engine: validated activity lines in, a GPC v1.1 inventory with its trace out.

Pure: no database, no web, no globals. See docs/inventory.md for the method and the totals rules.

Example
-------
>>> from countyzero.inventory import InventoryInput, compute_inventory
>>> data = InventoryInput.model_validate({"county": "Demo", "year": 2022, "activities": [
...     {"id": "res-gas", "gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1, "unit": "TJ"}]})
>>> round(compute_inventory(data).gross_tco2e, 4)
56.2665
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from countyzero.core.errors import InputError
from countyzero.core.gwp import GWPSet
from countyzero.core.trace import Provenance, sha256_of
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.inventory.gpc import SCENES, GPCRef, gpc_table
from countyzero.inventory.methods import Calculator, LineCalc
from countyzero.inventory.model import GasAmount, InventoryInput, InventoryResult, LineResult

ENGINE = "countyzero.inventory"
METHOD = "GPC v1.1 (WRI/C40/ICLEI 2021); IPCC 2006 Guidelines Tier 1"
ENERGY_SECTORS = ("I", "II")
FUGITIVE_SUBSECTORS = ("I.7", "I.8")


def _resolve_ref(line_id: str, gpc: str) -> GPCRef:
    table = gpc_table()
    if gpc not in table:
        children = [ref for ref in table if ref.startswith(gpc + ".")]
        hint = f"; use a sub-category such as {children[0]}" if children else ""
        raise InputError(f"unknown GPC reference {gpc!r}{hint}", row=line_id, field="gpc")
    return table[gpc]


def compute_inventory(
    data: InventoryInput,
    *,
    library: FactorLibrary | None = None,
    input_digest: str | None = None,
    uncertainty_draws: int = 0,
    seed: int = 20_40,
) -> InventoryResult:
    """Compute a county inventory.

    Parameters
    ----------
    data : InventoryInput
        The validated input (see docs/inventory.md for the format).
    library : FactorLibrary, optional
        Factor rows to use; the shipped set when omitted.
    input_digest : str, optional
        SHA-256 of the input file as read (else of the validated input's JSON form).
    uncertainty_draws : int
        Monte Carlo draws (IPCC 2006 Vol. 1 Ch. 3 Approach 2); 0 for none.
    seed : int
        Seed of the Monte Carlo generator, recorded in the result.

    Raises
    ------
    InputError
        Naming the line id and field of the first problem (unknown fuel, grid, unit, GPC code …).
    """
    library = library or default_library()
    gwp = GWPSet.load(data.gwp, ch4_by_origin=data.ch4_by_origin, library=library)
    calculator = Calculator(library, data.factor_set, data.region, data.year)
    seen: dict[str, int] = {}
    lines: list[LineResult] = []
    calcs: list[LineCalc | None] = []
    trace: list[dict[str, Any]] = []
    for index, line in enumerate(data.activities):
        if line.id in seen:
            raise InputError(f"duplicate id {line.id!r} (also line {seen[line.id] + 1})", row=line.id, field="id")
        seen[line.id] = index
        ref = _resolve_ref(line.id, line.gpc)
        scene = line.scene or ref.scene
        if line.notation_key is not None:
            lines.append(LineResult(id=line.id, gpc=ref.ref, scene=scene, scope=ref.scope, method=None,
                                    notation_key=line.notation_key, explanation=line.explanation))
            calcs.append(None)
            continue
        calc = calculator.calculate(line, ref)
        gases: list[GasAmount] = []
        biogenic_co2 = 0.0
        total = 0.0
        for part in calc.parts:
            if part.biogenic and part.gas == "CO2":
                biogenic_co2 += part.tonnes
                continue
            factor = 1.0 if part.gas == "CO2e" else gwp.value(part.gas, part.origin)
            tco2e = part.tonnes * factor
            total += tco2e
            gases.append(GasAmount(gas=part.gas, tonnes=part.tonnes, tco2e=tco2e, gwp=factor,
                                   factor_ids=part.factor_ids, biogenic=part.biogenic))
        factor_ids = list(calc.factors)
        sources = sorted({f.citation for f in calc.factors.values()} | set(calc.inline_sources))
        lines.append(LineResult(
            id=line.id, gpc=ref.ref, scene=scene, scope=ref.scope, method=line.method, tco2e=total,
            gases=gases, biogenic_co2_t=biogenic_co2, energy_tj=calc.energy_tj, energy_tce=calc.energy_tce,
            factor_ids=factor_ids, sources=sources, fallbacks=calc.fallbacks))
        calcs.append(calc)
        trace.extend(item.to_dict() for item in calc.items)
    result = _aggregate(data, lines, gwp, trace, library, input_digest)
    if uncertainty_draws:
        from countyzero.inventory.uncertainty import monte_carlo

        result.uncertainty = monte_carlo(data, lines, library, uncertainty_draws, seed)
    return result


def _aggregate(data: InventoryInput, lines: list[LineResult], gwp: GWPSet, trace: list[dict[str, Any]],
               library: FactorLibrary, input_digest: str | None) -> InventoryResult:
    table = gpc_table()
    by_scene: dict[str, float] = dict.fromkeys(SCENES, 0.0)
    by_scope: dict[str, float] = {"1": 0.0, "2": 0.0, "3": 0.0}
    by_gas: dict[str, float] = defaultdict(float)
    by_sector: dict[str, float] = defaultdict(float)
    totals = {"basic": 0.0, "basic_plus": 0.0, "territorial": 0.0}
    gross = removals = biogenic = energy_co2 = energy_tce = 0.0
    for line in lines:
        if line.notation_key is not None:
            continue
        ref = table[line.gpc]
        value = line.tco2e
        if value >= 0:
            gross += value
        else:
            removals += value
        by_scene[line.scene] += value
        by_scope[str(line.scope)] += value
        by_sector[ref.sector] += value
        for gas in line.gases:
            by_gas[gas.gas] += gas.tco2e
        for name in totals:
            if getattr(ref, name):
                totals[name] += value
        biogenic += line.biogenic_co2_t
        energy_tce += line.energy_tce or 0.0
        if ref.sector in ENERGY_SECTORS and ref.scope in (1, 2) and ref.ref != "I.4.4" \
                and ref.subsector not in FUGITIVE_SUBSECTORS:
            energy_co2 += sum(g.tonnes for g in line.gases if g.gas == "CO2")
    net = gross + removals
    reported = {line.gpc for line in lines}
    not_reported = [ref for ref, info in table.items() if info.basic and ref not in reported]
    population, gdp = data.profile.population, data.profile.gdp_cny
    per_10k = (gdp / 1e4) if gdp else None
    intensity: dict[str, float | None] = {
        "gross_tco2e_per_capita": gross / population if population else None,
        "net_tco2e_per_capita": net / population if population else None,
        "gross_tco2e_per_10k_cny": gross / per_10k if per_10k else None,
        "energy_co2_t_per_10k_cny": energy_co2 / per_10k if per_10k else None,
        "energy_tce_per_10k_cny": energy_tce / per_10k if per_10k else None,
    }
    provenance = Provenance(
        engine=ENGINE, method=METHOD, factor_set_version=library.version, factor_set_digest=library.digest,
        gwp_set=f"{gwp.label()} — {gwp.source}",
        input_sha256=input_digest or sha256_of(data.model_dump(mode="json")),
        factor_overrides=library.overrides,
        extra={"factor_set": data.factor_set, "region": data.region},
    )
    return InventoryResult(
        county=data.county, year=data.year, gwp=gwp.name, factor_set=data.factor_set,
        gross_tco2e=gross, removals_tco2e=removals, net_tco2e=net, by_scene=by_scene, by_scope=by_scope,
        by_gas=dict(by_gas), by_sector=dict(sorted(by_sector.items())), gpc_totals=totals,
        biogenic_co2_t=biogenic, energy_co2_t=energy_co2, energy_tce=energy_tce, intensity=intensity,
        notation_keys=[{"id": ln.id, "gpc": ln.gpc, "key": ln.notation_key or "", "explanation": ln.explanation or ""}
                       for ln in lines if ln.notation_key],
        not_reported=not_reported, lines=lines, trace=trace, provenance=provenance.to_dict(),
    )
