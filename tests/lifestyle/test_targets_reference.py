"""Reference values of the 1.5 °C trajectories (1.5-Degree Lifestyles 2019/2021), hand-computed."""

from __future__ import annotations

import pytest

from countyzero.core.errors import InputError
from countyzero.lifestyle import (
    compatible_until,
    daily_budget_kgco2e,
    load_trajectory,
    target_tco2e_per_capita,
    trajectory_versions,
)


def test_anchor_years_are_the_published_targets() -> None:
    # IGES/Aalto/D-mat (2019) and Hot or Cool (2021) Figure C: 2.5 t (2030), 1.4 t (2040), 0.7 t (2050)
    for version in ("hoc-2019", "hoc-2021"):
        assert target_tco2e_per_capita(2030, version) == 2.5
        assert target_tco2e_per_capita(2040, version) == 1.4
        assert target_tco2e_per_capita(2050, version) == 0.7


def test_2035_on_the_2021_trajectory_is_linear_between_2030_and_2040() -> None:
    # (2.5 + 1.4) / 2 = 1.95 (research/lifestyle.md §2.8 item 1); 2045: (1.4 + 0.7) / 2 = 1.05
    assert target_tco2e_per_capita(2035, "hoc-2021") == pytest.approx(1.95)
    assert target_tco2e_per_capita(2045, "hoc-2021") == pytest.approx(1.05)
    assert target_tco2e_per_capita(2032) == pytest.approx(2.5 - 0.2 * 1.1)


def test_default_version_is_2021() -> None:
    assert target_tco2e_per_capita(2035) == target_tco2e_per_capita(2035, "hoc-2021")
    assert load_trajectory().version == "hoc-2021"


def test_flat_outside_the_anchors() -> None:
    assert target_tco2e_per_capita(2026) == 2.5
    assert target_tco2e_per_capita(2070) == 0.7


def test_alternative_versions_are_data() -> None:
    assert {"hoc-2019", "hoc-2019-nets", "hoc-2021", "hoc-2025"} <= set(trajectory_versions())
    # with negative-emission technologies: 3.2 / 2.2 / 1.5 → 2035 = 2.7
    assert target_tco2e_per_capita(2035, "hoc-2019-nets") == pytest.approx(2.7)
    # 2025 update as quoted (estimate): 1.1 t (2035), 0.3 t (2050) → 2040 = 1.1 − 0.8/3
    assert target_tco2e_per_capita(2040, "hoc-2025") == pytest.approx(1.1 - 0.8 / 3)


def test_daily_budget() -> None:
    # 2.5 t / 365 d = 6.849 kg/day (research/lifestyle.md §1.2: 6.85 kg/day)
    assert daily_budget_kgco2e(2030) == pytest.approx(6.8493, abs=1e-4)
    assert daily_budget_kgco2e(2050) == pytest.approx(1.9178, abs=1e-4)


def test_compatible_until() -> None:
    assert compatible_until(1.4) == 2040
    assert compatible_until(1.95) == 2035
    assert compatible_until(2.6) is None
    assert compatible_until(0.5) == 2050


def test_unknown_version_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"unknown trajectory version 'hoc-1999'.*hoc-2021"):
        target_tco2e_per_capita(2030, "hoc-1999")
