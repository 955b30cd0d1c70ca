"""Oracle: the hand-over's store reads and writes, now plain SQL on the driver's connection
(issue 19, desk-to-desk), against the SQLAlchemy statements they replaced, over varied
stores: events synced and not, outbox rows pending, rejected and backing off, quarantined
events, metadata set, overwritten, deleted by a reset, written by another connection, and
a write that failed. The oracle statements are written here from the tables' definitions,
so a fast path that read or wrote anything else fails."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, func, or_, select, update

from dutydesk.domain.ids import new_id
from dutydesk.store import quarantine, withheld
from dutydesk.store.eventstore import EVENT_PEOPLE, EVENTS, META, OUTBOX, EventStore, db_to_event
from dutydesk.store.quarantine import QUARANTINE
from dutydesk.store.syncstate import PENDING, REJECTED, ServerFields, SyncState
from tests.factories import contact_payload, decision_payload, event

# ---- the statements the fast paths replaced (the oracle) ----------------------------------


def oracle_meta(store: EventStore, key: str) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(select(META.c.value).where(META.c.key == key)).scalar()


def oracle_event(store: EventStore, event_id: str) -> Any:
    with store.engine.connect() as conn:
        m = conn.execute(select(EVENTS).where(EVENTS.c.id == event_id)).mappings().first()
        return db_to_event(m) if m else None


def oracle_due(store: EventStore, now_iso: str | None, limit: int) -> list[Any]:
    query = (
        select(EVENTS)
        .join(OUTBOX, OUTBOX.c.event_id == EVENTS.c.id)
        .where(OUTBOX.c.state == PENDING)
    )
    if now_iso is not None:
        query = query.where(or_(OUTBOX.c.next_try_at.is_(None), OUTBOX.c.next_try_at <= now_iso))
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(EVENTS.c.local_seq).limit(limit)).mappings()
        return [db_to_event(m) for m in rows]


def oracle_counts(store: EventStore) -> tuple[int, int, int]:
    with store.engine.connect() as conn:

        def count(table: Any, *where: Any) -> int:
            return int(
                conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
            )

        return (
            count(OUTBOX, OUTBOX.c.state == PENDING),
            count(OUTBOX, OUTBOX.c.state == REJECTED),
            count(QUARANTINE),
        )


def oracle_sync_reads(store: EventStore, seqs: list[int]) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return {
            "max_server_seq": int(
                conn.execute(select(func.max(EVENTS.c.server_seq))).scalar() or 0
            ),
            "has_unsynced": conn.execute(
                select(EVENTS.c.id).where(EVENTS.c.server_seq.is_(None)).limit(1)
            ).first()
            is not None,
            "hash_at": [
                conn.execute(select(EVENTS.c.hash).where(EVENTS.c.server_seq == s)).scalar()
                for s in seqs
            ],
            "last_local_seq": int(conn.execute(select(func.max(EVENTS.c.local_seq))).scalar() or 0),
        }


def oracle_named_after(store: EventStore, local_seq: int) -> list[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(EVENT_PEOPLE.c.person_id).where(EVENT_PEOPLE.c.local_seq > local_seq)
        )
        return sorted({r[0] for r in rows if r[0]})


def oracle_mark_synced(store: EventStore, fields: list[ServerFields]) -> int:
    statement = (
        update(EVENTS)
        .where(EVENTS.c.id == bindparam("b_id"))
        .values(
            server_seq=bindparam("b_seq"),
            server_time=bindparam("b_time"),
            hash=bindparam("b_hash"),
            prev_hash=bindparam("b_prev"),
        )
    )
    rows = [
        {"b_id": f.event_id, "b_seq": f.seq, "b_time": f.server_time, "b_hash": f.hash}
        | {"b_prev": f.prev_hash}
        for f in fields
    ]
    if not rows:
        return 0
    done = 0
    with store.engine.begin() as conn:
        conn.execute(statement, rows)
        ids = [r["b_id"] for r in rows]
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            done += conn.execute(delete(OUTBOX).where(OUTBOX.c.event_id.in_(chunk))).rowcount
    return done


def dump(store: EventStore) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in ("events", "outbox", "store_meta")
        }


# ---- a varied store ------------------------------------------------------------------------


def varied_store(path: Path, now: datetime, seed: int) -> tuple[EventStore, list[Any]]:
    """Contacts (some naming a person, some not), decisions, some events synced, some
    rejected, some backing off until different times, some quarantined."""
    rng = random.Random(seed)
    store = EventStore.open(path)
    events = []
    for _ in range(rng.randint(20, 60)):
        payload = contact_payload()
        if rng.random() < 0.5:
            payload["children"][0]["person_id"] = new_id()
        contact = event("contact.received", payload, now)
        events.append(contact)
        if rng.random() < 0.4:
            events.append(
                event("decision.recorded", decision_payload(contact.payload["contact_id"]), now)
            )
    store.append(events)
    state = SyncState(store.engine)
    rng.shuffle(ids := [e.id for e in events])
    synced = ids[: len(ids) // 3]
    state.mark_synced(
        ServerFields(i, n, f"2026-11-26T09:00:{n:02d}Z", f"{n:064x}", f"{n - 1:064x}")
        for n, i in enumerate(synced, start=1)
    )
    for i in ids[len(ids) // 3 : len(ids) // 3 + 5]:
        state.mark_rejected(i, "refused")
    for k, i in enumerate(ids[len(ids) // 3 + 5 : len(ids) // 3 + 12]):
        state.mark_retry([i], "offline", (now + timedelta(minutes=k - 3)).isoformat())
    for n in range(rng.randint(0, 3)):
        q = dataclasses.replace(
            event("contact.received", contact_payload(), now), server_seq=10_000 + n
        )
        quarantine.add(store.engine, q, "cannot apply", now.isoformat())
    return store, events


@pytest.mark.parametrize("seed", range(6))
def test_the_hand_overs_reads_equal_the_statements_they_replaced(
    tmp_path: Path, now: datetime, seed: int
) -> None:
    store, events = varied_store(tmp_path / "s.sqlite3", now, seed)
    state = SyncState(store.engine)
    try:
        for e in [*events, event("contact.received", contact_payload(), now)]:  # one not held
            assert store.get_event(e.id) == oracle_event(store, e.id)
        for at in (None, (now - timedelta(hours=1)).isoformat(), now.isoformat()):
            at_later = None if at is None else (now + timedelta(minutes=2)).isoformat()
            for when in (at, at_later):
                for limit in (1, 3, 500):
                    assert state.due(when, limit) == oracle_due(store, when, limit)
        assert state.report_counts() == oracle_counts(store)
        seqs = [0, 1, 2, 5, 17, 10_000, -3]
        o = oracle_sync_reads(store, seqs)
        assert state.max_server_seq() == o["max_server_seq"]
        assert state.has_unsynced() == o["has_unsynced"]
        assert [state.hash_at(s) for s in seqs] == o["hash_at"]
        assert withheld.last_local_seq(store.engine) == o["last_local_seq"]
        for after in (0, 1, o["last_local_seq"] // 2, o["last_local_seq"]):
            assert withheld.people_named_after(store.engine, after) == oracle_named_after(
                store, after
            )
        assert withheld.to_ask(store.engine) == (o["last_local_seq"], None, [])
        for upto in (0, o["last_local_seq"] // 3, o["last_local_seq"]):
            withheld.replace(store.engine, [], withheld.Checked(f"stamp{upto}", upto))
            assert withheld.to_ask(store.engine) == (
                o["last_local_seq"],
                withheld.Checked(f"stamp{upto}", upto),
                oracle_named_after(store, upto),
            )
        # everything synced: nothing unsynced, nothing due
        everyone = [e.id for e in events]
        state.mark_synced(
            ServerFields(i, 500 + n, "2026-11-26T10:00:00Z", f"{n:064x}", f"{n:064x}")
            for n, i in enumerate(everyone)
        )
        assert state.has_unsynced() == oracle_sync_reads(store, [])["has_unsynced"]
        assert state.due(None, 10) == oracle_due(store, None, 10)
        assert state.report_counts() == oracle_counts(store)
    finally:
        store.close()


@pytest.mark.parametrize("seed", range(4))
def test_mark_synced_writes_what_the_old_statements_wrote(
    tmp_path: Path, now: datetime, seed: int
) -> None:
    """Two identical stores: one marked by ``mark_synced``, one by the old statements; the
    tables and the counts returned must be equal (duplicates, ids not held, > 500 ids)."""
    rng = random.Random(seed)
    events = [event("contact.received", contact_payload(), now) for _ in range(rng.randint(5, 700))]
    stores = []
    for name in ("fast", "oracle"):
        s = EventStore.open(tmp_path / f"{name}.sqlite3")
        s.append(events)
        stores.append(s)
    fast, slow = stores
    try:
        for _ in range(3):
            chosen = rng.sample(events, rng.randint(0, len(events)))
            fields = [
                ServerFields(
                    e.id, rng.randint(1, 10**9), "2026-11-26T09:00:00Z", "ab" * 32, "cd" * 32
                )
                for e in chosen
            ] + [ServerFields(new_id(), 7, "t", "h", "p")]  # an id this desk does not hold
            assert SyncState(fast.engine).mark_synced(fields) == oracle_mark_synced(slow, fields)
            a, b = dump(fast), dump(slow)
            assert a["events"] == b["events"] and a["outbox"] == b["outbox"]
    finally:
        for s in stores:
            s.close()


def test_metadata_reads_equal_a_fresh_read_after_every_kind_of_write(
    tmp_path: Path, now: datetime
) -> None:
    """``get_meta`` after each kind of write to ``store_meta`` equals a fresh read through
    SQLAlchemy on a new connection: set and overwrite, a failed write (nothing changed),
    a reset that deletes the cursor, the withheld list's own key, another store object on
    the same file (another process), and values of every shape."""
    path = tmp_path / "m.sqlite3"
    store = EventStore.open(path)
    other = EventStore.open(path)
    rng = random.Random(7)
    keys = ["sync_cursor", "server_epoch", "server_distrusted", "last_sync_at", withheld.CHECKED]
    values = ["", "0", "12", "epoch\treason é ✓", "x" * 5000, " leading and trailing "]
    try:

        def check() -> None:
            for k in [*keys, "never_set"]:
                assert store.get_meta(k) == oracle_meta(store, k)
                assert other.get_meta(k) == oracle_meta(store, k)

        check()
        for step in range(120):
            what = rng.randrange(6)
            key, value = rng.choice(keys), rng.choice(values)
            if what == 0:
                store.set_meta(key, value)
                assert oracle_meta(store, key) == value
            elif what == 1:
                other.set_meta(key, value)  # another writer on the same file
            elif what == 2:
                before = oracle_meta(store, key)
                with pytest.raises(TypeError, match="must be text"):
                    store.set_meta(key, None)  # type: ignore[arg-type]  # refused, named
                assert oracle_meta(store, key) == before
            elif what == 3:
                SyncState(store.engine).forget_server_copy("nobody")  # deletes the cursor
                assert oracle_meta(store, "sync_cursor") is None
            elif what == 4:
                covers = withheld.Checked(f"stamp{step}", step) if rng.random() < 0.7 else None
                withheld.replace(store.engine, [], covers)
                assert withheld.checked(store.engine) == covers
            else:
                with store.engine.begin() as conn:
                    conn.execute(delete(META).where(META.c.key == key))
            check()
    finally:
        other.close()
        store.close()
