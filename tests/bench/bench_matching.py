"""Candidate search over 100,000 people: the in-memory blocking index and the SQL lookup.

    python -m tests.bench.bench_matching [people] [searches]

Prints build time, mean and worst search time, and mean block size; asserts nothing.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from dutydesk.domain.clock import LONDON
from dutydesk.domain.events import make_event
from dutydesk.domain.ids import stable_id
from dutydesk.domain.matching import BlockingIndex, Subject
from dutydesk.domain.projection import PersonRow
from dutydesk.store.eventstore import EventStore
from dutydesk.store.people_index import load_index, lookup

from .bench_import import FAMILY, GIVEN, random_nhs

_letters = random.Random(5)
# ~3,000 distinct family names with varied initials, like a real population
MORE_FAMILY = FAMILY + [
    "".join(_letters.choice("abcdefghijklmnoprstwy") for _ in range(_letters.randint(4, 9))).title()
    for _ in range(3000)
]


def people(n: int, rng: random.Random) -> list[PersonRow]:
    return [
        PersonRow(
            person_id=stable_id("bench-person", str(i)),
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(MORE_FAMILY),
            date_of_birth=(date(2006, 1, 1) + timedelta(rng.randrange(7000))).isoformat(),
            nhs_number=random_nhs(rng) if rng.random() < 0.6 else None,
        )
        for i in range(n)
    ]


def main(n: int = 100_000, searches: int = 2000) -> None:
    rng = random.Random(3)
    rows = people(n, rng)
    started = time.perf_counter()
    index = BlockingIndex.build(rows)
    print(f"index over {n:,} people built in {time.perf_counter() - started:.2f} s")
    subjects = []
    for p in rng.sample(rows, searches):
        dob = p.date_of_birth or ""
        subjects.append(
            Subject(
                given_name=p.given_name,
                family_name=(p.family_name or "").replace("a", "e", 1),
                date_of_birth=dob[:8] + dob[9:] + dob[8],
            )
        )
    times, sizes = [], []
    for s in subjects:
        t = time.perf_counter()
        sizes.append(len(index.candidate_ids(s)))
        index.search(s)
        times.append(time.perf_counter() - t)
    print(
        f"in-memory search: mean {1000 * sum(times) / len(times):.2f} ms, worst "
        f"{1000 * max(times):.2f} ms, mean block {sum(sizes) / len(sizes):.0f} people"
    )
    folder = Path(tempfile.mkdtemp(prefix="dd-bench-match-"))
    store = EventStore.open(folder / "store.sqlite3")
    at = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
    t = time.perf_counter()
    store.import_events(
        (
            make_event(
                "person.registered",
                {
                    k: v
                    for k, v in (
                        ("person_id", p.person_id),
                        ("given_name", p.given_name),
                        ("family_name", p.family_name),
                        ("date_of_birth", p.date_of_birth),
                        ("nhs_number", p.nhs_number),
                    )
                    if v
                },
                actor="bench",
                actor_role="admin",
                device="bench",
                at=at,
            )
            for p in rows
        ),
        validate=False,
    )
    print(f"store with {n:,} people written in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    load_index(store.engine)
    print(f"index loaded from the store in {time.perf_counter() - t:.2f} s")
    sql_times = []
    for s in subjects[:300]:
        t = time.perf_counter()
        lookup(store.engine, s)
        sql_times.append(time.perf_counter() - t)
    print(
        f"SQL lookup: mean {1000 * sum(sql_times) / len(sql_times):.2f} ms, worst "
        f"{1000 * max(sql_times):.2f} ms"
    )
    store.close()


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
