"""The sourced factor library: schema, sources, look-ups with recorded fallbacks, user overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from countyzero.core.errors import FactorDataError, FactorNotFoundError
from countyzero.factors import FactorLibrary
from countyzero.factors.library import COLUMNS

HEADER = ",".join(COLUMNS)


def test_every_shipped_row_has_a_source_licence_and_confidence(library: FactorLibrary) -> None:
    assert len(library) > 200
    for row in library:
        assert row.source.strip(), row.id
        assert row.licence.strip(), row.id
        assert row.confidence in {"verified", "secondary", "estimate"}, row.id
        assert row.name_en.strip() and row.name_zh.strip(), row.id


def test_row_without_source_is_refused_naming_file_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "mine.csv"
    bad.write_text(HEADER + "\nmy.ef,emission_factor,x,CO2,1,kg/t,GLOBAL,,,user,X,某,,,,CC0,estimate,,,,,\n")
    with pytest.raises(FactorDataError) as info:
        FactorLibrary.load([bad])
    message = str(info.value)
    assert "mine.csv" in message and "row 2" in message and "source" in message


@pytest.mark.parametrize(
    ("value", "unit", "confidence", "field"),
    [("abc", "kg/t", "estimate", "value"), ("1", "kg/zorks", "estimate", "unit"), ("1", "kg/t", "maybe", "confidence")],
)
def test_bad_values_are_refused(tmp_path: Path, value: str, unit: str, confidence: str, field: str) -> None:
    bad = tmp_path / "mine.csv"
    bad.write_text(HEADER + f"\nmy.ef,emission_factor,x,CO2,{value},{unit},GLOBAL,,,user,X,某,study,,,CC0,"
                   f"{confidence},,,,,\n")
    with pytest.raises(FactorDataError, match=field):
        FactorLibrary.load([bad])


def test_duplicate_ids_in_one_file_are_refused(tmp_path: Path) -> None:
    row = "my.ef,emission_factor,x,CO2,1,kg/t,GLOBAL,,,user,X,某,study,,,CC0,estimate,,,,,"
    bad = tmp_path / "mine.csv"
    bad.write_text(f"{HEADER}\n{row}\n{row}\n")
    with pytest.raises(FactorDataError, match=r"row 3.*duplicate"):
        FactorLibrary.load([bad])


def test_user_file_overrides_a_shipped_row_without_editing_it(tmp_path: Path, library: FactorLibrary) -> None:
    mine = tmp_path / "mine.csv"
    mine.write_text(HEADER + "\ncn-mee.grid.cn-hi.2022,grid_emission_factor,CN-HI,CO2,0.4,kg/kWh,CN-HI,2022,,"
                    "user,Hainan grid (measured),海南电网（实测）,Hainan DRC letter 2025,,,internal,estimate,,,,,\n")
    custom = FactorLibrary.load([mine])
    assert custom.get("cn-mee.grid.cn-hi.2022").value == 0.4
    assert custom.overrides == ("cn-mee.grid.cn-hi.2022",)
    assert custom.version.endswith("+user") and custom.digest != library.digest
    assert library.get("cn-mee.grid.cn-hi.2022").value == 0.4184  # shipped data unchanged


def test_find_records_year_fallback(library: FactorLibrary) -> None:
    match = library.find("grid_emission_factor", "CN-HI", gas="CO2", year=2025)
    assert match.factor.year == 2023
    assert "latest earlier year" in match.fallback_note


def test_find_records_technology_and_factor_set_fallback(library: FactorLibrary) -> None:
    match = library.find("emission_factor", "gasoline", gas="CH4", technology="mobile.road.euro_vi",
                         factor_set=["ipcc2006"])
    assert match.factor.technology == "mobile.road"
    assert "mobile.road.euro_vi not found" in match.fallback_note
    match = library.find("emission_factor", "gasoline", gas="CO2", factor_set=["cn-provincial", "ipcc2006"])
    assert match.factor.factor_set == "ipcc2006"
    assert "cn-provincial" in match.fallback_note


def test_find_raises_when_nothing_matches(library: FactorLibrary) -> None:
    with pytest.raises(FactorNotFoundError):
        library.find("emission_factor", "unobtainium", gas="CO2")


def test_official_coal_equivalent_coefficients_are_stored_as_published(library: FactorLibrary) -> None:
    # GB/T 2589-2020 Appendix A: raw coal 0.7143 kgce/kg, not 20 908 / 29 307.6 = 0.7134 (research/county.md §1.5)
    assert library.get("gbt2589.coal_equivalent.raw_coal").value == 0.7143
    assert library.get("gbt2589.coal_equivalent.diesel").value == 1.4571


def test_search_finds_chinese_names(library: FactorLibrary) -> None:
    assert any(row.activity == "CN-HI" for row in library.search("海南"))
