"""Bad input: a clear error naming the field (and file); nothing computed or stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from countyzero.core.errors import InputError
from countyzero.credits.engine import estimate_credits
from countyzero.credits.quantify import chave2014_agb_kg, ton_year_benefit
from countyzero.credits.reader import read_project
from countyzero.credits.valuation import collateral_value, credit_stream_value, resolve_price
from countyzero.factors import FactorLibrary
from tests.credits.conftest import issue_project

GOOD = """project: {name: T, start_date: 2024-01-01, crediting_years: 30, area_ha: 1000}
method: ipcc-tier1-gain-loss
parameters: {growth_t_dm_per_ha_yr: 5.0, root_shoot_ratio: 0.33, carbon_fraction: 0.47}
eligibility: {land_non_forest_years: 10, economic_forest: false, parcel_min_m2: 5000}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "project.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "field"), [
    ("area_ha: 1000", "area_ha: -5", "project.area_ha"),
    ("growth_t_dm_per_ha_yr: 5.0", "growth_t_dm_per_ha_yr: -1", "parameters.growth_t_dm_per_ha_yr"),
    ("carbon_fraction: 0.47", "carbon_fraction: 1.2", "parameters.carbon_fraction"),
    ("carbon_fraction: 0.47", "carbon_fraction: 0", "parameters.carbon_fraction"),
    ("crediting_years: 30", "end_date: 2020-01-01", "project"),
    ("method: ipcc-tier1-gain-loss", "method: guesswork", "method"),
    ("parameters: {", "parameters: {colour: green, ", "parameters.colour"),
])
def test_bad_project_fields_name_file_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as info:
        read_project(path)
    assert info.value.field == field
    assert str(path) in str(info.value)


def test_dates_in_wrong_order(tmp_path: Path) -> None:
    text = GOOD + """monitoring:
  - {date: 2026-01-01, carbon_stock_tco2e: 10}
  - {date: 2025-01-01, carbon_stock_tco2e: 20}
"""
    with pytest.raises(InputError, match="not in increasing order"):
        read_project(_write(tmp_path, text))
    with pytest.raises(InputError, match="not after start_date"):
        read_project(_write(tmp_path, GOOD.replace("crediting_years: 30", "end_date: 2023-12-31")))


def test_missing_parameter_names_it() -> None:
    project = issue_project(parameters={"root_shoot_ratio": 0.3})
    with pytest.raises(InputError) as info:
        estimate_credits(project, "ccer")
    assert info.value.field == "parameters.growth_t_dm_per_ha_yr"
    with pytest.raises(InputError, match="unknown standard"):
        estimate_credits(issue_project(), "acr")


def test_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="malformed YAML"):
        read_project(_write(tmp_path, "project: [unclosed"))
    with pytest.raises(InputError, match="cannot read"):
        read_project(tmp_path / "missing.yaml")


def test_bad_equation_inputs(lib: FactorLibrary) -> None:
    with pytest.raises(InputError):
        chave2014_agb_kg(0.6, -3.0, 20.0, 0.0673, 0.976)
    with pytest.raises(InputError, match="negative"):
        ton_year_benefit("car", -1, 100)
    with pytest.raises(InputError, match="unknown ton-year"):
        ton_year_benefit("magic", 1, 100)
    with pytest.raises(InputError, match="pledge rate"):
        collateral_value(100, 70, 0)
    with pytest.raises(InputError, match="pledge rate"):
        collateral_value(100, 70, 1.5)
    with pytest.raises(InputError, match="quality discount"):
        credit_stream_value([2025], [1], 70, discount_rate=0.05, base_year=2025, quality_discount=1)
    with pytest.raises(InputError, match="needs --currency"):
        resolve_price(lib, "80")
    with pytest.raises(InputError, match="unknown price"):
        resolve_price(lib, "moon-price")


def test_price_rows_need_a_currency_per_tonne(lib: FactorLibrary) -> None:
    """Rows of other engines with parameter carbon_price but no currency unit are not credit prices."""
    from countyzero.credits.valuation import price_rows

    assert all(r.unit.endswith("/tCO2e") for r in price_rows(lib))
    foreign = [r for r in lib if r.parameter == "carbon_price" and r.unit == "1/t"]
    for row in foreign:
        with pytest.raises(InputError, match="unknown price"):
            resolve_price(lib, row.id)


def test_monitoring_outside_crediting_period() -> None:
    project = issue_project(project__crediting_years=1, monitoring=[{"date": "2026-01-01", "carbon_stock_tco2e": 0},
                                                                    {"date": "2027-01-01", "carbon_stock_tco2e": 9}])
    with pytest.raises(InputError, match="outside the crediting period"):
        estimate_credits(project, "ccer")
