"""Cost of the local audit chain: bulk import with and without it, and a full verify
beside its raw limit in the same run (read the same rows through the stdlib ``sqlite3``
in the same order and SHA-256 each stored row's bytes, no checking).

python -m tests.bench.bench_audit_chain 100000
python -m tests.bench.bench_audit_chain --store COPY.sqlite3

``--store`` verifies an existing store (a ``bench_store --keep`` one, ~1M events) instead of
generating one; a store without a chain is sealed first, which writes into it: give a copy.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import SystemClock
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore


def raw_read_and_hash(path: Path) -> tuple[int, float]:
    """Links read and hashed, seconds: the log in arrival order beside the chain in
    position order, one sha256 per link over the stored text (what verify cannot avoid)."""
    db = sqlite3.connect(path)
    started = time.perf_counter()
    events = db.execute(
        "SELECT id, type, schema_version, actor, actor_role, device, client_time, payload "
        "FROM events ORDER BY local_seq"
    )
    links = db.cursor().execute(
        "SELECT event_id, prev_hash, hash FROM audit_chain ORDER BY position"
    )
    sha = hashlib.sha256
    n = 0
    for e, link in zip(events, links, strict=False):
        sha(f"{link[1]}{e[0]}{e[1]}{e[2]}{e[3]}{e[4]}{e[5]}{e[6]}{e[7]}".encode()).hexdigest()
        n += 1
    took = time.perf_counter() - started
    db.close()
    return n, took


def verify_twice(store: ChainedEventStore, path: Path) -> None:
    for _ in range(2):  # alternated, so load hits both alike
        started = time.perf_counter()
        verdict = store.verify_chain()
        took = time.perf_counter() - started
        links, raw = raw_read_and_hash(path)
        print(
            f"verify of {verdict.checked} links: {took:.1f} s, "
            f"{took / verdict.checked * 1e6:.1f} us/link (ok={verdict.ok}); raw "
            f"limit, read + sha256 of the stored rows: {raw / links * 1e6:.1f} "
            f"us/link; ratio {took / verdict.checked / (raw / links):.1f}x; "
            f"load {os.getloadavg()[0]:.1f}"
        )


def verify_store(path: Path) -> None:
    store = ChainedEventStore.open(path)  # seals a store made without the chain
    verify_twice(store, path)
    store.close()


def main(n: int) -> None:
    events = list(generate(2026, n, now=SystemClock().now()))
    with tempfile.TemporaryDirectory() as tmp:
        for name, cls in (("plain", EventStore), ("chained", ChainedEventStore)):
            path = Path(tmp) / f"{name}.sqlite3"
            store = cls.open(path)
            started = time.perf_counter()
            store.import_events(events, validate=False)
            print(f"{name:8} import of {len(events)} events: {time.perf_counter() - started:.1f} s")
            if isinstance(store, ChainedEventStore):
                verify_twice(store, path)
            store.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--store"]:
        verify_store(Path(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
