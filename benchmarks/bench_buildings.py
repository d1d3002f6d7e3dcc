"""Benchmarks of countyzero.buildings; prints JSON medians (record them in docs/performance.md).

1. one assessment with 10,000 BOQ lines (validation + computation; target < 0.3 s);
2. a portfolio of 100,000 buildings × 30 lines (target < 10 s), timed as ``countyzero buildings portfolio FILE``
   runs it: :func:`assess_portfolio_file` on a Parquet file written with pyarrow's defaults, reading included;
   also :func:`assess_portfolio` on the same rows as an in-memory Arrow table of plain strings;
3. the same portfolio's per-building A1-A3 with bw2calc — FastScoresOnlyMultiLCA (adjoint direction, PARDISO
   from the bench group's pypardiso; MultiLCA with SciPy's solver when neither PARDISO nor UMFPACK is there), one
   demand per building against a technosphere of line types. Both sides read the same file with the same reader
   and alternate run by run, each timed after an untimed run of its own; "compute" is after the read ("file" =
   read + compute on both sides). bw2calc's scores must equal CountyZero's A1-A3 building by building (relative
   1e-9) or the benchmark fails. Ratios of the medians are reported (issue 4: CountyZero ≥ 20× faster).

    .venv/bin/python benchmarks/bench_buildings.py [--repeat 3] [--buildings 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scipy import sparse

from countyzero.buildings import BOQInput, assess_building
from countyzero.buildings.engine import resolve_items
from countyzero.buildings.model import BOQItem
from countyzero.buildings.portfolio import assess_portfolio, assess_portfolio_file, read_portfolio
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


def bw2calc_portfolio(table: pa.Table) -> tuple[list[str], np.ndarray, dict[str, float]]:
    """Per-building A1-A3 with bw2calc from a portfolio table: (building ids, scores, seconds per step).

    Products are the line types (factor, unit, density: what A1-A3 per unit depends on), resolved once by
    CountyZero's own :func:`resolve_items`; each building is one demand of its summed quantities per type."""
    steps: dict[str, float] = {}
    start = time.perf_counter()
    codes = []
    for name in ("building_id", "factor_id", "unit", "density_kg_m3"):
        encoded = pc.dictionary_encode(table[name], null_encoding="encode").combine_chunks()
        codes.append((np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64),
                      encoded.dictionary.to_pylist()))
    (bcodes, ids), parts = codes[0], codes[1:]
    radix = [len(values) for _, values in parts]
    key = parts[0][0] + radix[0] * (parts[1][0] + radix[1] * parts[2][0])
    keys = np.flatnonzero(np.bincount(key, minlength=radix[0] * radix[1] * radix[2]))  # the line types present
    lookup = np.zeros(radix[0] * radix[1] * radix[2], dtype=np.int64)
    lookup[keys] = np.arange(len(keys))
    inverse = lookup[key]
    items = [BOQItem(id=str(k), factor_id=parts[0][1][k % radix[0]], quantity=1.0,
                     unit=parts[1][1][k // radix[0] % radix[1]], density_kg_m3=parts[2][1][k // radix[0] // radix[1]])
             for k in keys.tolist()]
    a1a3 = resolve_items(items, method="en15978", study_period=60, library=default_library(),
                         default_transport_mode="gbt51366.e.road_diesel_heavy_10t").a1a3
    # one demand per building: its quantities summed per line type (CSR sums duplicates), as dictionaries
    quantity = np.asarray(table["quantity"].to_numpy(), dtype=np.float64)
    q = sparse.csr_matrix((quantity, (bcodes, inverse)), shape=(len(ids), len(items)))
    products, amounts, bounds = (q.indices + 1).tolist(), q.data.tolist(), q.indptr.tolist()
    demands = {str(bid): dict(zip(products[bounds[b]:bounds[b + 1]], amounts[bounds[b]:bounds[b + 1]], strict=True))
               for b, bid in enumerate(ids)}
    steps["demands_s"] = time.perf_counter() - start
    start = time.perf_counter()
    scores = bw2calc_scores(demands, a1a3)
    steps["bw2calc_s"] = time.perf_counter() - start
    return [str(b) for b in ids], scores, steps


def bw2calc_scores(demands: dict[str, dict[int, float]], a1a3_per_type: np.ndarray) -> np.ndarray:
    """Scores of ``demands`` (products 1 … n) against a technosphere of line types with A1-A3 per unit."""
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
    return np.array([lca.scores[(("gwp",), key)] for key in demands])


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
    with tempfile.TemporaryDirectory() as tmp:  # warm-up, not timed: the Parquet reader's first use
        pq.write_table(table.slice(0, 10 * args.per_building), Path(tmp) / "warm.parquet")
        assess_portfolio_file(Path(tmp) / "warm.parquet")
    report: dict[str, Any] = {
        "benchmark": "buildings", "machine": platform.machine(), "python": platform.python_version(),
        "assessment_lines": args.lines, "assessment_median_s": round(t_one, 4),
        "assessment_total_kgco2e": round(r_one.total_kgco2e, 1),
        "portfolio_buildings": args.buildings, "portfolio_lines": args.buildings * args.per_building}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "portfolio.parquet"
        pq.write_table(table, path)
        t_table, _ = median_time(lambda: assess_portfolio(table), args.repeat)
        bw_buildings = args.bw_buildings or args.buildings
        if bw_buildings < args.buildings:
            path = Path(tmp) / "subset.parquet"
            pq.write_table(table.slice(0, bw_buildings * args.per_building), path)
        warm = Path(tmp) / "warm.parquet"
        pq.write_table(table.slice(0, 10 * args.per_building), warm)
        bw2calc_portfolio(read_portfolio(warm))  # warm-up, not timed: imports, bw2calc's first solver set-up
        times: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}  # process time (all threads): less disturbed by a loaded machine

        def timed(name: str, fn: Any, *args: Any) -> Any:
            start, start_cpu = time.perf_counter(), time.process_time()
            out = fn(*args)
            times.setdefault(name, []).append(time.perf_counter() - start)
            cpu.setdefault(name, []).append(time.process_time() - start_cpu)
            return out

        for _ in range(args.repeat):
            # The two sides alternate, so that both meet the same machine; each is timed right after an untimed
            # run of its own, so that neither pays for the memory the other left behind (freeing bw2calc's
            # arrays hands pages back to the system: the next large allocations fault them in again, ~50 ms).
            assess_portfolio_file(path)
            ours = timed("countyzero_file_call", assess_portfolio_file, path)
            timed("countyzero_compute", assess_portfolio, timed("countyzero_read", read_portfolio, path))
            bw2calc_portfolio(read_portfolio(path))
            bw_ids, scores, steps = timed("bw2calc_compute", bw2calc_portfolio,
                                          timed("bw2calc_read", read_portfolio, path))
            for key, value in steps.items():
                times.setdefault(f"bw2calc_{key}", []).append(value)
            for side in ("countyzero", "bw2calc"):  # file to result, the same way on both sides
                times.setdefault(f"{side}_file", []).append(times[f"{side}_read"][-1] + times[f"{side}_compute"][-1])
            # the same numbers, building by building
            assert bw_ids == ours.building_ids, "bw2calc and CountyZero disagree on the buildings"
            np.testing.assert_allclose(scores, ours.modules[:, 0], rtol=1e-9, atol=0)
    med = {name: statistics.median(values) for name, values in times.items()}
    med_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    report.update({
        "repeat": args.repeat, "portfolio_file_median_s": round(med["countyzero_file_call"], 3),
        "portfolio_table_plain_text_median_s": round(t_table, 3),
        "bw2calc_buildings": bw_buildings,
        "bw2calc_solver": "FastScoresOnlyMultiLCA (PARDISO)" if bc_fast() else "MultiLCA (SciPy)",
        "medians_s": {name: round(value, 4) for name, value in med.items()},
        "bw2calc_over_countyzero_file": round(med["bw2calc_file"] / med["countyzero_file"], 1),
        "bw2calc_over_countyzero_compute": round(med["bw2calc_compute"] / med["countyzero_compute"], 1),
        "cpu_medians_s": {name: round(value, 4) for name, value in med_cpu.items()},
        "cpu_bw2calc_over_countyzero_compute": round(med_cpu["bw2calc_compute"] / med_cpu["countyzero_compute"], 1),
        "bw2calc_matches_a1a3_per_building_rtol": 1e-9})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
