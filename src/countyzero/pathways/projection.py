"""The projection kernel: a compiled county model evaluated for a batch of measure settings at once.

A base-year inventory line becomes a *stream* whose emissions of each gas (a *component*) are projected as

    E_c,t = E_c,0 × A_s,t × D_s,t × R_s,t × I_s,t × F_c,t                                   (1)

with A the driver index Π_d (D_d,t / D_d,0)^ε_s,d × (1 + τ_s)^(t − t0) (elasticities ε, autonomous
intensity trend τ), and the measure multipliers stacked in the fixed causal order of research/county.md §3.2:

* demand (avoid)       D = Π_m (1 − r_m x_m,t)           over the demand measures on the stream;
* shift                R = Π_m (1 − r_m x_m,t)           fuel left after shifts; the shifted fuel energy
                                                        becomes electricity, Σ_m k_m R_(before m) r_m x_m,t
                                                        MWh per TJ (k: MWh per TJ displaced), a stream of
                                                        its own that follows the grid factor;
* efficiency (improve) I = Π_m (1 − r_m x_m,t);
* supply               F = Π_m (1 − r_m x_m,t) × g_t/g_0 for electricity (grid factor trajectory g);
* sinks                removals × Π_m (1 + r_m x_m,t), plus −R_m x_m,t for new sinks.

Several reductions of one term combine multiplicatively (1 − Π(1 − r)), never by adding percentages, so
with 0 ≤ r x ≤ 1 no activity ever turns negative. Products are taken as sums of logarithms and contracted
with the selection matrices by matrix products, so a batch (Monte Carlo draws, Shapley coalitions) is one
set of array operations of shape [batch, streams, years].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Measure type codes in stacking order.
DEMAND, SHIFT, EFFICIENCY, SUPPLY, SINK = range(5)
#: Largest reduction fraction used in logarithms (1 − r x ≥ 1e-12, i.e. "all of it" to 12 digits).
_MAX_FRACTION = 1.0 - 1e-12

#: Rows of the metric matrix.
METRIC_NAMES: tuple[str, ...] = ("gross", "removals", "net", "energy_co2", "peak", "neutrality")
GROSS, REMOVALS, NET, ENERGY_CO2, PEAK, NEUTRALITY = range(6)


@dataclass(frozen=True)
class CompiledModel:
    """Arrays of a county model, ready for :func:`evaluate`. Built by :mod:`countyzero.pathways.engine`.

    S streams (inventory lines, plus one electricity stream per shifted fuel stream), C components
    (stream × gas, plus one removal component per new-sink measure), M measures, T years, K metrics.
    """

    years: IntArray                     # [T]
    stream_ids: tuple[str, ...]         # [S]
    stream_scene: tuple[str, ...]       # [S]
    stream_gpc: tuple[str, ...]         # [S]
    stream_carrier: tuple[str, ...]     # [S] fuel | electricity | process | sink
    parent: IntArray                    # [S] parent stream of a derived electricity stream, else −1
    log_activity: FloatArray            # [S, T] driver index and intensity trend, as logarithms
    elasticity: FloatArray              # [S, Dr]
    driver_log_index: FloatArray        # [Dr, T]
    energy_tj0: FloatArray              # [S] base-year fuel energy (TJ) of fuel streams
    follow: FloatArray                  # [S, S] weights of leaders for follower rows (rows sum to 1)
    is_follower: BoolArray              # [S]
    comp_stream: IntArray               # [C] stream of a component (−1 for a new-sink component)
    comp_gas: tuple[str, ...]           # [C]
    comp_base: FloatArray               # [C] tCO2e in the base year (MWh for electricity components)
    comp_electric: BoolArray            # [C] valued at the grid factor (base is MWh)
    comp_measure: IntArray              # [C] sink measure of a new-sink component, else −1
    comp_scene: tuple[str, ...]         # [C]
    grid: FloatArray                    # [T] grid factor, tCO2/MWh
    measure_ids: tuple[str, ...]        # [M]
    measure_type: IntArray              # [M]
    effect: FloatArray                  # [M] r (fraction) or removals (tCO2e/yr) for new sinks
    to_electricity: FloatArray          # [M] MWh per TJ for shifts
    adoption: FloatArray                # [M, T]
    sel_stream: FloatArray              # [M, S] 0/1
    sel_comp: FloatArray                # [M, C] 0/1 (supply and sink measures)
    metric_weights: FloatArray          # [K, C]
    scene_names: tuple[str, ...]
    scene_weights: FloatArray           # [scenes, C] gross by scene

    @property
    def n_measures(self) -> int:
        return len(self.measure_ids)


def _log_reduction(rx: FloatArray) -> FloatArray:
    return np.log1p(-np.clip(rx, 0.0, _MAX_FRACTION))


def evaluate(
    model: CompiledModel,
    active: FloatArray | None = None,
    *,
    adoption: FloatArray | None = None,
    effect: FloatArray | None = None,
    driver_log_index: FloatArray | None = None,
    grid_scale: FloatArray | None = None,
    stream_scale: FloatArray | None = None,
    detail: bool = False,
) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
    """Evaluate the model for a batch of B settings.

    Parameters
    ----------
    model : CompiledModel
    active : array [B, M], optional
        Multiplier of each measure's adoption (1 = as planned, 0 = off); a Shapley coalition is a 0/1 row.
        Default: one row of ones.
    adoption : array [B, M, T], optional
        Adoption paths replacing the model's (the optimiser's trial solutions).
    effect : array [B, M], optional
        Measure effects (Monte Carlo samples); default the model's.
    driver_log_index : array [B, Dr, T], optional
        Driver indices as logarithms (Monte Carlo samples of growth rates); default the model's.
    grid_scale : array [B, T], optional
        Multiplier of the grid factor trajectory; default 1.
    stream_scale : array [B, S], optional
        Multiplier of each stream's base-year activity (activity-data uncertainty; a derived electricity
        stream takes its parent's); default 1.
    detail : bool
        Also return the components [B, C, T] and the stream multipliers [B, S, T].

    Returns
    -------
    metrics : array [B, K, T]
        tCO2e per year of each row of :data:`METRIC_NAMES` (removals negative).
    components, streams : arrays or None
        With ``detail``: tCO2e per component and year; activity multiplier per stream (electricity streams
        in MWh relative to their base, derived streams in MWh).
    """
    m_count, t_count = model.adoption.shape
    if adoption is None:
        act = np.ones((1, m_count)) if active is None else np.asarray(active, dtype=float)
        x = act[:, :, None] * model.adoption[None, :, :]
    else:
        x = np.asarray(adoption, dtype=float)
        if active is not None:
            x = x * np.asarray(active, dtype=float)[:, :, None]
    r = model.effect[None, :] if effect is None else np.asarray(effect, dtype=float)
    batch = max(x.shape[0], r.shape[0], *(a.shape[0] for a in (driver_log_index, grid_scale, stream_scale)
                                          if a is not None))
    rx = np.broadcast_to(r[:, :, None] * x, (batch, m_count, t_count))  # [B, M, T]
    kinds = model.measure_type

    if driver_log_index is None:
        log_a = np.broadcast_to(model.log_activity, (batch, *model.log_activity.shape))
    else:
        growth = np.einsum("sd,bdt->bst", model.elasticity, driver_log_index - model.driver_log_index[None])
        log_a = model.log_activity[None] + growth
    log_mult = np.array(log_a, dtype=float, copy=True)

    for kind in (DEMAND, EFFICIENCY):
        idx = np.flatnonzero(kinds == kind)
        if idx.size:
            touched = np.flatnonzero(model.sel_stream[idx].any(axis=0))
            logs = _log_reduction(rx[:, idx, :])  # [B, m, T]
            log_mult[:, touched, :] += np.matmul(logs.transpose(0, 2, 1),
                                                 model.sel_stream[idx][:, touched]).transpose(0, 2, 1)
    mult = np.exp(log_mult)
    if stream_scale is not None:
        mult *= np.asarray(stream_scale, dtype=float)[:, :, None]

    shift_idx = np.flatnonzero(kinds == SHIFT)
    if shift_idx.size:
        remaining = np.ones_like(mult)
        shifted = np.zeros_like(mult)  # MWh per TJ of base-year fuel energy, on the derived stream
        derived_of = np.full(len(model.stream_ids), -1, dtype=np.int64)
        for s, p in enumerate(model.parent):
            if p >= 0:
                derived_of[p] = s
        for m in shift_idx:
            targets = np.flatnonzero(model.sel_stream[m] > 0)
            frac = np.clip(rx[:, m, :], 0.0, 1.0)[:, None, :]
            moved = remaining[:, targets, :] * frac
            remaining[:, targets, :] -= moved
            shifted[:, derived_of[targets], :] += model.to_electricity[m] * moved
        derived = model.parent >= 0
        base_of = np.where(derived, model.parent, np.arange(len(model.parent)))
        # derived streams carry their parent's activity and demand rows (compiled so) and their own
        # efficiency: × shifted MWh per TJ × the parent's base-year TJ; parent rows: fuel left after shifts
        mult = np.where(derived[None, :, None],
                        mult * shifted * model.energy_tj0[base_of][None, :, None],
                        mult * remaining)

    if model.is_follower.any():
        followers = np.flatnonzero(model.is_follower)
        led = np.einsum("fl,blt->bft", model.follow[followers], mult)
        mult[:, followers, :] = led

    comp_stream = model.comp_stream
    has_stream = comp_stream >= 0
    comp = np.zeros((batch, len(comp_stream), t_count))
    comp[:, has_stream, :] = mult[:, comp_stream[has_stream], :]
    comp *= model.comp_base[None, :, None]
    grid = model.grid[None, :] if grid_scale is None else model.grid[None, :] * grid_scale
    electric = np.flatnonzero(model.comp_electric)
    comp[:, electric, :] *= grid[:, None, :]

    supply_idx = np.flatnonzero(kinds == SUPPLY)
    if supply_idx.size:
        touched = np.flatnonzero(model.sel_comp[supply_idx].any(axis=0))
        logs = _log_reduction(rx[:, supply_idx, :])
        factor = np.exp(np.matmul(logs.transpose(0, 2, 1), model.sel_comp[supply_idx][:, touched]))
        comp[:, touched, :] *= factor.transpose(0, 2, 1)
    sink_idx = np.flatnonzero(kinds == SINK)
    if sink_idx.size:
        new = model.comp_measure >= 0
        enhance = np.array([m for m in sink_idx if not (model.comp_measure == m).any()], dtype=np.int64)
        if enhance.size:
            logs = np.log1p(np.clip(rx[:, enhance, :], 0.0, None))
            comp *= np.exp(np.matmul(logs.transpose(0, 2, 1), model.sel_comp[enhance]).transpose(0, 2, 1))
        if new.any():
            comp[:, new, :] = -rx[:, model.comp_measure[new], :]

    metrics = np.matmul(model.metric_weights[None], comp)  # [B, K, T]
    if detail:
        return metrics, comp, mult
    return metrics, None, None
