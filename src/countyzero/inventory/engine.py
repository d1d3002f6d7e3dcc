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
from dataclasses import dataclass
from operator import attrgetter

from pydantic import BaseModel

from countyzero.core.bulk import bulk_allocation
from countyzero.core.errors import InputError
from countyzero.core.gwp import GWPSet
from countyzero.core.trace import LineItem, Provenance, sha256_of
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.inventory.gpc import SCENES, GPCRef, gpc_table
from countyzero.inventory.methods import Calculator
from countyzero.inventory.model import METHODS, ActivityLine, GasAmount, InventoryInput, InventoryResult, LineResult

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
    with bulk_allocation():
        return _compute(data, library or default_library(), input_digest, uncertainty_draws, seed)


def _compute(data: InventoryInput, library: FactorLibrary, input_digest: str | None, uncertainty_draws: int,
             seed: int) -> InventoryResult:
    gwp = GWPSet.load(data.gwp, ch4_by_origin=data.ch4_by_origin, library=library)
    calculator = Calculator(library, data.factor_set, data.region, data.year, data.ipcc_defaults)
    seen: dict[str, int] = {}
    lines: list[LineResult] = []
    trace: list[tuple[str, float, tuple[LineItem, ...]]] = []
    per_unit: dict[tuple[object, ...], _PerUnit] = {}
    for index, line in enumerate(data.activities):
        if line.id in seen:
            raise InputError(f"duplicate id {line.id!r} (also line {seen[line.id] + 1})", row=line.id, field="id")
        seen[line.id] = index
        ref = _resolve_ref(line.id, line.gpc)
        scene = line.scene or ref.scene
        if line.notation_key is not None:
            lines.append(LineResult(id=line.id, gpc=ref.ref, scene=scene, scope=ref.scope, method=None,
                                    notation_key=line.notation_key, explanation=line.explanation))
            continue
        key = _signature(line)
        unit = per_unit.get(key)
        if unit is None:
            unit = per_unit[key] = _per_unit(calculator, line, ref, gwp)
        q = float(line.quantity or 0.0)
        gases = [GasAmount(g.gas, g.tonnes * q, g.tco2e * q, g.gwp, g.factor_ids, g.biogenic) for g in unit.gases]
        lines.append(LineResult(
            id=line.id, gpc=ref.ref, scene=scene, scope=ref.scope, method=unit.method, tco2e=unit.tco2e * q,
            gases=gases, biogenic_co2_t=unit.biogenic_co2_t * q,
            energy_tj=None if unit.energy_tj is None else unit.energy_tj * q,
            energy_tce=None if unit.energy_tce is None else unit.energy_tce * q,
            factor_ids=unit.factor_ids, sources=unit.sources, fallbacks=unit.fallbacks))
        trace.append((line.id, q, unit.items))
    result = _aggregate(data, lines, gwp, library, input_digest)
    result._trace = trace
    if uncertainty_draws:
        from countyzero.inventory.uncertainty import monte_carlo

        result.uncertainty = monte_carlo(data, lines, library, uncertainty_draws, seed)
    return result


@dataclass(frozen=True, slots=True)
class _PerUnit:
    """A line's result for a quantity of 1 (every method is linear in the quantity)."""

    method: str | None
    gases: tuple[GasAmount, ...]
    tco2e: float
    biogenic_co2_t: float
    energy_tj: float | None
    energy_tce: float | None
    factor_ids: list[str]
    sources: list[str]
    fallbacks: list[str]
    items: tuple[LineItem, ...]


_NOT_IN_SIGNATURE = {"id", "quantity", "description", "source", "uncertainty_pct", "data_quality", "scene",
                     "explanation"}


_SIGNATURE_FIELDS = tuple(name for name in ActivityLine.model_fields if name not in _NOT_IN_SIGNATURE)
_SIGNATURE_VALUES = attrgetter(*_SIGNATURE_FIELDS)
_NESTED = tuple(i for i, name in enumerate(_SIGNATURE_FIELDS) if name in METHODS or name == "ncv")


