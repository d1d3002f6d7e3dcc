"""Climate Challenge engine (issue 9): evaluation, overlap, jury, exports, bad input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from countyzero.challenge.cli import app
from countyzero.challenge.evaluate import CountyPlan, Evaluation, evaluate_submission, load_plan
from countyzero.challenge.export import neutralise, ranking_rows, to_csv, to_xlsx
from countyzero.challenge.jury import computed_score, rank, run_challenge
from countyzero.challenge.model import JuryScores, Rubric
from countyzero.challenge.reader import read_submission
from countyzero.core.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
BAOTING = ROOT / "examples" / "baoting"
CHALLENGE = BAOTING / "challenge"
SOLUTIONS = CHALLENGE / "solutions"
DRAWS = 200


@pytest.fixture(scope="module")
def plan() -> CountyPlan:
    return load_plan(BAOTING, "hainan-policy")


def _raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((SOLUTIONS / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict[str, Any], name: str = "entry.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _evaluate(plan: CountyPlan, path: Path, draws: int = DRAWS) -> Evaluation:
    return evaluate_submission(plan, read_submission(path), draws=draws, seed=7)


def _plan_measure_as_solution(plan: CountyPlan, measure_id: str) -> dict[str, Any]:
    data = _raw("electric-tourist-shuttles")
    measure = next(m for m in plan.scenario.measures if m.id == measure_id)
    data["measures"] = [measure.model_dump(exclude_none=True)]
    for key in ("capex", "opex"):
        data["measures"][0]["cost"].pop(key, None)
    return data


def test_zero_adoption_contributes_exactly_zero(plan: CountyPlan, tmp_path: Path) -> None:
    data = _raw("agrivoltaics-rubber-areca")
    data["measures"][0]["adoption"]["years"] = {2026: 0.0, 2040: 0.0}
    result = _evaluate(plan, _write(tmp_path, data))
    assert all(v == 0.0 for v in result.abatement_tco2e)
    assert all(v == 0.0 for v in result.abatement_peak_metric_t)
    assert result.cumulative_abatement_to_target_year_tco2e == 0.0
    assert result.delta_p_peak_by_target == 0.0 and result.delta_p_net_zero_by_target == 0.0
    assert result.cost_per_tco2e is None


def test_two_identical_submissions_get_identical_evaluations(plan: CountyPlan, tmp_path: Path) -> None:
    data = _raw("electric-tourist-shuttles")
    first = _evaluate(plan, _write(tmp_path, data, "a.yaml")).model_dump()
    second = _evaluate(plan, _write(tmp_path, copy.deepcopy(data), "b.yaml")).model_dump()
    for result in (first, second):
        result["provenance"].pop("timestamp")
        result["provenance"]["extra"].pop("submission_file")
        result["submission"].pop("file")
    assert first == second


def test_solution_already_fully_in_the_plan_contributes_nothing(plan: CountyPlan, tmp_path: Path) -> None:
    for measure_id in ("clean-public-fleet", "green-buildings"):
        result = _evaluate(plan, _write(tmp_path, _plan_measure_as_solution(plan, measure_id)))
        assert all(v == 0.0 for v in result.abatement_tco2e), measure_id
        assert result.delta_p_net_zero_by_target == 0.0
        assert result.measures[0]["same_lever_as"] == [measure_id]
        assert result.standalone_cumulative_to_target_year_tco2e > 0


def test_declared_overlap_counts_only_beyond_the_plan(plan: CountyPlan) -> None:
    result = _evaluate(plan, SOLUTIONS / "electric-tourist-shuttles.yaml", draws=0)
    coaches = next(m for m in result.measures if m["id"] == "electric-tour-coaches")
    assert coaches["same_lever_as"] == ["clean-public-fleet"]
    assert max(coaches["adoption_counted"]) == 0.0  # 15 % of diesel < the plan's 50 %
    assert result.overlap_with_plan_to_target_year_tco2e > 0


def test_without_run_reproduces_the_plan_probability(plan: CountyPlan) -> None:
    from countyzero.pathways.montecarlo import monte_carlo

    result = _evaluate(plan, SOLUTIONS / "rainforest-restoration.yaml")
    mc = monte_carlo(plan.model, plan.context, DRAWS, 7)
    assert result.p_net_zero_by_target_without == mc["p_net_zero_by_target"]
    assert result.p_peak_by_target_without == mc["p_peak_by_target"]
    assert result.delta_p_net_zero_by_target is not None and result.delta_p_net_zero_by_target > 0
    assert result.cumulative_abatement_to_target_year_tco2e == pytest.approx(285000.0)


def test_unsupported_claim_is_flagged_and_never_accepted(plan: CountyPlan, tmp_path: Path) -> None:
    data = _raw("rainforest-restoration")
    del data["measures"][0]["removal"]["source"]
    data["co_benefits"][0].pop("source")
    result = _evaluate(plan, _write(tmp_path, data), draws=0)
    kinds = [(f["kind"], f["where"]) for f in result.flags]
    assert ("unsupported claim", "measures.restoration-sink.removal") in kinds
    assert ("unsupported claim", "co_benefits.habitat") in kinds
    assert result.status == "flagged"
    rubric = Rubric.model_validate(yaml.safe_load((CHALLENGE / "rubric.yaml").read_text(encoding="utf-8")))
    jury = JuryScores(rubric=rubric.id, rubric_version=rubric.version, jurors=[{"id": "j", "name": "J"}])
    ranking = rank([result], rubric, jury)
    assert not ranking.entries[0].accepted


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["measures"][0].update(applies_to={"lines": ["BT22-999"]}), "applies_to.lines"),
    (lambda d: d["measures"][0].update(applies_to={"gpc": ["I.4.1"]}), "applies_to"),
    (lambda d: d["measures"][0].pop("revenue"), "cost.opex"),
    (lambda d: d["measures"][0]["cost"].update(capex={"value": -1.0e6, "unit": "CNY", "source": "x y z",
                                                      "confidence": "estimate"}) or d["measures"][0].pop("revenue"),
     "cost.capex"),
    (lambda d: d.update(category="tourism"), "category"),
    (lambda d: d.update(readiness_level=12), "readiness_level"),
])
def test_bad_input_is_refused_naming_the_field(plan: CountyPlan, tmp_path: Path, change: Any, field: str) -> None:
    data = _raw("agrivoltaics-rubber-areca")
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as err:
        _evaluate(plan, path, draws=0)
    assert err.value.field is not None and err.value.field.endswith(field)
    assert str(path) in str(err.value)


def test_cli_bad_input_writes_nothing(tmp_path: Path) -> None:
    data = _raw("agrivoltaics-rubber-areca")
    data["measures"][0]["applies_to"] = {"lines": ["BT22-999"]}
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["evaluate", str(_write(tmp_path, data)), "--county", str(BAOTING),
                                      "--draws", "0", "-o", str(out)])
    assert result.exit_code == 2 and "BT22-999" in result.output
    assert not out.exists()
    flagged = _raw("agrivoltaics-rubber-areca")
    del flagged["measures"][0]["effect"]["source"]
    result = CliRunner().invoke(app, ["evaluate", str(_write(tmp_path, flagged, "f.yaml")), "--county",
                                      str(BAOTING), "--draws", "0", "-o", str(out)])
    assert result.exit_code == 2 and "unsupported claim" in result.output
    assert not out.exists()


def test_cli_evaluate_prints_the_contract(tmp_path: Path) -> None:
    import json

    result = CliRunner().invoke(app, ["evaluate", str(SOLUTIONS / "agrivoltaics-rubber-areca.yaml"), "--county",
                                      str(BAOTING), "--scenario", "hainan-policy", "--draws", "100",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("abatement_tco2e", "cumulative_abatement_to_peak_year_tco2e",
                "cumulative_abatement_to_target_year_tco2e", "cost_per_tco2e", "delta_p_peak_by_target",
                "delta_p_net_zero_by_target"):
        assert key in data
    assert len(data["abatement_tco2e"]) == len(data["years"])


def test_rubric_weights_must_sum_to_one() -> None:
    data = yaml.safe_load((CHALLENGE / "rubric.yaml").read_text(encoding="utf-8"))
    data["criteria"][0]["weight"] = 0.5
    with pytest.raises(ValueError, match="sum to 1"):
        Rubric.model_validate(data)


def test_computed_scores_use_fixed_anchors() -> None:
    assert computed_score(150000, 0, 300000, 10) == 5.0
    assert computed_score(-500, 1000, -200, 10) == 10.0  # cheaper than the best anchor
    assert computed_score(None, 0, 1, 10) == 0.0


def test_ranking_weights_and_conflict_of_interest_exclusion() -> None:
    result = run_challenge(CHALLENGE, draws=100)
    ranking = result.ranking
    excluded = {(s["juror"], s["submission"]) for s in ranking.excluded_scores}
    assert excluded == {("juror-b", "agrivoltaics-rubber-areca")}
    agri = next(e for e in ranking.entries if e.id == "agrivoltaics-rubber-areca")
    assert agri.scores["innovation"] == pytest.approx((6 + 5) / 2)  # juror B's 10 is not counted
    assert "juror-b" not in agri.jury_detail["innovation"]["jurors"]
    weights = {c["id"]: c["weight"] for c in ranking.rubric["criteria"]}
    for entry in ranking.entries:
        assert entry.total == pytest.approx(sum(weights[c] * (s or 0.0) for c, s in entry.scores.items()))
    totals = [e.total for e in ranking.entries]
    assert totals == sorted(totals, reverse=True)
    assert [e.rank for e in ranking.entries] == [1, 2, 3]


def test_scores_of_an_unknown_criterion_or_outside_the_scale_are_refused() -> None:
    rubric = Rubric.model_validate(yaml.safe_load((CHALLENGE / "rubric.yaml").read_text(encoding="utf-8")))
    jurors = [{"id": "j", "name": "J"}]
    for score, field in (({"juror": "j", "submission": "x", "criterion": "abatement-2040", "score": 5}, "criterion"),
                         ({"juror": "j", "submission": "x", "criterion": "innovation", "score": 11}, "score")):
        jury = JuryScores.model_validate({"rubric": rubric.id, "rubric_version": rubric.version, "jurors": jurors,
                                          "scores": [score]})
        from countyzero.challenge.jury import check_scores

        with pytest.raises(InputError) as err:
            check_scores(rubric, jury, {"x"})
        assert err.value.field == field


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd"])
def test_formula_injection_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("rainforest") == "rainforest"
    assert neutralise(-12.5) == -12.5


def test_exports_neutralise_a_hostile_title(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    result = run_challenge(CHALLENGE, draws=0)
    result.ranking.entries[0].title_en = "=cmd|' /C calc'!A0"
    rows = ranking_rows(result)
    assert "'=cmd" in to_csv(rows)
    path = tmp_path / "r.xlsx"
    path.write_bytes(to_xlsx(result))
    book = load_workbook(path)
    values = [c.value for row in book["ranking"].iter_rows() for c in row]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)


def test_cli_export_writes_a_self_contained_gallery(tmp_path: Path) -> None:
    html = tmp_path / "gallery.html"
    csv = tmp_path / "ranking.csv"
    result = CliRunner().invoke(app, ["export", str(CHALLENGE), "--draws", "0", "--html", str(html),
                                      "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "入选方案 Accepted entries" in page
    for external in ("<script", "<link", 'src="http', "src='http", "@import", "url(http"):
        assert external not in page
    assert csv.read_text(encoding="utf-8-sig").startswith("rank,id")
