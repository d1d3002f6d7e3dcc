from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from countyzero.core.errors import InputError
from countyzero.finance.appraisal import annuity_payment, dscr, irr, lcoe, npv
from countyzero.finance.cli import app
from countyzero.finance.kpi import CompanyActivity, Exposure, article8_kpis, loan_book_ratios
from countyzero.finance.model import ProjectFile
from countyzero.finance.rulebook import FRAMEWORKS, NUMERIC_OPS, default_rulebooks
from countyzero.finance.screening import screen_project

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "baoting" / "finance"
ALL_DNSH = {k: True for k in ("climate_risk_assessment", "water", "circular_economy", "pollution", "biodiversity")}
HASH = "a" * 64


def eu(code: str, metrics: dict[str, Any], on: str = "2026-03-01", **extra: Any) -> dict[str, Any]:
    project = ProjectFile.model_validate(
        {
            "project": {"name": "t", "date": on},
            "activity": {"eu": code},
            "metrics": metrics,
            "dnsh": ALL_DNSH,
            "minimum_safeguards": True,
            **extra,
        }
    )
    return screen_project(project, frameworks=["eu"])["frameworks"]["eu"]


def verdict(result: dict[str, Any], cid: str) -> str:
    return next(c["verdict"] for c in result["criteria"] if c["id"] == cid)


# --- every criterion carries its legal reference -------------------------------------------------------
def test_every_criterion_has_a_legal_reference_and_bilingual_text() -> None:
    books = default_rulebooks()
    assert set(books) == set(FRAMEWORKS)
    count = 0
    for book in books.values():
        for activity in book.activities.values():
            for criterion in activity.criteria:
                count += 1
                assert len(criterion.reference) > 10, criterion.id
                assert any(act in criterion.reference for act in ("2021/2139", "2020/852", "目录", "IPSF")), (
                    criterion.id
                )
                assert criterion.en and criterion.zh and criterion.verification
    assert count > 250


# --- boundary tests generated from every numeric criterion of the EU rulebook ---------------------------
def _numeric() -> list[tuple[str, str]]:
    book = default_rulebooks()["eu"]
    return [(a.code, c.id) for a in book.activities.values() for c in a.criteria if c.op in NUMERIC_OPS]


def _applicability(condition: Any) -> dict[str, Any]:
    """Metric values that make a condition true."""
    if condition is None:
        return {}
    if condition.all:
        out: dict[str, Any] = {}
        for sub in condition.all:
            out.update(_applicability(sub))
        if condition.all[0].metric == condition.all[-1].metric:  # a range: take the middle
            lo, hi = condition.all[0].threshold, condition.all[-1].threshold
            out[condition.all[0].metric] = (lo + hi) / 2
        return out
    if condition.any:
        return _applicability(condition.any[0])
    if condition.op in ("is_true", "is_false"):
        return {condition.metric: condition.op == "is_true"}
    if condition.op == "in":
        return {condition.metric: condition.values[0]}
    step = {"gt": 1.0, "ge": 0.0, "lt": -1.0, "le": 0.0}[condition.op]
    return {condition.metric: condition.threshold + step}


@pytest.mark.parametrize(("code", "cid"), _numeric())
def test_numeric_criterion_boundaries(code: str, cid: str) -> None:
    book = default_rulebooks()["eu"]
    criterion = next(c for c in book.activities[code].criteria if c.id == cid)
    on = str(criterion.valid_from or criterion.valid_to or "2026-03-01")
    base = _applicability(criterion.applies_if)
    t = criterion.threshold
    assert t is not None
    delta = 0.01 * max(1.0, abs(t))
    evidence = {}
    if criterion.requires_quality:
        evidence = {criterion.metric: {"document": "LCA", "sha256": HASH, "quality": criterion.requires_quality}}

    def run(value: float) -> str:
        metrics = dict(base)
        if criterion.op == "reduction_ge":
            metrics[criterion.ref_metric] = 100.0
            metrics[criterion.metric] = 100.0 - value
        else:
            metrics[criterion.metric] = value
        return verdict(eu(code, metrics, on, evidence=evidence), cid)

    expected = {  # (on, just under, just over)
        "gt": ("fail", "fail", "pass"),
        "ge": ("pass", "fail", "pass"),
        "lt": ("fail", "pass", "fail"),
        "le": ("pass", "pass", "fail"),
        "reduction_ge": ("pass", "fail", "pass"),
    }[criterion.op]
    assert (run(t), run(t - delta), run(t + delta)) == expected
    result = eu(code, dict(base), on)  # metric absent
    assert verdict(result, cid) == "missing"
    assert result["status"] in ("incomplete", "aligned") if criterion.any_of else result["status"] == "incomplete"


