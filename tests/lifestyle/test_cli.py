"""The lifestyle and label command lines: formats, errors without tracebacks, documented commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from countyzero.lifestyle.cli import app, label_app
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLES = ROOT / "examples" / "baoting"


def test_footprint_json_and_table() -> None:
    path = str(EXAMPLES / "lifestyle" / "household-2025.yaml")
    result = runner.invoke(app, ["footprint", path, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"total_kgco2e", "by_domain", "provenance", "trace", "per_capita_tco2e_per_year"} <= set(data)
    assert data["total_kgco2e"] == pytest.approx(sum(data["by_domain"].values()))
    table = runner.invoke(app, ["footprint", path, "--format", "table"])
    assert table.exit_code == 0 and "领域" in table.output


def test_target_command() -> None:
    data = json.loads(runner.invoke(app, ["target", "2035", "--format", "json"]).output)
    assert data["target_tco2e_per_capita"] == pytest.approx(1.95)


def test_grade_examples() -> None:
    result = runner.invoke(label_app, ["grade", str(EXAMPLES / "lifestyle" / "label-items-2030.yaml"),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    grades = {item["id"]: item["grade"] for item in data["items"]}
    # DEFRA China hotel 53.5 kg per room-night against 2 × 2.603 kg → ratio 10.3 → E
    assert grades["room-conventional"] == "E"
    assert grades["meal-li-rice-bowl"] == "C"
    assert data["provenance"]["extra"]["rulebook"] == "cz-label-2026.1"
    assert all("kg CO2e" in item["label_text"] for item in data["items"])


def test_bad_input_is_one_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "items.yaml"
    path.write_text("items:\n  - {id: a, name: a, functional_unit: meal, lines: [{id: x, food: durian, quantity: 1,"
                    " unit: kg}]}\n", encoding="utf-8")
    result = runner.invoke(label_app, ["grade", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert "error:" in result.output and "unknown food 'durian'" in result.output and "Traceback" not in result.output
    negative = tmp_path / "neg.yaml"
    negative.write_text("name: x\nyear: 2030\nlines:\n  - {id: r, food: rice, quantity: -3, unit: kg}\n",
                        encoding="utf-8")
    result = runner.invoke(app, ["footprint", str(negative)])
    assert result.exit_code == 2 and "line 'r'" in result.output and "field 'quantity'" in result.output


def test_csv_items_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("# year: 2030\nid,name,functional_unit,footprint_kgco2e\na,A,meal,0.3\nb,B,meal,-1\n",
                    encoding="utf-8")
    result = runner.invoke(label_app, ["grade", str(path), "--format", "json"])
    assert result.exit_code == 2 and "row 4" in result.output and "footprint_kgco2e" in result.output


def test_label_workflow_through_the_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "labels.sqlite")
    evidence = tmp_path / "recipe.txt"
    evidence.write_text("rice 150 g, greens 150 g, tofu 80 g, peanut oil 15 g", encoding="utf-8")
    out = runner.invoke(label_app, ["apply", str(EXAMPLES / "lifestyle" / "application-meal.yaml"), "--registry", db,
                                    "--date", "2030-01-05", "--format", "json"])
    assert out.exit_code == 0, out.output
    app_id = json.loads(out.output)["application_id"]
    assert runner.invoke(label_app, ["evidence", app_id, "--document", str(evidence), "--actor", "Hotel",
                                     "--registry", db, "--date", "2030-01-06"]).exit_code == 0
    review = runner.invoke(label_app, ["review", app_id, "--verifier", "CQC Hainan", "--approve", "--registry", db,
                                       "--date", "2030-01-10", "--format", "json"])
    assert json.loads(review.output)["status"] == "approved"
    qr = tmp_path / "label-qr.svg"
    issued = json.loads(runner.invoke(label_app, ["issue", app_id, "--actor", "Certifier", "--registry", db,
                                                  "--date", "2030-02-01", "--format", "json", "--qr", str(qr)]).output)
    label_id = issued["label_id"]
    svg = qr.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and label_id in svg  # the SVG's title names the label
    import segno

    assert segno.make(issued["qr_payload"], error="m").is_micro is False  # a full QR symbol of the payload
    assert issued["grade"] == "C" and issued["valid_until"] == "2032-02-01"
    ok = runner.invoke(label_app, ["verify", label_id, "--registry", db, "--date", "2031-01-01", "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["valid"] is True
    expired = runner.invoke(label_app, ["verify", label_id, "--registry", db, "--date", "2033-01-01"])
    assert expired.exit_code == 1 and "expired" in expired.output
    revoked = runner.invoke(label_app, ["revoke", label_id, "--reason", "recipe changed", "--actor", "Certifier",
                                        "--registry", db, "--date", "2030-06-01"])
    assert revoked.exit_code == 0
    after = runner.invoke(label_app, ["verify", label_id, "--registry", db, "--date", "2030-07-01"])
    assert after.exit_code == 1 and "revoked" in after.output
    unknown = runner.invoke(label_app, ["verify", "CZ15-2030-XXXX", "--registry", db])
    assert unknown.exit_code == 2 and "no label" in unknown.output
    events = json.loads(runner.invoke(label_app, ["events", "--registry", db, "--format", "json"]).output)
    assert [e["action"] for e in events] == ["apply", "evidence", "review", "issue", "revoke"]


def _commands(typer_app: typer.Typer) -> list[str]:
    return [c.name or (c.callback.__name__ if c.callback else "") for c in typer_app.registered_commands]


@pytest.mark.parametrize(("group", "typer_app", "doc"), [
    ("lifestyle", app, "lifestyle.md"), ("label", label_app, "label-standard.md")])
def test_every_command_has_help_and_is_documented(group: str, typer_app: typer.Typer, doc: str) -> None:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    for name in _commands(typer_app):
        result = runner.invoke(typer_app, [name, "--help"])
        assert result.exit_code == 0 and re.search(r"\w", result.output)
        assert f"countyzero {group} {name}" in text, f"countyzero {group} {name} is not in docs/{doc}"


def test_schemas_are_json() -> None:
    for typer_app in (app, label_app):
        data = json.loads(runner.invoke(typer_app, ["schema"]).output)
        assert data["type"] == "object"
