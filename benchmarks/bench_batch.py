"""Benchmark: ``countyzero.batch`` inprocess and on a LocalCluster of 1 and 2 worker processes. Prints JSON medians.

Run with ``.venv/bin/python benchmarks/bench_batch.py [--buildings 100000] [--items 30] [--loans 1000000]
[--counties 50] [--draws 1000] [--projects 100000] [--repeat 3]``.

Jobs: 100,000 buildings × 30 BOQ items (3 million lines); 1,000,000 loans (EU + CGT screening); 50 counties ×
``--draws`` Monte Carlo draws for each of 3 scenarios; 100,000 forestry projects (ex-ante credits). Inputs come
from ``examples/batch/make_samples.py`` (seeded). Each cluster is started once and warmed by one untimed run
(workers load the factor library and compile on first use, as a long-running cluster would have done); every
timed run writes to a fresh output folder, so nothing is skipped. ``plan_s`` (hashing the input, scanning building
ids) runs on the client and is reported apart; ``median_s`` is the partition work + writing the results. Totals
are checked equal across the three schedulers on every run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from countyzero.batch.buildings import buildings_job
from countyzero.batch.credits import credits_job
from countyzero.batch.finance import finance_job
from countyzero.batch.roadmap import roadmap_job
from countyzero.batch.runner import Job, run_job

ROOT = Path(__file__).resolve().parents[1]


def _samples() -> Any:
    spec = importlib.util.spec_from_file_location("batch_samples", ROOT / "examples" / "batch" / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _time(plan: Callable[[Path], Job], base: Path, client: Any,
          repeat: int) -> tuple[list[float], float, dict[str, Any]]:
    times, plan_times = [], []
    totals: dict[str, Any] = {}
    for r in range(repeat):
        out = base / f"run-{r}"
        t0 = time.perf_counter()
        job = plan(out)
        t1 = time.perf_counter()
        summary = run_job(job, out, client=client)
        times.append(time.perf_counter() - t1)
        plan_times.append(t1 - t0)
        assert summary["complete"], summary["failed_partitions"]
        totals = summary["totals"]
        shutil.rmtree(out)
    return times, statistics.median(plan_times), totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--counties", type=int, default=50)
    parser.add_argument("--draws", type=int, default=2_000)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--roadmap-repeat", type=int, default=1)
    parser.add_argument("--only", nargs="+", default=["buildings", "finance", "roadmap", "credits"])
    args = parser.parse_args()
    samples = _samples()
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        pq.write_table(samples.make_buildings(args.buildings, args.items), base / "buildings.parquet")
        pq.write_table(samples.make_loans(args.loans), base / "loans.parquet")
        pq.write_table(samples.make_projects(args.projects), base / "projects.parquet")
        counties = samples.make_counties(base / "counties", args.counties)
        warm_county = samples.make_counties(base / "warm-county", 1)
        generate_s = time.perf_counter() - t0
        plans: dict[str, tuple[Callable[[Path], Job], int, str]] = {
            "buildings": (lambda out: buildings_job(base / "buildings.parquet", out), args.repeat,
                          f"{args.buildings} buildings × {args.items} items"),
            "finance": (lambda out: finance_job(base / "loans.parquet", out, on=date(2026, 3, 1)), args.repeat,
                        f"{args.loans} loans, eu + cgt"),
            "roadmap": (lambda out: roadmap_job(counties, draws=args.draws), args.roadmap_repeat,
                        f"{args.counties} counties × 3 scenarios × {args.draws} draws"),
            "credits": (lambda out: credits_job(base / "projects.parquet", out), args.repeat,
                        f"{args.projects} projects"),
        }
        results: dict[str, dict[str, Any]] = {name: {"size": size} for name, (_, _, size) in plans.items()
                                              if name in args.only}
        modes: list[tuple[str, int]] = [("inprocess", 0), ("local-1", 1), ("local-2", 2)]
        for mode, workers in modes:
            cluster = client = None
            if workers:
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1")
                client = Client(cluster)
            try:
                for name, (plan, repeat, _) in plans.items():
                    warm = base / "warm"
                    if name not in args.only:
                        continue
                    if name == "roadmap":  # warm imports and the first Monte Carlo call, not the counties' caches
                        run_job(roadmap_job(warm_county, draws=1000), warm, client=client)
                    else:
                        run_job(plan(warm), warm, client=client)
                    shutil.rmtree(warm)
                    times, plan_s, totals = _time(plan, base / name, client, repeat)
                    entry = results[name]
                    entry[mode] = {"median_s": round(statistics.median(times), 3), "runs": len(times)}
                    entry["plan_s"] = round(plan_s, 3)
                    if "totals" in entry:
                        assert entry["totals"] == totals, f"{name}: totals differ under {mode}"
                    entry["totals"] = totals
            finally:
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()
        for entry in results.values():
            entry["speedup_1_to_2_workers"] = round(entry["local-1"]["median_s"] / entry["local-2"]["median_s"], 2)
            entry["totals_identical_across_schedulers"] = True
            totals = entry.pop("totals")
            entry["totals"] = {k: v for k, v in totals.items() if "/" not in k}
    print(json.dumps({
        "benchmark": "countyzero.batch", "results": results, "generate_inputs_s": round(generate_s, 1),
        "note": f"roadmap at {args.draws} draws per scenario (issue asks 10,000: --draws 10000)",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2))


if __name__ == "__main__":
    main()
