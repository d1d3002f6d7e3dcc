"""Units (one pint registry) and GWP sets."""

from __future__ import annotations

import pytest

from countyzero.core.errors import InputError, UnitError
from countyzero.core.gwp import GWPSet
from countyzero.core.units import conversion_factor, convert, parse_unit


def test_energy_and_coal_equivalent_units() -> None:
    assert convert(1, "MWh", "GJ") == pytest.approx(3.6)
    assert convert(1, "TJ", "GJ") == pytest.approx(1000)
    # GB/T 2589-2020: 1 kgce = 29 307.6 kJ (7 000 kcal_IT)
    assert convert(1, "kgce", "kJ") == pytest.approx(29307.6)
    assert convert(1, "tce", "GJ") == pytest.approx(29.3076)
    assert convert(1, "万tce", "tce") == pytest.approx(1e4)


def test_mass_area_volume_and_freight_units() -> None:
    assert convert(1, "tCO2e", "kgCO2e") == pytest.approx(1000)
    assert convert(15, "mu", "ha") == pytest.approx(1.0)
    assert convert(1, "wan_m3", "m³") == pytest.approx(1e4)
    assert convert(2, "t·km", "kg*km") == pytest.approx(2000)


def test_co2e_is_not_a_mass_without_a_gwp_set() -> None:
    with pytest.raises(UnitError):
        conversion_factor("t", "tCO2e")


def test_unknown_unit_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match="unknown unit"):
        parse_unit("furlongs_per_fortnight_x")
    for broken in ("]", "kg)", "(", "m3 ** ("):  # pint's tokenizer fails on these: still a UnitError
        with pytest.raises(UnitError, match="unknown unit"):
            parse_unit(broken)


@pytest.mark.parametrize(
    ("name", "ch4", "n2o"),
    [("AR4", 25, 298), ("AR5", 28, 265), ("AR6", 27.9, 273)],  # IPCC AR4 Tab 2.14; AR5 Tab 8.A.1; AR6 Tab 7.SM.7
)
def test_gwp100_sets(name: str, ch4: float, n2o: float) -> None:
    gwp = GWPSet.load(name)
    assert gwp.value("CO2") == 1
    assert gwp.value("CH4") == ch4
    assert gwp.value("N2O") == n2o


def test_ar6_methane_by_origin_rows() -> None:
    # IPCC AR6 WG1 Table 7.15: fossil 29.8, non-fossil 27.0
    gwp = GWPSet.load("AR6", ch4_by_origin=True)
    assert gwp.value("CH4", origin="fossil") == 29.8
    assert gwp.value("CH4", origin="non_fossil") == 27.0
    assert gwp.value("CH4") == 27.9


def test_default_gwp_is_ar5_and_bad_sets_are_refused() -> None:
    assert GWPSet.load().name == "AR5"
    with pytest.raises(InputError):
        GWPSet.load("AR9")
    with pytest.raises(InputError):
        GWPSet.load("AR5", ch4_by_origin=True)
