from __future__ import annotations

from pathlib import Path

import pytest

from countyzero.factors import FactorLibrary, default_library

ROOT = Path(__file__).resolve().parents[1]
BAOTING = ROOT / "examples" / "baoting" / "inventory-2022.yaml"


@pytest.fixture(scope="session")
def library() -> FactorLibrary:
    return default_library()
