"""Community aggregates: per capita against the trajectory, the privacy threshold, actions, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from countyzero.community import CommunityInput, PrivacyError, action_catalogue, privacy_threshold, summary
from countyzero.community.cli import app
from countyzero.core.errors import InputError
from tests.conftest import ROOT

VILLAGE = ROOT / "examples" / "baoting" / "community" / "village-2025.yaml"
runner = CliRunner()


def households(n: int, group: str | None = None, kg: float = 1000.0) -> list[dict[str, object]]:
    return [{"id": f"{group or 'h'}{i}", "persons": 2, "group": group,
             "footprint_kgco2e_by_domain": {"nutrition": kg}} for i in range(n)]


def community(hh: list[dict[str, object]], **extra: object) -> CommunityInput:
    return CommunityInput.model_validate({"community": "c", "year": 2035, "households": hh, **extra})


def test_privacy_threshold_is_the_sourced_row() -> None:
    assert privacy_threshold() == 5


def test_fewer_than_five_households_are_never_aggregated() -> None:
    with pytest.raises(PrivacyError, match="4 household\\(s\\), fewer than 5"):
        summary(community(households(4)))
    assert summary(community(households(5))).households == 5


def test_per_capita_against_the_trajectory() -> None:
    # 5 households × 1000 kg + hall 10 000 kWh × 0.3648 (Hainan 2023) = 5 t + 3.648 t over 10 persons = 0.8648 t
    data = community(households(5), shared=[{"id": "hall", "category": "community_buildings",
                                             "electricity": {"grid": "CN-HI", "year": 2023}, "quantity": 10000,
                                             "unit": "kWh"}],
                     rooftop_pv=[{"id": "pv", "generation_kwh": 1000, "year": 2023}])
    result = summary(data)
    assert result.total_tco2e == pytest.approx(8.648)
    assert result.per_capita_tco2e == pytest.approx(0.8648)
    assert result.target_tco2e_per_capita == pytest.approx(1.95)  # 2035 on hoc-2021
    assert result.target_ratio == pytest.approx(0.8648 / 1.95)
    assert result.pv_avoided_tco2e_memo == pytest.approx(0.3648)  # memo, not subtracted
    assert result.privacy["individual_data_returned"] is False
    dumped = json.dumps(result.model_dump())
    assert "h0" not in dumped and "h4" not in dumped  # no household ids in the output


def test_groups_only_when_every_group_reaches_the_threshold() -> None:
    both = summary(community(households(5, "a") + households(6, "b", 500.0)))
    assert both.groups is not None and both.groups["b"]["households"] == 6
    assert both.groups["a"]["tco2e"] == pytest.approx(5.0)
    small = summary(community(households(5, "a") + households(2, "b")))
    assert small.groups is None and "withheld" in small.groups_note


def test_action_estimates_are_sourced_and_capped() -> None:
    result = summary(community(households(5), actions=[{"action": "plant_based_diet", "participants": 2},
                                                       {"action": "energy_feedback", "participants": 10}]))
    diet, feedback = result.actions
    # per-capita nutrition footprint 500 kg < 1000 kg saving row → capped at 2 × 500 kg
    assert diet.saving_tco2e == pytest.approx(1.0) and diet.capped_at_domain_footprint
    assert feedback.saving_tco2e == 0.0  # no housing footprint in these households
    assert diet.source and diet.factor_id == "community.action.plant_based_diet"
    assert {row["action"] for row in action_catalogue()} >= {"plant_based_diet", "car_free_mobility"}


@pytest.mark.parametrize(("extra", "message"), [
    ({"actions": [{"action": "fly_more", "participants": 1}]}, "unknown action"),
    ({"actions": [{"action": "plant_based_diet", "participants": 99}]}, "participants but the community has"),
    ({"rooftop_pv": [{"id": "pv", "generation_kwh": 1, "grid": "MARS"}]}, "unknown grid"),
])
def test_bad_community_input(extra: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        summary(community(households(5), **extra))


def test_model_refuses_bad_households() -> None:
    with pytest.raises(ValueError, match="exactly one of lines"):
        community([{"id": "x", "persons": 1}])
    with pytest.raises(ValueError, match="must not be negative"):
        community([{"id": "x", "persons": 1, "footprint_kgco2e_by_domain": {"housing": -5}}])
    with pytest.raises(InputError, match="duplicate household"):
        summary(community(households(5) + households(1)))


def test_cli_summary_and_docs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summary", str(VILLAGE), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"total_tco2e", "by_domain_tco2e", "per_capita_tco2e", "provenance", "privacy"} <= set(data)
    assert runner.invoke(app, ["summary", str(VILLAGE), "--format", "table"]).exit_code == 0
    small = tmp_path / "small.yaml"
    small.write_text("community: x\nyear: 2030\nhouseholds:\n"
                     + "".join(f"  - {{id: h{i}, persons: 1, footprint_kgco2e_by_domain: {{nutrition: 1}}}}\n"
                               for i in range(3)), encoding="utf-8")
    out = runner.invoke(app, ["summary", str(small)])
    assert out.exit_code == 2 and "fewer than 5" in out.output and "Traceback" not in out.output
    text = (ROOT / "docs" / "community.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        assert runner.invoke(app, [str(command.name), "--help"]).exit_code == 0
        assert f"countyzero community {command.name}" in text
