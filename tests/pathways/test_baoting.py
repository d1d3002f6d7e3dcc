"""The Baoting roadmap: the JSON contract, the CLI, IAMC export and the report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from countyzero.pathways.cli import app, roadmap
from countyzero.pathways.engine import RoadmapResult, run_roadmap
from countyzero.pathways.iamc import to_iamc_csv
from tests.pathways.conftest import BAOTING, ROOT


@pytest.fixture(scope="module")
def main() -> typer.Typer:
    main = typer.Typer()
    main.add_typer(app, name="pathways")
    main.command("roadmap")(roadmap)
    return main


@pytest.fixture(scope="module")
def result() -> RoadmapResult:
    return run_roadmap(BAOTING, draws=200)


def test_roadmap_json_contract(main: typer.Typer) -> None:
    out = CliRunner().invoke(main, ["roadmap", str(BAOTING), "--format", "json", "--draws", "100"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data["scenarios"]) == {"reference", "hainan-policy", "net-zero-2040"}
    for name, s in data["scenarios"].items():
        n = len(s["years"])
        assert s["years"][0] == 2022 and s["years"][-1] == 2060
        for key in ("gross_tco2e", "removals_tco2e", "net_tco2e"):
            assert len(s[key]) == n
        assert np.allclose(np.add(s["gross_tco2e"], s["removals_tco2e"]), s["net_tco2e"])
        assert s["peak_year"] is None or isinstance(s["peak_year"], int)
        assert s["net_zero_year"] is None or isinstance(s["net_zero_year"], int)
        assert 0.0 <= s["p_peak_by_target"] <= 1.0 and 0.0 <= s["p_net_zero_by_target"] <= 1.0
        if name != "reference":
            assert set(s["wedges"]) == {m["id"] for m in s["measures"]}
            assert all(len(w) == n for w in s["wedges"].values())
        else:
            assert s["wedges"] is None


def test_wedges_add_up_in_every_scenario(result: RoadmapResult) -> None:
    ref = np.array(result.scenarios["reference"].neutrality_metric)
    for s in result.scenarios.values():
        if s.wedges:
            total = np.array(list(s.wedges.values())).sum(axis=0)
            assert total == pytest.approx(ref - np.array(s.neutrality_metric), abs=1e-5)


def test_net_zero_2040_meets_its_targets(result: RoadmapResult) -> None:
    s = result.scenarios["net-zero-2040"]
    assert s.peak_year is not None and s.peak_year <= 2028
    assert s.net_zero_year is not None and s.net_zero_year <= 2040
    assert s.targets["neutrality"]["sinks"] == "all" and s.targets["peak"]["metric"] == "energy_co2"
    assert result.scenarios["reference"].peak_year is None  # still rising at 2060 in business as usual


def test_every_assumption_cited(result: RoadmapResult) -> None:
    for s in result.scenarios.values():
        for a in s.assumptions:
            assert a["source"] and a["confidence"] in ("verified", "secondary", "estimate")


def test_iamc_format_and_aggregates(result: RoadmapResult) -> None:
    text = to_iamc_csv(result)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["model", "scenario", "region", "variable", "unit"]
    assert rows[0][5] == "2022" and rows[0][-1] == "2060"
    table = {(r[1], r[3]): np.array(r[5:], dtype=float) for r in rows[1:]}
    for sid in result.scenarios:
        parent = table[(sid, "Emissions|Kyoto Gases")]
        scenes = [v for (s, name), v in table.items()
                  if s == sid and name.startswith("Emissions|Kyoto Gases|") and name.count("|") == 2]
        assert len(scenes) == 5
        assert np.sum(scenes, axis=0) == pytest.approx(parent, rel=1e-8)
        gases = [v for (s, name), v in table.items() if s == sid and name.startswith("Emissions|Kyoto Gases|Gas|")]
        assert np.sum(gases, axis=0) == pytest.approx(parent, rel=1e-8)
        net = table[(sid, "Net Emissions|Kyoto Gases")]
        assert parent - table[(sid, "Removals|Kyoto Gases|AFOLU")] == pytest.approx(net, rel=1e-8, abs=1e-3)


def test_roadmap_writes_report_and_iamc(main: typer.Typer, tmp_path: Path) -> None:
    report = tmp_path / "roadmap.html"
    iamc = tmp_path / "roadmap.csv"
    pdf = tmp_path / "roadmap.pdf"
    out = CliRunner().invoke(main, ["roadmap", str(BAOTING), "--format", "table", "--draws", "50",
                                    "--report", str(report), "--iamc", str(iamc), "--pdf", str(pdf)])
    assert out.exit_code == 0, out.output
    assert pdf.read_bytes().startswith(b"%PDF")
    html = report.read_text(encoding="utf-8")
    assert html.count("<svg") >= 6  # trajectories, peak, fan, 2 × (wedges, MAC)
    assert "碳中和路线图" in html and "Carbon-neutrality roadmap" in html
    assert "<script" not in html and "<link" not in html and 'src="http' not in html
    assert report.with_suffix(".json").exists() and iamc.read_text(encoding="utf-8").startswith("model,")


@pytest.mark.parametrize("command", [["pathways", "run"], ["pathways", "optimise"], ["pathways", "montecarlo"]])
def test_commands_print_json(main: typer.Typer, command: list[str]) -> None:
    args = [*command, str(BAOTING / "scenarios" / "hainan-policy.yaml"), "--format", "json"]
    if command[-1] == "montecarlo":
        args += ["--draws", "200", "--seed", "3"]
    if command[-1] == "run":
        args += ["--draws", "0"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    if command[-1] == "optimise":
        assert data["feasible"] is False and data["shortfall_neutrality_tco2e"] > 0
    if command[-1] == "montecarlo":
        again = json.loads(CliRunner().invoke(main, args).stdout)
        assert again["p_peak_by_target"] == data["p_peak_by_target"]


def test_table_output(main: typer.Typer) -> None:
    out = CliRunner().invoke(main, ["pathways", "run", str(BAOTING / "scenarios" / "net-zero-2040.yaml"),
                                    "--format", "table", "--draws", "0"])
    assert out.exit_code == 0 and "net-zero-2040" in out.output


def test_every_command_documented(main: typer.Typer) -> None:
    docs = (ROOT / "docs" / "pathways.md").read_text(encoding="utf-8")
    for literal in ("countyzero pathways run", "countyzero pathways optimise", "countyzero pathways montecarlo",
                    "countyzero roadmap"):
        assert literal in docs
    for command in (["pathways", "run"], ["pathways", "optimise"], ["pathways", "montecarlo"], ["roadmap"]):
        out = CliRunner().invoke(main, [*command, "--help"])
        assert out.exit_code == 0 and "Usage" in out.output
