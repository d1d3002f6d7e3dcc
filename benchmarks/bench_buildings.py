"""Benchmarks of countyzero.buildings; prints JSON medians (record them in docs/performance.md).

1. one assessment with 10,000 BOQ lines (validation + computation; target < 0.3 s);
2. a portfolio of 100,000 buildings × 30 lines from an Arrow table (target < 10 s);
3. the same portfolio's per-building A1-A3 scores with bw2calc — FastScoresOnlyMultiLCA (adjoint direction, PARDISO
   from the bench group's pypardiso; MultiLCA with SciPy's solver when neither PARDISO nor UMFPACK is there), one
   demand per building against a technosphere of line types — reported as a ratio to CountyZero on the same rows.

    .venv/bin/python benchmarks/bench_buildings.py [--repeat 3] [--buildings 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from countyzero.buildings import BOQInput, assess_building
from countyzero.buildings.portfolio import assess_portfolio
from countyzero.core.bulk import bulk_allocation
from countyzero.factors import default_library

MATERIALS = [("gbt51366.d.concrete_c30", "m3", 2400.0), ("gbt51366.d.steel_rebar", "t", None),
             ("gbt51366.d.brick_shale_hollow", "m3", 800.0), ("gbt51366.d.glass_flat", "t", None),
             ("gbt51366.d.insulation_rock_wool", "t", None), ("gbt51366.d.cement_portland", "t", None)]


def boq(lines: int) -> dict[str, Any]:
    items = []
    for i in range(lines):
        fid, unit, density = MATERIALS[i % len(MATERIALS)]
        item: dict[str, Any] = {"id": f"l{i}", "material": fid, "quantity": 1.0 + i % 17, "unit": unit,
                                "factor_id": fid, "service_life_years": (20, 30, 60)[i % 3], "waste_rate": 0.03}
        if density:
            item["density_kg_m3"] = density
        items.append(item)
    return {"building": {"name": "bench", "gross_floor_area_m2": 5000}, "items": items,
            "operation": [{"carrier": "electricity", "annual_kwh": 5e5, "grid": {"region": "CN-HI", "year": 2023}}]}


def portfolio(buildings: int, per: int) -> pa.Table:
    rng = np.random.default_rng(7)
    idx = np.tile(np.arange(per) % len(MATERIALS), buildings)
    ids = pa.array(np.repeat(np.arange(buildings), per).astype(str))
    return pa.table({
        "building_id": ids, "gross_floor_area_m2": np.repeat(rng.uniform(300, 8000, buildings), per),
        "factor_id": pa.array([MATERIALS[i][0] for i in range(len(MATERIALS))]).take(pa.array(idx)),
        "quantity": rng.uniform(0.1, 50, buildings * per),
        "unit": pa.array([MATERIALS[i][1] for i in range(len(MATERIALS))]).take(pa.array(idx)),
        "density_kg_m3": pa.array([MATERIALS[i][2] for i in range(len(MATERIALS))], pa.float64()).take(pa.array(idx)),
        "service_life_years": np.tile(np.array([20.0, 30.0, 60.0]), buildings * per // 3 + 1)[: buildings * per],
    })


def bw2calc_scores(table: pa.Table, a1a3_per_type: np.ndarray, inverse: np.ndarray, bcodes: np.ndarray,
                   nb: int) -> np.ndarray:
    """Per-building A1-A3 with bw2calc: products = line types, one demand per building."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bw2calc as bc
        import bw_processing as bwp
    nt = a1a3_per_type.shape[0]
    dp = bwp.create_datapackage()
    ids = np.arange(1, nt + 1)
    dp.add_persistent_vector(matrix="technosphere_matrix", name="t",
                             indices_array=np.array(list(zip(ids, ids, strict=True)), dtype=bwp.INDICES_DTYPE),
                             data_array=np.ones(nt), flip_array=np.zeros(nt, dtype=bool))
    dp.add_persistent_vector(matrix="biosphere_matrix", name="b",
                             indices_array=np.array([(10**6, i) for i in ids], dtype=bwp.INDICES_DTYPE),
                             data_array=a1a3_per_type)
    dp.add_persistent_vector(matrix="characterization_matrix", name="c", identifier=["gwp"],
                             indices_array=np.array([(10**6, 10**6)], dtype=bwp.INDICES_DTYPE),
                             data_array=np.ones(1))
    quantity = table["quantity"].to_numpy()
    order = np.argsort(bcodes, kind="stable")
    starts = np.searchsorted(bcodes[order], np.arange(nb + 1))
    demands = {}
    for b in range(nb):
        rows = order[starts[b]:starts[b + 1]]
        d: dict[int, float] = {}
        for t, q in zip((inverse[rows] + 1).tolist(), quantity[rows].tolist(), strict=True):
            d[t] = d.get(t, 0.0) + q
        demands[f"b{b}"] = d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if bc.PYPARDISO or bc.UMFPACK:
            # bw2calc's own fast path for many demands: one adjoint solve per impact category.
            fast = bc.FastScoresOnlyMultiLCA(demands=demands, method_config={"impact_categories": [("gwp",)]},
                                             data_objs=[dp], direction="auto")
            scores = fast.calculate()
            return np.asarray(scores.sel(LCIA=str(("gwp",))).values, dtype=np.float64)
        lca = bc.MultiLCA(demands=demands, method_config={"impact_categories": [("gwp",)]}, data_objs=[dp])
        lca.lci()
        lca.lcia()
    return np.array([lca.scores[(("gwp",), f"b{b}")] for b in range(nb)])


