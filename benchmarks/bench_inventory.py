"""Benchmark: an inventory of 100,000 activity lines (target: under 2 s on the project machine).

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_inventory.py [--lines N] [--repeat R]``).
Measures validation of the input plus the computation, as ``countyzero inventory compute`` does them,
and prints the median of the runs. Record the latest figures in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from countyzero.core.bulk import bulk_allocation
from countyzero.factors import default_library
from countyzero.inventory import InventoryInput, compute_inventory

TEMPLATES: list[dict[str, Any]] = [
    {"gpc": "I.1.1", "fuel": "natural_gas", "quantity": 1.5, "unit": "TJ"},
    {"gpc": "I.1.1", "fuel": "lpg", "quantity": 12, "unit": "t"},
    {"gpc": "I.2.1", "fuel": "diesel", "quantity": 3, "unit": "t"},
    {"gpc": "I.1.2", "electricity": {"grid": "CN-HI", "year": 2022}, "quantity": 120, "unit": "MWh"},
    {"gpc": "II.1.1", "fuel": "gasoline", "quantity": 8, "unit": "t", "technology": "oxidation_catalyst"},
    {"gpc": "III.1.1", "quantity": 10, "unit": "t",
     "factor": {"value": 0.05, "unit": "t/t", "gas": "CH4", "source": "benchmark"}},
]


def make_input(lines: int) -> dict[str, Any]:
    activities = []
    for i in range(lines):
        row = dict(TEMPLATES[i % len(TEMPLATES)])
        row["id"] = f"line-{i}"
        activities.append(row)
    return {"county": "Bench", "year": 2022, "activities": activities}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raw = make_input(args.lines)
    default_library()  # loaded once per process, as in a server; not part of the timed work
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        with bulk_allocation():  # as the file reader does while validating
            data = InventoryInput.model_validate(raw)
        result = compute_inventory(data)
        times.append(time.perf_counter() - start)
    print(json.dumps({
        "benchmark": "inventory", "lines": args.lines, "repeat": args.repeat,
        "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
        "gross_tco2e": round(result.gross_tco2e, 3),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
    }, indent=2))


if __name__ == "__main__":
    main()
