from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from countyzero.pathways.compile import CountyBase, load_county
from countyzero.pathways.engine import PreparedScenario, prepare

ROOT = Path(__file__).resolve().parents[2]
BAOTING = ROOT / "examples" / "baoting"


@pytest.fixture(scope="session")
def county() -> CountyBase:
    return load_county(BAOTING / "roadmap.yaml")


@pytest.fixture(scope="session")
def nz(county: CountyBase) -> PreparedScenario:
    return prepare(county, BAOTING / "scenarios" / "net-zero-2040.yaml")


@pytest.fixture(scope="session")
def policy(county: CountyBase) -> PreparedScenario:
    return prepare(county, BAOTING / "scenarios" / "hainan-policy.yaml")


@pytest.fixture(scope="session")
def reference(county: CountyBase) -> PreparedScenario:
    return prepare(county, BAOTING / "scenarios" / "reference.yaml")


@pytest.fixture()
def county_copy(tmp_path: Path) -> Path:
    """A writable copy of the Baoting folder (roadmap, inventory, scenarios)."""
    target = tmp_path / "baoting"
    target.mkdir()
    for name in ("roadmap.yaml", "inventory-2022.yaml"):
        shutil.copy(BAOTING / name, target / name)
    shutil.copytree(BAOTING / "scenarios", target / "scenarios")
    return target


def edit_yaml(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
