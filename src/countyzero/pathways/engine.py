"""Scenario runs: trajectories, peak and net-zero years, wedges, cost curves, LMDI and Monte Carlo.

Example
-------
>>> from countyzero.pathways.engine import run_roadmap
>>> result = run_roadmap("examples/baoting")                      # doctest: +SKIP
>>> result.scenarios["reference"].peak_year                        # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from countyzero.core.errors import InputError
from countyzero.core.trace import Provenance, sha256_of
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.pathways.analytics import (
    discount_factors,
    lmdi,
    net_zero_year,
    peak_year,
    shapley_exact,
    shapley_sampled,
)
from countyzero.pathways.compile import (
    Context,
    CountyBase,
    check_sink_names,
    compile_scenario,
    load_county,
    read_scenario,
)
from countyzero.pathways.projection import (
    DEMAND,
    EFFICIENCY,
    ENERGY_CO2,
    GROSS,
    NET,
    NEUTRALITY,
    PEAK,
    REMOVALS,
    CompiledModel,
    FloatArray,
    _log_reduction,
    evaluate,
)

ENGINE = "countyzero.pathways"
METHOD = ("driver × intensity × factor projection; multiplicative stacking demand → shift → efficiency → "
          "supply → sinks (research/county.md §3.2); Shapley wedges; LMDI-I; Latin-hypercube Monte Carlo")
ROADMAP_FILE = "roadmap.yaml"


class MacEntry(BaseModel):
    """One bar of the marginal abatement cost curve."""

    measure: str
    name_en: str
    name_zh: str
    cumulative_abatement_tco2e: float
    average_annual_abatement_tco2e: float
    npv_cost_cny: float
    cost_per_tco2e: float | None = Field(description="NPV cost ÷ cumulative abatement, CNY/tCO2e")
    cost_per_tco2e_sensitivity: dict[str, float | None] = Field(default_factory=dict)


class ScenarioResult(BaseModel):
    """The output contract of one scenario (docs/pathways.md, "JSON output")."""

    id: str
    name_en: str
    name_zh: str
    reference: bool
    years: list[int]
    gross_tco2e: list[float]
    removals_tco2e: list[float]
    net_tco2e: list[float]
    energy_co2_t: list[float]
    peak_metric: list[float]
    neutrality_metric: list[float]
    peak_year: int | None
    net_zero_year: int | None
    targets: dict[str, Any]
    by_scene: dict[str, list[float]]
    by_gas: dict[str, list[float]]
    electricity_mwh: list[float]
    wedges: dict[str, list[float]] | None = None
    wedge_method: str | None = None
    measures: list[dict[str, Any]] = Field(default_factory=list)
    mac: list[MacEntry] = Field(default_factory=list)
    lmdi: dict[str, Any] | None = None
    p_peak_by_target: float | None = None
    p_net_zero_by_target: float | None = None
    montecarlo: dict[str, Any] | None = None
    assumptions: list[dict[str, Any]] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)


class RoadmapResult(BaseModel):
    """``countyzero roadmap DIR --format json``: ``{"county": …, "scenarios": {id: ScenarioResult}}``."""

    county: str
    region: str
    model: str
    reference: str
    scenarios: dict[str, ScenarioResult]


@dataclass
class PreparedScenario:
    """A compiled scenario with its context (and, for reference, nothing else)."""

    model: CompiledModel
    context: Context


def prepare(county: CountyBase, scenario_path: str | Path, library: FactorLibrary | None = None) -> PreparedScenario:
    """Read and compile one scenario file on a loaded county."""
    scenario, document = read_scenario(scenario_path)
    model, context = compile_scenario(county, scenario, document.path, document.sha256, library)
    return PreparedScenario(model, context)


def _roadmap_of(scenario_path: Path) -> Path:
    scenario, _ = read_scenario(scenario_path)
    path = (scenario_path.parent / scenario.roadmap).resolve()
    if not path.is_file():
        raise InputError(f"roadmap file {scenario.roadmap!r} not found", file=str(scenario_path), field="roadmap")
    return path


def _scenario_paths(county: CountyBase) -> list[Path]:
    base = Path(county.roadmap_file).parent
    return [base / name for name in county.roadmap.scenarios]


# single-run outputs --------------------------------------------------------------------------------
def _wedges(prep: PreparedScenario, library: FactorLibrary) -> tuple[FloatArray, str]:
    model = prep.model
    n = model.n_measures

    def value(coalitions: FloatArray) -> FloatArray:
        return evaluate(model, coalitions)[0][:, NEUTRALITY, :]

    exact_max = int(library.get("pathways.default.shapley_exact_max").value)
    if n <= exact_max:
        phi = shapley_exact(value, n)
        method = f"exact Shapley values over {2 ** n} coalitions"
    else:
        perms = int(library.get("pathways.default.shapley_permutations").value)
        phi = shapley_sampled(value, n, perms, seed=0)
        method = (f"Shapley values from {perms + perms % 2} sampled orderings with antithetic pairs, seed 0 "
                  "(Castro et al. 2009); sums are exact")
    return -phi, method


def cost_flows(model: CompiledModel, context: Context,
               adoption: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Yearly investment (with renewals at end of life, less salvage in the last year) and operating cost.

    Investment in year t is capex × max(x_t − x_t−1, 0) (adoption before the horizon counts as sunk), renewed
    every ``lifetime`` years; an investment whose life outlasts the horizon is credited with the linear
    remaining share of its cost in the last year. Operating cost is opex × x_t.

    Returns
    -------
    capex_flow, opex_flow : arrays [M, T], CNY per year
    """
    x = model.adoption if adoption is None else adoption
    t_count = x.shape[1]
    added = np.maximum(np.diff(x, axis=1, prepend=x[:, :1]), 0.0)
    invest = np.zeros_like(x)
    for m in range(x.shape[0]):
        life = context.lifetime[m]
        step = int(np.rint(life)) if np.isfinite(life) else t_count + 1
        step = max(step, 1)
        for t in np.flatnonzero(added[m] > 0):
            for tau in range(t, t_count, step):
                invest[m, tau] += added[m, t]
                remaining = (tau + life) - (t_count - 1) - 1
                if np.isfinite(life) and remaining > 0:
                    invest[m, t_count - 1] -= added[m, t] * remaining / life
    return invest * context.capex[:, None], x * context.opex[:, None]


