"""Monte Carlo roadmap ensembles for many counties, in blocks of draws seeded per county and draw index.

``COUNTIES_DIR`` holds one folder per county, each with its ``roadmap.yaml`` (docs/pathways.md), scenario files
and base-year inventory (or is itself such a folder). Every scenario's draws are cut into blocks of
:data:`DRAW_BLOCK` draws; block ``b`` of scenario ``s`` of county ``c`` draws with the seed

    ``SeedSequence([base_seed, county_number, s, b]).generate_state(1)[0]``

where ``county_number`` is the first 8 bytes of the SHA-256 of the county folder's name and ``base_seed`` is
``--seed`` or the scenario file's ``montecarlo.seed``. The seed therefore depends on the county and the draw
index only — never on the worker or the scheduler — so every scheduler gives the same draws. Each block runs
:func:`countyzero.pathways.montecarlo.monte_carlo` (Latin hypercube within the block) on the scenario compiled
by :func:`countyzero.pathways.engine.prepare`.

Output, one row per block: ``county, scenario, block, first_draw, draws, seed, peaked_by_target,
net_zero_by_target`` (counts of draws). Totals: draws and both counts, overall and per ``county/scenario``;
the probability is the count over the draws. Fan percentiles (which need every draw at once) are not part of a
batch run: run ``countyzero pathways montecarlo`` for one scenario.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pyarrow as pa

from countyzero.batch.runner import Job, Partition, PartitionResult, file_sha256, input_error_result, job_key
from countyzero.core.errors import InputError
from countyzero.core.trace import sha256_of
from countyzero.factors.library import FactorLibrary, default_library
from countyzero.pathways.compile import CountyBase, load_county, read_roadmap, read_scenario
from countyzero.pathways.engine import PreparedScenario, find_roadmap, prepare

DRAW_BLOCK = 1000
"""Draws per partition; part of the seeding scheme (changing it changes the draws, and the job key)."""


@functools.cache
def _library() -> FactorLibrary:
    return default_library()


@functools.lru_cache(maxsize=4)
def _county(roadmap_file: str, digest: str) -> CountyBase:
    """The county's roadmap and base-year inventory, once per worker process (``digest``: the folder's content)."""
    return load_county(roadmap_file, _library())


@functools.lru_cache(maxsize=8)
def _prepared(roadmap_file: str, scenario_file: str, digest: str) -> PreparedScenario:
    """The compiled scenario, once per worker process; blocks of a scenario are submitted one after another, so a
    small cache serves them (memory stays bounded however many counties there are)."""
    return prepare(_county(roadmap_file, digest), scenario_file, _library())


def block_seed(base_seed: int, county: str, scenario_index: int, block: int) -> int:
    """The seed of one block of draws: a function of the county and the draw index only."""
    county_number = int(sha256_of(county)[:16], 16)
    state = np.random.SeedSequence([base_seed, county_number, scenario_index, block]).generate_state(1, np.uint64)
    return int(state[0])


def ensemble_partition(partition: Partition) -> PartitionResult:
    """Monte Carlo counts of one block of draws."""
    from countyzero.pathways.montecarlo import monte_carlo

    spec = partition.spec
    try:
        prep = _prepared(spec["roadmap_file"], spec["scenario_file"], spec["digest"])
        result = monte_carlo(prep.model, prep.context, spec["draws"], spec["seed"])
    except InputError as exc:
        return input_error_result(partition, exc.located(file=spec["scenario_file"]))
    draws = int(spec["draws"])
    peaked = round(result["p_peak_by_target"] * draws)
    net_zero = round(result["p_net_zero_by_target"] * draws)
    table = pa.table({"county": [spec["county"]], "scenario": [spec["scenario"]], "block": [spec["block"]],
                      "first_draw": [spec["first_draw"]], "draws": [draws],
                      "seed": pa.array([spec["seed"]], pa.uint64()),
                      "peaked_by_target": [peaked], "net_zero_by_target": [net_zero]})
    where = f"{spec['county']}/{spec['scenario']}"
    totals = {"draws": float(draws), "peaked_by_target": float(peaked), "net_zero_by_target": float(net_zero),
              f"{where}/draws": float(draws), f"{where}/peaked_by_target": float(peaked),
              f"{where}/net_zero_by_target": float(net_zero)}
    return PartitionResult(partition.index, 1, table=table, totals=totals)


def _county_folders(counties_dir: Path) -> list[Path]:
    if (counties_dir / "roadmap.yaml").is_file():
        return [counties_dir]
    folders = sorted(p for p in counties_dir.iterdir() if p.is_dir() and (p / "roadmap.yaml").is_file())
    if not folders:
        raise InputError("no county folders with a roadmap.yaml", file=str(counties_dir))
    return folders


def _folder_digest(folder: Path) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return sha256_of({str(p.relative_to(folder)): file_sha256(p) for p in files})


def roadmap_job(counties_dir: str | Path, *, draws: int, seed: int | None = None) -> Job:
    """Plan the ensembles: every scenario of every county, ``draws`` draws each, in blocks.

    Raises
    ------
    InputError
        No county folders, a roadmap or scenario file that does not validate, ``draws`` < 1.
    """
    counties_dir = Path(counties_dir).resolve()
    if not counties_dir.is_dir():
        raise InputError("not a folder", file=str(counties_dir))
    if draws < 1:
        raise InputError("draws must be ≥ 1", field="draws")
    partitions: list[Partition] = []
    inputs: dict[str, str] = {}
    plan = []
    total_names = ["draws", "peaked_by_target", "net_zero_by_target"]
    for folder in _county_folders(counties_dir):
        county = folder.name
        roadmap_file = find_roadmap(folder)
        roadmap, _ = read_roadmap(roadmap_file)
        digest = _folder_digest(folder)
        inputs[county] = digest
        for s, name in enumerate(roadmap.scenarios):
            scenario_file = (roadmap_file.parent / name).resolve()
            scenario, _ = read_scenario(scenario_file)
            base = scenario.montecarlo.seed if seed is None else seed
            total_names += [f"{county}/{scenario.id}/{k}" for k in ("draws", "peaked_by_target", "net_zero_by_target")]
            for block, first in enumerate(range(0, draws, DRAW_BLOCK)):
                size = min(DRAW_BLOCK, draws - first)
                block_key = block_seed(base, county, s, block)
                plan.append({"county": county, "scenario": scenario.id, "block": block, "seed": block_key})
                partitions.append(Partition(
                    len(partitions), f"{county}/{scenario.id} draws {first}-{first + size - 1}", 1,
                    {"county": county, "scenario": scenario.id, "roadmap_file": str(roadmap_file),
                     "scenario_file": str(scenario_file), "digest": digest, "block": block, "first_draw": first,
                     "draws": size, "seed": block_key}))
    library = _library()
    factor_set = {"version": library.version, "digest": library.digest}
    parameters = {"draws": draws, "seed": seed, "draw_block": DRAW_BLOCK}
    key = job_key("roadmap", inputs, parameters, factor_set, plan)
    return Job("roadmap", key, partitions, ensemble_partition, parameters, inputs, factor_set, tuple(total_names))
