"""Benchmark: ex-ante credit schedules for 10,000 projects × 40 years under three standards (target < 2 s).

Run with ``.venv/bin/python benchmarks/bench_credits.py [--projects N] [--years Y] [--repeat R]``. Times the
vectorised engine (:func:`countyzero.credits.engine.ex_ante_batch`) on varied projects — areas, growth rates,
start dates, crediting periods, uncertainty and Verra risk scores — and prints the medians as JSON. Loading the
factor library and the profiles (once per process, as in a server) is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import numpy as np

from countyzero.credits.engine import ex_ante_batch
from countyzero.credits.quantify import tier1_removal_rate
from countyzero.credits.standards import load_profile
from countyzero.factors import default_library

STANDARDS = ("ccer", "verra", "gold-standard")


def make_portfolio(n: int, seed: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-01-01") + rng.integers(0, 6 * 365, n).astype("timedelta64[D]")
    years = rng.integers(20, 41, n)
    end = np.array([np.datetime64(str(s)[:4] + "-01-01") for s in start], dtype="datetime64[Y]")
    end_days = (end + years.astype("timedelta64[Y]")).astype("datetime64[D]") + (start - end.astype("datetime64[D]"))
    growth = rng.uniform(2.0, 9.0, n)
    return {
        "area_ha": rng.uniform(10, 5000, n), "rate_young": tier1_removal_rate(growth * 1.4, 0.33, 0.47),
        "rate_old": tier1_removal_rate(growth, 0.33, 0.47), "start": start, "end": end_days,
        "relative_uncertainty": rng.uniform(0.0, 0.3, n), "risk_score": rng.uniform(8, 35, n),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    library = default_library()
    profiles = [load_profile(s, library) for s in STANDARDS]
    young_limit = library.get("credits.ipcc.young_stand_age_limit").value
    data = make_portfolio(args.projects)
    totals: dict[str, float] = {}
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        for profile in profiles:
            result = ex_ante_batch(profile, area_ha=data["area_ha"], rate_young=data["rate_young"],
                                   rate_old=data["rate_old"], young_age_limit=young_limit, start=data["start"],
                                   end=data["end"], first_year=2021, n_years=args.years + 6,
                                   relative_uncertainty=data["relative_uncertainty"], risk_score=data["risk_score"])
            totals[profile.key] = float(result.issuable.sum())
        times.append(time.perf_counter() - t0)
    print(json.dumps({
        "benchmark": "credits ex-ante schedules", "projects": args.projects, "years": args.years,
        "standards": list(STANDARDS), "repeat": args.repeat,
        "median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4), "target_s": 2.0,
        "total_issuable_tco2e": {k: round(v) for k, v in totals.items()},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2))


if __name__ == "__main__":
    main()
