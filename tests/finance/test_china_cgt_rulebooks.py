"""China catalogues (cn2021, cn2025) and the Common Ground Taxonomy (cgt): what is transcribed, from where, and
the boundaries of every numeric criterion they carry.

State of the texts (docs/finance.md "China catalogues" and "Common Ground Taxonomy"): the item text (说明/条件,
条件/标准, 备注) of both China catalogues is transcribed from secondary copies, one criterion per testable
condition; the 2021 catalogue's note 1 (the 2019 guidance catalogue's explanations, not transcribed) stays an
audited verifier attestation. No row of the CGT table was found: the CGT applies the EU criteria it restates by
reference. These tests pin that down: a China threshold that is not in its item's text, a reference without its
issuing document or item code, or a criterion not marked as to its source fails here.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from countyzero.core.errors import InputError
from countyzero.finance.model import ProjectFile
from countyzero.finance.rulebook import NUMERIC_OPS, default_rulebooks
from countyzero.finance.screening import screen_project

from .test_finance import ALL_DNSH, HASH, _applicability, verdict

CN_DOCS = {
    "cn2021": ("绿色债券支持项目目录（2021年版）", "银发〔2021〕96号", "国家发展改革委"),
    "cn2025": ("绿色金融支持项目目录（2025年版）", "银发〔2025〕132号", "金融监管总局"),
}
ATTESTED = {"document": "Green finance verification statement", "sha256": HASH, "page": 1, "quality": "audited"}


def screen(framework: str, activity: str, metrics: dict[str, Any], on: str, approval: str | None = None,
           evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    project = ProjectFile.model_validate({
        "project": {"name": "t", "date": on, **({"approval_date": approval} if approval else {})},
        "activity": {framework: activity}, "metrics": metrics, "evidence": evidence or {},
        "dnsh": ALL_DNSH, "minimum_safeguards": True,
    })
    result: dict[str, Any] = screen_project(project, frameworks=[framework])["frameworks"][framework]
    return result


# --- references, item text, verification status -------------------------------------------------------------
SOURCES = {"cn2021": "Nikeandocean/carbon-accounting-specs", "cn2025": "pennythewise/GreenGru"}
#: China thresholds that are CountyZero's reading, not a number in the item's text (documented in the criterion).
READINGS = {"cn2021.green_building.star", "cn2021.building_retrofit.star"}


def _items(framework: str) -> dict[str, dict[str, Any]]:
    from importlib.resources import files

    import yaml

    name = {"cn2021": "cn2021_green_bond_catalogue.yaml", "cn2025": "cn2025_green_finance_catalogue.yaml"}[framework]
    raw = yaml.safe_load(files("countyzero.finance").joinpath(f"rulebooks/{name}").read_text("utf-8"))
    items: dict[str, dict[str, Any]] = raw["activities"]
    return items


@pytest.mark.parametrize("framework", ["cn2021", "cn2025"])
def test_china_reference_names_catalogue_issuing_document_and_item(framework: str) -> None:
    book = default_rulebooks()[framework]  # type: ignore[index]
    items = _items(framework)
    for key, activity in book.activities.items():
        assert re.fullmatch(r"\d+(\.\d+){2,3}", items[key]["item_code"]), key
        for criterion in activity.criteria:
            for part in CN_DOCS[framework]:
                assert part in criterion.reference, (criterion.id, part)
            assert f"item {items[key]['item_code']} {activity.name_zh}" in criterion.reference, criterion.id


@pytest.mark.parametrize("framework", ["cn2021", "cn2025"])
def test_every_china_criterion_is_marked_secondary_and_its_item_text_is_shown(framework: str) -> None:
    book = default_rulebooks()[framework]  # type: ignore[index]
    assert any("secondary" in note for note in book.notes)
    items = _items(framework)
    for key, activity in book.activities.items():
        text = items[key]["text_zh"]
        assert len(text) > 10 and text in activity.notes[0] and "secondary copy" in activity.notes[0], key
        for criterion in activity.criteria:
            assert criterion.verification.startswith("secondary") and SOURCES[framework] in criterion.verification
            general = criterion.id.rsplit(".", 1)[1] in ("legal_compliance", "guidance_2019")
            assert criterion.kind == ("general_requirement" if general else "item_condition"), criterion.id


@pytest.mark.parametrize("framework", ["cn2021", "cn2025"])
def test_every_china_threshold_is_a_number_of_its_item_text(framework: str) -> None:
    """A numeric China criterion's threshold is written in its item's text (e.g. 17.8 → "17.8%"), unless it is a
    documented reading (READINGS); every such criterion has boundary tests below."""
    book = default_rulebooks()[framework]  # type: ignore[index]
    items = _items(framework)
    numeric = 0
    for key, activity in book.activities.items():
        for criterion in activity.criteria:
            if criterion.op not in NUMERIC_OPS:
                continue
            numeric += 1
            assert criterion.threshold is not None
            if criterion.id in READINGS:
                assert "CountyZero" in criterion.en and "CountyZero" in criterion.zh
            else:
                assert re.search(rf"(?<![\d.]){criterion.threshold:g}(?![\d.])", items[key]["text_zh"]), criterion.id
    assert numeric == {"cn2021": 17, "cn2025": 3}[framework]


def test_2021_items_need_the_audited_attestation_of_note_1() -> None:
    book = default_rulebooks()["cn2021"]
    for activity in book.activities.values():
        (attestation,) = [c for c in activity.criteria if c.metric == "catalogue_conformity_verified"]
        assert attestation.requires_quality == "audited" and "说明 1" in attestation.reference
        assert "not transcribed" in attestation.en and "未转录" in attestation.zh
    for activity in default_rulebooks()["cn2025"].activities.values():
        assert all(c.metric != "catalogue_conformity_verified" for c in activity.criteria)


def test_cgt_restates_eu_criteria_and_says_it_is_unverified() -> None:
    books = default_rulebooks()
    cgt, eu_book = books["cgt"], books["eu"]
    assert any("CGT table not obtained" in n for n in cgt.notes)
    for code, activity in cgt.activities.items():
        (source,) = activity.eu_equivalent
        eu_sc = [c for c in eu_book.activities[source].criteria if c.kind == "substantial_contribution"]
        assert [(c.metric, c.op, c.threshold, c.valid_from, c.valid_to) for c in activity.criteria] == [
            (c.metric, c.op, c.threshold, c.valid_from, c.valid_to) for c in eu_sc]
        for criterion in activity.criteria:
            assert "IPSF" in criterion.reference and "unverified" in criterion.reference
            assert criterion.verification.startswith("unverified"), criterion.id
            assert criterion.kind == "substantial_contribution"  # the CGT has no DNSH / safeguards
        assert activity.contribution.startswith("scenario "), code


# --- China: attestation (2021), conditions (both), dates ---------------------------------------------------
LAWFUL = {"cn_legal_compliance": True}


@pytest.mark.parametrize(("activity", "on", "approval"),
                         [("wind", "2025-09-30", None), ("sewage_treatment", "2026-03-01", "2025-07-13")])
def test_china_2021_item_needs_audited_attestation(activity: str, on: str, approval: str | None) -> None:
    cid = f"cn2021.{activity}.guidance_2019"
    missing = screen("cn2021", activity, LAWFUL, on, approval)
    assert missing["status"] == "incomplete" and verdict(missing, cid) == "missing"
    reported = screen("cn2021", activity, {**LAWFUL, "catalogue_conformity_verified": True}, on, approval,
                      {"catalogue_conformity_verified": {**ATTESTED, "quality": "reported"}})
    assert reported["status"] == "incomplete" and verdict(reported, cid) == "missing"
    audited = screen("cn2021", activity, {**LAWFUL, "catalogue_conformity_verified": True}, on, approval,
                     {"catalogue_conformity_verified": ATTESTED})
    assert audited["status"] == "aligned" and verdict(audited, cid) == "pass"
    refused = screen("cn2021", activity, {**LAWFUL, "catalogue_conformity_verified": False}, on, approval,
                     {"catalogue_conformity_verified": ATTESTED})
    assert refused["status"] == "eligible_not_aligned"


def test_china_2025_items_are_decided_by_their_conditions() -> None:
    on = "2026-03-01"
    assert screen("cn2025", "wind", {}, on)["status"] == "incomplete"  # note 1 not stated
    assert screen("cn2025", "wind", LAWFUL, on)["status"] == "aligned"  # scope only: no condition of its own
    assert screen("cn2025", "wind", {"cn_legal_compliance": False}, on)["status"] == "eligible_not_aligned"
    building = {**LAWFUL, "gbt51350_compliant": True, "gbt51366_carbon_calculated": True}
    assert screen("cn2025", "ultra_low_energy_building", building, on)["status"] == "incomplete"  # construction?
    built = {**building, "construction_activity": True, "green_construction_compliant": True}
    assert screen("cn2025", "ultra_low_energy_building", built, on)["status"] == "aligned"
    operated = {**building, "construction_activity": False}
    result = screen("cn2025", "ultra_low_energy_building", operated, on)
    assert result["status"] == "aligned"
    assert verdict(result, "cn2025.ultra_low_energy_building.green_construction") == "not_applicable"
    assert screen("cn2025", "ultra_low_energy_building", {**built, "gbt51350_compliant": False},
                  on)["status"] == "eligible_not_aligned"
    cars = screen("cn2025", "nev", {**LAWFUL, "nev_type": "plug_in_hybrid"}, on)
    assert cars["status"] == "eligible_not_aligned" and verdict(cars, "cn2025.nev.type") == "fail"
    assert screen("cn2025", "nev", {**LAWFUL, "nev_type": "fuel_cell"}, on)["status"] == "aligned"
    # small hydro: not the large-hydro item; its retrofit is item 4.3.4
    hydro = screen("cn2025", "hydro", {**LAWFUL, "listed_large_hydro_base": False}, on)
    assert hydro["status"] == "eligible_not_aligned"
    assert screen("cn2025", "small_hydro_retrofit", {**LAWFUL, "small_hydro_retrofit_purpose": True},
                  on)["status"] == "aligned"


def test_china_2021_solar_conditions_apply_to_photovoltaics_by_technology() -> None:
    attested = {**LAWFUL, "catalogue_conformity_verified": True}
    evidence = {"catalogue_conformity_verified": ATTESTED}
    thermal = screen("cn2021", "solar", {**attested, "pv_technology": "not_pv"}, "2024-03-01", evidence=evidence)
    assert thermal["status"] == "aligned"
    mono = {**attested, "pv_technology": "mono_si", "pv_cell_efficiency_pct": 22.5, "pv_module_efficiency_pct": 21.0,
            "pv_degradation_first_year_pct": 2.0, "pv_degradation_annual_pct": 0.55, "pv_degradation_25y_pct": 15.0}
    assert screen("cn2021", "solar", mono, "2024-03-01", evidence=evidence)["status"] == "aligned"
    result = screen("cn2021", "solar", {**mono, "pv_technology": "cdte"}, "2024-03-01", evidence=evidence)
    assert verdict(result, "cn2021.solar.cell_mono") == "not_applicable"
    assert verdict(result, "cn2021.solar.annual_thin") == "fail"  # 0.55 % > 0.4 % a year for thin film
    assert result["status"] == "eligible_not_aligned"
    unknown = screen("cn2021", "solar", attested, "2024-03-01", evidence=evidence)
    assert unknown["status"] == "incomplete" and verdict(unknown, "cn2021.solar.cell_mono") == "missing"


def test_gbt51366_buildings_result_is_the_carbon_calculation_of_item_6_1_2(tmp_path: Any) -> None:
    import json

    from countyzero.finance.screening import resolve_inputs

    for method, expected in (("gbt51366", True), ("en15978", None)):
        path = tmp_path / f"{method}.json"
        path.write_text(json.dumps({"method": method, "total_kgco2e": 1.0, "per_m2_kgco2e": 1.0,
                                    "modules": {"A1-A3": 1.0}}), "utf-8")
        project = ProjectFile.model_validate({
            "project": {"name": "t", "date": "2026-03-01"}, "activity": {"cn2025": "ultra_low_energy_building"},
            "links": {"buildings_result": path.name}})
        metrics, evidence, _, _ = resolve_inputs(project, base_dir=tmp_path)
        assert metrics.get("gbt51366_carbon_calculated") is expected, method
        if expected:
            assert evidence["gbt51366_carbon_calculated"].quality == "reported"


@pytest.mark.parametrize(
    ("framework", "on", "approval", "applies"),
    [
        ("cn2021", "2021-06-30", None, False), ("cn2021", "2021-07-01", None, True),
        ("cn2021", "2025-09-30", None, True), ("cn2021", "2025-10-01", "2025-07-14", False),
        ("cn2021", "2025-10-01", "2025-07-13", True),  # grandfathered: approved before publication
        ("cn2025", "2025-09-30", None, False), ("cn2025", "2025-10-01", None, True),
        ("cn2025", "2025-10-01", "2025-07-13", False), ("cn2025", "2025-10-01", "2025-07-14", True),
        ("cgt", "2022-06-02", None, False), ("cgt", "2022-06-03", None, True),
    ],
)
def test_effective_dates_on_both_sides(framework: str, on: str, approval: str | None, applies: bool) -> None:
    activity = "4.5" if framework == "cgt" else "solar"
    if applies:
        assert screen(framework, activity, {}, on, approval)["status"] == "incomplete"
    else:
        with pytest.raises(InputError, match="date"):
            screen(framework, activity, {}, on, approval)


def test_new_items_are_reached_by_recorded_crosswalk_only() -> None:
    for eu_code, item in [("5.3", "sewage_treatment"), ("4.8", "biomass"), ("4.9", "smart_grid"),
                          ("4.10", "energy_storage"), ("6.3", "public_transport"), ("6.5", "nev"),
                          ("5.7", "food_waste_recycling"), ("4.3", "wind")]:
        project = ProjectFile.model_validate({
            "project": {"name": "t", "date": "2026-03-01", "approval_date": "2025-01-10"},
            "activity": {"eu": eu_code}})
        result = screen_project(project, frameworks=["cn2021"])["frameworks"]["cn2021"]
        assert result["activity"] == item and result["matched_by"].startswith("crosswalk")
        assert result["status"] == "incomplete"  # never aligned without the attestation
    carbon_sink = default_rulebooks()["cn2021"].activities["carbon_sink_forest"]
    assert carbon_sink.eu_equivalent == ()  # declared only: would overlap 1.1 afforestation


# --- boundary tests for every numeric CGT and China criterion ----------------------------------------------
def _numeric_of(framework: str) -> list[tuple[str, str, str]]:
    book = default_rulebooks()[framework]  # type: ignore[index]
    return [(framework, a.code, c.id) for a in book.activities.values() for c in a.criteria if c.op in NUMERIC_OPS]


def _cgt_numeric() -> list[tuple[str, str]]:
    return [(code, cid) for _, code, cid in _numeric_of("cgt")]


ON = {"cgt": "2026-03-01", "cn2021": "2024-03-01", "cn2025": "2026-03-01"}


@pytest.mark.parametrize(("framework", "code", "cid"), [*_numeric_of("cgt"), *_numeric_of("cn2021"),
                                                        *_numeric_of("cn2025")])
def test_numeric_criterion_boundaries(framework: str, code: str, cid: str) -> None:
    criterion = next(c for c in default_rulebooks()[framework].activities[code].criteria  # type: ignore[index]
                     if c.id == cid)
    on = str(criterion.valid_from or criterion.valid_to or ON[framework])
    base = _applicability(criterion.applies_if)
    t = criterion.threshold
    assert t is not None and criterion.metric is not None
    delta = 0.01 * max(1.0, abs(t))
    evidence = {criterion.metric: {**ATTESTED, "quality": criterion.requires_quality}} \
        if criterion.requires_quality else {}

    def run(value: float) -> str:
        metrics = dict(base)
        if criterion.op == "reduction_ge":
            assert criterion.ref_metric is not None
            metrics[criterion.ref_metric] = 100.0
            metrics[criterion.metric] = 100.0 - value
        else:
            metrics[criterion.metric] = value
        return verdict(screen(framework, code, metrics, on, evidence=evidence), cid)

    expected = {  # (on, just under, just over)
        "gt": ("fail", "fail", "pass"), "ge": ("pass", "fail", "pass"), "lt": ("fail", "pass", "fail"),
        "le": ("pass", "pass", "fail"), "reduction_ge": ("pass", "fail", "pass"),
    }[criterion.op]
    assert (run(t), run(t - delta), run(t + delta)) == expected
    absent = screen(framework, code, dict(base), on)
    assert verdict(absent, cid) == "missing"
    assert absent["status"] in ("incomplete", "aligned") if criterion.any_of else absent["status"] == "incomplete"


@pytest.mark.parametrize(("code", "cid"), [(a, c) for a, c in _cgt_numeric()
                                             if default_rulebooks()["cgt"].activities[a].criteria
                                             and next(x for x in default_rulebooks()["cgt"].activities[a].criteria
                                                      if x.id == c).valid_to is not None])
def test_cgt_dated_criteria_on_both_sides_of_their_dates(code: str, cid: str) -> None:
    criterion = next(c for c in default_rulebooks()["cgt"].activities[code].criteria if c.id == cid)
    assert criterion.valid_to is not None and criterion.metric is not None
    base = _applicability(criterion.applies_if)
    inside = screen("cgt", code, {**base, criterion.metric: criterion.threshold}, criterion.valid_to.isoformat())
    after = (criterion.valid_to + timedelta(days=1)).isoformat()
    outside = screen("cgt", code, {**base, criterion.metric: criterion.threshold}, after)
    assert verdict(inside, cid) in ("pass", "fail") and verdict(outside, cid) == "not_applicable"


def test_cgt_cars_threshold_switches_on_1_january_2026() -> None:
    cars = {"vehicle_category": "M1"}
    assert screen("cgt", "6.5", {**cars, "gco2_per_km": 49.9}, "2025-12-31")["status"] == "aligned"
    assert screen("cgt", "6.5", {**cars, "gco2_per_km": 49.9}, "2026-01-01")["status"] == "eligible_not_aligned"
    assert screen("cgt", "6.5", {**cars, "gco2_per_km": 0.0}, "2026-01-01")["status"] == "aligned"
    assert date(2026, 1, 1) > date(2022, 6, 3)  # both dates inside the CGT rulebook's validity


def test_baoting_examples_statuses_under_china_and_cgt() -> None:
    from pathlib import Path

    import yaml

    examples = Path(__file__).resolve().parents[2] / "examples" / "baoting" / "finance"
    expected = {
        "baoting-small-hydro.yaml": {"eu": "eligible_not_aligned", "cgt": "eligible_not_aligned",
                                     "cn2021": "eligible_not_aligned"},  # not a key large hydro project
        "baoting-rooftop-pv.yaml": {"eu": "aligned", "cgt": "aligned", "cn2025": "aligned"},
        "jiamao-health-park.yaml": {"eu": "aligned", "cgt": "aligned", "cn2025": "incomplete"},
    }
    for name, statuses in expected.items():
        project = ProjectFile.model_validate(yaml.safe_load((examples / name).read_text("utf-8")))
        result = screen_project(project, base_dir=examples)
        assert {fw: r["status"] for fw, r in result["frameworks"].items()} == statuses, name
