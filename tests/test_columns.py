"""countyzero.core.columns: a value that cannot be cast names its row of the file (header = row 1)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from countyzero.core.columns import cast, first_row_where
from countyzero.core.errors import InputError


@given(st.integers(1, 300), st.data())
def test_the_first_bad_value_is_named_wherever_it_is(n: int, data: st.DataObject) -> None:
    values = [str(i) for i in range(n)]
    bad = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=3)))
    for i in bad:
        values[i] = "x"
    chunked = pa.chunked_array([values[: n // 2], values[n // 2:]], pa.string())
    first_row = data.draw(st.integers(2, 10**6))
    with pytest.raises(InputError) as info:
        cast(chunked, pa.float64(), "not a number", "quantity", "t.csv", first_row)
    assert (info.value.row, info.value.field, info.value.file) == (first_row + bad[0], "quantity", "t.csv")


def test_a_good_column_is_cast_and_a_mask_names_its_first_row() -> None:
    assert cast(pa.array(["1.5", None]), pa.float64(), "m", "f", None).to_pylist() == [1.5, None]
    assert first_row_where(np.array([False, False, True, True]), 100) == 102
