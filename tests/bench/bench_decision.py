"""Benchmark: commit one decision on a large store, beside the same statements run raw.

    .venv/bin/python -m tests.bench.bench_decision /tmp/i19bench/bench-1000000.sqlite3 300

Opens a store (build one with ``bench_store --keep DIR N``) and appends RUNS decisions,
one per commit, each on a different open contact (``EventStore.append``: the event, its
outbox row, the projection rows it rewrites, in one transaction), and prints the median
and p95. The raw limit, in the same run: the SQL statements one such append sent to
SQLite (captured with the driver's trace callback, values inlined), replayed through the
stdlib ``sqlite3`` with new ids, one transaction and commit each, alternated with the
appends so load hits both alike. It writes RUNS decisions (and RUNS raw ones) into the
store. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from dutydesk.domain.clock import LONDON
from dutydesk.domain.ids import new_id
from dutydesk.store.eventstore import EventStore
from tests.factories import decision_payload, event

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def main(path: Path, runs: int) -> None:
    store = EventStore.open(path)
    with store.engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT count(*) FROM events").scalar() or 0
        open_ids = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT contact_id FROM contacts WHERE status != 'decided' LIMIT 5000"
            )
        ]
    random.seed(19)
    random.shuffle(open_ids)
    if len(open_ids) < runs + 1:
        raise SystemExit(f"only {len(open_ids)} open contacts; ask for fewer runs")

    def decision(cid: str):  # type: ignore[no-untyped-def]
        return event("decision.recorded", decision_payload(cid), NOW, actor="bench.manager")

    # One append with the driver's trace on: the statements to replay raw.
    first = decision(open_ids.pop())
    traced: list[str] = []
    with store.engine.connect() as conn:
        raw_conn = conn.connection.driver_connection
        raw_conn.set_trace_callback(traced.append)  # type: ignore[union-attr]
        try:
            store.append_in(conn, [first])
            conn.commit()
        finally:
            raw_conn.set_trace_callback(None)  # type: ignore[union-attr]
    statements = [s for s in traced if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    decision_id = first.payload["decision_id"]
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA foreign_keys=ON")
    with store.engine.connect() as conn:  # the store's own checkpoint setting, on both
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    raw.execute(f"PRAGMA wal_autocheckpoint={int(pages or 0)}")

    def replay() -> float:
        ids = {first.id: new_id(), decision_id: new_id()}
        batch = []
        for s in statements:
            for old, fresh in ids.items():
                s = s.replace(old, fresh)
            batch.append(s)
        started, cpu = time.perf_counter(), time.thread_time()
        raw.execute("BEGIN")
        for s in batch:
            raw.execute(s).fetchall()
        raw.execute("COMMIT")
        limit_cpu.append((time.thread_time() - cpu) * 1000)
        return (time.perf_counter() - started) * 1000

    app: list[float] = []
    limit: list[float] = []
    app_cpu: list[float] = []
    limit_cpu: list[float] = []
    for _ in range(runs):
        e = decision(open_ids.pop())
        started, cpu = time.perf_counter(), time.thread_time()
        store.append([e])
        app.append((time.perf_counter() - started) * 1000)
        app_cpu.append((time.thread_time() - cpu) * 1000)
        limit.append(replay())
    raw.close()
    store.close()
    a50, a95 = percentiles(app)
    r50, r95 = percentiles(limit)
    print(f"store: {total:,} events; load average {os.getloadavg()[0]:.1f}")
    print(f"one decision append = {len(statements)} statements + commit")
    print(f"commit a decision ({runs} runs): median {a50:.2f} ms, p95 {a95:.2f} ms")
    print(
        f"raw limit, the same statements through sqlite3 + commit: median {r50:.2f} ms, "
        f"p95 {r95:.2f} ms; ratio {a50 / r50:.1f}x median, {a95 / r95:.1f}x p95"
    )
    (c50, c95), (l50, l95) = percentiles(app_cpu), percentiles(limit_cpu)
    print(
        f"CPU time of the committing thread (waits for the CPU or the disk left out): "
        f"append median {c50:.2f} / p95 {c95:.2f} ms, raw {l50:.2f} / {l95:.2f} ms"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 300)
