"""The command line as a user meets it: formats, errors without tracebacks, nothing written on failure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from countyzero.cli import app
from tests.conftest import BAOTING, ROOT

runner = CliRunner()

GOOD = """county: Test
year: 2022
activities:
  - {id: res-gas, gpc: I.1.1, fuel: natural_gas, quantity: 1, unit: TJ}
  - {id: grid, gpc: I.2.2, electricity: {grid: CN-national, year: 2022}, quantity: 1000, unit: MWh}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_compute_json_follows_the_output_contract(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inventory", "compute", str(write(tmp_path, "i.yaml", GOOD)), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("gross_tco2e", "removals_tco2e", "net_tco2e", "by_scene", "by_scope", "by_gas", "lines",
                "provenance"):
        assert key in data
    assert set(data["by_scene"]) == {"energy", "buildings", "transport", "resources", "land"}
    assert set(data["by_scope"]) == {"1", "2", "3"}
    assert data["gross_tco2e"] == pytest.approx(56.2665 + 536.6)
    line = data["lines"][0]
    assert {"id", "gpc", "scene", "scope", "tco2e", "factor_ids", "sources"} <= set(line)
    assert data["provenance"]["input_sha256"] and data["provenance"]["factor_set_version"]


def test_gwp_option_overrides_the_file(tmp_path: Path) -> None:
    path = str(write(tmp_path, "i.yaml", GOOD))
    ar6 = json.loads(runner.invoke(app, ["inventory", "compute", path, "--format", "json", "--gwp", "AR6"]).output)
    assert ar6["gwp"] == "AR6"
    assert ar6["gross_tco2e"] == pytest.approx(56.1 + 0.005 * 27.9 + 0.0001 * 273 + 536.6)


def test_table_and_csv_formats(tmp_path: Path) -> None:
    path = str(write(tmp_path, "i.yaml", GOOD))
    table = runner.invoke(app, ["inventory", "compute", path, "--format", "table"])
    assert table.exit_code == 0 and "Gross emissions" in table.output and "总排放" in table.output
    csv_out = runner.invoke(app, ["inventory", "compute", path, "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("id,gpc,scope,scene")
    assert len(csv_out.output.splitlines()) == 3


def test_explain_shows_arithmetic_and_sources(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inventory", "explain", str(write(tmp_path, "i.yaml", GOOD)), "--line", "res-gas"])
    assert result.exit_code == 0
    assert "1 TJ × 56100 kg/TJ = 56.1 t" in result.output
    assert "Table 1.4" in result.output


BAD = [
    ("fuel: natral_gas", "line 'res-gas'", "field 'fuel'", "unknown fuel"),
    ("unit: bogons", "line 'res-gas'", "field 'unit'", "unknown unit"),
    ("unit: kWh/m", "line 'res-gas'", "field 'unit'", "cannot"),
    ("gpc: I.9.1", "line 'res-gas'", "field 'gpc'", "unknown GPC"),
    ("quantity: null", "line 'res-gas'", "", "quantity is missing"),
]


@pytest.mark.parametrize(("change", "where", "field", "what"), BAD)
def test_bad_yaml_lines_fail_cleanly_and_write_nothing(tmp_path: Path, change: str, where: str, field: str,
                                                       what: str) -> None:
    key = change.split(":")[0]
    text = re.sub(rf"{key}: [^,}}]+", change, GOOD, count=1)
    path = write(tmp_path, "bad.yaml", text)
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["inventory", "compute", str(path), "--format", "json", "--output", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "bad.yaml" in result.output and where in result.output and field in result.output and what in result.output
    assert not out.exists()


def test_grid_errors_name_the_nested_field(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", GOOD.replace("CN-national", "CN-atlantis"))
    result = runner.invoke(app, ["inventory", "compute", str(path)])
    assert result.exit_code == 2 and "line 'grid'" in result.output and "electricity.grid" in result.output


def test_duplicate_ids_and_malformed_files(tmp_path: Path) -> None:
    dup = write(tmp_path, "dup.yaml", GOOD.replace("id: grid", "id: res-gas"))
    result = runner.invoke(app, ["inventory", "compute", str(dup)])
    assert result.exit_code == 2 and "duplicate" in result.output
    broken = write(tmp_path, "broken.yaml", "county: [unclosed\n")
    result = runner.invoke(app, ["inventory", "compute", str(broken)])
    assert result.exit_code == 2 and "broken.yaml" in result.output and "malformed YAML" in result.output
    missing = runner.invoke(app, ["inventory", "compute", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_csv_errors_name_the_row(tmp_path: Path) -> None:
    text = "# county: Test\n# year: 2022\nid,gpc,fuel,quantity,unit\na,I.1.1,diesel,1,t\nb,I.1.1,dieseI,1,t\n"
    result = runner.invoke(app, ["inventory", "compute", str(write(tmp_path, "bad.csv", text))])
    assert result.exit_code == 2
    assert "bad.csv, row 5, field 'fuel'" in result.output
    text = "# county: Test\n# year: 2022\nid,gpc,fuel,quantity,unit\na,I.1.1,diesel,lots,t\n"
    result = runner.invoke(app, ["inventory", "compute", str(write(tmp_path, "bad2.csv", text))])
    assert result.exit_code == 2 and "row 4" in result.output and "quantity" in result.output


def test_report_is_bilingual_and_offline(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inventory", "report", str(BAOTING), "--output", str(tmp_path / "r"),
                                 "--uncertainty", "200"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "温室气体清单" in html and "Greenhouse-gas inventory" in html and "<svg" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)
    data = json.loads((tmp_path / "r" / "inventory.json").read_text(encoding="utf-8"))
    assert data["uncertainty"]["draws"] == 200
    assert not (tmp_path / "r" / "report.pdf").exists()


def test_report_pdf(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inventory", "report", str(BAOTING), "--output", str(tmp_path), "--uncertainty", "0",
                                 "--pdf"])
    assert result.exit_code == 0, result.output
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_factor_commands(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["factors", "show", "ipcc2006.ef.co2.natural_gas", "--format", "json"])
    assert json.loads(shown.output)["value"] == 56100
    missing = runner.invoke(app, ["factors", "show", "no.such.factor"])
    assert missing.exit_code == 2 and "no factor with id" in missing.output
    listed = runner.invoke(app, ["factors", "list", "--parameter", "ncv", "--format", "csv"])
    assert listed.output.startswith("id,parameter,activity")
    from countyzero.factors.library import read_factor_rows  # the listing is a factor file that loads back
    assert len(read_factor_rows(listed.output, "listed.csv")) == listed.output.count("\n") - 1
    found = runner.invoke(app, ["factors", "search", "海南", "--format", "json"])
    assert any(row["activity"] == "CN-HI" for row in json.loads(found.output))


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for command in getattr(group, "registered_commands", []):
        out.append((*prefix, command.name or command.callback.__name__))
    for sub in getattr(group, "registered_groups", []):
        out.extend(_commands(sub.typer_instance, (*prefix, sub.name)))
    return out


def test_every_command_has_help_and_is_documented() -> None:
    from countyzero.cli import mount_engines

    mount_engines()
    docs = "\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md")))
    commands = _commands(app)
    assert len(commands) >= 8
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert f"countyzero {' '.join(command)}" in docs, f"{command} is not documented in docs/"
