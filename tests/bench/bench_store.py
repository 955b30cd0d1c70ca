"""Benchmark: build a store of N synthetic events, then time opening it, rebuilding the
projections and loading the open queue. Prints a table; asserts nothing about time.

    .venv/bin/python -m tests.bench.bench_store 10000 1000000
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from dutydesk.app import demo_actor
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.services.desk import DeskService
from dutydesk.store.eventstore import EventStore

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run(n: int, folder: Path) -> dict[str, float]:
    path = folder / f"bench-{n}.sqlite3"
    store = EventStore.open(path)
    gen = Generator(1, now=NOW, open_contacts=max(50, n // 100))
    count, t_load = timed(lambda: store.import_events(gen.events(n), validate=False))
    store.close()
    store, t_open = timed(lambda: EventStore.open(path))
    _, t_rebuild = timed(store.rebuild)
    service = DeskService(store, demo_actor(), FixedClock(NOW))
    queue, t_queue = timed(service.queue)
    pid = next(iter(store.read_model().people)) if n <= 20_000 else None
    t_hist = 0.0
    if pid:
        _, t_hist = timed(lambda: service.queries.contacts_of_person(pid))
    store.close()
    return {
        "events": count,
        "generate+load s": t_load,
        "open s": t_open,
        "rebuild s": t_rebuild,
        "open queue s": t_queue,
        "queue rows": len(queue),
        "MB file": path.stat().st_size / 1e6,
        "peak RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(n, Path(tmp)) for n in sizes]
    keys = list(rows[0])
    print(" | ".join(f"{k:>15}" for k in keys))
    for row in rows:
        print(
            " | ".join(
                f"{row[k]:>15.3f}" if isinstance(row[k], float) else f"{row[k]:>15}" for k in keys
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
