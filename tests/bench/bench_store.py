"""Benchmark: build a store of N synthetic events, then time opening it, rebuilding the
projections and loading the open queue, each beside its raw SQLite limit measured in the
same run. Prints a table; asserts nothing about time.

    .venv/bin/python -m tests.bench.bench_store 10000 1000000
    .venv/bin/python -m tests.bench.bench_store --keep /tmp/i19bench 1000000

``--keep DIR`` builds ``DIR/bench-N.sqlite3`` once and reuses it on later runs (the load
figure is then the first run's). The raw limits run in a child process on the stored rows:

- raw insert: the same event rows (same table, same indexes) into a fresh SQLite file with
  the stdlib driver, ``executemany`` 10,000 per transaction; its file size per event is the
  size limit;
- raw read + decode: every stored payload read in log order and ``json.loads``-ed.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from dutydesk.app import demo_actor
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.services.desk import DeskService
from dutydesk.store.eventstore import EventStore

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
T = TypeVar("T")


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def rss_mb() -> float:
    """This process's peak resident memory (VmHWM: not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def raw(path: Path) -> dict[str, float]:
    """The raw engine on the same rows: insert into a bare copy of the table, read + decode."""
    src = sqlite3.connect(path)
    ddl = [
        r[0]
        for r in src.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL"
        )
    ]
    cols = [r[1] for r in src.execute("PRAGMA table_info(events)")]
    out_path = path.with_suffix(".raw.sqlite3")
    out_path.unlink(missing_ok=True)
    out = sqlite3.connect(out_path)
    out.execute("PRAGMA journal_mode=WAL")
    out.execute("PRAGMA synchronous=NORMAL")
    for stmt in ddl:
        out.execute(stmt)
    sql = f"INSERT INTO events ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    cur = src.execute(f"SELECT {', '.join(cols)} FROM events ORDER BY local_seq")
    n, t_insert = 0, 0.0
    while rows := cur.fetchmany(10_000):
        start = time.perf_counter()
        out.executemany(sql, rows)
        out.commit()
        t_insert += time.perf_counter() - start
        n += len(rows)
    out.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out.close()
    size = out_path.stat().st_size
    out_path.unlink()
    start = time.perf_counter()
    loads = json.loads
    for (payload,) in src.execute(
        "SELECT payload FROM events ORDER BY server_seq IS NULL, server_seq, local_seq"
    ):
        loads(payload)
    t_read = time.perf_counter() - start
    src.close()
    return {
        "raw insert us/event": t_insert / n * 1e6,
        "raw read+decode us/event": t_read / n * 1e6,
        "raw B/event": size / n,
        "raw peak RSS MB": rss_mb(),
    }


def timed_iter(items: Iterator[T], spent: list[float]) -> Iterator[T]:
    """``items``, adding the time spent making each to ``spent[0]`` (the generator's own
    cost, taken out of the load figure: the raw limit does not generate events)."""
    clock = time.perf_counter
    while True:
        start = clock()
        try:
            item = next(items)
        except StopIteration:
            spent[0] += clock() - start
            return
        spent[0] += clock() - start
        yield item


def run(n: int, folder: Path) -> dict[str, float]:
    path = folder / f"bench-{n}.sqlite3"
    spent = [0.0]
    if path.exists():
        t_load, count = float("nan"), -1
    else:
        store = EventStore.open(path)
        gen = Generator(1, now=NOW, open_contacts=max(50, n // 100))
        count, t_load = timed(
            lambda: store.import_events(timed_iter(gen.events(n), spent), validate=False)
        )
        store.close()
    load_rss = rss_mb()
    store, t_open = timed(lambda: EventStore.open(path))
    folded, t_rebuild = timed(store.rebuild)
    count = count if count >= 0 else folded
    service = DeskService(store, demo_actor(), FixedClock(NOW))
    queue, t_queue = timed(service.queue)
    store.close()
    size = sum(p.stat().st_size for p in folder.glob(f"bench-{n}.sqlite3*"))
    child = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_store", "--raw", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    limits = json.loads(child.stdout)
    return {
        "events": count,
        "load us/event": (t_load - spent[0]) / count * 1e6,
        "(generating) us/event": spent[0] / count * 1e6,
        "raw insert us/event": limits["raw insert us/event"],
        # import_events stores then rebuilds once: its limit is insert + read and decode
        "raw load limit us/event": limits["raw insert us/event"]
        + limits["raw read+decode us/event"],
        "open s": t_open,
        "rebuild us/event": t_rebuild / count * 1e6,
        "raw read+decode us/event": limits["raw read+decode us/event"],
        "open queue s": t_queue,
        "queue rows": len(queue),
        "B/event": size / count,
        "raw B/event": limits["raw B/event"],
        "peak RSS MB (load)": load_rss,
        "peak RSS MB (all)": rss_mb(),
        "raw peak RSS MB": limits["raw peak RSS MB"],
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["--raw"]:
        print(json.dumps(raw(Path(argv[1]))))
        return
    keep = None
    if argv[:1] == ["--keep"]:
        keep, argv = Path(argv[1]), argv[2:]
    sizes = [int(a) for a in argv] or [10_000]
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        rows = [run(n, keep) for n in sizes]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [run(n, Path(tmp)) for n in sizes]
    print(f"load average {os.getloadavg()[0]:.1f}")
    for row in rows:
        for key, value in row.items():
            print(f"{key:>28}: {value:,.3f}" if isinstance(value, float) else f"{key:>28}: {value}")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