def _mac(model: CompiledModel, context: Context, wedges: FloatArray) -> list[MacEntry]:
    capex_flow, opex_flow = cost_flows(model, context)
    base_year = int(model.years[0])
    entries = []
    for m, measure in enumerate(context.scenario.measures):
        abatement = float(wedges[m].sum())
        flows = capex_flow[m] + opex_flow[m]
        npv = float(flows @ discount_factors(model.years, context.discount_rate, base_year))
        sens: dict[str, float | None] = {}
        for rate in context.discount_rates_sensitivity:
            other = float(flows @ discount_factors(model.years, rate, base_year))
            sens[f"{rate:g}"] = other / abatement if abatement > 0 else None
        entries.append(MacEntry(
            measure=measure.id, name_en=measure.name_en, name_zh=measure.name_zh,
            cumulative_abatement_tco2e=abatement,
            average_annual_abatement_tco2e=abatement / model.years.size, npv_cost_cny=npv,
            cost_per_tco2e=npv / abatement if abatement > 0 else None, cost_per_tco2e_sensitivity=sens))
    entries.sort(key=lambda e: (e.cost_per_tco2e is None, e.cost_per_tco2e or 0.0))
    return entries


def stream_factors(model: CompiledModel) -> dict[str, FloatArray]:
    """Activity, demand and efficiency multipliers of every stream [S, T] (for LMDI)."""
    x = model.adoption
    rx = model.effect[:, None] * x
    out: dict[str, FloatArray] = {"activity": np.exp(model.log_activity)}
    for name, kind in (("demand", DEMAND), ("efficiency", EFFICIENCY)):
        idx = np.flatnonzero(model.measure_type == kind)
        logs = np.zeros_like(model.log_activity)
        if idx.size:
            logs = model.sel_stream[idx].T @ _log_reduction(rx[idx])
        out[name] = np.exp(logs)
    return out


