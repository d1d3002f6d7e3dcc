"""Benchmark of the Climate Challenge engine (issue 9) on the Baoting roadmap (Hainan-policy plan).

Evaluates 100 submissions (the three Baoting examples, cycled, each with its own id) with 1,000 Monte Carlo draws
each — with and without the solution on the same draws — and reports the median of the repeats.

Run ``.venv/bin/python benchmarks/bench_challenge.py [--repeat R] [--entries N] [--draws D]``; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from countyzero.challenge.evaluate import evaluate_submission, load_plan
from countyzero.challenge.reader import read_submission

ROOT = Path(__file__).resolve().parents[1]
BAOTING = ROOT / "examples" / "baoting"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    examples = sorted((BAOTING / "challenge" / "solutions").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.entries):
            data = yaml.safe_load(examples[i % len(examples)].read_text(encoding="utf-8"))
            data["id"] = f"{data['id']}-{i:03d}"
            path = Path(tmp) / f"entry-{i:03d}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            paths.append(path)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            plan = load_plan(BAOTING, "hainan-policy")
            for path in paths:
                evaluate_submission(plan, read_submission(path), draws=args.draws, seed=2028)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({
        "benchmark": "challenge.evaluate", "entries": args.entries, "draws": args.draws, "repeat": args.repeat,
        "median_s": round(median, 3), "per_entry_ms": round(1000 * median / args.entries, 1),
        "times_s": [round(t, 3) for t in times], "python": platform.python_version(), "machine": platform.machine(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2))


if __name__ == "__main__":
    main()
