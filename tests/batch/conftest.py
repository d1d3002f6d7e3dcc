from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("batch_samples", ROOT / "examples" / "batch" / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


samples = _samples()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One LocalCluster per test module: 2 worker processes, 1 thread each, loopback only, no dashboard."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("inputs")
    paths = {"buildings": base / "buildings.parquet", "loans": base / "loans.parquet",
             "projects": base / "projects.parquet"}
    pq.write_table(samples.make_buildings(300, 10), paths["buildings"], row_group_size=700)
    pq.write_table(samples.make_loans(3000), paths["loans"])
    pq.write_table(samples.make_projects(900), paths["projects"])
    paths["counties"] = samples.make_counties(base / "counties", 2)
    return paths
