"""Evaluate a Climate Challenge submission against the county's chosen roadmap scenario.

The solution's measures are compiled *together with* the plan's measures into one county model, so they are
stacked in the fixed causal order of the pathways engine (demand → shift → efficiency → supply → sinks,
docs/pathways.md). Four runs of the same model differ only in which adoption paths are on:

* **without** — the plan alone (the solution's measures at zero adoption);
* **with** — the plan and the solution (the solution counted only beyond the plan where it is the same lever);
* **standalone** — the solution alone on the reference projection;
* **reference** — nothing on.

Abatement per year = without − with (the neutrality metric, tCO2e; also the peak metric); the overlap with the
plan = standalone − additional. Monte Carlo draws the uncertain inputs *once* (Latin hypercube, one seed) and
runs both *with* and *without* on the same draws, so ΔP is the solution's effect and not sampling noise.

No double counting: a solution measure is *the same lever* as a plan measure when the submission declares it
(``overlaps``), when it has the plan measure's id, or when it has the same type, selection, effect and adoption.
The combined reduction of a lever is then max(plan, solution), not their product — the solution's adoption is
replaced by the part beyond the plan (:func:`additional_adoption`), and a solution already fully in the plan
contributes exactly zero. Other measures acting on the same streams are stacked on what the plan leaves and
flagged ``possible overlap`` for the jury.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import qmc, triang

from countyzero.challenge.model import Submission
from countyzero.challenge.reader import UNSUPPORTED_FLAG, Flag, SubmissionFile, read_challenge
from countyzero.core.errors import InputError
from countyzero.core.trace import Provenance, sha256_of
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.pathways.analytics import discount_factors, net_zero_year, net_zero_years, peak_year, peak_years
from countyzero.pathways.compile import Context, CountyBase, compile_scenario, load_county, read_scenario
from countyzero.pathways.engine import cost_flows, find_roadmap
from countyzero.pathways.model import Scenario
from countyzero.pathways.montecarlo import BLOCK, sample_inputs
from countyzero.pathways.projection import (
    DEMAND,
    EFFICIENCY,
    GROSS,
    NEUTRALITY,
    PEAK,
    SHIFT,
    SINK,
    SUPPLY,
    CompiledModel,
    FloatArray,
    evaluate,
)

ENGINE = "countyzero.challenge"
METHOD = ("county scenario with and without the solution, one compiled model, causal stacking demand → shift → "
          "efficiency → supply → sinks; same-lever overlaps counted as max(plan, solution); Monte Carlo with "
          "common random numbers (one Latin-hypercube sample for both runs); NPV cost ÷ cumulative abatement")
MULTIPLICATIVE = (DEMAND, SHIFT, EFFICIENCY, SUPPLY)
ABATEMENT_PERCENTILES = (5.0, 50.0, 95.0)


@dataclass
class CountyPlan:
    """A county folder with its base-year inventory and the scenario solutions are judged against."""

    county: CountyBase
    scenario: Scenario
    scenario_file: str
    scenario_sha256: str
    library: FactorLibrary
    model: CompiledModel
    context: Context
    _samples: dict[tuple[int, int], dict[str, FloatArray]] = field(default_factory=dict)

    def samples(self, draws: int, seed: int) -> dict[str, FloatArray]:
        """The plan's Monte Carlo draws (cached): every submission is judged on the same draws."""
        key = (draws, seed)
        if key not in self._samples:
            self._samples[key] = sample_inputs(self.model, self.context, draws, seed)
        return self._samples[key]


def _challenge_scenario(folder: Path) -> str | None:
    config = folder / "challenge" / "challenge.yaml"
    if config.is_file():
        return read_challenge(config)[0].scenario
    return None


