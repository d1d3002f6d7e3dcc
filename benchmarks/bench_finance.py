"""Benchmark: screen 1,000,000 projects from Parquet (EU + CGT), vectorised. Prints JSON medians."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from countyzero.finance.portfolio import read_table, screen_table, status_counts
from countyzero.finance.rulebook import default_rulebooks

N = 1_000_000
REPEATS = 3


def make_table(n: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    codes = np.array(["4.5", "4.1", "7.1", "7.2", "6.5", "7.7", "5.3", "1.1"])
    activity = codes[rng.integers(0, codes.size, n)]

    def maybe(values: np.ndarray, missing: float = 0.1) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < missing)

    columns = {
        "id": pa.array(np.arange(n)),
        "amount": rng.uniform(1e5, 1e8, n),
        "activity_eu": activity,
        "power_density_w_per_m2": maybe(rng.uniform(0, 12, n)),
        "run_of_river": maybe(rng.random(n) < 0.3),
        "lifecycle_gco2e_per_kwh": maybe(rng.uniform(10, 200, n)),
        "primary_energy_demand_kwh_per_m2_y": maybe(rng.uniform(50, 150, n)),
        "nzeb_threshold_kwh_per_m2_y": maybe(np.full(n, 110.0)),
        "floor_area_m2": maybe(rng.uniform(500, 20000, n)),
        "airtightness_tested": maybe(rng.random(n) < 0.8),
        "thermal_integrity_tested": maybe(rng.random(n) < 0.7),
        "lifecycle_gwp_disclosed": maybe(rng.random(n) < 0.6),
        "primary_energy_reduction_pct": maybe(rng.uniform(0, 60, n)),
        "vehicle_category": maybe(np.array(["M1", "N1", "L"])[rng.integers(0, 3, n)]),
        "gco2_per_km": maybe(np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 120, n))),
        "built_before_2021": maybe(rng.random(n) < 0.7),
        "epc_class": maybe(np.array(list("ABCDEFG"))[rng.integers(0, 7, n)]),
        "plant_capacity_pe": maybe(rng.uniform(1e3, 3e5, n)),
        "net_energy_kwh_per_pe_y": maybe(rng.uniform(10, 40, n)),
        "area_ha": maybe(rng.uniform(1, 100, n)),
        "climate_benefit_tco2e": maybe(rng.uniform(-100, 5000, n)),
        "quality.lifecycle_gco2e_per_kwh": maybe(np.array(["audited", "reported"])[rng.integers(0, 2, n)]),
        "minimum_safeguards": maybe(rng.random(n) < 0.95, 0.02),
    }
    for key in ("climate_risk_assessment", "water", "circular_economy", "pollution", "biodiversity"):
        columns[f"dnsh.{key}"] = maybe(rng.random(n) < 0.9, 0.05)
    return pa.table(columns)


def main() -> None:
    default_rulebooks()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "projects.parquet"
        pq.write_table(make_table(N), path)
        times, read_times = [], []
        counts = {}
        for _ in range(REPEATS):
            start = time.perf_counter()
            table = read_table(path)
            mid = time.perf_counter()
            codes = screen_table(table, date(2026, 3, 1))
            times.append(time.perf_counter() - start)
            read_times.append(mid - start)
            counts = status_counts(codes)
    print(
        json.dumps(
            {
                "benchmark": "finance.screen_table",
                "rows": N,
                "frameworks": ["eu", "cgt"],
                "median_seconds_read_and_screen": statistics.median(times),
                "median_seconds_read": statistics.median(read_times),
                "repeats": REPEATS,
                "status_counts": counts,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
