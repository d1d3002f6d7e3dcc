"""Make sample inputs for ``countyzero batch`` (illustrative, random but seeded — not real buildings or loans).

    .venv/bin/python examples/batch/make_samples.py            # the small samples beside this script
    .venv/bin/python examples/batch/make_samples.py --buildings 100000 --items 30 --out /tmp/big

Writes ``buildings.parquet`` (and ``buildings.csv`` for the small sample), ``loans.parquet``,
``projects.parquet`` and ``counties/`` (copies of the Baoting roadmap folder under other names: the same
county data, so only the seeds differ between "counties").
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BAOTING = HERE.parent / "baoting"
ITEMS = (  # item, unit, A1-A3 per unit (EPD-style, illustrative) or a library factor id, mass unit?
    ("concrete_c30", "m3", None, "gbt51366.d.concrete_c30"),
    ("rebar", "t", 2340.0, None),
    ("cement", "t", None, "gbt51366.d.cement_portland"),
    ("sand", "t", None, "gbt51366.d.sand"),
    ("aluminium_window", "m2", 180.0, None),
    ("gypsum_board", "kg", 0.39, None),
    ("mineral_wool", "kg", 1.28, None),
    ("timber", "kg", 0.45, None),
)


def make_buildings(n_buildings: int, items: int, seed: int = 10) -> pa.Table:
    """``n_buildings`` × ``items`` BOQ lines in the issue-10 portfolio format (rows of a building together)."""
    rng = np.random.default_rng(seed)
    n = n_buildings * items
    building = np.repeat(np.arange(n_buildings), items)
    kind = rng.integers(0, len(ITEMS), n)
    unit = np.array([i[1] for i in ITEMS])[kind]
    a1a3 = np.array([np.nan if i[2] is None else i[2] for i in ITEMS])[kind]
    factor = np.array([i[3] or "" for i in ITEMS], dtype=object)[kind]
    mass = np.isin(unit, ["t", "kg"])
    area = rng.uniform(200, 20_000, n_buildings)
    return pa.table({
        "building_id": pa.array([f"B{b:07d}" for b in range(n_buildings)]).take(pa.array(building)),
        "gross_floor_area_m2": area[building],
        "item_id": np.array([i[0] for i in ITEMS])[kind],
        "quantity": np.round(rng.uniform(0.1, 400, n), 3),
        "unit": unit,
        "a1a3_kgco2e_per_unit": pa.array(a1a3, mask=np.isnan(a1a3)),
        "factor_id": pa.array(factor, mask=factor == ""),
        "transport_km": pa.array(np.round(rng.uniform(5, 500, n), 1), mask=~mass),
        "transport_kgco2e_per_tkm": pa.array(np.full(n, 0.162), mask=~mass),
        "service_life_years": pa.array(rng.choice([25.0, 30.0, 40.0, 60.0], n), mask=rng.random(n) < 0.5),
        "reference_study_period_years": np.full(n, 60.0),
    })


def make_loans(n: int, seed: int = 7) -> pa.Table:
    """A loan book in the finance portfolio format (docs/finance.md), with metric columns for a few activities."""
    rng = np.random.default_rng(seed)
    codes = np.array(["4.5", "4.1", "7.1", "7.2", "7.7", "1.1"])

    def maybe(values: np.ndarray, missing: float = 0.1) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < missing)

    columns: dict[str, pa.Array | np.ndarray] = {
        "id": pa.array([f"L{i:08d}" for i in range(n)]),
        "amount": np.round(rng.uniform(1e5, 1e8, n), 2),
        "activity_eu": codes[rng.integers(0, codes.size, n)],
        "power_density_w_per_m2": maybe(rng.uniform(0, 12, n)),
        "run_of_river": maybe(rng.random(n) < 0.3),
        "lifecycle_gco2e_per_kwh": maybe(rng.uniform(10, 200, n)),
        "primary_energy_demand_kwh_per_m2_y": maybe(rng.uniform(50, 150, n)),
        "nzeb_threshold_kwh_per_m2_y": maybe(np.full(n, 110.0)),
        "floor_area_m2": maybe(rng.uniform(500, 20000, n)),
        "epc_class": maybe(np.array(list("ABCDEFG"))[rng.integers(0, 7, n)]),
        "top_15_percent_stock": maybe(rng.random(n) < 0.2),
        "built_before_2021": maybe(rng.random(n) < 0.7),
        "minimum_safeguards": maybe(rng.random(n) < 0.95, 0.02),
    }
    for key in ("climate_risk_assessment", "water", "circular_economy", "pollution", "biodiversity"):
        columns[f"dnsh.{key}"] = maybe(rng.random(n) < 0.9, 0.05)
    return pa.table(columns)


def make_projects(n: int, seed: int = 6) -> pa.Table:
    """Forestry projects in the batch credits format (docs/scaling.md)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-01-01") + rng.integers(0, 6 * 365, n).astype("timedelta64[D]")
    end = start + (rng.integers(20, 41, n) * 365).astype("timedelta64[D]")
    growth = rng.uniform(2.0, 9.0, n)
    return pa.table({
        "project_id": pa.array([f"P{i:07d}" for i in range(n)]),
        "standard": np.array(["ccer", "verra", "gold-standard"])[rng.integers(0, 3, n)],
        "area_ha": np.round(rng.uniform(10, 5000, n), 2),
        "rate_young_tco2e_per_ha_yr": np.round(growth * 1.4 * 0.47 * 44 / 12 * 1.24, 4),
        "rate_old_tco2e_per_ha_yr": np.round(growth * 0.47 * 44 / 12 * 1.24, 4),
        "start_date": pa.array(start, pa.date32()),
        "end_date": pa.array(end, pa.date32()),
        "relative_uncertainty": pa.array(rng.uniform(0.0, 0.3, n), mask=rng.random(n) < 0.2),
        "risk_score": pa.array(rng.uniform(8, 35, n), mask=rng.random(n) < 0.2),
    })


def make_counties(target: Path, n: int) -> Path:
    """``n`` county folders, each a copy of the Baoting roadmap, scenarios and inventory (named county-NN)."""
    target.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        folder = target / f"county-{i:02d}"
        if folder.exists():
            continue
        folder.mkdir()
        for name in ("roadmap.yaml", "inventory-2022.yaml"):
            shutil.copy(BAOTING / name, folder / name)
        shutil.copytree(BAOTING / "scenarios", folder / "scenarios")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buildings", type=int, default=40)
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--loans", type=int, default=200)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--counties", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    buildings = make_buildings(args.buildings, args.items)
    pq.write_table(buildings, args.out / "buildings.parquet")
    if buildings.num_rows <= 10_000:
        pcsv.write_csv(buildings, args.out / "buildings.csv")
    pq.write_table(make_loans(args.loans), args.out / "loans.parquet")
    pq.write_table(make_projects(args.projects), args.out / "projects.parquet")
    make_counties(args.out / "counties", args.counties)


if __name__ == "__main__":
    main()
