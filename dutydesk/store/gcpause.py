"""Python's cyclic garbage collector held off while the store works in bulk.

A rebuild, a bulk load, a pulled batch or an import makes millions of short-lived objects
(decoded payloads, rows, events) and keeps hundreds of thousands alive in a read model.
Every few hundred allocations the collector walks the young objects, and now and then
every live one, looking for reference cycles these operations do not make: 15-20% of a
rebuild's and a bulk load's CPU (issue 19c, ``bench_store``; about 15% of triage's bulk
scoring, which pauses it here too: one count for every thread). Reference counting still
frees everything as usual; only the cycle search waits until the operation ends, when the
collector runs again as it was. Nothing stored depends on it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the ``with`` block; nested and concurrent uses (the
    writer thread and a reader) resume it once, when the last one ends, and only if it was
    running when the first began."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