def bc_fast() -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bw2calc as bc
    return bool(bc.PYPARDISO or bc.UMFPACK)


def median_time(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--per-building", type=int, default=30)
    parser.add_argument("--bw-buildings", type=int, default=0,
                        help="run bw2calc on this many buildings (default 0: the whole portfolio; bw2calc's fast "
                             "path needs pypardiso, in the bench group)")
    args = parser.parse_args()
    default_library()
    raw = boq(args.lines)

    def one() -> Any:
        with bulk_allocation():
            data = BOQInput.model_validate(raw)
        return assess_building(data)

    t_one, r_one = median_time(one, args.repeat)
    table = portfolio(args.buildings, args.per_building)
    t_port, _r_port = median_time(lambda: assess_portfolio(table), args.repeat)
    report: dict[str, Any] = {
        "benchmark": "buildings", "machine": platform.machine(), "python": platform.python_version(),
        "assessment_lines": args.lines, "assessment_median_s": round(t_one, 4),
        "assessment_total_kgco2e": round(r_one.total_kgco2e, 1),
        "portfolio_buildings": args.buildings, "portfolio_lines": args.buildings * args.per_building,
        "portfolio_median_s": round(t_port, 3), "repeat": args.repeat}
    # bw2calc on the same line types and quantities (A1-A3 only, the part both compute identically)
    import pyarrow.compute as pc

    from countyzero.buildings.engine import resolve_items
    from countyzero.buildings.model import BOQItem

    bw_buildings = args.bw_buildings or args.buildings
    sub = table.slice(0, bw_buildings * args.per_building)
    t_sub, r_sub = median_time(lambda: assess_portfolio(sub), args.repeat)

    def bw() -> np.ndarray:
        table = sub
        bcodes = np.asarray(pc.dictionary_encode(table["building_id"]).combine_chunks().indices.to_numpy())
        key = np.asarray(pc.dictionary_encode(table["factor_id"]).combine_chunks().indices.to_numpy())
        _types, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        items = [BOQItem(id=str(r), factor_id=table["factor_id"][int(r)].as_py(), quantity=1.0,
                         unit=table["unit"][int(r)].as_py(), density_kg_m3=table["density_kg_m3"][int(r)].as_py())
                 for r in first]
        res = resolve_items(items, method="en15978", study_period=60, library=default_library(),
                            default_transport_mode="gbt51366.e.road_diesel_heavy_10t")
        return bw2calc_scores(table, res.a1a3, inverse.ravel(), bcodes, int(bcodes.max()) + 1)

    try:
        t_bw, scores = median_time(bw, 1)
        ours = r_sub.modules[:, 0]
        report.update({"bw2calc_buildings": bw_buildings, "bw2calc_solver": "FastScoresOnlyMultiLCA (PARDISO)"
                       if bc_fast() else "MultiLCA (SciPy)", "countyzero_same_subset_s": round(t_sub, 4),
                       "bw2calc_median_s": round(t_bw, 3), "bw2calc_over_countyzero": round(t_bw / t_sub, 1),
                       "bw2calc_matches_a1a3": bool(np.allclose(np.sort(scores.ravel()), np.sort(ours), rtol=1e-9))})
    except Exception as exc:  # report, do not hide, a failing comparison
        report["bw2calc_error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
