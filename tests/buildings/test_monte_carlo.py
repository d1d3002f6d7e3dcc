"""The buildings Monte Carlo over A1–A3 factor uncertainty (issue 4 item 6): ``assess_building(…, monte_carlo=N)``
and :func:`countyzero.buildings.engine.monte_carlo_a1a3`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from countyzero.buildings import BOQInput, assess_building
from countyzero.buildings.cli import app
from countyzero.buildings.engine import monte_carlo_a1a3
from countyzero.core.errors import InputError


def boq(pct: tuple[float | None, ...] = (10.0, 30.0)) -> dict[str, Any]:
    """A slab (±pct[0] % on its A1–A3 factor) and steel (±pct[1] %), plus a window without uncertainty."""
    items: list[dict[str, Any]] = [
        {"id": "slab", "quantity": 20, "unit": "m3", "density_kg_m3": 2400, "service_life_years": 60,
         "factor": {"a1a3": 0.1, "unit": "kgCO2e/kg"}, "transport": {"distance_km": 0}},
        {"id": "steel", "quantity": 2, "unit": "t", "service_life_years": 30, "waste_rate": 0.05,
         "factor": {"a1a3": 2000, "unit": "kgCO2e/t"}, "transport": {"distance_km": 0}},
        {"id": "window", "quantity": 5, "unit": "m2", "factor": {"a1a3": 100, "unit": "kgCO2e/m2"},
         "transport": {"distance_km": 0}}]
    for item, p in zip(items, pct, strict=False):
        if p is not None:
            item["uncertainty_pct"] = p
    return {"building": {"name": "mc", "gross_floor_area_m2": 100, "reference_study_period_years": 60},
            "items": items}


def run(data: dict[str, Any], draws: int) -> tuple[float, dict[str, Any]]:
    result = assess_building(BOQInput.model_validate(data), monte_carlo=draws)
    assert result.monte_carlo is not None
    return result.total_kgco2e, result.monte_carlo


def test_seeded_draws_are_reproducible_and_the_seed_matters() -> None:
    total, first = run(boq(), 500)
    _, second = run(boq(), 500)
    assert first == second and first["seed"] == 20240601 and first["draws"] == 500
    parts, pct = np.array([4800.0, 8400.0]), np.array([10.0, 30.0])
    same = monte_carlo_a1a3(total, parts, pct, 500, seed=3)
    assert same == monte_carlo_a1a3(total, parts, pct, 500, seed=3)
    assert monte_carlo_a1a3(total, parts, pct, 500, seed=4)["mean_kgco2e"] != same["mean_kgco2e"]


def test_the_deterministic_total_lies_inside_the_interval() -> None:
    total, mc = run(boq(), 4000)
    assert mc["lines_with_uncertainty"] == 2
    assert mc["p2_5_kgco2e"] < total < mc["p97_5_kgco2e"]
    # lognormal factors with median 1: the median total is the deterministic total (within sampling error)
    assert mc["median_kgco2e"] == pytest.approx(total, rel=0.01)
    assert mc["p2_5_kgco2e"] <= mc["median_kgco2e"] <= mc["p97_5_kgco2e"]


def test_one_uncertain_line_gives_the_lognormal_interval_by_hand() -> None:
    # one line of 1000 kgCO2e with a 95 % half-width of 20 %: σ = ln(1.2)/1.96, so its 2.5 % and 97.5 %
    # quantiles are 1000/1.2 and 1000 × 1.2; the other 500 kgCO2e are fixed
    mc = monte_carlo_a1a3(1500.0, np.array([1000.0, 500.0]), np.array([20.0, math.nan]), 20000, seed=1)
    assert mc["lines_with_uncertainty"] == 1
    assert mc["p2_5_kgco2e"] == pytest.approx(500 + 1000 / 1.2, rel=0.005)
    assert mc["p97_5_kgco2e"] == pytest.approx(500 + 1000 * 1.2, rel=0.005)
    assert mc["mean_kgco2e"] == pytest.approx(500 + 1000 * math.exp((math.log(1.2) / 1.96) ** 2 / 2), rel=0.005)


@pytest.mark.parametrize("pct", [(0.0, 0.0), (None, None), (0.0, None)])
def test_zero_uncertainty_collapses_to_the_deterministic_value(pct: tuple[float | None, ...]) -> None:
    total, mc = run(boq(pct), 300)
    assert mc["lines_with_uncertainty"] == 0
    assert mc["p2_5_kgco2e"] == mc["median_kgco2e"] == mc["p97_5_kgco2e"] == total
    assert mc["mean_kgco2e"] == pytest.approx(total, rel=1e-14)  # a sum of 300 equal numbers, to rounding


def test_no_draws_means_no_monte_carlo() -> None:
    assert assess_building(BOQInput.model_validate(boq()), monte_carlo=0).monte_carlo is None


def test_a_negative_uncertainty_is_an_input_error() -> None:
    data = boq((-5.0, 10.0))
    with pytest.raises(ValueError, match="uncertainty_pct"):
        BOQInput.model_validate(data)


def test_the_command_line_refuses_a_bad_draws_count(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(boq()), encoding="utf-8")
    runner = CliRunner()
    for bad in ("-1", "many", "2.5"):
        result = runner.invoke(app, ["assess", str(path), "--monte-carlo", bad, "--format", "json"])
        assert result.exit_code == 2 and "--monte-carlo" in result.output, result.output
    result = runner.invoke(app, ["assess", str(path), "--monte-carlo", "200", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"draws": 200' in result.stdout


def test_the_api_refuses_a_negative_draws_count() -> None:
    with pytest.raises(ValueError):
        assess_building(BOQInput.model_validate(boq()), monte_carlo=-1)


def test_the_api_names_the_field_of_a_bad_draws_count() -> None:
    with pytest.raises(InputError) as info:
        assess_building(BOQInput.model_validate(boq()), monte_carlo=-1)
    assert info.value.field == "monte_carlo"
    with pytest.raises(InputError, match="at most 100,000") as info:  # core.limits.InputLimits.monte_carlo_draws
        assess_building(BOQInput.model_validate(boq()), monte_carlo=100_001)
    assert info.value.field == "monte_carlo"
