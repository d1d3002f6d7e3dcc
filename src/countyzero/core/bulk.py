"""Bulk work: pause the cyclic garbage collector while many small objects are made; run column passes on
several cores.

CPython's generational collector rescans the whole young heap each time allocations pass a threshold; an
inventory of 10⁵ lines makes ~10⁶ short objects and no reference cycles, so the scans are pure cost (they
halve the speed, see docs/performance.md). Reference counting still frees memory as usual; the collector is
restored, in its previous state, when the block ends — also when it raises.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: make a new pool there on first use."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_pool)


def column_pool() -> ThreadPoolExecutor:
    """The process's pool of threads for whole-column passes.

    Arrow's compute kernels and NumPy's ufuncs release the GIL while they run over a column, so independent
    column passes (hashing one key column while another is checked) run on separate cores. One pool serves the
    whole process, with a thread per core (at most 8), made on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1), thread_name_prefix="countyzero-column")
        return _POOL


def results_in_order(futures: Sequence[Future[T]]) -> list[T]:
    """The futures' results in the order given: the first failure (in that order, not in time) is raised, as
    a serial run would have raised it, and the futures not yet started are cancelled."""
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
