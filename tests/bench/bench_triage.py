"""Benchmark: score and order the open queue, and look up one child's history.

Builds a store of EVENTS synthetic events with OPEN contacts left open (unrated), then
times, separately: loading the open queue, reading every linked child's history in one
bulk read, building histories and scoring, ordering, recording the ratings as events,
and a single child's history look-up (median and p95 of 300 random children).
Prints figures; asserts nothing about time.

    .venv/bin/python -m tests.bench.bench_triage 1000000 100000
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from dutydesk.app import demo_actor
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.history import build_history
from dutydesk.domain.queue import order_key
from dutydesk.domain.triage.scoring import score_contact
from dutydesk.services.triage import TriageService, histories_for
from dutydesk.store.eventstore import EventStore

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


class _Row:
    __slots__ = ("contact_id", "rating", "due_at", "score", "received_at", "immediate_danger")

    def __init__(self, cid: str, rating: str, due: str | None, score: int, rec: str) -> None:
        self.contact_id, self.rating, self.due_at = cid, rating, due
        self.score, self.received_at = score, rec
        self.immediate_danger = False


def clocked(label: str, figures: dict[str, float], fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    figures[label] = time.perf_counter() - start
    print(f"  {label:<38} {figures[label]:9.3f} s", flush=True)
    return value


def raw_limit(path: Path) -> tuple[int, float]:
    """The same open contacts and their children read through the stdlib ``sqlite3``,
    their JSON columns decoded, and sorted by arrival: what scoring and ordering cannot
    avoid (no history, no score). Rows read, seconds."""
    import json
    import sqlite3

    from dutydesk.store.queries import OPEN_STATUSES

    marks = ", ".join("?" * len(OPEN_STATUSES))
    db = sqlite3.connect(path)
    started = time.perf_counter()
    contacts = db.execute(
        f"SELECT * FROM contacts WHERE status IN ({marks})", tuple(OPEN_STATUSES)
    ).fetchall()
    json_at = [
        i
        for i, col in enumerate(db.execute("PRAGMA table_info(contacts)").fetchall())
        if col[1] in ("categories", "reasons", "decision_ids", "answers")
    ]
    loads = json.loads
    decoded = [[loads(r[i]) if r[i] else None for i in json_at] for r in contacts]
    children = db.execute(
        "SELECT contact_children.* FROM contact_children JOIN contacts ON "
        f"contacts.contact_id = contact_children.contact_id WHERE contacts.status IN ({marks})",
        tuple(OPEN_STATUSES),
    ).fetchall()
    sorted(contacts, key=lambda r: (r[1], r[0]))
    took = time.perf_counter() - started
    db.close()
    assert len(decoded) == len(contacts)
    return len(contacts) + len(children), took


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 1_000_000
    open_n = int(argv[1]) if len(argv) > 1 else 100_000
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        store = EventStore.open(path)
        gen = Generator(11, now=NOW, open_contacts=open_n)
        stored = clocked(
            "generate + load events",
            figures,
            lambda: store.import_events(gen.events(events), validate=False),
        )
        service = TriageService(store, demo_actor(), FixedClock(NOW))
        contacts, children = clocked(
            "load open queue (contacts+children)", figures, service.queries.open_contacts
        )
        people = {
            k.person_id for c in contacts for k in children.get(c.contact_id, ()) if k.person_id
        }
        records = clocked(
            f"bulk history read ({len(people)} children)",
            figures,
            lambda: service.history.linked_records(people),
        )
        policy = service.policy

        def score_all():  # type: ignore[no-untyped-def]
            out = []
            for c in contacts:
                kids = children.get(c.contact_id, [])
                hist = histories_for(c.contact_id, c.received_at, kids, records, policy)
                out.append(score_contact(c, hist, policy, NOW, children=kids))
            return out

        results = clocked(f"histories + score ({len(contacts)} contacts)", figures, score_all)
        rows = [
            _Row(
                r.contact_id,
                r.rating.value,
                r.due_at.isoformat() if r.due_at else None,
                r.score,
                c.received_at,
            )
            for r, c in zip(results, contacts, strict=True)
        ]
        clocked("order (rating, due, score, arrival)", figures, lambda: sorted(rows, key=order_key))
        rated = clocked("record contact.rated events", figures, service.rate_all_open)

        sample = random.Random(5).sample(sorted(people), min(300, len(people)))
        times = []
        for pid in sample:
            start = time.perf_counter()
            one = service.history.linked_records([pid])
            build_history(pid, one.people.get(pid), one.contacts.get(pid, ()), NOW)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        size_mb = path.stat().st_size / 1e6
        store.close()
        raw_rows, raw_s = raw_limit(path)
    print()
    print(f"events stored           {stored}")
    print(f"open contacts scored    {len(contacts)}   ratings recorded {rated}")
    print(f"store file              {size_mb:.0f} MB")
    score_order = (
        figures["load open queue (contacts+children)"]
        + figures[f"bulk history read ({len(people)} children)"]
        + figures[f"histories + score ({len(contacts)} contacts)"]
        + figures["order (rating, due, score, arrival)"]
    )
    print(
        f"score + order, total    {score_order:.2f} s "
        f"({score_order / max(1, len(contacts)) * 1e6:.0f} us per contact)"
    )
    print(
        f"raw limit               {raw_s:.2f} s ({raw_s / max(1, len(contacts)) * 1e6:.1f} us "
        f"per contact; read + decode + sort of the open contacts and their children, "
        f"{raw_rows:,} rows, no history or score); ratio {score_order / raw_s:.1f}x"
    )
    print(
        f"one child's history     median {statistics.median(times):.2f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1]:.2f} ms, max {times[-1]:.2f} ms"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                {rss:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
