"""Property tests (hypothesis): invariants of the analytics and of stacking."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from countyzero.pathways import lmdi, net_zero_year, peak_year
from countyzero.pathways.analytics import shapley_exact

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=2, max_size=40), st.floats(min_value=0, max_value=0.05))
def test_peak_year_definition(values: list[float], tol: float) -> None:
    years = list(range(2020, 2020 + len(values)))
    peak = peak_year(years, values, tol)
    v = np.array(values)
    if peak is None:
        # only the final year has no later year above it
        assert all((v[i + 1:] > v[i] + tol * abs(v[i])).any() for i in range(len(v) - 1))
    else:
        i = years.index(peak)
        assert (v[i + 1:] <= v[i] + tol * abs(v[i])).all()
        assert all((v[j + 1:] > v[j] + tol * abs(v[j])).any() for j in range(i))


@given(st.lists(finite, min_size=1, max_size=40))
def test_net_zero_year_definition(values: list[float]) -> None:
    years = list(range(2020, 2020 + len(values)))
    nz = net_zero_year(years, values)
    v = np.array(values)
    if nz is None:
        assert v[-1] > 0
    else:
        i = years.index(nz)
        assert (v[i:] <= 0).all()
        assert i == 0 or v[i - 1] > 0


@given(arrays(float, (5, 6), elements=st.floats(0, 0.9)), arrays(float, 6, elements=st.floats(1, 1e4)))
@settings(max_examples=40, deadline=None)
def test_shapley_efficiency(reductions: np.ndarray, base: np.ndarray) -> None:
    def value(coalitions: np.ndarray) -> np.ndarray:
        return base[None] * np.prod(1 - coalitions[:, :, None] * reductions[None], axis=1)

    phi = shapley_exact(value, 5)
    total = value(np.ones((1, 5)))[0] - value(np.zeros((1, 5)))[0]
    assert np.allclose(phi.sum(axis=0), total, rtol=1e-9, atol=1e-9)
    assert (phi <= 1e-9).all()  # every measure only reduces in this game


@given(arrays(float, (3, 4), elements=st.floats(0, 100)), arrays(float, (3, 4), elements=st.floats(0, 100)))
@settings(max_examples=60, deadline=None)
def test_lmdi_sums_to_change(start: np.ndarray, end: np.ndarray) -> None:
    names = ["a", "b", "c"]
    effects = lmdi(dict(zip(names, start, strict=True)), dict(zip(names, end, strict=True)))
    change = end.prod(axis=0).sum() - start.prod(axis=0).sum()
    assert np.isclose(sum(effects.values()), change, rtol=1e-9, atol=1e-6)


@given(st.lists(st.floats(0, 1), min_size=3, max_size=3), st.lists(st.floats(0, 1), min_size=3, max_size=3))
@settings(max_examples=30, deadline=None)
def test_stacking_nonnegative_and_monotone(effects: list[float], levels: list[float]) -> None:
    from tests.pathways.conftest import BAOTING

    model = _model()
    m = model.n_measures
    effect = np.array(model.effect)
    effect[:3] = effects
    active = np.zeros((2, m))
    active[0, :3] = levels
    active[1, :3] = np.minimum(np.array(levels) + 0.1, 1.0)
    from countyzero.pathways.projection import GROSS, evaluate

    metrics, _comp, mult = evaluate(model, active, effect=effect[None], detail=True)
    assert mult is not None and (mult >= 0).all()
    # more adoption of demand / efficiency measures never raises gross emissions
    assert (metrics[1, GROSS] <= metrics[0, GROSS] + 1e-6).all()
    assert BAOTING.exists()


_CACHE: dict[str, object] = {}


def _model():  # type: ignore[no-untyped-def]
    if "model" not in _CACHE:
        from countyzero.pathways.compile import load_county
        from countyzero.pathways.engine import prepare
        from tests.pathways.conftest import BAOTING

        county = load_county(BAOTING / "roadmap.yaml")
        _CACHE["model"] = prepare(county, BAOTING / "scenarios" / "net-zero-2040.yaml").model
    return _CACHE["model"]
