"""``countyzero credits`` as a user meets it: the JSON contract, formats, errors without tracebacks, docs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from countyzero.credits.cli import app
from tests.credits.conftest import EXAMPLES, ROOT

runner = CliRunner()
VINTAGE_KEYS = {"year", "gross_removals_tco2e", "baseline_tco2e", "leakage_tco2e", "uncertainty_deduction_tco2e",
                "buffer_tco2e", "issuable_tco2e"}
ISSUE_PROJECT = """project:
  {name: Baoting native broadleaf ARR, start_date: 2024-01-01, crediting_years: 30, area_ha: 1000}
method: ipcc-tier1-gain-loss
parameters:
  growth_t_dm_per_ha_yr: 5.0
  root_shoot_ratio: 0.33
  carbon_fraction: 0.47
eligibility: {land_non_forest_years: 10, economic_forest: false, parcel_min_m2: 5000}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project.yaml"
    path.write_text(ISSUE_PROJECT, encoding="utf-8")
    return path


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_estimate_json_contract_one_standard(project: Path) -> None:
    data = _json(["estimate", str(project), "--standard", "ccer", "--format", "json"])
    assert set(data["eligibility"]) == {"eligible", "reasons"}
    assert data["eligibility"]["eligible"] is True
    assert all(set(v) == VINTAGE_KEYS for v in data["vintages"])
    assert data["total_issuable_tco2e"] == pytest.approx(30 * 11460.1667, rel=1e-6)
    assert data["provenance"]["input_sha256"] and data["provenance"]["extra"]["standard"] == "ccer"


def test_estimate_all_standards(project: Path) -> None:
    data = _json(["estimate", str(project), "--standard", "all", "--format", "json"])
    assert set(data["standards"]) == {"ccer", "verra", "gold-standard"}
    for one in data["standards"].values():
        assert {"eligibility", "vintages", "total_issuable_tco2e", "provenance"} <= set(one)


def test_estimate_table(project: Path) -> None:
    result = runner.invoke(app, ["estimate", str(project), "--standard", "gold-standard", "--format", "table"])
    assert result.exit_code == 0 and "issuable 可签发" in result.output


def test_estimate_error_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(ISSUE_PROJECT.replace("area_ha: 1000", "area_ha: -1"), encoding="utf-8")
    result = runner.invoke(app, ["estimate", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "project.area_ha" in result.output
    assert "Traceback" not in result.output


def test_value(project: Path) -> None:
    data = _json(["value", str(project), "--price", "cn-central", "--discount-rate", "0.06", "--pledge-rate", "0.5",
                  "--format", "json"])
    assert data["currency"] == "CNY" and data["price"]["factor_id"] == "credits.price_scenario.cn-central"
    expected = sum(11460.1667 * 70 / 1.06 ** k for k in range(30))
    assert data["npv"] == pytest.approx(expected, rel=1e-6)
    assert data["collateral"]["value"] == pytest.approx(30 * 11460.1667 * 70 * 0.5, rel=1e-6)
    no_pledge = _json(["value", str(project), "--price", "21", "--currency", "USD", "--discount-rate", "0.1",
                       "--standard", "verra", "--format", "json"])
    assert no_pledge["collateral"] is None and no_pledge["currency"] == "USD"
    bad = runner.invoke(app, ["value", str(project), "--price", "cn-central", "--discount-rate", "0.06",
                              "--pledge-rate", "2"])
    assert bad.exit_code == 2 and "pledge rate" in bad.output


def test_ledger_round_trip(tmp_path: Path, project: Path) -> None:
    db = str(tmp_path / "ledger.sqlite")
    common = ["--db", db, "--standard", "ccer", "--project", "bt-arr-1", "--vintage", "2025"]
    _json(["ledger", "issue", *common, "--quantity", "1000", "--account", "owner", "--project-file", str(project),
           "--format", "json"])
    over = runner.invoke(app, ["ledger", "issue", *common, "--quantity", "11000", "--account", "owner",
                               "--project-file", str(project)])
    assert over.exit_code == 2 and "above the issuable 11460" in over.output
    _json(["ledger", "transfer", *common, "--quantity", "300", "--from", "owner", "--to", "bank", "--format", "json"])
    cert = _json(["ledger", "retire", *common, "--account", "bank", "--quantity", "100", "--beneficiary", "Hotel A",
                  "--purpose", "2025 neutrality", "--format", "json"])
    assert cert["serials"] == "CCER-bt-arr-1-2025-000000001…000000100"
    again = runner.invoke(app, ["ledger", "retire", *common, "--account", "bank", "--serials", "50-60",
                                "--beneficiary", "X", "--purpose", "Y"])
    assert again.exit_code == 2 and "already retired" in again.output
    _json(["ledger", "cancel", *common, "--account", "owner", "--quantity", "10", "--reason", "fire",
           "--format", "json"])
    balances = _json(["ledger", "balance", "--db", db, "--format", "json"])["balances"]
    got = {(b["account"], b["status"]): b["quantity"] for b in balances}
    assert got == {("owner", "held"): 690, ("bank", "held"): 200, ("bank", "retired"): 100,
                   ("buffer:ccer", "cancelled"): 10}
    report = _json(["ledger", "verify", "--db", db, "--format", "json"])
    assert report["ok"] and report["events"] == 4
    table = runner.invoke(app, ["ledger", "balance", "--db", db, "--format", "table"])
    assert table.exit_code == 0 and "owner" in table.output


def test_ledger_missing_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ledger", "verify", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no ledger database" in result.output


def test_baoting_examples_run() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = _json(["estimate", str(path), "--format", "json"])
        assert set(data["standards"]) == {"ccer", "verra", "gold-standard"}


COMMANDS = ["estimate", "value", "ledger issue", "ledger transfer", "ledger retire", "ledger cancel",
            "ledger balance", "ledger verify"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    docs = (ROOT / "docs" / "credits.md").read_text(encoding="utf-8")
    assert re.search(rf"countyzero credits {command}\b", docs), command


def test_docs_schema_matches_model() -> None:
    from countyzero.credits.model import project_json_schema

    docs = (ROOT / "docs" / "credits.md").read_text(encoding="utf-8")
    block = docs.split("## Project file JSON Schema", 1)[1].split("```json\n", 1)[1].split("\n```", 1)[0]
    assert json.loads(block) == project_json_schema()