# --- hand-written cases from the legal text ------------------------------------------------------------
def test_hydropower_power_density_5_w_per_m2_is_not_above_5() -> None:
    assert eu("4.5", {"power_density_w_per_m2": 5.0, "run_of_river": False})["status"] in (
        "eligible_not_aligned",
        "incomplete",
    )
    assert eu("4.5", {"power_density_w_per_m2": 5.01})["status"] == "aligned"
    assert eu("4.5", {"power_density_w_per_m2": "5.01 W/m**2"})["status"] == "aligned"


def test_hydropower_lifecycle_needs_third_party_verification() -> None:
    result = eu("4.5", {"lifecycle_gco2e_per_kwh": 99, "run_of_river": False, "power_density_w_per_m2": 1})
    assert result["status"] == "incomplete" and verdict(result, "4.5.sc.lifecycle_ghg") == "missing"
    verified = eu(
        "4.5",
        {"lifecycle_gco2e_per_kwh": 99, "run_of_river": False, "power_density_w_per_m2": 1},
        evidence={"lifecycle_gco2e_per_kwh": {"document": "G-res", "sha256": HASH, "page": 4, "quality": "audited"}},
    )
    assert verified["status"] == "aligned" and not any(
        c["unevidenced"] and c["metric"] == "lifecycle_gco2e_per_kwh" for c in verified["criteria"]
    )


@pytest.mark.parametrize(
    ("on", "value", "expected"),
    [
        ("2025-12-31", 49.9, "aligned"),
        ("2025-12-31", 50.0, "eligible_not_aligned"),
        ("2026-01-01", 49.9, "eligible_not_aligned"),
        ("2026-01-01", 0.0, "aligned"),
    ],
)
def test_cars_dated_threshold(on: str, value: float, expected: str) -> None:
    assert eu("6.5", {"vehicle_category": "M1", "gco2_per_km": value}, on)["status"] == expected


def test_new_building_7_1_ten_percent_and_size_conditions() -> None:
    small = {"primary_energy_demand_kwh_per_m2_y": 90, "nzeb_threshold_kwh_per_m2_y": 100, "floor_area_m2": 5000}
    assert eu("7.1", small)["status"] == "aligned"
    assert eu("7.1", {**small, "primary_energy_demand_kwh_per_m2_y": 90.5})["status"] == "eligible_not_aligned"
    large = {**small, "floor_area_m2": 5000.5}
    assert eu("7.1", large)["status"] == "incomplete"
    done = {**large, "airtightness_tested": True, "construction_quality_control": True, "lifecycle_gwp_disclosed": True}
    assert eu("7.1", done)["status"] == "aligned"
    assert (
        eu("7.1", {"primary_energy_demand_kwh_per_m2_y": 80, "nzeb_threshold_kwh_per_m2_y": 100})["status"]
        == "incomplete"
    )


def test_missing_dnsh_and_safeguards_are_never_a_pass() -> None:
    project = ProjectFile.model_validate({"project": {"name": "t", "date": "2026-03-01"}, "activity": {"eu": "4.1"}})
    result = screen_project(project, frameworks=["eu"])["frameworks"]["eu"]
    assert result["status"] == "incomplete"
    assert "4.1.ms" in result["missing"] and "4.1.dnsh.adaptation" in result["missing"]


def test_unevidenced_values_are_flagged() -> None:
    result = eu("7.2", {"primary_energy_reduction_pct": 30})
    assert result["status"] == "aligned" and "7.2.sc.ped_reduction" in result["unevidenced"]


def test_no_activity_is_not_eligible_and_crosswalk_is_recorded() -> None:
    project = ProjectFile.model_validate({"project": {"name": "t", "date": "2026-03-01"}, "activity": {"eu": "4.5"}})
    result = screen_project(project)
    assert "crosswalk" in result["frameworks"]["cgt"]["matched_by"]
    bare = ProjectFile.model_validate({"project": {"name": "t", "date": "2026-03-01"}})
    assert screen_project(bare, frameworks=["eu", "cgt"])["frameworks"]["eu"]["status"] == "not_eligible"


def test_china_catalogue_grandfathering_by_approval_date() -> None:
    old = ProjectFile.model_validate(
        {"project": {"name": "t", "date": "2026-03-01", "approval_date": "2025-07-13"}, "activity": {"eu": "4.1"}}
    )
    assert set(screen_project(old)["frameworks"]) == {"eu", "cgt", "cn2021"}
    new = ProjectFile.model_validate(
        {"project": {"name": "t", "date": "2026-03-01", "approval_date": "2025-07-14"}, "activity": {"eu": "4.1"}}
    )
    assert set(screen_project(new)["frameworks"]) == {"eu", "cgt", "cn2025"}
    with pytest.raises(InputError, match="date"):
        screen_project(new, frameworks=["cn2021"])