def lmdi_of_run(model: CompiledModel, components: FloatArray, start_index: int, end_index: int) -> dict[str, Any]:
    """LMDI-I of gross emissions between two years: activity (drivers), demand, efficiency, fuel mix & factor.

    Each inventory line's gross emissions (with the electricity its fuel was shifted to) are
    E0 × activity × demand × efficiency × carbon, where *carbon* is the rest (fuel shifts, emission factors,
    grid decarbonisation). Lines followed by another line (fuelwood carbon loss) count all their change under
    activity. The effects sum exactly to the change (analytics.lmdi).
    """
    factors = stream_factors(model)
    owner = np.where(model.parent >= 0, model.parent, np.arange(len(model.parent)))
    base_streams = np.flatnonzero(model.parent < 0)
    gross_c = components[:, [start_index, end_index]] * model.metric_weights[GROSS][:, None]
    per_stream = np.zeros((len(model.parent), 2))
    has = model.comp_stream >= 0
    np.add.at(per_stream, owner[model.comp_stream[has]], gross_c[has])
    keep = [s for s in base_streams if per_stream[s, 0] > 0]
    e0 = per_stream[keep, 0]
    start: dict[str, FloatArray] = {"base": e0}
    end: dict[str, FloatArray] = {"base": e0}
    for name in ("activity", "demand", "efficiency"):
        values = factors[name][keep]
        values[model.is_follower[keep]] = 1.0
        start[name] = values[:, start_index]
        end[name] = values[:, end_index]
    follower_idx = model.is_follower[keep]
    end["activity"] = np.where(follower_idx, per_stream[keep, 1] / e0, end["activity"])
    known_start = start["activity"] * start["demand"] * start["efficiency"]
    known_end = end["activity"] * end["demand"] * end["efficiency"]
    start["carbon"] = np.divide(per_stream[keep, 0], e0 * known_start)
    with np.errstate(divide="ignore", invalid="ignore"):
        carbon_end = np.where(known_end > 0, per_stream[keep, 1] / (e0 * known_end), 0.0)
    end["carbon"] = np.where(follower_idx, 1.0, carbon_end)
    effects = lmdi(start, end)
    effects.pop("base")
    return {
        "from": int(model.years[start_index]), "to": int(model.years[end_index]),
        "change_tco2e": float(per_stream[keep, 1].sum() - per_stream[keep, 0].sum()),
        "effects_tco2e": effects,
        "note": "gross emissions; sinks are not decomposed",
    }


def run_prepared(prep: PreparedScenario, *, reference: PreparedScenario | None = None, draws: int | None = None,
                 seed: int | None = None, library: FactorLibrary | None = None) -> ScenarioResult:
    """Run a compiled scenario: trajectories, targets, wedges and MAC (against ``reference``), LMDI, MC."""
    lib = library or default_library()
    model, ctx = prep.model, prep.context
    metrics, comp, mult = evaluate(model, detail=True)
    assert comp is not None and mult is not None
    m0, c0 = metrics[0], comp[0]
    years = [int(y) for y in model.years]
    tol = ctx.peak_tolerance
    peak = peak_year(model.years, m0[PEAK], tol)
    nz = net_zero_year(model.years, m0[NEUTRALITY])
    by_scene = {name: (model.scene_weights[i] @ c0).tolist() for i, name in enumerate(model.scene_names)}
    gases = sorted(set(model.comp_gas))
    gross_w = model.metric_weights[GROSS]
    by_gas = {g: ((np.array(model.comp_gas) == g) * gross_w @ c0).tolist() for g in gases}
    electric_comp = np.flatnonzero(model.comp_electric)
    electricity = (model.comp_base[electric_comp, None] * mult[0][model.comp_stream[electric_comp]]).sum(axis=0)
    rm = ctx.roadmap
    is_reference = ctx.scenario.id == rm.reference
    if is_reference and model.n_measures:
        raise InputError("the reference scenario is business-as-usual and has no measures", file=ctx.scenario_file,
                         field="measures")
    result = ScenarioResult(
        id=ctx.scenario.id, name_en=ctx.scenario.name_en, name_zh=ctx.scenario.name_zh, reference=is_reference,
        years=years, gross_tco2e=m0[GROSS].tolist(), removals_tco2e=m0[REMOVALS].tolist(),
        net_tco2e=m0[NET].tolist(), energy_co2_t=m0[ENERGY_CO2].tolist(), peak_metric=m0[PEAK].tolist(),
        neutrality_metric=m0[NEUTRALITY].tolist(), peak_year=peak, net_zero_year=nz,
        targets={
            "peak": {"year": ctx.peak_target_year, "metric": rm.targets.peak.metric, "gases": rm.targets.peak.gases,
                     "tolerance": tol, "met": peak is not None and peak <= ctx.peak_target_year},
            "neutrality": {"year": ctx.neutrality_target_year, "metric": rm.targets.neutrality.metric,
                           "gases": rm.targets.neutrality.gases, "sinks": rm.targets.neutrality.sinks,
                           "met": nz is not None and nz <= ctx.neutrality_target_year},
        },
        by_scene=by_scene, by_gas=by_gas, electricity_mwh=electricity.tolist(),
        measures=[{"id": m.id, "name_en": m.name_en, "name_zh": m.name_zh, "scene": m.scene, "type": m.type,
                   "adoption": model.adoption[i].tolist()} for i, m in enumerate(ctx.scenario.measures)],
        assumptions=[a.to_dict() for a in ctx.assumptions],
    )
    result.lmdi = lmdi_of_run(model, c0, 0, years.index(ctx.neutrality_target_year))
    if not is_reference:
        if reference is None:
            raise InputError("wedges need the reference scenario", file=ctx.scenario_file)
        ref_metrics = evaluate(reference.model)[0][0]
        baseline = evaluate(model, np.zeros((1, model.n_measures)))[0][0]
        if not np.allclose(baseline[NEUTRALITY], ref_metrics[NEUTRALITY], rtol=1e-9, atol=1e-6):
            raise InputError("with its measures off, the scenario must reproduce the reference scenario "
                             "(both use the roadmap's drivers and grid)", file=ctx.scenario_file)
        if model.n_measures:
            wedges, method = _wedges(prep, lib)
            result.wedges = {m.id: wedges[i].tolist() for i, m in enumerate(ctx.scenario.measures)}
            result.wedge_method = method + "; wedge = reduction of the neutrality metric against the reference"
            result.mac = _mac(model, ctx, wedges)
        else:
            result.wedges = {}
            result.wedge_method = "no measures"
    n_draws = ctx.scenario.montecarlo.draws if draws is None else draws
    if n_draws:
        from countyzero.pathways.montecarlo import monte_carlo

        mc = monte_carlo(model, ctx, n_draws, ctx.scenario.montecarlo.seed if seed is None else seed)
        result.p_peak_by_target = mc["p_peak_by_target"]
        result.p_net_zero_by_target = mc["p_net_zero_by_target"]
        result.montecarlo = mc
    result.provenance = Provenance(
        engine=ENGINE, method=METHOD, factor_set_version=lib.version, factor_set_digest=lib.digest,
        gwp_set=ctx.inventory.gwp,
        input_sha256=sha256_of({"roadmap": ctx.roadmap_sha256, "scenario": ctx.scenario_sha256,
                                "inventory": ctx.inventory_sha256}),
        extra={"roadmap_file": ctx.roadmap_file, "scenario_file": ctx.scenario_file,
               "inventory_file": ctx.inventory_file, "base_year": years[0]},
    ).to_dict()
    return result


