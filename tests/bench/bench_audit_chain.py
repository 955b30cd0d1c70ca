"""Cost of the local audit chain: bulk import with and without it, and a full verify.

python -m tests.bench.bench_audit_chain 100000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import SystemClock
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore


def main(n: int) -> None:
    events = list(generate(2026, n, now=SystemClock().now()))
    with tempfile.TemporaryDirectory() as tmp:
        for name, cls in (("plain", EventStore), ("chained", ChainedEventStore)):
            store = cls.open(Path(tmp) / f"{name}.sqlite3")
            started = time.perf_counter()
            store.import_events(events, validate=False)
            print(f"{name:8} import of {len(events)} events: {time.perf_counter() - started:.1f} s")
            if isinstance(store, ChainedEventStore):
                started = time.perf_counter()
                verdict = store.verify_chain()
                print(
                    f"verify of {verdict.checked} links: {time.perf_counter() - started:.1f} s"
                    f" (ok={verdict.ok})"
                )
            store.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
