"""Bulk work: pause the cyclic garbage collector while many small objects are made.

CPython's generational collector rescans the whole young heap each time allocations pass a threshold; an
inventory of 10⁵ lines makes ~10⁶ short objects and no reference cycles, so the scans are pure cost (they
halve the speed, see docs/performance.md). Reference counting still frees memory as usual; the collector is
restored, in its previous state, when the block ends — also when it raises.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
