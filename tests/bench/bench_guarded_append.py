"""Cost per single-event append: plain store, chained store, guarded (permissions) store.

python -m tests.bench.bench_guarded_append 300
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import SystemClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor, make_event
from dutydesk.domain.ids import new_id
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore


def main(n: int) -> None:
    clock = SystemClock()
    seed = list(generate(11, 5000, now=clock.now()))
    dm = Actor("dm.manager", Role.DUTY_MANAGER, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("plain", "chained", "guarded"):
            base = (EventStore if name == "plain" else ChainedEventStore).open(
                Path(tmp) / f"{name}.sqlite3"
            )
            base.import_events(seed, validate=False)
            store = GuardedStore(base, dm, clock) if name == "guarded" else base
            contact = next(e.contact_id for e in seed if e.type == "contact.received")
            times = []
            for _ in range(n):
                e = make_event(
                    "note.added",
                    {"contact_id": contact, "text": "bench note"},
                    actor=dm.login,
                    actor_role=dm.role.value,
                    device="bench",
                    at=clock.now(),
                    event_id=new_id(),
                )
                started = time.perf_counter()
                store.append([e])
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            print(
                f"{name:8} append: median {statistics.median(times):.2f} ms, "
                f"p95 {times[int(len(times) * 0.95)]:.2f} ms"
            )
            base.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
