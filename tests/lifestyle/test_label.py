"""The label: allowances, grade boundaries, offsets, basic-needs floor, tourist packages (docs/label-standard.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from countyzero.core.errors import FactorDataError, InputError
from countyzero.factors.library import Factor, FactorLibrary
from countyzero.lifestyle import (
    LabelFile,
    LabelItem,
    LabelRules,
    TouristPackage,
    grade_array,
    grade_for_ratio,
    grade_item,
    grade_items,
    tourist_package,
)


@pytest.fixture(scope="module")
def rules() -> LabelRules:
    return LabelRules.load()


def item(**fields: object) -> LabelItem:
    data: dict[str, object] = {"id": "i", "name": "item", "functional_unit": "meal"}
    data.update(fields)
    return LabelItem.model_validate(data)


def test_allowances_per_functional_unit_2030(rules: LabelRules) -> None:
    # B(2030) = 2500 kg; shares (rulebook cz-label-2026.1): nutrition .25, housing .30, mobility .17, leisure .08
    assert rules.allowance_kgco2e("meal", 2030) == pytest.approx(2500 * 0.25 / 1095)  # 0.5708 kg
    assert rules.allowance_kgco2e("kg_food", 2030) == pytest.approx(2500 * 0.25 / 420)  # 1.488 kg
    assert rules.allowance_kgco2e("hotel_room_night", 2030) == pytest.approx(2500 * 0.38 / 365)  # 2.603 kg
    assert rules.allowance_kgco2e("hotel_room_night", 2030, persons=2) == pytest.approx(2 * 2500 * 0.38 / 365)
    assert rules.allowance_kgco2e("tour_day", 2030) == pytest.approx(2500 * 0.25 / 365)
    assert rules.allowance_kgco2e("visitor_day", 2030) == pytest.approx(2500 / 365)
    assert rules.allowance_kgco2e("household_year", 2030, persons=3) == pytest.approx(7500)
    # the allowance shrinks with the trajectory: 2035 on hoc-2021 = 1.95 t
    assert rules.allowance_kgco2e("meal", 2035) == pytest.approx(1950 * 0.25 / 1095)


def test_domain_shares_sum_to_one(rules: LabelRules) -> None:
    assert sum(rules.shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(("ratio", "grade"), [
    (0.0, "A+"), (0.5, "A+"), (0.5000001, "A"), (1.0, "A"), (1.0000001, "B"), (1.5, "B"), (1.51, "C"), (2.0, "C"),
    (2.01, "D"), (4.0, "D"), (4.0001, "E"), (1e6, "E"),
])
def test_grade_boundaries(rules: LabelRules, ratio: float, grade: str) -> None:
    # bands: A+ ≤ 0.5 < A ≤ 1.0 < B ≤ 1.5 < C ≤ 2 < D ≤ 4 < E (research/lifestyle.md §2.8 item 3)
    assert grade_for_ratio(rules, ratio) == grade


def test_meal_graded_from_poore_nemecek(rules: LabelRules) -> None:
    # 150 g rice (4.45) + 200 g other vegetables (0.53) + 100 g tofu (3.16) = 0.6675 + 0.106 + 0.316 = 1.0895 kg
    # allowance 0.5708 kg → ratio 1.909 → C; the number is shown beside the grade
    result = grade_item(item(lines=[
        {"id": "rice", "food": "rice", "quantity": 150, "unit": "g"},
        {"id": "veg", "food": "other_vegetables", "quantity": 200, "unit": "g"},
        {"id": "tofu", "food": "tofu", "quantity": 100, "unit": "g"}]), rules, year=2030)
    assert result.footprint_kgco2e == pytest.approx(1.0895)
    assert result.ratio == pytest.approx(1.0895 / (2500 * 0.25 / 1095))
    assert result.grade == "C"
    assert result.label_text.startswith("C · 1.09 kg CO2e per meal")
    assert result.certifiable


def test_offsets_never_improve_a_grade(rules: LabelRules) -> None:
    without = grade_item(item(footprint_kgco2e=3.0), rules, year=2030)
    with_offsets = grade_item(item(footprint_kgco2e=3.0, offsets_kgco2e=3.0), rules, year=2030)
    assert with_offsets.grade == without.grade == "E"
    assert with_offsets.footprint_kgco2e == 3.0 and with_offsets.offsets_kgco2e == 3.0
    assert "2024/825" in with_offsets.offsets_note


@settings(max_examples=200, deadline=None)
@given(footprint=st.floats(0, 1e4), offsets=st.floats(0, 1e4))
def test_property_offsets_never_change_the_grade(footprint: float, offsets: float) -> None:
    rules = LabelRules.load()
    a = grade_item(item(footprint_kgco2e=footprint), rules, year=2035)
    b = grade_item(item(footprint_kgco2e=footprint, offsets_kgco2e=offsets), rules, year=2035)
    assert a.grade == b.grade and a.ratio == b.ratio


@settings(max_examples=200, deadline=None)
@given(x=st.floats(0, 100), y=st.floats(0, 100), year=st.integers(2026, 2060))
def test_property_grade_is_monotone_in_footprint(x: float, y: float, year: int) -> None:
    rules = LabelRules.load()
    low, high = sorted((x, y))
    g_low = grade_item(item(footprint_kgco2e=low), rules, year=year).grade
    g_high = grade_item(item(footprint_kgco2e=high), rules, year=year).grade
    assert rules.grades.index(g_low) <= rules.grades.index(g_high)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 50), min_size=1, max_size=50))
def test_property_vectorised_grades_equal_scalar_grades(footprints: list[float]) -> None:
    rules = LabelRules.load()
    allowance = rules.allowance_kgco2e("meal", 2030)
    index, _ = grade_array(rules, footprints, np.full(len(footprints), allowance))
    assert [rules.grades[i] for i in index] == [grade_for_ratio(rules, f / allowance) for f in footprints]


def test_basic_needs_floor_for_essential_staples(rules: LabelRules) -> None:
    # kg of rice at 3.2 kg CO2e/kg: allowance 1.488 → ratio 2.15 → D; essential and ≤ floor 4.45 (P&N rice) → B
    plain = grade_item(item(functional_unit="kg_food", footprint_kgco2e=3.2), rules, year=2030)
    essential = grade_item(item(functional_unit="kg_food", footprint_kgco2e=3.2, essential=True), rules, year=2030)
    assert plain.grade == "D" and not plain.basic_needs_floor_applied
    assert essential.grade == "B" and essential.basic_needs_floor_applied
    assert essential.footprint_kgco2e == 3.2  # the number is unchanged
    above = grade_item(item(functional_unit="kg_food", footprint_kgco2e=5.0, essential=True), rules, year=2030)
    assert above.grade == "D" and not above.basic_needs_floor_applied
    good = grade_item(item(functional_unit="kg_food", footprint_kgco2e=0.5, essential=True), rules, year=2030)
    assert good.grade == "A+" and not good.basic_needs_floor_applied  # the floor never worsens a grade


def test_declared_footprint_needs_an_accepted_verified_study(rules: LabelRules) -> None:
    bare = grade_item(item(footprint_kgco2e=0.4), rules, year=2030)
    assert not bare.certifiable
    unverified = grade_item(item(footprint_kgco2e=0.4, study={"standard": "GB/T 24067-2024",
                                                               "reference": "Report 2026-01"}), rules, year=2030)
    assert not unverified.certifiable and "not independently verified" in unverified.certifiable_reason
    for standard in ("ISO 14067:2018", "GB/T 24067-2024", "PEF (EU) 2021/2279"):
        ok = grade_item(item(footprint_kgco2e=0.4, study={"standard": standard, "reference": "Report 2026-01",
                                                           "verified_by": "CQC"}), rules, year=2030)
        assert ok.certifiable and ok.grade == "A"
    with pytest.raises(ValueError, match="Input should be"):
        item(footprint_kgco2e=0.4, study={"standard": "PAS 2050", "reference": "x y z"})


def test_tourist_package_per_visitor_day() -> None:
    # 2 visitors, 3 days: 2 room-nights China hotel (53.5) = 107; 6 rice meals of 0.15 kg (4.45) = 4.005;
    # coach 2 × 120 pkm (0.02717) = 6.5208 → 117.5258 / 6 person-days = 19.5876 kg; allowance 6.849 → 2.86 → D
    pkg = TouristPackage.model_validate({"id": "p", "name": "Baoting 3 days", "days": 3, "persons": 2,
                                         "year": 2030, "components": [
        {"id": "hotel", "hotel": "CN", "quantity": 2, "unit": "room_night"},
        {"id": "meals", "food": "rice", "quantity": 0.9, "unit": "kg"},
        {"id": "coach", "travel": "bus.coach", "quantity": 240, "unit": "pkm"}]})
    result = tourist_package(pkg)
    assert result.footprint_kgco2e == pytest.approx(117.5258 / 6)
    assert result.allowance_kgco2e == pytest.approx(2500 / 365)
    assert result.ratio == pytest.approx(117.5258 / 6 / (2500 / 365))
    assert result.grade == "D"


def test_grade_items_report(rules: LabelRules) -> None:
    data = LabelFile.model_validate({"year": 2030, "items": [
        {"id": "a", "name": "a", "functional_unit": "meal", "footprint_kgco2e": 0.2},
        {"id": "b", "name": "b", "functional_unit": "meal", "footprint_kgco2e": 5.0}]})
    report = grade_items(data)
    assert report.grade_counts["A+"] == 1 and report.grade_counts["E"] == 1
    assert report.total_kgco2e == pytest.approx(5.2)
    assert report.provenance["extra"]["rulebook"] == "cz-label-2026.1"


def test_bad_label_input(rules: LabelRules) -> None:
    with pytest.raises(ValueError, match="exactly one of footprint_kgco2e"):
        item()
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        item(footprint_kgco2e=-1)
    with pytest.raises(ValueError, match="Input should be"):
        item(functional_unit="spaceflight", footprint_kgco2e=1)
    with pytest.raises(InputError, match="unknown functional unit"):
        rules.allowance_kgco2e("spaceflight", 2030)
    with pytest.raises(InputError, match="unknown label rulebook"):
        LabelRules.load("cz-label-1999")
    with pytest.raises(InputError, match="non-negative"):
        grade_array(rules, [-1.0], [1.0])
    data = LabelFile.model_validate({"items": [
        {"id": "a", "name": "a", "functional_unit": "meal", "footprint_kgco2e": 0.2},
        {"id": "a", "name": "a", "functional_unit": "meal", "footprint_kgco2e": 0.2}]})
    with pytest.raises(InputError, match="duplicate item id"):
        grade_items(data)


def test_a_rulebook_whose_shares_do_not_sum_to_one_is_refused(library: FactorLibrary) -> None:
    rows: list[Factor] = []
    for row in library:
        if row.id == "label.domain_share.goods":
            row = row.model_copy(update={"value": 0.5})
        rows.append(row)
    with pytest.raises(FactorDataError, match="sum to 1"):
        LabelRules.load(library=FactorLibrary.from_rows(rows))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["meal", "kg_food", "hotel_room_night", "tour_day", "visitor_day",
                                           "household_year"]),
                          st.integers(2026, 2060), st.floats(0, 5000), st.floats(0.5, 6), st.booleans()),
                min_size=1, max_size=30))
def test_property_batch_grades_equal_item_grades(rows: list[tuple[str, int, float, float, bool]]) -> None:
    from countyzero.lifestyle.label import grade_batch

    rules = LabelRules.load()
    index, _, allowance = grade_batch(rules, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                                      [r[3] for r in rows], [r[4] for r in rows])
    for (fu, year, f, persons, essential), i, a in zip(rows, index, allowance, strict=True):
        one = grade_item(item(functional_unit=fu, footprint_kgco2e=f, persons=persons, essential=essential), rules,
                         year=year)
        assert rules.grades[i] == one.grade
        assert a == pytest.approx(one.allowance_kgco2e)
