"""The desk's sync state: server fields written in bulk, the outbox emptied with them."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from dutydesk.store import quarantine
from dutydesk.store.eventstore import EventStore
from dutydesk.store.syncstate import ServerFields, SyncState
from tests.factories import contact_payload, event


def test_mark_synced_sets_every_events_server_fields_across_chunks(
    store: EventStore, now: datetime
) -> None:
    events = [event("contact.received", contact_payload(), now) for _ in range(620)]
    store.append(events)
    state = SyncState(store.engine)
    fields = [
        ServerFields(e.id, i, f"2026-11-26T09:00:00.{i:06d}Z", f"{i:064x}", f"{i - 1:064x}")
        for i, e in enumerate(events, start=1)
    ]
    assert state.mark_synced(fields[:550]) == 550
    assert state.waiting_count() == 70
    # Already off the outbox (a duplicate receipt): fields still set, nothing removed twice.
    assert state.mark_synced(fields[500:]) == 70
    assert state.waiting_count() == 0 and state.mark_synced([]) == 0
    for e, f in ((events[0], fields[0]), (events[600], fields[600]), (events[-1], fields[-1])):
        got = store.get_event(e.id)
        assert got is not None
        assert (got.server_seq, got.server_time, got.hash, got.prev_hash) == (
            f.seq,
            f.server_time,
            f.hash,
            f.prev_hash,
        )
    assert state.max_server_seq() == 620 and not state.has_unsynced()


def test_outbox_read_starts_from_the_outbox_not_the_whole_log(
    store: EventStore, now: datetime
) -> None:
    """The per-sync outbox read must not scan the event table: with a bound LIMIT SQLite
    planned a full scan of ``events`` (100 ms at 133k events, on every sync)."""
    from sqlalchemy import event as sa_event

    store.append([event("contact.received", contact_payload(), now) for _ in range(30)])
    state = SyncState(store.engine)
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "outbox" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    sa_event.listen(store.engine, "before_cursor_execute", capture)
    try:
        assert len(state.due(None, 10)) == 10
    finally:
        sa_event.remove(store.engine, "before_cursor_execute", capture)
    sql, params = seen[0]
    assert "LIMIT 10" in sql  # a literal, visible to the planner
    with store.engine.connect() as conn:
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
        )
    assert "SCAN events" not in plan, plan


def test_people_named_since_the_last_answer_are_read_by_range_not_whole_index(
    store: EventStore, now: datetime
) -> None:
    """Each sync asks which people events stored since the withheld answer name: with SQL
    ``DISTINCT`` SQLite scanned the whole person-id index (61 ms at 150k events, every
    sync); the primary key's ``local_seq`` range is what it must read."""
    from sqlalchemy import event as sa_event

    from dutydesk.domain.ids import new_id
    from dutydesk.store import withheld

    events = []
    for _ in range(30):
        payload = contact_payload()
        payload["children"][0]["person_id"] = new_id()
        events.append(event("contact.received", payload, now))
    store.append(events)
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "event_people" in statement:
            seen.append((statement, parameters))

    sa_event.listen(store.engine, "before_cursor_execute", capture)
    try:
        named = withheld.people_named_after(store.engine, 10)
    finally:
        sa_event.remove(store.engine, "before_cursor_execute", capture)
    expected = {p for e in events[10:] for p in e.person_ids}
    assert expected and named == sorted(expected)  # each person once
    sql, params = seen[0]
    with store.engine.connect() as conn:
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
        )
    assert "SCAN" not in plan and "local_seq>?" in plan, plan


def test_the_report_counts_are_the_three_counts_read_apart(
    store: EventStore, now: datetime
) -> None:
    """One read for what every sync report shows, against the three reads it replaced:
    waiting (pending), rejected and quarantined, each a different number here."""
    events = [event("contact.received", contact_payload(), now) for _ in range(7)]
    store.append(events)
    state = SyncState(store.engine)
    state.mark_synced(
        [ServerFields(events[0].id, 1, "2026-11-26T09:00:00.000001Z", "a" * 64, "0" * 64)]
    )
    for e in events[1:3]:
        state.mark_rejected(e.id, "refused")
    for i in range(3):
        pulled = event("contact.received", contact_payload(), now)
        assert quarantine.add(
            store.engine, dataclasses.replace(pulled, server_seq=10 + i), "bad", "x"
        )
    expected = (state.waiting_count(), state.rejected_count(), quarantine.count(store.engine))
    assert expected == (4, 2, 3)
    assert state.report_counts() == expected