# --- bad input -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"activity": {"eu": "9.99"}}, "activity.eu"),
        ({"metrics": {"colour": 3}}, "metrics.colour"),
        ({"metrics": {"power_density_w_per_m2": "5 kWh"}}, "metrics.power_density_w_per_m2"),
        ({"metrics": {"run_of_river": 3}}, "metrics.run_of_river"),
        ({"metrics": {"epc_class": "Z"}}, "metrics.epc_class"),
    ],
)
def test_bad_input_names_the_field(data: dict[str, Any], field: str) -> None:
    project = ProjectFile.model_validate(
        {"project": {"name": "t", "date": "2026-03-01"}, "activity": {"eu": "4.5"}, **data}
    )
    with pytest.raises(InputError) as info:
        screen_project(project, frameworks=["eu"])
    assert info.value.field == field


def test_bad_hash_and_date_outside_validity(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "project: {name: t, date: 2026-03-01}\nactivity: {eu: '4.5'}\nevidence:\n"
        "  run_of_river: {document: x, sha256: abc, quality: audited}\n"
    )
    result = CliRunner().invoke(app, ["screen", str(bad), "--format", "json"])
    assert (
        result.exit_code == 2 and "evidence.run_of_river.sha256" in result.output and "Traceback" not in result.output
    )
    old = tmp_path / "old.yaml"
    old.write_text("project: {name: t, date: 2019-03-01}\nactivity: {eu: '4.5'}\n")
    result = CliRunner().invoke(app, ["screen", str(old), "--format", "json"])
    assert result.exit_code == 2 and "date" in result.output


