"""Adoption paths (years, S-curve, 2050-Calculator levels) and configurable targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from countyzero.core.errors import InputError
from countyzero.pathways.compile import adoption_path
from countyzero.pathways.engine import run_roadmap
from countyzero.pathways.model import Adoption
from tests.pathways.conftest import edit_yaml

YEARS = np.arange(2022, 2061, dtype=float)


def _adoption(**kwargs: object) -> Adoption:
    return Adoption.model_validate({"source": "test", "confidence": "estimate", **kwargs})


def test_years_linear_zero_before_held_after() -> None:
    path = adoption_path(_adoption(years={2025: 0.2, 2030: 1.0}), YEARS, file="f", row="m")
    assert path[YEARS == 2024][0] == 0.0
    assert path[YEARS == 2025][0] == pytest.approx(0.2)
    assert path[YEARS == 2027][0] == pytest.approx(0.2 + 0.8 * 2 / 5)
    assert path[YEARS == 2060][0] == 1.0


def test_s_curve() -> None:
    path = adoption_path(_adoption(s_curve={"start": 2024, "midpoint": 2032, "steepness": 0.5, "ceiling": 0.9}),
                         YEARS, file="f", row="m")
    assert path[YEARS == 2023][0] == 0.0
    assert path[YEARS == 2032][0] == pytest.approx(0.45)
    assert (np.diff(path[2:]) >= 0).all() and path.max() <= 0.9


def test_levels_interpolate() -> None:
    paths = {1: {2030: 0.1}, 2: {2030: 0.3}, 3: {2030: 0.6}, 4: {2030: 1.0}}
    path = adoption_path(_adoption(levels={"level": 2.5, "paths": paths}), YEARS, file="f", row="m")
    assert path[YEARS == 2030][0] == pytest.approx(0.45)
    top = adoption_path(_adoption(levels={"level": 4, "paths": paths}), YEARS, file="f", row="m")
    assert top[YEARS == 2030][0] == pytest.approx(1.0)


def test_levels_need_four_paths_and_one_form() -> None:
    with pytest.raises(ValueError, match="levels 1, 2, 3 and 4"):
        _adoption(levels={"level": 2, "paths": {1: {}, 2: {}}})
    with pytest.raises(ValueError, match="exactly one"):
        _adoption(years={2030: 1.0}, s_curve={"start": 2024, "midpoint": 2030, "steepness": 1})


def test_s_curve_start_outside_horizon() -> None:
    with pytest.raises(InputError, match="outside the horizon") as info:
        adoption_path(_adoption(s_curve={"start": 2070, "midpoint": 2075, "steepness": 1}), YEARS, file="s.yaml",
                      row="m1")
    assert "m1" in str(info.value) and "adoption.s_curve.start" in str(info.value)


def test_gross_only_neutrality_target(county_copy: Path) -> None:
    edit_yaml(county_copy / "roadmap.yaml", lambda d: d["targets"]["neutrality"].update(sinks="none"))
    result = run_roadmap(county_copy, draws=0)
    s = result.scenarios["net-zero-2040"]
    assert s.neutrality_metric == pytest.approx(s.gross_tco2e)
    assert s.net_zero_year is None  # without the forest sink, gross emissions never reach zero
    assert s.targets["neutrality"]["sinks"] == "none"


def test_sinks_listed_by_id(county_copy: Path) -> None:
    edit_yaml(county_copy / "roadmap.yaml", lambda d: d["targets"]["neutrality"].update(sinks=["forest-restoration"]))
    s = run_roadmap(county_copy, draws=0).scenarios["net-zero-2040"]
    # only the new restoration sink counts: neutrality = gross − restoration removals
    wedge = np.array(s.gross_tco2e) - np.array(s.neutrality_metric)
    assert wedge[0] == pytest.approx(0.0) and wedge[-1] == pytest.approx(45000.0)
    edit_yaml(county_copy / "roadmap.yaml", lambda d: d["targets"]["neutrality"].update(sinks=["nope"]))
    with pytest.raises(InputError, match="unknown sink"):
        run_roadmap(county_copy, draws=0)


def test_gross_peak_metric(county_copy: Path) -> None:
    edit_yaml(county_copy / "roadmap.yaml",
              lambda d: d["targets"]["peak"].update(metric="gross", gases=["CO2", "CH4", "N2O"]))
    s = run_roadmap(county_copy, draws=0).scenarios["reference"]
    assert s.peak_metric == pytest.approx(s.gross_tco2e)
