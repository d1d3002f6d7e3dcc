"""Read a county roadmap and a scenario, check them, and compile them into a :class:`CompiledModel`.

Every number is resolved from a cited value (a factor-library row, or a value with its source and
confidence) and recorded as an *assumption* of the result. Bad input raises :class:`InputError` naming the
file, the measure (or line) and the field; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from countyzero.core.errors import InputError, UnitError
from countyzero.core.io import Document, read_document
from countyzero.core.units import convert
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.inventory.engine import ENERGY_SECTORS, FUGITIVE_SUBSECTORS, compute_inventory
from countyzero.inventory.gpc import SCENES, gpc_table
from countyzero.inventory.model import InventoryInput, InventoryResult
from countyzero.inventory.reader import read_inventory, validation_error
from countyzero.pathways.model import Adoption, Cited, Measure, Roadmap, Scenario, Selection
from countyzero.pathways.projection import (
    DEMAND,
    EFFICIENCY,
    ENERGY_CO2,
    GROSS,
    METRIC_NAMES,
    NET,
    NEUTRALITY,
    PEAK,
    REMOVALS,
    SHIFT,
    SINK,
    SUPPLY,
    CompiledModel,
    FloatArray,
)

TYPE_CODES = {"demand": DEMAND, "shift": SHIFT, "efficiency": EFFICIENCY, "supply": SUPPLY, "sink": SINK}


@dataclass(frozen=True)
class Assumption:
    """One number the run used, with where it came from."""

    where: str
    value: float
    unit: str
    source: str
    confidence: str
    factor_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "value": self.value, "unit": self.unit, "source": self.source,
                "confidence": self.confidence, "factor_id": self.factor_id}


@dataclass(frozen=True)
class Uncertain:
    """A quantity sampled by Monte Carlo: triangular (low, mode, high) or normal (mode, sd), by kind."""

    kind: str          # driver | grid | effect | activity
    index: int         # driver period, grid point, measure or stream
    low: float
    mode: float
    high: float
    distribution: str = "triangular"


class Resolver:
    """Resolves cited values to floats in a wanted unit and records them."""

    def __init__(self, library: FactorLibrary, file: str) -> None:
        self.library = library
        self.file = file
        self.assumptions: list[Assumption] = []

    def _row(self, cited: Cited, row: str | None, where: str) -> tuple[float, str, str, str, str | None,
                                                                        float | None, float | None]:
        if cited.factor is not None:
            if cited.factor not in self.library:
                raise InputError(f"no factor-library row {cited.factor!r}", file=self.file, row=row,
                                 field=f"{where}.factor")
            f = self.library.get(cited.factor)
            return (f.value, f.unit, f.citation, f.confidence, f.id, f.uncertainty_lower, f.uncertainty_upper)
        assert cited.value is not None and cited.source is not None and cited.confidence is not None
        return cited.value, cited.unit, cited.source, cited.confidence, None, cited.low, cited.high

    def value(self, cited: Cited, unit: str, *, row: str | None, where: str) -> float:
        """The value in ``unit``; recorded as an assumption."""
        return self.triple(cited, unit, row=row, where=where)[1]

    def triple(self, cited: Cited, unit: str, *, row: str | None, where: str) -> tuple[float, float, float]:
        """(low, value, high) in ``unit``; low = high = value when no range is given."""
        value, from_unit, source, confidence, fid, lo, hi = self._row(cited, row, where)
        try:
            scale = convert(1.0, from_unit, unit)
        except UnitError as exc:
            raise InputError(f"{exc.message} (expected a value in {unit})", file=self.file, row=row,
                             field=where) from None
        label = f"{row}: {where}" if row else where
        self.assumptions.append(Assumption(label, value * scale, unit, source, confidence, fid))
        low = value if lo is None else lo
        high = value if hi is None else hi
        if not low <= value <= high:
            raise InputError(f"range [{low}, {high}] does not contain the value {value}", file=self.file,
                             row=row, field=where)
        return low * scale, value * scale, high * scale


@dataclass
class Context:
    """Everything a run needs besides the arrays: targets, costs, the measures and their provenance."""

    roadmap: Roadmap
    roadmap_file: str
    scenario: Scenario
    scenario_file: str
    inventory: InventoryResult
    inventory_file: str
    inventory_sha256: str
    library: FactorLibrary
    peak_target_year: int
    peak_tolerance: float
    neutrality_target_year: int
    discount_rate: float
    discount_rates_sensitivity: list[float]
    capex: FloatArray
    opex: FloatArray
    lifetime: FloatArray
    max_ramp: FloatArray
    uncertain: list[Uncertain]
    driver_periods: list[tuple[int, int, int, float]]   # driver index, start, end, rate
    grid_points: list[tuple[int, float]]                  # year, tCO2/MWh
    stream_line: list[str]                                # inventory line of each stream
    assumptions: list[Assumption] = field(default_factory=list)
    roadmap_sha256: str = ""
    scenario_sha256: str = ""


# reading -------------------------------------------------------------------------------------------
def read_roadmap(path: str | Path) -> tuple[Roadmap, Document]:
    """Read and validate a roadmap file (YAML or JSON)."""
    document = read_document(path, "streams")
    try:
        return Roadmap.model_validate(document.data), document
    except ValidationError as exc:
        raise validation_error(exc, document) from None


def read_scenario(path: str | Path) -> tuple[Scenario, Document]:
    """Read and validate a scenario file (YAML or JSON); errors name the measure and field."""
    document = read_document(path, "measures")
    try:
        return Scenario.model_validate(document.data), document
    except ValidationError as exc:
        raise validation_error(exc, document) from None


@dataclass
class CountyBase:
    """A roadmap with its computed base-year inventory (shared by every scenario of the county)."""

    roadmap: Roadmap
    roadmap_file: str
    roadmap_sha256: str
    inventory_input: InventoryInput
    inventory: InventoryResult
    inventory_file: str
    inventory_sha256: str


def load_county(roadmap_path: str | Path, library: FactorLibrary | None = None) -> CountyBase:
    """Read the roadmap and compute its base-year inventory."""
    roadmap, document = read_roadmap(roadmap_path)
    inventory_path = Path(roadmap_path).parent / roadmap.inventory
    data, inv_doc = read_inventory(inventory_path)
    try:
        result = compute_inventory(data, library=library or default_library(), input_digest=inv_doc.sha256)
    except InputError as exc:
        raise exc.located(file=str(inventory_path)) from None
    return CountyBase(roadmap, document.path, document.sha256, data, result, str(inventory_path), inv_doc.sha256)


# compiling -----------------------------------------------------------------------------------------
def adoption_path(adoption: Adoption, years: np.ndarray, *, file: str, row: str) -> FloatArray:
    """Adoption per year (0–1) from explicit years, an S-curve or 2050-Calculator levels.

    * ``years``: linear between the given years; 0 before the first, held after the last.
    * ``s_curve``: ceiling / (1 + exp(−k (t − midpoint))) from ``start``, 0 before.
    * ``levels``: the paths of the two levels around the chosen level, interpolated linearly
      (level 2.8 = 0.2 × level-2 path + 0.8 × level-3 path), as the Global Calculator does.

    Raises
    ------
    InputError
        Negative adoption, adoption above 100 %, or years outside the horizon.
    """
    start, end = int(years[0]), int(years[-1])

    def from_points(points: dict[int, float], where: str) -> FloatArray:
        for year, value in points.items():
            if year < start or year > end:
                raise InputError(f"year {year} is outside the horizon {start}–{end}", file=file, row=row,
                                 field=f"{where}.{year}")
            if value < 0:
                raise InputError(f"negative adoption {value}", file=file, row=row, field=f"{where}.{year}")
            if value > 1:
                raise InputError(f"adoption {value:g} is above 100 % (give fractions 0–1)", file=file, row=row,
                                 field=f"{where}.{year}")
        xs = sorted(points)
        return np.interp(years, xs, [points[x] for x in xs], left=0.0)

    if adoption.years is not None:
        return from_points(adoption.years, "adoption.years")
    if adoption.s_curve is not None:
        curve = adoption.s_curve
        if not start <= curve.start <= end:
            raise InputError(f"start {curve.start} is outside the horizon {start}–{end}", file=file, row=row,
                             field="adoption.s_curve.start")
        if curve.ceiling < 0:
            raise InputError("negative adoption ceiling", file=file, row=row, field="adoption.s_curve.ceiling")
        if curve.ceiling > 1:
            raise InputError("adoption ceiling above 100 %", file=file, row=row, field="adoption.s_curve.ceiling")
        path = curve.ceiling / (1.0 + np.exp(-curve.steepness * (years - curve.midpoint)))
        return np.where(years >= curve.start, path, 0.0)
    assert adoption.levels is not None
    levels = adoption.levels
    paths = {k: from_points(v, f"adoption.levels.paths.{k}") for k, v in levels.paths.items()}
    low = int(np.floor(levels.level))
    high = min(low + 1, 4)
    share = levels.level - low
    return (1 - share) * paths[low] + share * paths[high]


def _gpc_energy(gpc: str) -> bool:
    info = gpc_table().get(gpc)
    if info is None:
        return False
    return (info.sector in ENERGY_SECTORS and info.scope in (1, 2) and gpc != "I.4.4"
            and info.subsector not in FUGITIVE_SUBSECTORS)


def _matches_prefix(code: str, prefixes: list[str]) -> bool:
    return any(code == p or code.startswith(p + ".") for p in prefixes)


def compile_scenario(county: CountyBase, scenario: Scenario, scenario_file: str, scenario_sha256: str = "",
                     library: FactorLibrary | None = None) -> tuple[CompiledModel, Context]:
    """Compile a scenario on its county base.

    Raises
    ------
    InputError
        Unknown measure target (line, GPC code, scene, gas), negative or > 100 % adoption or effect, years
        outside the horizon, a target gas the inventory lacks, a line no stream rule matches …
    """
    lib = library or default_library()
    rm = county.roadmap
    rfile = county.roadmap_file
    sfile = scenario_file
    res_r = Resolver(lib, rfile)
    res_s = Resolver(lib, sfile)
    inv = county.inventory
    start, end = rm.horizon.start, rm.horizon.end
    if start != inv.year:
        raise InputError(f"the horizon must start in the inventory year {inv.year}", file=rfile,
                         field="horizon.start")
    years = np.arange(start, end + 1, dtype=np.int64)
    t_count = years.size

    # drivers -----------------------------------------------------------------------------------
    driver_names = list(rm.drivers)
    driver_log = np.zeros((len(driver_names), t_count))
    periods: list[tuple[int, int, int, float]] = []
    uncertain: list[Uncertain] = []
    for d, name in enumerate(driver_names):
        driver = rm.drivers[name]
        if driver.base is not None:
            res_r.value(driver.base, driver.unit, row=None, where=f"drivers.{name}.base")
        for p, period in enumerate(driver.growth):
            where = f"drivers.{name}.growth.{p}"
            if period.start < start or period.end > end:
                raise InputError(f"period {period.start}–{period.end} is outside the horizon {start}–{end}",
                                 file=rfile, field=where)
            low, rate, high = res_r.triple(period.rate, "1/yr", row=None, where=f"{where}.rate")
            if rate <= -1:
                raise InputError("a growth rate must be above −100 %/yr", file=rfile, field=f"{where}.rate")
            step = ((years > period.start) & (years <= period.end)).astype(float)
            driver_log[d] += np.cumsum(step) * np.log1p(rate)
            periods.append((d, period.start, period.end, rate))
            if high > low:
                uncertain.append(Uncertain("driver", len(periods) - 1, low, rate, high))

    # grid --------------------------------------------------------------------------------------
    points: list[tuple[int, float]] = []
    for i, point in enumerate(rm.grid.points):
        if point.year < start or point.year > end:
            raise InputError(f"year {point.year} is outside the horizon {start}–{end}", file=rfile,
                             field=f"grid.points.{i}.year")
        low, value, high = res_r.triple(point.factor, "t/MWh", row=None, where=f"grid.points.{i}.factor")
        points.append((point.year, value))
        if high > low:
            uncertain.append(Uncertain("grid", i, low, value, high))
    points.sort()
    grid = np.interp(years, [p[0] for p in points], [p[1] for p in points])

    # streams from the inventory ---------------------------------------------------------------
    inputs = {a.id: a for a in county.inventory_input.activities}
    lines = [line for line in inv.lines if line.notation_key is None]
    line_ids = {line.id for line in inv.lines}
    inventory_gases = {g.gas for line in lines for g in line.gases if not g.biogenic and g.tco2e != 0}
    stream_ids: list[str] = []
    scenes: list[str] = []
    gpcs: list[str] = []
    carriers: list[str] = []
    parent: list[int] = []
    log_activity: list[FloatArray] = []
    elasticity: list[FloatArray] = []
    energy_tj: list[float] = []
    stream_line: list[str] = []
    follows: dict[int, list[str]] = {}
    comp_stream: list[int] = []
    comp_gas: list[str] = []
    comp_base: list[float] = []
    comp_electric: list[bool] = []
    comp_measure: list[int] = []
    comp_energy: list[bool] = []
    comp_sink: list[bool] = []
    line_uncertainty: list[float] = []
    for line in lines:
        rule = next((r for r in rm.streams
                     if line.id in r.lines or _matches_prefix(line.gpc, r.gpc) or line.scene in r.scenes), None)
        if rule is None:
            raise InputError(f"no stream rule matches inventory line {line.id} ({line.gpc})", file=rfile,
                             field="streams")
        s = len(stream_ids)
        la = np.zeros(t_count)
        el = np.zeros(len(driver_names))
        for name, cited in rule.drivers.items():
            if name not in rm.drivers:
                raise InputError(f"unknown driver {name!r}", file=rfile, row=rule.id, field=f"drivers.{name}")
            e = res_r.value(cited, "dimensionless", row=rule.id, where=f"drivers.{name}")
            el[driver_names.index(name)] = e
            la += e * driver_log[driver_names.index(name)]
        if rule.intensity_trend is not None:
            trend = res_r.value(rule.intensity_trend, "1/yr", row=rule.id, where="intensity_trend")
            la += np.log1p(trend) * (years - start)
        if rule.follows:
            for leader in rule.follows:
                if leader not in line_ids:
                    raise InputError(f"unknown inventory line {leader!r}", file=rfile, row=rule.id, field="follows")
            follows[s] = list(rule.follows)
        source = inputs[line.id]
        if line.method == "electricity":
            carrier = "electricity"
        elif line.tco2e < 0:
            carrier = "sink"
        elif line.method == "fuel" and line.energy_tj:
            carrier = "fuel"
        else:
            carrier = "process"
        stream_ids.append(line.id)
        stream_line.append(line.id)
        scenes.append(line.scene)
        gpcs.append(line.gpc)
        carriers.append(carrier)
        parent.append(-1)
        log_activity.append(la)
        elasticity.append(el)
        energy_tj.append(float(line.energy_tj or 0.0))
        line_uncertainty.append(float(source.uncertainty_pct or 0.0))
        if carrier == "electricity":
            assert source.electricity is not None and source.quantity is not None and source.unit is not None
            if source.electricity.grid != rm.grid.id:
                raise InputError(f"line {line.id} uses grid {source.electricity.grid}, the roadmap's grid is "
                                 f"{rm.grid.id}", file=rfile, field="grid.id")
            comp_stream.append(s)
            comp_gas.append("CO2")
            comp_base.append(convert(source.quantity, source.unit, "MWh"))
            comp_electric.append(True)
            comp_measure.append(-1)
            comp_energy.append(_gpc_energy(line.gpc))
            comp_sink.append(False)
            continue
        for gas in line.gases:
            if gas.biogenic or gas.tco2e == 0:
                continue
            comp_stream.append(s)
            comp_gas.append(gas.gas)
            comp_base.append(gas.tco2e)
            comp_electric.append(False)
            comp_measure.append(-1)
            comp_energy.append(_gpc_energy(line.gpc))
            comp_sink.append(gas.tco2e < 0)

    base_count = len(stream_ids)

    # measures: pass 1, derived electricity streams of shifts ----------------------------------
    measures = scenario.measures
    seen: set[str] = set()
    for measure in measures:
        if measure.id in seen:
            raise InputError(f"duplicate measure id {measure.id!r}", file=sfile, row=measure.id, field="id")
        seen.add(measure.id)
        if measure.scene not in SCENES:
            raise InputError(f"unknown scene {measure.scene!r}; use one of {', '.join(SCENES)}", file=sfile,
                             row=measure.id, field="scene")

    def select(measure: Measure, sel: Selection, allowed: set[str], count: int) -> list[int]:
        for lid in sel.lines:
            if lid not in line_ids:
                raise InputError(f"unknown measure target: no inventory line {lid!r}", file=sfile,
                                 row=measure.id, field="applies_to.lines")
            if lid not in stream_line:
                raise InputError(f"inventory line {lid!r} is a notation key with nothing to act on", file=sfile,
                                 row=measure.id, field="applies_to.lines")
        for code in sel.gpc:
            if not any(_matches_prefix(ref, [code]) for ref in gpc_table()):
                raise InputError(f"unknown measure target: no GPC reference {code!r}", file=sfile,
                                 row=measure.id, field="applies_to.gpc")
        for scene in sel.scenes:
            if scene not in SCENES:
                raise InputError(f"unknown measure target: no scene {scene!r}", file=sfile, row=measure.id,
                                 field="applies_to.scenes")
        chosen = [s for s in range(count)
                  if carriers[s] in allowed
                  and (not sel.lines or stream_line[s] in sel.lines)
                  and (not sel.gpc or _matches_prefix(gpcs[s], sel.gpc))
                  and (not sel.scenes or scenes[s] in sel.scenes)
                  and (not sel.carriers or carriers[s] in sel.carriers)]
        if not chosen:
            raise InputError(f"applies_to selects no stream this {measure.type} measure can act on "
                             f"({', '.join(sorted(allowed))})", file=sfile, row=measure.id, field="applies_to")
        return chosen

    derived_of: dict[int, int] = {}
    for measure in measures:
        if measure.type != "shift":
            continue
        if measure.to_gpc is None or measure.to_electricity is None:
            raise InputError("a shift measure needs to_gpc and to_electricity", file=sfile, row=measure.id,
                             field="to_gpc" if measure.to_gpc is None else "to_electricity")
        if measure.to_gpc not in gpc_table():
            raise InputError(f"unknown GPC reference {measure.to_gpc!r}", file=sfile, row=measure.id,
                             field="to_gpc")
        for s in select(measure, measure.applies_to, {"fuel"}, base_count):
            if s in derived_of:
                d = derived_of[s]
                if gpcs[d] != measure.to_gpc:
                    raise InputError(f"line {stream_line[s]} is already shifted to {gpcs[d]}", file=sfile,
                                     row=measure.id, field="to_gpc")
                continue
            d = len(stream_ids)
            derived_of[s] = d
            stream_ids.append(f"{stream_ids[s]}>electricity")
            stream_line.append(stream_line[s])
            scenes.append(scenes[s])
            gpcs.append(measure.to_gpc)
            carriers.append("electricity")
            parent.append(s)
            log_activity.append(log_activity[s])
            elasticity.append(elasticity[s])
            energy_tj.append(0.0)
            line_uncertainty.append(line_uncertainty[s])
            comp_stream.append(d)
            comp_gas.append("CO2")
            comp_base.append(1.0)
            comp_electric.append(True)
            comp_measure.append(-1)
            comp_energy.append(_gpc_energy(measure.to_gpc))
            comp_sink.append(False)
    s_count = len(stream_ids)

    # measures: pass 2, selections, effects, costs ---------------------------------------------
    m_count = len(measures)
    types = np.zeros(m_count, dtype=np.int64)
    effect = np.zeros(m_count)
    to_el = np.zeros(m_count)
    adoption = np.zeros((m_count, t_count))
    sel_stream = np.zeros((m_count, s_count))
    capex = np.zeros(m_count)
    opex = np.zeros(m_count)
    lifetime = np.full(m_count, np.inf)
    max_ramp = np.zeros(m_count)
    default_ramp = lib.get("pathways.default.max_ramp")
    new_sinks: list[int] = []
    for m, measure in enumerate(measures):
        mid = measure.id
        types[m] = TYPE_CODES[measure.type]
        adoption[m] = adoption_path(measure.adoption, years.astype(float), file=sfile, row=mid)
        if measure.type == "sink" and measure.removal is not None:
            if measure.effect is not None:
                raise InputError("give effect (fraction added to existing sinks) or removal, not both",
                                 file=sfile, row=mid, field="effect")
            low, value, high = res_s.triple(measure.removal, "tCO2e/yr", row=mid, where="removal")
            if value < 0:
                raise InputError("removal must be given as a positive amount", file=sfile, row=mid,
                                 field="removal")
            new_sinks.append(m)
        else:
            if measure.effect is None:
                raise InputError(f"a {measure.type} measure needs an effect", file=sfile, row=mid, field="effect")
            low, value, high = res_s.triple(measure.effect, "dimensionless", row=mid, where="effect")
            if low < 0 or value < 0:
                raise InputError(f"negative effect {min(low, value):g}", file=sfile, row=mid, field="effect")
            if measure.type != "sink" and high > 1:
                raise InputError(f"effect {high:g} is above 100 % (give a fraction 0–1)", file=sfile, row=mid,
                                 field="effect")
        effect[m] = value
        if high > low:
            uncertain.append(Uncertain("effect", m, low, value, high))
        if measure.type == "shift":
            assert measure.to_electricity is not None
            to_el[m] = res_s.value(measure.to_electricity, "MWh/TJ", row=mid, where="to_electricity")
        sel = measure.applies_to
        if measure.type != "supply" and (sel.grid or sel.gases):
            raise InputError("grid and gases select supply measures only", file=sfile, row=mid,
                             field="applies_to.grid" if sel.grid else "applies_to.gases")
        if measure.type == "demand":
            chosen = select(measure, sel, {"fuel", "electricity", "process"}, base_count)
            chosen += [d for s, d in derived_of.items() if s in chosen]
        elif measure.type == "shift":
            chosen = select(measure, sel, {"fuel"}, base_count)
        elif measure.type == "efficiency":
            chosen = select(measure, sel, {"fuel", "electricity", "process"}, s_count)
        elif measure.type == "sink" and measure.removal is None:
            chosen = select(measure, sel, {"sink"}, base_count)
        else:
            chosen = []
        sel_stream[m, chosen] = 1.0
        cost = measure.cost
        if cost.capex is not None:
            capex[m] = res_s.value(cost.capex, "CNY", row=mid, where="cost.capex")
        if cost.opex is not None:
            opex[m] = res_s.value(cost.opex, "CNY/yr", row=mid, where="cost.opex")
        if cost.lifetime is not None:
            lifetime[m] = res_s.value(cost.lifetime, "yr", row=mid, where="cost.lifetime")
            if lifetime[m] <= 0:
                raise InputError("lifetime must be positive", file=sfile, row=mid, field="cost.lifetime")
        ramp = res_s.value(measure.max_ramp, "1/yr", row=mid, where="max_ramp") if measure.max_ramp else \
            convert(default_ramp.value, default_ramp.unit, "1/yr")
        if ramp <= 0:
            raise InputError("max_ramp must be positive", file=sfile, row=mid, field="max_ramp")
        max_ramp[m] = ramp

    for m in new_sinks:
        comp_stream.append(-1)
        comp_gas.append("CO2")
        comp_base.append(-1.0)
        comp_electric.append(False)
        comp_measure.append(m)
        comp_energy.append(False)
        comp_sink.append(True)
    c_count = len(comp_stream)
    cs = np.array(comp_stream, dtype=np.int64)
    sel_comp = np.zeros((m_count, c_count))
    for m, measure in enumerate(measures):
        sel = measure.applies_to
        if measure.type == "supply":
            for gas_name in sel.gases:
                if gas_name not in inventory_gases:
                    raise InputError(f"unknown measure target: the inventory has no {gas_name} emissions", file=sfile,
                                     row=measure.id, field="applies_to.gases")
            if sel.grid:
                if sel.lines or sel.gpc or sel.scenes or sel.carriers or sel.gases:
                    raise InputError("a grid measure acts on every electricity user; give no other selection",
                                     file=sfile, row=measure.id, field="applies_to")
                chosen_c = [c for c in range(c_count) if comp_electric[c]]
            else:
                streams = set(select(measure, sel, {"fuel", "electricity", "process"}, s_count))
                chosen_c = [c for c in range(c_count) if cs[c] in streams
                            and (not sel.gases or comp_gas[c] in sel.gases)]
                if not chosen_c:
                    raise InputError("applies_to selects no emissions of the gases named", file=sfile,
                                     row=measure.id, field="applies_to.gases")
            sel_comp[m, chosen_c] = 1.0
        elif measure.type == "sink" and measure.removal is None:
            sel_comp[m] = np.isin(cs, np.flatnonzero(sel_stream[m] > 0)).astype(float)

    # followers ---------------------------------------------------------------------------------
    follow = np.zeros((s_count, s_count))
    is_follower = np.zeros(s_count, dtype=bool)
    for s, leaders in follows.items():
        idx = [stream_line.index(lid) for lid in leaders]
        units = {inputs[lid].unit for lid in leaders}
        if len(units) > 1 or any(i in follows for i in idx):
            raise InputError("a line can follow lines of one unit that follow nothing themselves", file=rfile,
                             field="streams.follows")
        qty = np.array([float(inputs[lid].quantity or 0.0) for lid in leaders])
        follow[s, idx] = qty / qty.sum()
        is_follower[s] = True

    # metrics -----------------------------------------------------------------------------------
    sink = np.array(comp_sink)
    gases_arr = np.array(comp_gas)
    weights = np.zeros((len(METRIC_NAMES), c_count))
    weights[GROSS] = ~sink
    weights[REMOVALS] = sink
    weights[NET] = 1.0
    weights[ENERGY_CO2] = np.array(comp_energy) & (gases_arr == "CO2") & ~sink
    targets = rm.targets
    for row_index, target, name in ((PEAK, targets.peak, "peak"), (NEUTRALITY, targets.neutrality, "neutrality")):
        for gas_name in target.gases:
            if gas_name not in inventory_gases:
                raise InputError(f"the target names {gas_name}, which the inventory lacks "
                                 f"(it has {', '.join(sorted(inventory_gases))})", file=rfile,
                                 field=f"targets.{name}.gases")
        in_gases = np.isin(gases_arr, target.gases)
        if target.metric == "energy_co2":
            weights[row_index] = weights[ENERGY_CO2] * in_gases
        elif target.metric == "gross":
            weights[row_index] = weights[GROSS] * in_gases
        else:
            weights[row_index] = in_gases * ~sink
            sinks = getattr(target, "sinks", "all")
            if sinks == "all":
                weights[row_index] += sink
            elif isinstance(sinks, list):
                # names are checked against every scenario of the roadmap by check_sink_names
                for c in range(c_count):
                    if not sink[c]:
                        continue
                    owner = stream_line[cs[c]] if cs[c] >= 0 else measures[comp_measure[c]].id
                    if owner in sinks:
                        weights[row_index, c] = 1.0
    scene_names = tuple(SCENES)
    scene_weights = np.array([[(not comp_sink[c]) and (scenes[cs[c]] if cs[c] >= 0 else "land") == sc
                               for c in range(c_count)] for sc in scene_names], dtype=float)

    peak_year = round(res_r.value(targets.peak.year, "dimensionless", row=None, where="targets.peak.year"))
    tolerance = res_r.value(targets.peak.tolerance, "dimensionless", row=None, where="targets.peak.tolerance")
    nz_year = round(res_r.value(targets.neutrality.year, "dimensionless", row=None,
                                    where="targets.neutrality.year"))
    for year, where in ((peak_year, "targets.peak.year"), (nz_year, "targets.neutrality.year")):
        if not start <= year <= end:
            raise InputError(f"target year {year} is outside the horizon {start}–{end}", file=rfile, field=where)
    rate = res_r.value(rm.economics.discount_rate, "dimensionless", row=None, where="economics.discount_rate")
    sensitivity = [res_r.value(c, "dimensionless", row=None, where=f"economics.discount_rate_sensitivity.{i}")
                   for i, c in enumerate(rm.economics.discount_rate_sensitivity)]

    for s, pct in enumerate(line_uncertainty):
        if pct > 0 and parent[s] < 0:
            uncertain.append(Uncertain("activity", s, 0.0, 1.0, pct / 100.0, "normal"))

    model = CompiledModel(
        years=years, stream_ids=tuple(stream_ids), stream_scene=tuple(scenes), stream_gpc=tuple(gpcs),
        stream_carrier=tuple(carriers), parent=np.array(parent, dtype=np.int64),
        log_activity=np.array(log_activity), elasticity=np.array(elasticity).reshape(s_count, len(driver_names)),
        driver_log_index=driver_log, energy_tj0=np.array(energy_tj), follow=follow, is_follower=is_follower,
        comp_stream=cs, comp_gas=tuple(comp_gas), comp_base=np.array(comp_base),
        comp_electric=np.array(comp_electric), comp_measure=np.array(comp_measure, dtype=np.int64),
        comp_scene=tuple(scenes[c] if c >= 0 else "land" for c in comp_stream), grid=grid,
        measure_ids=tuple(m.id for m in measures), measure_type=types, effect=effect, to_electricity=to_el,
        adoption=adoption, sel_stream=sel_stream, sel_comp=sel_comp, metric_weights=weights,
        scene_names=scene_names, scene_weights=scene_weights,
    )
    context = Context(
        roadmap=rm, roadmap_file=rfile, scenario=scenario, scenario_file=sfile, inventory=inv,
        inventory_file=county.inventory_file, inventory_sha256=county.inventory_sha256, library=lib,
        peak_target_year=peak_year, peak_tolerance=tolerance, neutrality_target_year=nz_year,
        discount_rate=rate, discount_rates_sensitivity=sensitivity, capex=capex, opex=opex, lifetime=lifetime,
        max_ramp=max_ramp, uncertain=uncertain, driver_periods=periods, grid_points=points,
        stream_line=stream_line, assumptions=res_r.assumptions + res_s.assumptions,
        roadmap_sha256=county.roadmap_sha256, scenario_sha256=scenario_sha256,
    )
    return model, context


def check_sink_names(county: CountyBase, scenarios: list[Scenario]) -> None:
    """Every sink the neutrality target lists is an inventory line or a measure of some scenario.

    Raises
    ------
    InputError
        Naming the roadmap file and ``targets.neutrality.sinks``.
    """
    sinks = county.roadmap.targets.neutrality.sinks
    if not isinstance(sinks, list):
        return
    known = {line.id for line in county.inventory.lines} | {m.id for s in scenarios for m in s.measures}
    for item in sinks:
        if item not in known:
            raise InputError(f"unknown sink {item!r}: not an inventory line or a measure of any scenario",
                             file=county.roadmap_file, field="targets.neutrality.sinks")
