"""Bad input: a clear error naming the file, measure and field; nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from countyzero.core.errors import InputError
from countyzero.pathways.cli import app, roadmap
from countyzero.pathways.engine import run_roadmap, run_scenario_file
from tests.pathways.conftest import edit_yaml


def _measure(data: dict[str, Any], measure_id: str) -> dict[str, Any]:
    return next(m for m in data["measures"] if m["id"] == measure_id)


def _expect(path: Path, fragment: str, measure: str | None, field: str) -> InputError:
    with pytest.raises(InputError) as info:
        run_scenario_file(path, draws=0)
    message = str(info.value)
    assert path.name in message and fragment in message and field in message
    if measure:
        assert measure in message
    return info.value


def test_unknown_measure_target_line(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "nev-private-cars")["applies_to"].update(lines=["BT22-999"]))
    _expect(path, "unknown measure target", "nev-private-cars", "applies_to.lines")


def test_unknown_measure_target_gpc_and_gas(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "net-zero-2040.yaml"
    edit_yaml(path, lambda d: _measure(d, "rural-sewage")["applies_to"].update(gases=["SF6"]))
    _expect(path, "no SF6", "rural-sewage", "applies_to.gases")
    edit_yaml(path, lambda d: _measure(d, "waste-reduction")["applies_to"].update(gpc=["IX.9"]))
    _expect(path, "unknown measure target", "waste-reduction", "applies_to.gpc")


def test_negative_adoption(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "green-buildings")["adoption"]["years"].update({2030: -0.2}))
    _expect(path, "negative adoption", "green-buildings", "adoption.years.2030")


def test_adoption_above_100_percent(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "green-buildings")["adoption"]["years"].update({2040: 1.5}))
    _expect(path, "above 100 %", "green-buildings", "adoption.years.2040")


def test_effect_above_100_percent(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "clean-public-fleet").update(
        effect={"value": 1.2, "confidence": "estimate", "source": "test value"}))
    _expect(path, "above 100 %", "clean-public-fleet", "effect")


def test_years_outside_horizon(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "green-buildings")["adoption"]["years"].update({2075: 1.0}))
    _expect(path, "outside the horizon", "green-buildings", "adoption.years.2075")


def test_target_gas_missing_from_inventory(county_copy: Path) -> None:
    edit_yaml(county_copy / "roadmap.yaml",
              lambda d: d["targets"]["neutrality"].update(gases=["CO2", "CH4", "N2O", "SF6"]))
    with pytest.raises(InputError) as info:
        run_roadmap(county_copy, draws=0)
    message = str(info.value)
    assert "roadmap.yaml" in message and "SF6" in message and "targets.neutrality.gases" in message


def test_uncited_value_rejected(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "clean-public-fleet").update(effect={"value": 0.5}))
    with pytest.raises(InputError) as info:
        run_scenario_file(path, draws=0)
    assert "source" in str(info.value) and "clean-public-fleet" in str(info.value)


def test_unknown_factor_id(county_copy: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "nev-private-cars").update(effect={"factor": "no.such.row"}))
    _expect(path, "no factor-library row", "nev-private-cars", "effect.factor")


def test_reference_with_measures_rejected(county_copy: Path) -> None:
    policy = county_copy / "scenarios" / "hainan-policy.yaml"
    import yaml

    measures = yaml.safe_load(policy.read_text(encoding="utf-8"))["measures"][:1]
    edit_yaml(county_copy / "scenarios" / "reference.yaml", lambda d: d.update(measures=measures))
    with pytest.raises(InputError, match="business-as-usual"):
        run_roadmap(county_copy, draws=0)


def test_cli_error_writes_nothing(county_copy: Path, tmp_path: Path) -> None:
    path = county_copy / "scenarios" / "hainan-policy.yaml"
    edit_yaml(path, lambda d: _measure(d, "green-buildings")["adoption"]["years"].update({2030: -0.2}))
    main = typer.Typer()
    main.add_typer(app, name="pathways")
    main.command("roadmap")(roadmap)
    report = tmp_path / "out" / "report.html"
    iamc = tmp_path / "out" / "iamc.csv"
    result = CliRunner().invoke(main, ["roadmap", str(county_copy), "--format", "json", "--report", str(report),
                                       "--iamc", str(iamc), "--draws", "0"])
    assert result.exit_code == 2
    assert "error:" in result.output and "green-buildings" in result.output and "Traceback" not in result.output
    assert not report.exists() and not iamc.exists()
    result = CliRunner().invoke(main, ["pathways", "run", str(path), "--format", "json"])
    assert result.exit_code == 2 and "adoption.years.2030" in result.output