def run_scenario_file(path: str | Path, *, draws: int | None = None, seed: int | None = None,
                      library: FactorLibrary | None = None) -> ScenarioResult:
    """Run one scenario file (with its roadmap's reference scenario for the wedges)."""
    path = Path(path)
    lib = library or default_library()
    county = load_county(_roadmap_of(path), lib)
    prep = prepare(county, path, lib)
    listed = [read_scenario(p)[0] for p in _scenario_paths(county) if p.resolve() != path.resolve()]
    check_sink_names(county, [prep.context.scenario, *listed])
    reference = None
    if prep.context.scenario.id != county.roadmap.reference:
        reference = _reference(county, lib)
    return run_prepared(prep, reference=reference, draws=draws, seed=seed, library=lib)


def _reference(county: CountyBase, library: FactorLibrary) -> PreparedScenario:
    for path in _scenario_paths(county):
        scenario, _ = read_scenario(path)
        if scenario.id == county.roadmap.reference:
            return prepare(county, path, library)
    raise InputError(f"no scenario file has the reference id {county.roadmap.reference!r}",
                     file=county.roadmap_file, field="reference")


def find_roadmap(folder: str | Path) -> Path:
    """The roadmap file of a county folder (``roadmap.yaml``)."""
    folder = Path(folder)
    path = folder / ROADMAP_FILE if folder.is_dir() else folder
    if not path.is_file():
        raise InputError(f"no {ROADMAP_FILE} in this folder", file=str(folder))
    return path


def run_roadmap(folder: str | Path, *, draws: int | None = None, seed: int | None = None,
                library: FactorLibrary | None = None) -> RoadmapResult:
    """Run every scenario of a county folder (its ``roadmap.yaml`` lists them)."""
    lib = library or default_library()
    county = load_county(find_roadmap(folder), lib)
    prepared = [prepare(county, path, lib) for path in _scenario_paths(county)]
    check_sink_names(county, [p.context.scenario for p in prepared])
    ids = [p.context.scenario.id for p in prepared]
    for i, sid in enumerate(ids):
        if sid in ids[:i]:
            raise InputError(f"two scenario files have the id {sid!r}", file=prepared[i].context.scenario_file,
                             field="id")
    if county.roadmap.reference not in ids:
        raise InputError(f"no scenario file has the reference id {county.roadmap.reference!r}",
                         file=county.roadmap_file, field="reference")
    reference = prepared[ids.index(county.roadmap.reference)]
    scenarios = {p.context.scenario.id: run_prepared(p, reference=reference, draws=draws, seed=seed, library=lib)
                 for p in prepared}
    rm = county.roadmap
    return RoadmapResult(county=rm.county, region=rm.region, model=rm.model, reference=rm.reference,
                         scenarios=scenarios)
