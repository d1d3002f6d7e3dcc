from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from countyzero.credits.model import ProjectInput
from countyzero.credits.standards import StandardProfile, load_profile
from countyzero.factors import FactorLibrary, default_library

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "baoting" / "credits"


@pytest.fixture(scope="session")
def lib() -> FactorLibrary:
    return default_library()


@pytest.fixture(scope="session")
def profiles(lib: FactorLibrary) -> dict[str, StandardProfile]:
    return {k: load_profile(k, lib) for k in ("ccer", "verra", "gold-standard")}


def issue_project(**changes: Any) -> ProjectInput:
    """The project of issue 6 (1000 ha, G_W 5.0, R 0.33, CF 0.47, 30 years from 2024-01-01), with changes."""
    data: dict[str, Any] = {
        "project": {"name": "Baoting native broadleaf ARR", "start_date": "2024-01-01", "crediting_years": 30,
                    "area_ha": 1000},
        "method": "ipcc-tier1-gain-loss",
        "parameters": {"growth_t_dm_per_ha_yr": 5.0, "root_shoot_ratio": 0.33, "carbon_fraction": 0.47},
        "eligibility": {"land_non_forest_years": 10, "economic_forest": False, "parcel_min_m2": 5000},
    }
    for dotted, value in changes.items():
        node = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return ProjectInput.model_validate(data)