def load_plan(county_dir: str | Path, scenario: str | None = None,
              library: FactorLibrary | None = None) -> CountyPlan:
    """Load a county folder and the scenario named ``scenario`` (its id or file stem).

    Without ``scenario``, the county's chosen scenario is the ``scenario`` of ``DIR/challenge/challenge.yaml``.

    Raises
    ------
    InputError
        No such scenario (the message lists the ones there are), or no scenario named and no challenge file.
    """
    lib = library or default_library()
    roadmap_file = find_roadmap(county_dir)
    county = load_county(roadmap_file, lib)
    base = Path(county.roadmap_file).parent
    wanted = scenario or _challenge_scenario(base)
    listed: list[tuple[Scenario, str, str]] = []
    for name in county.roadmap.scenarios:
        parsed, document = read_scenario(base / name)
        listed.append((parsed, str(base / name), document.sha256))
    ids = [s.id for s, _, _ in listed]
    if wanted is None:
        raise InputError(f"name the scenario to evaluate against (--scenario, one of {', '.join(ids)}), or give "
                         "the county a challenge/challenge.yaml", file=str(roadmap_file), field="scenario")
    for parsed, file, digest in listed:
        if wanted in (parsed.id, Path(file).stem):
            model, context = compile_scenario(county, parsed, file, digest, lib)
            return CountyPlan(county, parsed, file, digest, lib, model, context)
    raise InputError(f"no scenario {wanted!r} in this county (there are {', '.join(ids)})",
                     file=str(roadmap_file), field="scenario")


class Evaluation(BaseModel):
    """What a solution contributes to the county's targets (docs/challenge.md, "Evaluation")."""

    submission: dict[str, Any]
    county: str
    scenario: str
    years: list[int]
    peak_target_year: int
    neutrality_target_year: int
    abatement_tco2e: list[float] = Field(description="reduction of the neutrality metric per year (plan − with)")
    abatement_peak_metric_t: list[float]
    abatement_gross_tco2e: list[float]
    cumulative_abatement_to_peak_year_tco2e: float
    cumulative_abatement_to_target_year_tco2e: float
    cumulative_abatement_horizon_tco2e: float
    standalone_abatement_tco2e: list[float] = Field(description="the solution alone on the reference projection")
    standalone_cumulative_to_target_year_tco2e: float
    overlap_with_plan_to_target_year_tco2e: float
    npv_cost_cny: float = Field(description="NPV of the additional deployment's costs at the county discount rate")
    npv_cost_as_proposed_cny: float
    discount_rate: float
    cost_per_tco2e: float | None
    cost_per_tco2e_sensitivity: dict[str, float | None]
    peak_year_without: int | None
    peak_year_with: int | None
    net_zero_year_without: int | None
    net_zero_year_with: int | None
    p_peak_by_target_without: float | None
    p_peak_by_target_with: float | None
    delta_p_peak_by_target: float | None
    p_net_zero_by_target_without: float | None
    p_net_zero_by_target_with: float | None
    delta_p_net_zero_by_target: float | None
    montecarlo: dict[str, Any] | None
    measures: list[dict[str, Any]]
    co_benefits: list[dict[str, Any]]
    flags: list[dict[str, str]]
    status: str = Field(description="eligible, or flagged (an unsupported claim: never accepted)")
    assumptions: list[dict[str, Any]]
    provenance: dict[str, Any]


def _internal_id(submission: Submission, measure_id: str) -> str:
    return f"{submission.id}.{measure_id}"


def _same_content(model: CompiledModel, a: int, b: int) -> bool:
    return bool(model.measure_type[a] == model.measure_type[b]
                and np.array_equal(model.sel_stream[a], model.sel_stream[b])
                and np.array_equal(model.sel_comp[a], model.sel_comp[b])
                and model.effect[a] == model.effect[b]
                and np.array_equal(model.adoption[a], model.adoption[b]))


def _shares_streams(model: CompiledModel, a: int, b: int) -> bool:
    return bool(np.any((model.sel_stream[a] > 0) & (model.sel_stream[b] > 0))
                or np.any((model.sel_comp[a] > 0) & (model.sel_comp[b] > 0)))


