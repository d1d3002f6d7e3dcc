"""Benchmark: grading 1,000,000 label items (target: under 5 s, issue 7), plus the single-item paths.

Run with ``.venv/bin/python benchmarks/bench_lifestyle.py [--items N] [--repeat R]``. Prints JSON with the median of
the runs for each case:

* ``grade_batch_1e6`` — allowance (trajectory interpolation × domain shares ÷ units per year × persons), ratio,
  grade and basic-needs floor for N items of mixed functional units and years (``grade_batch``);
* ``grade_items_10k`` — the per-item path with validated pydantic items and traces (``grade_items``), 10,000 items;
* ``footprint_household``, ``farm_assess_example``, ``community_summary_example`` — one call each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from countyzero.agrifood import assess_farm_file
from countyzero.community import summary_file
from countyzero.core.io import read_model
from countyzero.factors import default_library
from countyzero.lifestyle import FootprintInput, LabelFile, LabelRules, footprint, grade_items
from countyzero.lifestyle.label import grade_batch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "baoting"
UNITS = ["meal", "kg_food", "hotel_room_night", "tour_day", "visitor_day", "household_year"]


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    library = default_library()
    rules = LabelRules.load(library=library)
    rng = np.random.default_rng(2040)
    n = args.items
    units = np.array(UNITS)[rng.integers(0, len(UNITS), n)]
    years = rng.integers(2026, 2051, n).astype(np.float64)
    footprints = rng.lognormal(0.0, 1.5, n)
    persons = rng.integers(1, 5, n).astype(np.float64)
    essential = rng.random(n) < 0.1
    index, _, _ = grade_batch(rules, units, years, footprints, persons, essential)
    counts = {g: int((index == i).sum()) for i, g in enumerate(rules.grades)}
    items = LabelFile.model_validate({"year": 2030, "items": [
        {"id": f"i{i}", "name": "x", "functional_unit": UNITS[i % len(UNITS)], "footprint_kgco2e": float(f)}
        for i, f in enumerate(footprints[:10_000])]})
    household, _ = read_model(EXAMPLES / "lifestyle" / "household-2025.yaml", FootprintInput, "lines")
    results: dict[str, Any] = {
        f"grade_batch_{n:.0e}".replace("+0", ""): median_seconds(
            lambda: grade_batch(rules, units, years, footprints, persons, essential), args.repeat),
        "grade_items_10k": median_seconds(lambda: grade_items(items, library=library), args.repeat),
        "footprint_household": median_seconds(lambda: footprint(household, library=library), args.repeat),
        "farm_assess_example": median_seconds(
            lambda: assess_farm_file(EXAMPLES / "farms" / "demo-farm-2025.yaml", library=library), args.repeat),
        "community_summary_example": median_seconds(
            lambda: summary_file(EXAMPLES / "community" / "village-2025.yaml", library=library), args.repeat),
    }
    print(json.dumps({
        "benchmark": "lifestyle", "items": n, "repeat": args.repeat, "median_seconds": results,
        "target_seconds": {"grade_batch_1e6": 5.0}, "grade_counts": counts,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2))


if __name__ == "__main__":
    main()
