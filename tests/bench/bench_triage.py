"""Benchmark: score and order the open queue as the app does, and look up one child's history.

Builds a store of EVENTS synthetic events with OPEN contacts left open (unrated), rates
them once as start-up does (``rate_all_open``: every contact scored, a ``contact.rated``
event written for each), then times the figure of issue 19's triage goal on that store:

* **score**: ``TriageService.rate_where_changed`` over every open contact, the app's bulk
  re-rating (start-up after a policy change, the catch-up after an import or a pull): one
  read of the open contacts' facts and stored ratings, one bulk history read, a history
  per linked child, each contact scored and compared with its stored rating. Nothing has
  changed, so nothing is written (what writing costs is the first rating's line);
* **order**: the queue's ``order_key`` over the scored contacts.

The raw limit, in the same run, reads the same rows through the stdlib ``sqlite3`` (the
contacts' scoring and rating columns, their children, the linked children's flags and
contacts: the app's own SELECTs), decodes the JSON columns scoring reads (categories,
answers) and sorts the contacts by arrival: what scoring and ordering cannot avoid (no
history built, no score). The limit of earlier runs (``SELECT *`` of the open contacts,
four JSON columns decoded, their children; no history rows) is printed too.

Until 2 Dec 2026 this bench timed ``Queries.open_contacts`` + ``score_contact`` + a sort,
which the app no longer ran (its bulk path read, scored and compared differently), and
left the history rows out of the raw limit. Prints figures (wall and CPU); asserts
nothing about time.

    nice .venv/bin/python -m tests.bench.bench_triage 400000 100000
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from dutydesk.app import demo_actor
from dutydesk.demo.synthetic import Generator
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.history import build_history
from dutydesk.domain.queue import order_key
from dutydesk.domain.triage.scoring import ContactFacts
from dutydesk.services.triage import TriageService
from dutydesk.store.desk_queries import DeskQueries
from dutydesk.store.eventstore import EventStore
from dutydesk.store.rating_queries import StoredRating, open_for_rating

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
T = TypeVar("T")


class _Row:
    __slots__ = ("contact_id", "rating", "due_at", "score", "received_at", "immediate_danger")

    def __init__(
        self, cid: str, rating: str, due: str | None, score: int, rec: str, danger: bool | None
    ) -> None:
        self.contact_id, self.rating, self.due_at = cid, rating, due
        self.score, self.received_at = score, rec
        self.immediate_danger = danger


def clocked(label: str, figures: dict[str, tuple[float, float]], fn: Callable[[], T]) -> T:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    figures[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(
        f"  {label:<48} {figures[label][0]:8.3f} s wall {figures[label][1]:8.3f} s CPU",
        flush=True,
    )
    return value


def raw_limit(path: Path) -> tuple[int, float, float]:
    """What the app's score and order cannot avoid, through the stdlib ``sqlite3``: its
    SELECTs of the open contacts' scoring and rating columns, their children and the
    linked children's flags and contacts (chunked as the app chunks), the JSON columns
    scoring reads decoded, the contacts sorted by arrival. Rows read, wall s, CPU s."""
    import json
    import sqlite3

    from dutydesk.store.history_queries import _FLAGS_SQL, _LINKED_SQL
    from dutydesk.store.queries import OPEN_STATUSES
    from dutydesk.store.rating_queries import _CHILD_COLUMNS, _RATING_COLUMNS

    marks = ", ".join("?" * len(OPEN_STATUSES))
    db = sqlite3.connect(path)
    ids = sorted(
        r[0]
        for r in db.execute(
            f"SELECT contact_id FROM contacts WHERE status IN ({marks}) AND received_at != ''",
            tuple(OPEN_STATUSES),
        )
    )
    wall, cpu = time.perf_counter(), time.process_time()
    loads = json.loads
    contacts: list[tuple[object, ...]] = []
    people: set[str] = set()
    rows = 0
    for i in range(0, len(ids), 10_000):
        chunk = ids[i : i + 10_000]
        q = ", ".join("?" * len(chunk))
        for r in db.execute(
            f"SELECT {_CHILD_COLUMNS} FROM contact_children WHERE contact_id IN ({q}) "
            "ORDER BY contact_id, slot",
            chunk,
        ):
            rows += 1
            if r[2]:
                people.add(r[2])
        for r in db.execute(
            f"SELECT {_RATING_COLUMNS} FROM contacts WHERE contact_id IN ({q}) "
            f"AND status IN ({marks}) AND received_at != ''",
            [*chunk, *OPEN_STATUSES],
        ):
            contacts.append(
                (r[1], r[0], loads(r[3]) if r[3] else None, loads(r[11]) if r[11] else None)
            )
    wanted = sorted(people)
    for i in range(0, len(wanted), 10_000):
        chunk = wanted[i : i + 10_000]
        q = ", ".join("?" * len(chunk))
        rows += len(db.execute(_FLAGS_SQL.format(q), chunk).fetchall())
        rows += len(db.execute(_LINKED_SQL.format(q), chunk).fetchall())
    contacts.sort()
    took = time.perf_counter() - wall, time.process_time() - cpu
    db.close()
    return rows + len(contacts), *took


def raw_limit_before(path: Path) -> tuple[int, float, float]:
    """The limit of runs before 2 Dec 2026: ``SELECT *`` of the open contacts, four JSON
    columns decoded, their children, a sort by arrival; no history rows."""
    import json
    import sqlite3

    from dutydesk.store.queries import OPEN_STATUSES

    marks = ", ".join("?" * len(OPEN_STATUSES))
    db = sqlite3.connect(path)
    wall, cpu = time.perf_counter(), time.process_time()
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
    took = time.perf_counter() - wall, time.process_time() - cpu
    db.close()
    assert len(decoded) == len(contacts)
    return len(contacts) + len(children), *took


def main(argv: list[str]) -> None:
    events = int(argv[0]) if argv else 1_000_000
    open_n = int(argv[1]) if len(argv) > 1 else 100_000
    figures: dict[str, tuple[float, float]] = {}
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
        rated = clocked(
            "first rating: score + record contact.rated", figures, service.rate_all_open
        )
        ids = DeskQueries(store.engine).open_contact_ids()
        written = clocked(
            f"score: rate_where_changed ({len(ids)} open)",
            figures,
            lambda: service.rate_where_changed(ids),
        )
        facts = {f.contact_id: f for f, _ in _facts(store, ids)}
        rows = [
            _Row(
                s.contact_id,
                s.rating.value,
                s.due_at.isoformat() if s.due_at else None,
                s.score,
                facts[s.contact_id].received_at.isoformat(),
                facts[s.contact_id].immediate_danger,
            )
            for _, s in service._scored(ids)
        ]
        clocked("order (order_key)", figures, lambda: sorted(rows, key=order_key))

        people = sorted({k.person_id for f in facts.values() for k in f.children if k.person_id})
        sample = random.Random(5).sample(people, min(300, len(people)))
        times = []
        for pid in sample:
            start = time.perf_counter()
            one = service.history.linked_records([pid])
            build_history(pid, one.people.get(pid), one.contacts.get(pid, ()), NOW)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        size_mb = path.stat().st_size / 1e6
        store.close()
        raw_rows, raw_wall, raw_cpu = raw_limit(path)
        old_rows, old_wall, old_cpu = raw_limit_before(path)
    n = max(1, len(ids))
    print()
    print(f"events stored           {stored}")
    print(f"open contacts           {len(ids)}   first rating wrote {rated}, re-rating {written}")
    print(f"store file              {size_mb:.0f} MB")
    wall = (
        figures[f"score: rate_where_changed ({len(ids)} open)"][0] + figures["order (order_key)"][0]
    )
    cpu = (
        figures[f"score: rate_where_changed ({len(ids)} open)"][1] + figures["order (order_key)"][1]
    )
    print(
        f"score + order, total    {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"({wall / n * 1e6:.0f} / {cpu / n * 1e6:.0f} us per contact)"
    )
    print(
        f"raw limit               {raw_wall:.2f} s wall, {raw_cpu:.2f} s CPU ({raw_rows:,} rows: "
        f"the app's SELECTs, history rows included); ratio {wall / raw_wall:.1f}x wall, "
        f"{cpu / raw_cpu:.1f}x CPU"
    )
    print(
        f"raw limit before 2 Dec  {old_wall:.2f} s wall, {old_cpu:.2f} s CPU ({old_rows:,} rows: "
        f"SELECT *, no history); ratio {wall / old_wall:.1f}x wall, {cpu / old_cpu:.1f}x CPU"
    )
    print(
        f"one child's history     median {statistics.median(times):.2f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1]:.2f} ms, max {times[-1]:.2f} ms"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS                {rss:.0f} MB")


def _facts(store: EventStore, ids: list[str]) -> list[tuple[ContactFacts, StoredRating]]:
    return open_for_rating(store.engine, ids)


if __name__ == "__main__":
    main(sys.argv[1:])