def additional_adoption(model: CompiledModel, solution: int, plan: list[int],
                        new_sink: bool) -> tuple[FloatArray, FloatArray]:
    """Adoption of a solution measure beyond the plan measures of the same lever.

    With r x the reduction a measure reaches (effect × adoption), the plan's combined reduction on the lever is
    ρ = 1 − Π_p (1 − r_p x_p) and the lever with the solution reaches max(ρ, r_s x_s). Stacked multiplicatively on
    the plan, the solution therefore acts with x' = (max(ρ, r_s x_s) − ρ) / ((1 − ρ) r_s). Sink enhancements use
    ε = Π(1 + r_p x_p) − 1 and x' = ((1 + max(ε, r_s x_s)) / (1 + ε) − 1) / r_s; new sinks add removals, so
    x' = max(0, R_s x_s − Σ R_p x_p) / R_s.

    Returns
    -------
    kernel, deployed : arrays [T]
        x' for the projection, and the deployment beyond the plan in the solution's own units,
        max(0, r_s x_s − ρ) / r_s, which carries the solution's costs.
    """
    r_s = float(model.effect[solution])
    x_s = model.adoption[solution]
    if not plan or r_s <= 0:
        return x_s.copy(), x_s.copy()
    reach = r_s * x_s
    rx_p = model.effect[plan][:, None] * model.adoption[plan]
    if new_sink:
        covered = rx_p.sum(axis=0)
        extra = np.maximum(reach - covered, 0.0) / r_s
        return extra, extra.copy()
    if int(model.measure_type[solution]) == SINK:
        covered = np.prod(1.0 + rx_p, axis=0) - 1.0
        kernel = ((1.0 + np.maximum(reach, covered)) / (1.0 + covered) - 1.0) / r_s
    else:
        covered = 1.0 - np.prod(1.0 - np.clip(rx_p, 0.0, 1.0), axis=0)
        left = 1.0 - covered
        kernel = np.divide(np.maximum(reach, covered) - covered, left * r_s, out=np.zeros_like(reach),
                           where=left > 0)
    deployed = np.maximum(reach - covered, 0.0) / r_s
    return np.clip(kernel, 0.0, 1.0), deployed


def _metrics(model: CompiledModel, adoption: FloatArray) -> FloatArray:
    return evaluate(model, adoption=adoption[None])[0][0]


def _npv(model: CompiledModel, context: Context, adoption: FloatArray, rows: list[int], rate: float) -> float:
    capex, opex = cost_flows(model, context, adoption)
    flows = (capex[rows] + opex[rows]).sum(axis=0)
    return float(flows @ discount_factors(model.years, rate, int(model.years[0])))


def _solution_samples(model: CompiledModel, context: Context, rows: list[int], draws: int,
                      seed: int) -> FloatArray:
    """Latin-hypercube samples [N, len(rows)] of the solution's effects (triangular; the mode where no range)."""
    out = np.broadcast_to(model.effect[rows], (draws, len(rows))).copy()
    ranged = [(j, u) for j, m in enumerate(rows) for u in context.uncertain if u.kind == "effect" and u.index == m]
    if ranged:
        cube = qmc.LatinHypercube(d=len(ranged), rng=np.random.default_rng([seed, 9])).random(draws)
        for col, (j, u) in enumerate(ranged):
            c = (u.mode - u.low) / (u.high - u.low)
            out[:, j] = triang.ppf(cube[:, col], c, loc=u.low, scale=u.high - u.low)
    return out


