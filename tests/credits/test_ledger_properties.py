"""Ledger invariants over any sequence of operations (hypothesis): issued = held + retired + cancelled for every
vintage, and no serial is ever in two places; failed operations change nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countyzero.core.errors import InputError
from countyzero.credits.ledger import Ledger

ACCOUNTS = ["owner", "bank", "hotel"]
KEYS = [("ccer", "bt-arr-1", 2025), ("ccer", "bt-arr-1", 2026), ("verra", "bt-arr-1", 2025)]

operation = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(KEYS), st.integers(1, 50), st.sampled_from(ACCOUNTS)),
    st.tuples(st.just("transfer"), st.sampled_from(KEYS), st.integers(1, 60), st.sampled_from(ACCOUNTS),
              st.sampled_from(ACCOUNTS)),
    st.tuples(st.just("retire"), st.sampled_from(KEYS), st.integers(1, 30), st.sampled_from(ACCOUNTS)),
    st.tuples(st.just("retire_serials"), st.sampled_from(KEYS), st.integers(1, 80), st.integers(0, 10),
              st.sampled_from(ACCOUNTS)),
    st.tuples(st.just("cancel"), st.sampled_from(KEYS), st.integers(1, 30), st.sampled_from(ACCOUNTS)),
)


def _apply(led: Ledger, op: tuple[Any, ...]) -> None:
    kind, key = op[0], op[1]
    if kind == "issue":
        led.issue(*key, op[2], op[3])
    elif kind == "transfer":
        led.transfer(op[3], op[4], *key, op[2])
    elif kind == "retire":
        led.retire(op[3], *key, op[2], beneficiary="b", purpose="p")
    elif kind == "retire_serials":
        led.retire(op[4], *key, serials=(op[2], op[2] + op[3]), beneficiary="b", purpose="p")
    else:
        led.cancel_to_buffer(op[3], *key, op[2], "reversal")


def _snapshot(led: Ledger) -> tuple[Any, ...]:
    return (tuple(led.blocks()), tuple(led.balance()), led.verify().head_hash)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=25))
def test_conservation_and_uniqueness(ops: list[tuple[Any, ...]]) -> None:
    with Ledger(":memory:") as led:
        for op in ops:
            before = _snapshot(led)
            try:
                _apply(led, op)
            except InputError:
                assert _snapshot(led) == before  # a refused operation changes nothing
        issued = led.issued_by_vintage()
        blocks = led.blocks()
        for key in KEYS:
            mine = sorted((b for b in blocks if (b.standard, b.project, b.vintage) == key),
                          key=lambda b: b.first_serial)
            totals = {s: sum(b.quantity for b in mine if b.status == s) for s in ("held", "retired", "cancelled")}
            assert issued.get(key, 0) == totals["held"] + totals["retired"] + totals["cancelled"]
            # no serial in two places, and every issued serial somewhere: blocks tile 1..issued exactly
            expected = 1
            for b in mine:
                assert b.first_serial == expected
                expected = b.last_serial + 1
            assert expected - 1 == issued.get(key, 0)
        retired = [(c.standard, c.project, c.vintage, s) for c in led.certificates()
                   for s in range(c.first_serial, c.last_serial + 1)]
        assert len(retired) == len(set(retired))  # each tonne retired at most once
        report = led.verify()
        assert report.ok, report.problems
