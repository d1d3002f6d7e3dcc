"""Lifestyle footprints: Poore & Nemecek meals, DEFRA hotels and travel, grid electricity; bad input."""

from __future__ import annotations

import pytest

from countyzero.core.errors import InputError
from countyzero.lifestyle import FootprintInput, footprint
from countyzero.lifestyle.footprint import lines_footprint
from countyzero.lifestyle.model import ConsumptionLine


def person(lines: list[dict[str, object]], **extra: object) -> FootprintInput:
    return FootprintInput.model_validate({"name": "test", "year": 2030, "lines": lines, **extra})


def test_meal_from_the_poore_nemecek_table(library) -> None:  # type: ignore[no-untyped-def]
    # Poore & Nemecek (2018), GHG per kg (AR5): rice 4.45, pig meat 12.31, other vegetables 0.53.
    # 150 g rice + 80 g pork + 200 g vegetables = 0.6675 + 0.9848 + 0.106 = 1.7583 kg CO2e
    lines = [ConsumptionLine.model_validate(x) for x in (
        {"id": "rice", "food": "rice", "quantity": 150, "unit": "g"},
        {"id": "pork", "food": "pig_meat", "quantity": 0.08, "unit": "kg"},
        {"id": "veg", "food": "other_vegetables", "quantity": 200, "unit": "g"})]
    by_domain, results, trace = lines_footprint(lines, library, 2030, "CN")
    assert by_domain["nutrition"] == pytest.approx(1.7583)
    assert [r.factor_id for r in results] == ["pn2018.food.rice", "pn2018.food.pig_meat",
                                              "pn2018.food.other_vegetables"]
    assert "Poore" in trace[0].source and trace[0].factor_value == 4.45


def test_beef_versus_tofu_meal() -> None:
    # 150 g beef (beef herd 99.48) = 14.922 kg; 150 g tofu (3.16) = 0.474 kg
    beef = footprint(person([{"id": "b", "food": "beef_herd", "quantity": 0.15, "unit": "kg"}]))
    tofu = footprint(person([{"id": "t", "food": "tofu", "quantity": 0.15, "unit": "kg"}]))
    assert beef.total_kgco2e == pytest.approx(14.922)
    assert tofu.total_kgco2e == pytest.approx(0.474)


def test_household_year_by_domain_and_per_capita() -> None:
    # hotel China 53.5 kg/room-night (DEFRA 2024) × 4 = 214; petrol car 0.16450 kg/vkm × 6000 = 987;
    # Hainan grid 2023 0.3648 kg/kWh × 2400 = 875.52; rice 4.45 × 120 = 534 → total 2610.52 kg for 2 persons
    result = footprint(person([
        {"id": "hotel", "hotel": "CN", "quantity": 4, "unit": "room_night", "domain": "leisure"},
        {"id": "car", "travel": "car.petrol", "quantity": 6000, "unit": "vkm"},
        {"id": "power", "electricity": {"grid": "CN-HI", "year": 2023}, "quantity": 2400, "unit": "kWh"},
        {"id": "rice", "food": "rice", "quantity": 120, "unit": "kg"}], persons=2))
    assert result.by_domain["leisure"] == pytest.approx(214.0)
    assert result.by_domain["mobility"] == pytest.approx(987.0)
    assert result.by_domain["housing"] == pytest.approx(875.52)
    assert result.total_kgco2e == pytest.approx(2610.52)
    assert result.total_kgco2e == pytest.approx(sum(result.by_domain.values()))
    assert result.per_capita_tco2e_per_year == pytest.approx(1.30526)
    assert result.target_ratio == pytest.approx(1.30526 / 2.5)
    assert result.regional_average_tco2e_per_capita == 4.2  # China 2017, 1.5-Degree Lifestyles 2019
    assert result.provenance["input_sha256"] and result.provenance["extra"]["trajectory"] == "hoc-2021"


def test_inline_factor_needs_a_domain_and_a_source() -> None:
    ok = footprint(person([{"id": "x", "domain": "goods", "quantity": 10,
                            "unit": "kg", "factor": {"value": 2, "unit": "kgCO2e/kg", "source": "supplier EPD 2025"}}]))
    assert ok.total_kgco2e == 20 and ok.lines[0].factor_id == "inline:x"
    with pytest.raises(ValueError, match="needs a domain"):
        person([{"id": "x", "quantity": 1, "unit": "kg", "factor": {"value": 2, "unit": "kgCO2e/kg",
                                                                     "source": "EPD"}}])


@pytest.mark.parametrize(("line", "message"), [
    ({"id": "x", "food": "durian", "quantity": 1, "unit": "kg"}, "unknown food 'durian'"),
    ({"id": "x", "hotel": "ZZ", "quantity": 1, "unit": "room_night"}, "no hotel-night factor"),
    ({"id": "x", "travel": "rocket", "quantity": 1, "unit": "pkm"}, "unknown travel mode 'rocket'"),
    ({"id": "x", "factor_id": "no.such.factor", "quantity": 1, "unit": "kg"}, "no factor with id"),
    ({"id": "x", "food": "rice", "quantity": 1, "unit": "kWh"}, "is not a CO2e amount"),
])
def test_bad_lines_name_the_line_and_field(line: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        footprint(person([line]))
    assert info.value.row == "x"


def test_negative_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        person([{"id": "x", "food": "rice", "quantity": -1, "unit": "kg"}])


def test_duplicate_line_ids_are_refused() -> None:
    with pytest.raises(InputError, match="duplicate line id"):
        footprint(person([{"id": "x", "food": "rice", "quantity": 1, "unit": "kg"},
                          {"id": "x", "food": "rice", "quantity": 1, "unit": "kg"}]))