def _montecarlo(plan: CountyPlan, model: CompiledModel, context: Context, with_x: FloatArray,
                without_x: FloatArray, rows: list[int], draws: int, seed: int, target_index: int) -> dict[str, Any]:
    base = plan.samples(draws, seed)
    n_plan = plan.model.n_measures
    extra = np.flatnonzero(model.parent[len(plan.model.stream_ids):] >= 0) + len(plan.model.stream_ids)
    stream_scale = np.ones((draws, len(model.stream_ids)))
    stream_scale[:, :len(plan.model.stream_ids)] = base["stream_scale"]
    stream_scale[:, extra] = stream_scale[:, model.parent[extra]]
    effect = np.concatenate([base["effect"][:, :n_plan], _solution_samples(model, context, rows, draws, seed)],
                            axis=1)
    samples = {"effect": effect, "driver_log_index": base["driver_log_index"], "grid_scale": base["grid_scale"],
               "stream_scale": stream_scale}
    p_with = np.empty(draws, dtype=np.int64)
    p_without = np.empty(draws, dtype=np.int64)
    z_with = np.empty(draws, dtype=np.int64)
    z_without = np.empty(draws, dtype=np.int64)
    cumulative = np.empty(draws)
    for start in range(0, draws, BLOCK):
        block = slice(start, min(start + BLOCK, draws))
        m_with, m_without = (
            evaluate(model, adoption=x[None], effect=samples["effect"][block],
                     driver_log_index=samples["driver_log_index"][block], grid_scale=samples["grid_scale"][block],
                     stream_scale=samples["stream_scale"][block])[0]
            for x in (with_x, without_x))
        for out_peak, out_zero, metrics in ((p_with, z_with, m_with), (p_without, z_without, m_without)):
            out_peak[block] = peak_years(model.years, metrics[:, PEAK, :], context.peak_tolerance)
            out_zero[block] = net_zero_years(model.years, metrics[:, NEUTRALITY, :])
        cumulative[block] = (m_without[:, NEUTRALITY, :target_index + 1]
                             - m_with[:, NEUTRALITY, :target_index + 1]).sum(axis=1)

    def share_peak(peaks: np.ndarray) -> float:
        return float(np.mean((peaks >= 0) & (peaks <= context.peak_target_year)))

    def share_zero(zeros: np.ndarray) -> float:
        return float(np.mean((zeros >= 0) & (zeros <= context.neutrality_target_year)))

    pct = np.percentile(cumulative, ABATEMENT_PERCENTILES)
    return {
        "draws": draws, "seed": seed, "sampling": "Latin hypercube (scipy.stats.qmc.LatinHypercube)",
        "common_random_numbers": True,
        "p_peak_by_target_without": share_peak(p_without), "p_peak_by_target_with": share_peak(p_with),
        "p_net_zero_by_target_without": share_zero(z_without), "p_net_zero_by_target_with": share_zero(z_with),
        "cumulative_abatement_to_target_year_percentiles_tco2e":
            {f"p{p:g}": float(v) for p, v in zip(ABATEMENT_PERCENTILES, pct, strict=True)},
        "note": ("both runs use the plan's own draws (pathways Monte Carlo, same seed), so 'without' is the plan's "
                 "probability for every entry; the solution's uncertain effects are sampled separately"),
    }


def _locate(exc: InputError, submission: Submission, path: str) -> InputError:
    """A compile error of a solution measure, naming the measure as the submission does."""
    if exc.file != path:
        return exc
    row = exc.row.removeprefix(submission.id + ".") if isinstance(exc.row, str) else exc.row
    return InputError(exc.message, file=path, row=row, field=exc.field)


