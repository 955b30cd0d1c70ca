"""``has_events`` (the demo start's "is the store empty?") answers as a count of the log
does: empty, one event, many, and a log whose first rows were removed outside DutyDesk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import FixedClock
from dutydesk.store.chain import ChainedEventStore
from tests.factories import contact_payload, event


def _agrees(store: ChainedEventStore) -> bool:
    return store.has_events() == (store.event_count() > 0)


def test_has_events_is_a_count_above_nought(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "s.sqlite3"
    store = ChainedEventStore.open(path)
    assert not store.has_events() and _agrees(store)
    store.append([event("contact.received", contact_payload(), clock.now())])
    assert store.has_events() and _agrees(store)
    store.import_events(generate(3, 200, now=clock.now()))
    assert store.has_events() and _agrees(store)
    store.close()
    with sqlite3.connect(path) as db:  # the oldest rows gone, others left
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM events WHERE local_seq < 50")
    store = ChainedEventStore.open(path)
    assert store.has_events() and _agrees(store)
    store.close()
    with sqlite3.connect(path) as db:  # every row gone
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("DELETE FROM events")
    store = ChainedEventStore.open(path)
    assert not store.has_events() and _agrees(store)
    store.close()
