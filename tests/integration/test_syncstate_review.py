"""Review of the hand-over's plain-SQL store reads and writes (d2d, issue 19), from the
documented model rather than the code: a misbehaving server's receipt leaves nothing
half-written; metadata keys and values that look like SQL are stored as data; the held /
unsynced pair and the withheld refresh's reads answer what their definitions say."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dutydesk.store import withheld
from dutydesk.store.eventstore import EventStore
from dutydesk.store.syncstate import ServerFields, SyncState
from tests.factories import contact_payload, event


def _tables(store: EventStore) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in ("events", "outbox", "store_meta")
        }


def test_a_receipt_reusing_a_held_sequence_writes_nothing(tmp_path: Path, now: datetime) -> None:
    """A server that answers with a sequence this desk already holds for another event: the
    write fails and no event's server fields nor any outbox row changed (one transaction)."""
    store = EventStore.open(tmp_path / "desk.sqlite3")
    try:
        events = [event("contact.received", contact_payload(), now) for _ in range(4)]
        store.append(events)
        state = SyncState(store.engine)
        state.mark_synced(
            [ServerFields(events[0].id, 5, "2026-11-26T09:00:00Z", "a" * 64, "b" * 64)]
        )
        before = _tables(store)
        bad = [
            ServerFields(events[1].id, 6, "2026-11-26T09:00:01Z", "c" * 64, "a" * 64),
            ServerFields(events[2].id, 5, "2026-11-26T09:00:02Z", "d" * 64, "c" * 64),  # reused
            ServerFields(events[3].id, 7, "2026-11-26T09:00:03Z", "e" * 64, "d" * 64),
        ]
        with pytest.raises(Exception, match="(?i)unique"):
            state.mark_synced(bad)
        assert _tables(store) == before
        assert state.held_and_unsynced() == (5, True)
    finally:
        store.close()


HOSTILE = [
    "x'; DROP TABLE events; --",
    'a" OR 1=1 --',
    "sync_cursor' OR key = 'server_epoch",
    "?",
    "%s",
    "",
    "ünï\u200bcode\nline",
    "x" * 5000,
]


def test_metadata_that_looks_like_sql_is_stored_as_data(tmp_path: Path) -> None:
    store = EventStore.open(tmp_path / "desk.sqlite3")
    try:
        store.set_meta("sync_cursor", "41")
        for i, text in enumerate(HOSTILE):
            store.set_meta(text, f"v{i}")
            store.set_meta(f"k{i}", text)
        for i, text in enumerate(HOSTILE):
            assert store.get_meta(text) == f"v{i}"
            assert store.get_meta(f"k{i}") == text
        assert store.get_meta("sync_cursor") == "41"
        assert store.get_meta("server_epoch") is None
        assert store.event_count() == 0  # the table is still there
        keys = {r[0] for r in _tables(store)["store_meta"]}
        assert set(HOSTILE) | {f"k{i}" for i in range(len(HOSTILE))} <= keys
    finally:
        store.close()


def test_held_and_unsynced_and_to_ask_follow_their_definitions(
    tmp_path: Path, now: datetime
) -> None:
    """``held_and_unsynced`` = (highest server sequence held or 0, any event without one);
    ``to_ask`` = (newest local_seq or 0, the withheld answer, people named by events after
    the answer's local_seq), over empty, unsynced, mixed and all-synced stores."""
    store = EventStore.open(tmp_path / "desk.sqlite3")
    try:
        state = SyncState(store.engine)
        assert state.held_and_unsynced() == (0, False)
        assert withheld.to_ask(store.engine) == (0, None, [])
        events = [event("contact.received", contact_payload(), now) for _ in range(3)]
        store.append(events)
        assert state.held_and_unsynced() == (0, True)
        state.mark_synced(
            [ServerFields(events[1].id, 9, "2026-11-26T09:00:00Z", "a" * 64, "b" * 64)]
        )
        assert state.held_and_unsynced() == (9, True)
        state.mark_synced(
            [
                ServerFields(e.id, s, "2026-11-26T09:00:00Z", "a" * 64, "b" * 64)
                for e, s in ((events[0], 3), (events[2], 12))
            ]
        )
        assert state.held_and_unsynced() == (12, False)
        upto, known, named = withheld.to_ask(store.engine)
        assert upto == withheld.last_local_seq(store.engine) and upto > 0
        assert known is None and named == []
    finally:
        store.close()