# --- CLI and examples ------------------------------------------------------------------------------------
def test_cli_screen_json_contract_on_examples() -> None:
    expected = {
        "baoting-small-hydro.yaml": "eligible_not_aligned",
        "baoting-rooftop-pv.yaml": "aligned",
        "jiamao-health-park.yaml": "aligned",
    }
    for name, status in expected.items():
        result = CliRunner().invoke(app, ["screen", str(EXAMPLES / name), "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert set(data) >= {"project", "date", "frameworks", "provenance"}
        assert data["frameworks"]["eu"]["status"] == status
        for res in data["frameworks"].values():
            assert set(res) >= {"activity", "eligible", "status", "criteria"}
            for c in res["criteria"]:
                assert set(c) >= {"id", "kind", "verdict", "value", "threshold", "unit", "reference"}
        assert "rulebooks" in data["provenance"]["extra"]
    table = CliRunner().invoke(app, ["screen", str(EXAMPLES / "jiamao-health-park.yaml"), "--format", "table"])
    assert table.exit_code == 0 and "7.1.sc.ped_below_nzeb" in table.output


def test_cli_appraise_and_portfolio() -> None:
    result = CliRunner().invoke(app, ["appraise", str(EXAMPLES / "baoting-rooftop-pv.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    appraisal = json.loads(result.output)["appraisal"]
    assert appraisal["lcoe_cny_per_kwh"] > 0 and appraisal["debt"]["dscr_min"] > 0
    assert {i["id"]: i["verdict"] for i in appraisal["instruments"]}["eu_green_bond"] == "qualifies"
    result = CliRunner().invoke(
        app, ["portfolio", str(EXAMPLES / "portfolio.yaml"), "--date", "2026-03-01", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    ratios = json.loads(result.output)["ratios"]
    assert ratios["eu"]["turnover_based_ratio"] == pytest.approx(50e6 * 0.4 / 170.05e6)


def test_every_command_is_documented() -> None:
    text = (ROOT / "docs" / "finance.md").read_text("utf-8")
    for command in ("screen", "portfolio", "appraise"):
        assert f"countyzero finance {command}" in text


# --- KPIs and appraisal against hand-worked and textbook values -------------------------------------------
def test_article8_kpis_hand_worked() -> None:
    acts = [
        CompanyActivity(activity="4.1", status="aligned", turnover=60, capex=30, opex=5),
        CompanyActivity(activity="7.7", status="eligible_not_aligned", turnover=30, capex=60, opex=5),
        CompanyActivity(activity="x", status="not_assessed", turnover=9.9, capex=9.9, opex=0),
        CompanyActivity(activity="y", status="not_eligible", turnover=0.1, capex=0.1, opex=10),
    ]
    kpis = article8_kpis(acts)
    assert kpis["turnover"] == {
        "total": 100.0,
        "eligible_share": pytest.approx(0.9),
        "aligned_share": 0.6,
        "not_assessed_share": pytest.approx(0.099),
    }
    assert kpis["capex"]["aligned_share"] == pytest.approx(0.3)
    acts[2] = CompanyActivity(activity="x", status="not_assessed", turnover=12.0, capex=0, opex=0)
    with pytest.raises(InputError, match="materiality"):
        article8_kpis(acts)


def test_gar_denominator_rules_hand_worked() -> None:
    book = [
        Exposure(id="a", amount=100, counterparty_type="csrd_nfc", turnover_aligned_share=0.5, capex_aligned_share=0.2),
        Exposure(
            id="b",
            amount=100,
            counterparty_type="non_csrd",
            product="use_of_proceeds",
            statuses={"eu": "aligned", "cn2025": "aligned"},
        ),
        Exposure(id="c", amount=300, counterparty_type="sovereign"),
        Exposure(
            id="d", amount=50, counterparty_type="household", product="use_of_proceeds", statuses={"eu": "aligned"}
        ),
    ]
    r = loan_book_ratios(book)
    assert r["denominator"] == 250
    assert r["eu"]["turnover_based_ratio"] == pytest.approx((50 + 50) / 250)
    assert r["eu"]["capex_based_ratio"] == pytest.approx((20 + 50) / 250)
    assert r["eu"]["btar_turnover_based_ratio"] == pytest.approx(200 / 250)
    assert r["cn2025"]["turnover_based_ratio"] == pytest.approx(100 / 250)


def test_appraisal_textbook_values() -> None:
    assert npv(0.10, [-100, 60, 60]) == pytest.approx(4.1322314, rel=1e-7)
    assert irr([-100, 60, 60]) == pytest.approx(0.1306624, rel=1e-6)
    assert irr([-100, 110]) == pytest.approx(0.10)
    assert irr([100, 100]) is None
    assert annuity_payment(1000, 0.05, 10) == pytest.approx(129.5045750, rel=1e-9)
    assert dscr([120, 150], [100, 100]) == [1.2, 1.5]
    crf = 0.08 * 1.08**20 / (1.08**20 - 1)
    assert lcoe(1000, [10] * 20, [100] * 20, 0.08) == pytest.approx((1000 * crf + 10) / 100)


def test_portfolio_vectorised_matches_single_project() -> None:
    import pyarrow as pa

    from countyzero.finance.portfolio import screen_table

    table = pa.table(
        {
            "activity_eu": ["4.5", "4.5", "6.5", None],
            "power_density_w_per_m2": [5.0, 6.0, None, None],
            "run_of_river": [False, None, None, None],
            "vehicle_category": [None, None, "M1", None],
            "gco2_per_km": [None, None, 0.0, None],
            **{f"dnsh.{k}": [True] * 4 for k in ALL_DNSH},
            "minimum_safeguards": [True] * 4,
        }
    )
    codes = screen_table(table, date(2026, 3, 1))
    from countyzero.finance.criteria import STATUSES

    assert [STATUSES[c] for c in codes["eu"]] == ["incomplete", "aligned", "aligned", "not_eligible"]


def test_a_csv_loan_table_reads_codes_as_text_and_names_bad_rows(tmp_path: Any) -> None:
    """In a CSV, activity codes such as 4.5 or 7.10 are codes, not numbers; an enum value outside the vocabulary
    and an unknown code are errors on their row of the file (header = row 1)."""
    from countyzero.core.errors import InputError
    from countyzero.finance.criteria import STATUSES
    from countyzero.finance.portfolio import read_table, screen_table

    dnsh = ",".join(f"dnsh.{k}" for k in ALL_DNSH)
    good = ",".join(["true"] * len(ALL_DNSH))
    header = f"id,amount,activity_eu,power_density_w_per_m2,run_of_river,epc_class,built_before_2021,{dnsh}," \
             "minimum_safeguards"
    rows = [f"L1,100,4.5,6.0,false,,,{good},true", f"L2,100,7.7,,,A,true,{good},true"]
    path = tmp_path / "loans.csv"
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    table = read_table(path)
    codes = screen_table(table, date(2026, 3, 1), ("eu",), file=str(path))
    assert [STATUSES[c] for c in codes["eu"]] == ["aligned", "incomplete"]  # 7.7: rated HVAC output not given
    for bad, row, field in ((rows[1].replace(",A,", ",Z,"), 3, "epc_class"),
                            (rows[1].replace("7.7", "7.70"), 3, "activity_eu")):
        path.write_text("\n".join([header, rows[0], bad]) + "\n", "utf-8")
        with pytest.raises(InputError) as info:
            screen_table(read_table(path), date(2026, 3, 1), ("eu",), file=str(path))
        assert (info.value.row, info.value.field, info.value.file) == (row, field, str(path)), info.value


def test_project_schema_document_is_current() -> None:
    import json
    from pathlib import Path

    from countyzero.finance.model import ProjectFile

    committed = json.loads((Path(__file__).resolve().parents[2] / "docs" / "finance.project.schema.json")
                           .read_text(encoding="utf-8"))
    regenerate = "run: countyzero finance schema > docs/finance.project.schema.json"
    assert committed == ProjectFile.model_json_schema(), regenerate