def _signature(line: ActivityLine) -> tuple[object, ...]:
    """What decides a line's per-unit result: every field but its id, quantity and descriptive fields."""
    values = list(_SIGNATURE_VALUES(line))
    for i in _NESTED:
        if isinstance(values[i], BaseModel):
            values[i] = values[i].model_dump_json()
    return tuple(values)


def _per_unit(calculator: Calculator, line: ActivityLine, ref: GPCRef, gwp: GWPSet) -> _PerUnit:
    calc = calculator.calculate(line.model_copy(update={"quantity": 1.0}), ref)
    gases: list[GasAmount] = []
    biogenic_co2 = total = 0.0
    for part in calc.parts:
        if part.biogenic and part.gas == "CO2":
            biogenic_co2 += part.tonnes
            continue
        factor = 1.0 if part.gas == "CO2e" else gwp.value(part.gas, part.origin)
        gases.append(GasAmount(part.gas, part.tonnes, part.tonnes * factor, factor, part.factor_ids, part.biogenic))
        total += part.tonnes * factor
    sources = sorted({f.citation for f in calc.factors.values()} | set(calc.inline_sources))
    return _PerUnit(line.method, tuple(gases), total, biogenic_co2, calc.energy_tj, calc.energy_tce,
                    list(calc.factors), sources, calc.fallbacks, tuple(calc.items))


def _aggregate(data: InventoryInput, lines: list[LineResult], gwp: GWPSet, library: FactorLibrary,
               input_digest: str | None) -> InventoryResult:
    table = gpc_table()
    by_scene: dict[str, float] = dict.fromkeys(SCENES, 0.0)
    by_scope: dict[str, float] = {"1": 0.0, "2": 0.0, "3": 0.0}
    by_gas: dict[str, float] = defaultdict(float)
    by_sector: dict[str, float] = defaultdict(float)
    totals = {"basic": 0.0, "basic_plus": 0.0, "territorial": 0.0}
    gross = removals = biogenic = energy_co2 = energy_tce = 0.0
    memberships = {ref: tuple(name for name in totals if getattr(info, name)) for ref, info in table.items()}
    energy_refs = {ref for ref, info in table.items() if info.sector in ENERGY_SECTORS and info.scope in (1, 2)
                   and ref != "I.4.4" and info.subsector not in FUGITIVE_SUBSECTORS}
    for line in lines:
        if line.notation_key is not None:
            continue
        value = line.tco2e
        if value >= 0:
            gross += value
        else:
            removals += value
        by_scene[line.scene] += value
        by_scope[str(line.scope)] += value
        by_sector[line.gpc.split(".", 1)[0]] += value
        for gas in line.gases:
            by_gas[gas.gas] += gas.tco2e
        for name in memberships[line.gpc]:
            totals[name] += value
        biogenic += line.biogenic_co2_t
        if line.energy_tce:
            energy_tce += line.energy_tce
        if line.gpc in energy_refs:
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
        input_sha256=input_digest or sha256_of(data.model_dump_json().encode()),
        factor_overrides=library.overrides,
        extra={"factor_set": data.factor_set, "region": data.region},
    )
    return InventoryResult.model_construct(
        county=data.county, year=data.year, gwp=gwp.name, factor_set=data.factor_set,
        gross_tco2e=gross, removals_tco2e=removals, net_tco2e=net, by_scene=by_scene, by_scope=by_scope,
        by_gas=dict(by_gas), by_sector=dict(sorted(by_sector.items())), gpc_totals=totals,
        biogenic_co2_t=biogenic, energy_co2_t=energy_co2, energy_tce=energy_tce, intensity=intensity,
        notation_keys=[{"id": ln.id, "gpc": ln.gpc, "key": ln.notation_key or "", "explanation": ln.explanation or ""}
                       for ln in lines if ln.notation_key],
        not_reported=not_reported, lines=lines, provenance=provenance.to_dict(),
    )
