"""Benchmarks of the county roadmap engine (issue 3 targets) on the Baoting roadmap.

1. one scenario 2020–2060 with ≥ 30 measures (the projection kernel, one run)   target < 20 ms
2. 10,000 Monte Carlo draws (Latin hypercube, probabilities and fan percentiles) target < 3 s
3. exact Shapley wedges for 12 measures (4,096 coalitions)                       target < 2 s
4. least-cost plan (LP, HiGHS, with successive linearisation)                    target < 1 s

Run ``.venv/bin/python benchmarks/bench_pathways.py [--repeat R]``; prints JSON with the medians. The 2020–2060
horizon uses a copy of the Baoting folder whose inventory year is set to 2020 (same activity data).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from countyzero.pathways.analytics import shapley_exact
from countyzero.pathways.compile import compile_scenario, load_county, read_scenario
from countyzero.pathways.engine import PreparedScenario, run_prepared
from countyzero.pathways.montecarlo import monte_carlo
from countyzero.pathways.optimise import least_cost_plan
from countyzero.pathways.projection import NEUTRALITY, evaluate

ROOT = Path(__file__).resolve().parents[1]
BAOTING = ROOT / "examples" / "baoting"


def _median(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _folder_2020(tmp: Path) -> Path:
    folder = tmp / "baoting-2020"
    shutil.copytree(BAOTING, folder, ignore=shutil.ignore_patterns("*.csv", "*.md"))
    inventory = yaml.safe_load((folder / "inventory-2022.yaml").read_text(encoding="utf-8"))
    inventory["year"] = 2020
    (folder / "inventory-2022.yaml").write_text(yaml.safe_dump(inventory, allow_unicode=True), encoding="utf-8")
    roadmap = yaml.safe_load((folder / "roadmap.yaml").read_text(encoding="utf-8"))
    roadmap["horizon"]["start"] = 2020
    (folder / "roadmap.yaml").write_text(yaml.safe_dump(roadmap, allow_unicode=True), encoding="utf-8")
    return folder


def _many_measures(folder: Path, count: int) -> Path:
    """A scenario with ``count`` measures: the Net-Zero-2040 measures plus copies at a third of their effect."""
    data = yaml.safe_load((folder / "scenarios" / "net-zero-2040.yaml").read_text(encoding="utf-8"))
    base = data["measures"]
    measures = list(base)
    i = 0
    while len(measures) < count:
        extra = copy.deepcopy(base[i % len(base)])
        extra["id"] = f"{extra['id']}-extra{i}"
        if "effect" in extra and "value" in extra["effect"]:
            extra["effect"] = {**extra["effect"], "value": extra["effect"]["value"] / 3, "low": None, "high": None}
            extra["effect"] = {k: v for k, v in extra["effect"].items() if v is not None}
        if extra["type"] == "shift":
            extra["to_gpc"] = next(m["to_gpc"] for m in base if m["type"] == "shift"
                                   and m["applies_to"] == extra["applies_to"])
        measures.append(extra)
        i += 1
    data["id"] = "bench-many"
    data["measures"] = measures
    path = folder / "scenarios" / "bench-many.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--measures", type=int, default=32)
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = _folder_2020(Path(tmp))
        county = load_county(folder / "roadmap.yaml")
        many_path = _many_measures(folder, args.measures)
        scenario, doc = read_scenario(many_path)
        model, context = compile_scenario(county, scenario, doc.path)
        evaluate(model)  # warm up
        one_run = _median(lambda: evaluate(model), args.repeat * 5)
        compile_and_run = _median(lambda: compile_scenario(county, scenario, doc.path), args.repeat)

        nz, nz_doc = read_scenario(folder / "scenarios" / "net-zero-2040.yaml")
        nz_model, nz_context = compile_scenario(county, nz, nz_doc.path)
        mc = _median(lambda: monte_carlo(nz_model, nz_context, args.draws, seed=1), max(3, args.repeat // 2))

        twelve = nz.model_copy(update={"measures": nz.measures[:12]})
        m12, _ = compile_scenario(county, twelve, nz_doc.path)

        def shapley() -> None:
            shapley_exact(lambda c: evaluate(m12, c)[0][:, NEUTRALITY, :], 12)

        shap = _median(shapley, max(3, args.repeat // 2))
        lp = _median(lambda: least_cost_plan(nz_model, nz_context), args.repeat)
        ref_s, ref_doc = read_scenario(folder / "scenarios" / "reference.yaml")
        ref = PreparedScenario(*compile_scenario(county, ref_s, ref_doc.path))
        full = _median(lambda: run_prepared(PreparedScenario(model, context), reference=ref, draws=0),
                       max(3, args.repeat // 2))
    report = {
        "benchmark": "countyzero.pathways",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "numpy": np.__version__},
        "horizon": [2020, 2060],
        "results_seconds_median": {
            f"one_scenario_{args.measures}_measures_projection": one_run,
            f"one_scenario_{args.measures}_measures_compile": compile_and_run,
            f"one_scenario_{args.measures}_measures_full_run_with_sampled_shapley_mac_lmdi": full,
            f"montecarlo_{args.draws}_draws": mc,
            "exact_shapley_12_measures": shap,
            "least_cost_lp_19_measures": lp,
        },
        "targets_seconds": {"one_scenario": 0.020, "montecarlo_10000": 3.0, "exact_shapley_12": 2.0,
                            "least_cost_lp": 1.0},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
