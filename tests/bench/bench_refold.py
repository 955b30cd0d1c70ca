"""Refold after an out-of-order pull vs the full rebuild it replaces (prints figures).

    python -m tests.bench.bench_refold [EVENTS=100000]

Loads EVENTS synthetic events into a fresh SQLite store, then times a full rebuild and a
refold of the scopes of the last 1, 50 and 500 events (what a pull of that many events
arriving out of order now costs).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import LONDON
from dutydesk.store.eventstore import EventStore
from dutydesk.store.refold import refold, scopes_of

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100_000
    events = generate(3, n, now=NOW)
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore.open(Path(tmp) / "bench.sqlite3")
        store.import_events(events)
        started = time.perf_counter()
        store.rebuild()
        print(f"full rebuild of {len(events):,} events: {time.perf_counter() - started:.2f} s")
        for tail in (1, 50, 500):
            scopes = scopes_of(events[-tail:])
            started = time.perf_counter()
            written = refold(store.engine, scopes)
            took = time.perf_counter() - started
            print(
                f"refold the scopes of {tail} pulled event(s) ({len(scopes.contacts)} "
                f"contacts, {len(scopes.people)} people): {took * 1000:.1f} ms, "
                f"{written.contacts + written.children + written.decisions + written.people}"
                f" rows written"
            )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
