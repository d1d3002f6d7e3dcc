"""Invariants of the inventory, for any input: totals equal the sum of lines; every cut sums to net."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from countyzero.inventory import InventoryInput, compute_inventory
from countyzero.inventory.gpc import gpc_table

REFS = sorted(gpc_table())
GASES = ["CO2", "CH4", "N2O", "CO2e", "SF6"]

line = st.fixed_dictionaries({
    "gpc": st.sampled_from(REFS),
    "gas": st.sampled_from(GASES),
    "value": st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False),
    "quantity": st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(line, min_size=1, max_size=25), st.sampled_from(["AR4", "AR5", "AR6"]))
def test_totals_equal_the_sum_of_lines(lines: list[dict], gwp: str) -> None:
    activities = [
        {"id": f"l{i}", "gpc": spec["gpc"], "quantity": spec["quantity"], "unit": "t",
         "factor": {"value": spec["value"], "unit": "t/t" if spec["gas"] != "CO2e" else "tCO2e/t",
                    "gas": spec["gas"], "source": "property test"}}
        for i, spec in enumerate(lines)
    ]
    result = compute_inventory(InventoryInput.model_validate(
        {"county": "P", "year": 2022, "gwp": gwp, "activities": activities}))
    values = [ln.tco2e for ln in result.lines]
    tol = 1e-9 * (1 + sum(abs(v) for v in values))
    assert result.gross_tco2e == pytest.approx(sum(v for v in values if v >= 0), abs=tol)
    assert result.removals_tco2e == pytest.approx(sum(v for v in values if v < 0), abs=tol)
    assert result.removals_tco2e <= 0 <= result.gross_tco2e
    assert result.net_tco2e == pytest.approx(result.gross_tco2e + result.removals_tco2e, abs=tol)
    for cut in (result.by_scene, result.by_scope, result.by_gas, result.by_sector):
        assert sum(cut.values()) == pytest.approx(result.net_tco2e, abs=tol)
