"""countyzero.core.bulk: the column pool keeps a serial run's order of errors, and works after a fork."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future

import pytest

from countyzero.core.bulk import column_pool, results_in_order


def test_the_first_failure_in_order_is_raised_not_the_first_in_time() -> None:
    pool = column_pool()
    release = threading.Event()

    def slow_failure() -> int:
        release.wait(10)
        raise ValueError("first in order")

    def quick_failure() -> int:
        raise KeyError("first in time")

    futures = [pool.submit(slow_failure), pool.submit(quick_failure)]
    futures[1].exception(10)  # the second has failed already
    release.set()
    with pytest.raises(ValueError, match="first in order"):
        results_in_order(futures)


def test_results_come_in_the_order_given_and_waiting_work_is_cancelled() -> None:
    pool = column_pool()
    assert results_in_order([pool.submit(lambda k=k: k * k) for k in range(20)]) == [k * k for k in range(20)]
    failed: Future[int] = Future()
    failed.set_exception(RuntimeError("bad"))
    waiting: Future[int] = Future()
    with pytest.raises(RuntimeError):
        results_in_order([failed, waiting])
    assert waiting.cancelled()


def _square_in_pool(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(column_pool().submit(lambda: 7 * 7).result(timeout=10))


def test_the_pool_works_in_a_forked_child() -> None:
    column_pool().submit(lambda: None).result()  # the parent's pool has threads
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_square_in_pool, args=(queue,))
    child.start()
    child.join(20)
    if child.exitcode is None:
        child.kill()
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 49