def evaluate_submission(plan: CountyPlan, entry: SubmissionFile, *, draws: int | None = None,
                        seed: int | None = None) -> Evaluation:
    """Run the plan with and without the solution; see the module docstring.

    Parameters
    ----------
    plan : CountyPlan
        From :func:`load_plan`.
    entry : SubmissionFile
        From :func:`countyzero.challenge.reader.read_submission`.
    draws, seed : int, optional
        Monte Carlo draws (0 = none; default ``challenge.default.montecarlo_draws``) and seed (default the
        scenario file's seed).

    Raises
    ------
    InputError
        A measure targeting an activity the county does not have, a negative cost without a stated revenue, a
        declared overlap with a measure of another type, and any pathway input error — naming the submission
        file, the measure and the field.
    """
    lib = plan.library
    submission = entry.submission
    path = entry.path
    plan_ids = [m.id for m in plan.scenario.measures]
    solution_measures = [m.as_measure(_internal_id(submission, m.id)) for m in submission.measures]
    combined = plan.scenario.model_copy(update={"measures": [*plan.scenario.measures, *solution_measures]})
    try:
        model, ctx = compile_scenario(plan.county, combined, path, entry.sha256, lib)
    except InputError as exc:
        raise _locate(exc, submission, path) from None
    n_plan = len(plan_ids)
    sol_rows = list(range(n_plan, n_plan + len(submission.measures)))
    flags: list[Flag] = list(entry.flags)

    # costs must be explained ---------------------------------------------------------------------------------
    for k, measure in zip(sol_rows, submission.measures, strict=True):
        for name, value in (("capex", ctx.capex[k]), ("opex", ctx.opex[k])):
            if value < 0 and measure.revenue is None:
                raise InputError(f"negative cost {value:g} CNY without a stated revenue: give revenue "
                                 "{description, source, confidence} (sales, fuel saved …)", file=path,
                                 row=measure.id, field=f"cost.{name}")

    # overlaps with the plan ------------------------------------------------------------------------------
    kernel_x = model.adoption.copy()
    deployed_x = model.adoption.copy()
    measure_rows: list[dict[str, Any]] = []
    for k, measure in zip(sol_rows, submission.measures, strict=True):
        new_sink = measure.type == "sink" and measure.removal is not None
        same: list[int] = []
        for pid in measure.overlaps:
            if pid not in plan_ids:
                flags.append(Flag("overlap", f"measures.{measure.id}.overlaps",
                                  f"{pid!r} is not a measure of scenario {plan.scenario.id!r}: nothing to deduct"))
                continue
            p = plan_ids.index(pid)
            plan_measure = plan.scenario.measures[p]
            plan_new_sink = plan_measure.type == "sink" and plan_measure.removal is not None
            if plan_measure.type != measure.type or plan_new_sink != new_sink:
                raise InputError(f"declared overlap with {pid!r}, a {plan_measure.type} measure of another form: "
                                 "a solution can only deliver a plan measure of its own type", file=path,
                                 row=measure.id, field="overlaps")
            same.append(p)
        for p, pid in enumerate(plan_ids):
            if p in same:
                continue
            if pid == measure.id or (not new_sink and _same_content(model, k, p)):
                same.append(p)
        partial = [pid for p, pid in enumerate(plan_ids) if p not in same
                   and int(model.measure_type[p]) == int(model.measure_type[k]) and _shares_streams(model, k, p)]
        for pid in partial:
            flags.append(Flag("possible overlap", f"measures.{measure.id}",
                              f"acts on streams plan measure {pid!r} also acts on: stacked on what the plan leaves "
                              f"(declare overlaps: [{pid}] if the solution would deliver that measure)"))
        kernel, deployed = additional_adoption(model, k, same, new_sink)
        kernel_x[k] = kernel
        deployed_x[k] = deployed
        full = model.adoption[k]
        target_i = int(np.searchsorted(model.years, ctx.neutrality_target_year))
        measure_rows.append({
            "id": measure.id, "name_en": measure.name_en, "name_zh": measure.name_zh, "scene": measure.scene,
            "type": measure.type, "same_lever_as": [plan_ids[p] for p in same], "stacked_with": partial,
            "rule": "max(plan, solution) on the same lever" if same else "stacked on the plan (causal order)",
            "adoption_proposed": full.tolist(), "adoption_counted": deployed.tolist(),
            "share_already_in_plan_at_target_year":
                float(1.0 - deployed[target_i] / full[target_i]) if full[target_i] > 0 else None,
            "revenue": measure.revenue.model_dump() if measure.revenue else None,
        })

    # the four runs ----------------------------------------------------------------------------------------
    without_x = model.adoption.copy()
    without_x[sol_rows] = 0.0
    with_x = model.adoption.copy()
    with_x[sol_rows] = kernel_x[sol_rows]
    standalone_x = np.zeros_like(model.adoption)
    standalone_x[sol_rows] = model.adoption[sol_rows]
    m_without = _metrics(model, without_x)
    m_with = _metrics(model, with_x)
    m_alone = _metrics(model, standalone_x)
    m_reference = _metrics(model, np.zeros_like(model.adoption))
    years = [int(y) for y in model.years]
    peak_i = years.index(ctx.peak_target_year)
    target_i = years.index(ctx.neutrality_target_year)
    abatement = m_without[NEUTRALITY] - m_with[NEUTRALITY]
    standalone = m_reference[NEUTRALITY] - m_alone[NEUTRALITY]

    # costs ------------------------------------------------------------------------------------------------
    counted_cost_x = model.adoption.copy()
    counted_cost_x[sol_rows] = deployed_x[sol_rows]
    npv = _npv(model, ctx, counted_cost_x, sol_rows, ctx.discount_rate)
    npv_full = _npv(model, ctx, model.adoption, sol_rows, ctx.discount_rate)
    total = float(abatement.sum())
    sensitivity = {f"{rate:g}": (_npv(model, ctx, counted_cost_x, sol_rows, rate) / total if total > 0 else None)
                   for rate in ctx.discount_rates_sensitivity}

    # Monte Carlo ------------------------------------------------------------------------------------------
    n_draws = int(lib.get("challenge.default.montecarlo_draws").value) if draws is None else draws
    mc_seed = plan.scenario.montecarlo.seed if seed is None else seed
    mc = _montecarlo(plan, model, ctx, with_x, without_x, sol_rows, n_draws, mc_seed, target_i) if n_draws else None

    def delta(key: str) -> float | None:
        return None if mc is None else mc[f"{key}_with"] - mc[f"{key}_without"]

    prefixes = tuple(f"{_internal_id(submission, m.id)}: " for m in submission.measures)
    assumptions = [a.to_dict() | {"where": a.where.removeprefix(submission.id + ".")}
                   for a in ctx.assumptions if a.where.startswith(prefixes)]
    status = "flagged" if any(f.kind == UNSUPPORTED_FLAG for f in flags) else "eligible"
    trl = lib.get(f"challenge.trl.{submission.readiness_level}")
    return Evaluation(
        submission={"id": submission.id, "title_en": submission.title_en, "title_zh": submission.title_zh,
                    "provider": submission.provider, "country": submission.country,
                    "category": submission.category, "readiness_level": submission.readiness_level,
                    "readiness_name_en": trl.name_en, "readiness_name_zh": trl.name_zh,
                    "readiness_source": submission.readiness_source,
                    "description_en": submission.description_en, "description_zh": submission.description_zh,
                    "file": path},
        county=plan.county.roadmap.county, scenario=plan.scenario.id, years=years,
        peak_target_year=ctx.peak_target_year, neutrality_target_year=ctx.neutrality_target_year,
        abatement_tco2e=abatement.tolist(), abatement_peak_metric_t=(m_without[PEAK] - m_with[PEAK]).tolist(),
        abatement_gross_tco2e=(m_without[GROSS] - m_with[GROSS]).tolist(),
        cumulative_abatement_to_peak_year_tco2e=float(abatement[:peak_i + 1].sum()),
        cumulative_abatement_to_target_year_tco2e=float(abatement[:target_i + 1].sum()),
        cumulative_abatement_horizon_tco2e=total,
        standalone_abatement_tco2e=standalone.tolist(),
        standalone_cumulative_to_target_year_tco2e=float(standalone[:target_i + 1].sum()),
        overlap_with_plan_to_target_year_tco2e=float(standalone[:target_i + 1].sum()
                                                     - abatement[:target_i + 1].sum()),
        npv_cost_cny=npv, npv_cost_as_proposed_cny=npv_full, discount_rate=ctx.discount_rate,
        cost_per_tco2e=npv / total if total > 0 else None, cost_per_tco2e_sensitivity=sensitivity,
        peak_year_without=peak_year(model.years, m_without[PEAK], ctx.peak_tolerance),
        peak_year_with=peak_year(model.years, m_with[PEAK], ctx.peak_tolerance),
        net_zero_year_without=net_zero_year(model.years, m_without[NEUTRALITY]),
        net_zero_year_with=net_zero_year(model.years, m_with[NEUTRALITY]),
        p_peak_by_target_without=None if mc is None else mc["p_peak_by_target_without"],
        p_peak_by_target_with=None if mc is None else mc["p_peak_by_target_with"],
        delta_p_peak_by_target=delta("p_peak_by_target"),
        p_net_zero_by_target_without=None if mc is None else mc["p_net_zero_by_target_without"],
        p_net_zero_by_target_with=None if mc is None else mc["p_net_zero_by_target_with"],
        delta_p_net_zero_by_target=delta("p_net_zero_by_target"),
        montecarlo=mc, measures=measure_rows,
        co_benefits=[c.model_dump() for c in submission.co_benefits],
        flags=[f.to_dict() for f in flags], status=status, assumptions=assumptions,
        provenance=Provenance(
            engine=ENGINE, method=METHOD, factor_set_version=lib.version, factor_set_digest=lib.digest,
            gwp_set=ctx.inventory.gwp,
            input_sha256=sha256_of({"roadmap": plan.county.roadmap_sha256, "scenario": plan.scenario_sha256,
                                    "inventory": plan.county.inventory_sha256, "submission": entry.sha256}),
            extra={"roadmap_file": plan.county.roadmap_file, "scenario_file": plan.scenario_file,
                   "submission_file": path, "discount_rate": ctx.discount_rate},
        ).to_dict(),
    )


def evaluate_file(path: str | Path, county_dir: str | Path, *, scenario: str | None = None,
                  draws: int | None = None, seed: int | None = None) -> Evaluation:
    """Read a submission file and evaluate it against a county folder's scenario."""
    from countyzero.challenge.reader import read_submission

    entry = read_submission(path)
    return evaluate_submission(load_plan(county_dir, scenario), entry, draws=draws, seed=seed)
