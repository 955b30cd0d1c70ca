"""The rebuild's fast paths store exactly what the general paths store.

``bulkwrite.save_all`` must leave the same column values (JSON text included) as
``readmodel.save_all`` through SQLAlchemy, the rebuild's driver-level event reader must
give the same events as ``db_to_event``, and ``projection.replace`` must agree with
``dataclasses.replace``. Issue 19: an append's incremental load and save (``readmodel``
through the driver) read and rewrite rows exactly as the SQLAlchemy paths do, and the
events and chain links an append writes through the driver are the ones SQLAlchemy wrote.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from dutydesk.demo.mi_extras import demo_rating
from dutydesk.demo.synthetic import Generator
from dutydesk.domain import projection
from dutydesk.domain.clock import LONDON
from dutydesk.domain.projection import ContactRow, DecisionRow, PersonRow
from dutydesk.store import bulkwrite, readmodel
from dutydesk.store.eventstore import EVENTS, EventStore, db_to_event, event_to_db

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
TABLES = {
    "people": "person_id",
    "contacts": "contact_id",
    "contact_children": "contact_id, slot",
    "decisions": "decision_id",
    "routes": "route_id",
}


@pytest.fixture(scope="module")
def model_and_events() -> tuple[projection.ReadModel, list]:  # type: ignore[type-arg]
    events = list(Generator(5, now=NOW, open_contacts=40, rate=demo_rating).events(3000))
    return projection.apply_all(projection.ReadModel(), events), events


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        return {
            t: db.execute(f"SELECT * FROM {t} ORDER BY {k}").fetchall() for t, k in TABLES.items()
        }
    finally:
        db.close()


def test_bulk_write_stores_the_same_values_as_sqlalchemy(
    tmp_path: Path, model_and_events: tuple[projection.ReadModel, list]
) -> None:  # type: ignore[type-arg]
    model, _ = model_and_events
    for name, save in (("general", readmodel.save_all), ("bulk", bulkwrite.save_all)):
        store = EventStore.open(tmp_path / f"{name}.sqlite3")
        with store.engine.begin() as conn:
            save(conn, model)
        store.close()
    general, bulk = _dump(tmp_path / "general.sqlite3"), _dump(tmp_path / "bulk.sqlite3")
    assert all(general[t] for t in TABLES)
    assert general == bulk


def test_incremental_load_and_save_read_and_rewrite_rows_unchanged(
    tmp_path: Path, model_and_events: tuple[projection.ReadModel, list]
) -> None:  # type: ignore[type-arg]
    """``readmodel.load`` (driver reads) gives the rows ``read_model`` (SQLAlchemy) gives,
    and ``readmodel.save`` (driver deletes and inserts) of every row leaves every column
    as the SQLAlchemy ``save_all`` wrote it."""
    model, _ = model_and_events
    path = tmp_path / "s.sqlite3"
    store = EventStore.open(path)
    with store.engine.begin() as conn:
        readmodel.save_all(conn, model)  # through SQLAlchemy
    written = _dump(path)
    keys = projection.Keys(
        people=frozenset(model.people),
        contacts=frozenset(model.contacts),
        decisions_of_contacts=frozenset(d.contact_id for d in model.decisions.values()),
    )
    with store.engine.begin() as conn:
        loaded = readmodel.load(conn, keys)
        readmodel.save(conn, loaded)
    general = store.read_model()
    store.close()
    assert loaded.people == general.people and loaded.contacts == general.contacts
    assert loaded.children == general.children and loaded.decisions == general.decisions
    assert _dump(path) == written


def test_an_append_through_the_driver_stores_what_sqlalchemy_stored(
    tmp_path: Path, model_and_events: tuple[projection.ReadModel, list]
) -> None:  # type: ignore[type-arg]
    """Events, their people, the outbox and the chain links, as the SQLAlchemy inserts
    (``event_to_db``) stored them: the chain still verifies, and each event reads back
    equal to what was appended."""
    from dutydesk.store.chain import ChainedEventStore

    _, events = model_and_events
    store = ChainedEventStore.open(tmp_path / "c.sqlite3")
    for i in range(0, 203, 7):  # 29 appends of 7: 203 events
        store.append(events[i : i + 7], validate=False)
    assert store.verify_chain().ok
    for e in events[:203]:
        assert store.get_event(e.id) == e
    with store.engine.connect() as conn:
        people = conn.execute(select(EVENTS.c.id)).all()
        outbox = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE state = 'pending'")
        assert outbox.scalar() == len(people) == 203
        named = conn.exec_driver_sql("SELECT count(*) FROM event_people").scalar()
    assert named == sum(len(e.person_ids) for e in events[:203])
    store.close()
    general = EventStore.open(tmp_path / "g.sqlite3")
    with general.engine.begin() as conn:
        conn.execute(insert(EVENTS), [event_to_db(e) for e in events[:203]])
    general.close()
    columns = ", ".join(c.name for c in EVENTS.c if c.name != "local_seq")

    def dump(name: str) -> list[tuple[object, ...]]:
        db = sqlite3.connect(tmp_path / name)
        try:
            return db.execute(f"SELECT {columns} FROM events ORDER BY id").fetchall()
        finally:
            db.close()

    assert dump("c.sqlite3") == dump("g.sqlite3")


def test_rebuild_reads_the_events_db_to_event_reads(
    tmp_path: Path, model_and_events: tuple[projection.ReadModel, list]
) -> None:  # type: ignore[type-arg]
    _, events = model_and_events
    store = EventStore.open(tmp_path / "s.sqlite3")
    store.import_events(events, validate=False)
    with store.engine.connect() as conn:
        fast = list(store._iter_server_order(conn, batch=700))  # several batches
        general = [
            db_to_event(m)
            for m in conn.execute(select(EVENTS).order_by(EVENTS.c.local_seq)).mappings()
        ]
    store.close()
    assert fast == general


def test_rebuild_leaves_the_connection_cache_setting_as_it_was(store: EventStore) -> None:
    with store.engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    store.rebuild()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == before


ROW = st.sampled_from(
    [
        PersonRow("p1", given_name="Ann", other_names=("Annie",), open_case=True),
        ContactRow(
            "c1",
            "2026-11-26T08:00:00+00:00",
            "phone",
            "2A",
            "text",
            "given",
            False,
            categories=("18C",),
            reasons=({"factor": "x", "points": 1},),
        ),
        DecisionRow(
            "d1",
            "c1",
            "recorded",
            "nfa",
            1,
            {"analysis": "a"},
            "u",
            "r",
            "2026-11-26T09:00:00+00:00",
        ),
    ]
)


@given(ROW, st.sets(st.integers(0, 35)), st.sampled_from([None, True, 0, "x", ("t",)]))
def test_projection_replace_agrees_with_dataclasses_replace(
    row: object, picks: set[int], value: object
) -> None:
    names = [f.name for f in dataclasses.fields(row)]  # type: ignore[arg-type]
    changes = {names[i % len(names)]: value for i in picks}
    assert repr(projection.replace(row, **changes)) == repr(dataclasses.replace(row, **changes))  # type: ignore[type-var]


def _schema(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ).fetchall()
    finally:
        db.close()


def _whole_fold(store: EventStore) -> None:
    """The reference: every event folded into one model, then written."""
    with store.engine.begin() as conn:
        readmodel.clear(conn)
        store._fold_whole(conn)


def _varied_log(events: list) -> list:  # type: ignore[type-arg]
    """The generated log, its first 40% sequenced by the server (pulled), plus the event
    types the generator does not make: restriction, access, link, conflict, a partner
    check about no contact."""
    model = projection.apply_all(projection.ReadModel(), events)
    cid, ids = next((c, d) for c, d in model.decisions_by_contact.items() if d)
    person = next(iter(model.people))
    child = next(iter(model.children))
    extra = [
        ("record.restricted", {"person_id": person, "allowed": ["a.worker"]}),
        ("access.granted", {"person_id": person, "grantee": "b.worker"}),
        ("person.linked", {"contact_id": child[0], "slot": child[1], "person_id": person}),
        (
            "conflict.resolved",
            {"contact_id": cid, "decision_ids": sorted(ids), "chosen_decision_id": min(ids)},
        ),
        ("partner_check.requested", {"agency": "police"}),
    ]
    made = [
        dataclasses.replace(
            events[0], id=f"0190a0c0-beef-7000-8000-00000000000{i}", type=t, payload=p
        )
        for i, (t, p) in enumerate(extra)
    ]
    cut = len(events) * 2 // 5
    pulled = [dataclasses.replace(e, server_seq=n) for n, e in enumerate(events[:cut], start=1)]
    return pulled + events[cut:] + made


@pytest.mark.parametrize("slice_events", [100_000, 1_000, 300])
def test_a_rebuild_in_slices_stores_the_rows_of_one_whole_fold(
    tmp_path: Path,
    model_and_events: tuple[projection.ReadModel, list],  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
    slice_events: int,
) -> None:
    """Folded a slice of scopes at a time (one slice, then several), the rebuild writes
    exactly the rows one whole fold writes, and counts the same events."""
    from dutydesk.store import eventstore

    monkeypatch.setattr(eventstore, "SLICE_EVENTS", slice_events)
    log = _varied_log(model_and_events[1])
    path = tmp_path / "s.sqlite3"
    store = EventStore.open(path)
    store.import_events(log, validate=False, outbox=True)
    with store.engine.begin() as conn:  # one of this desk's events was rejected
        conn.exec_driver_sql(
            "UPDATE outbox SET state = 'rejected' WHERE event_id = ?", (log[-7].id,)
        )
    with store.engine.connect() as conn:
        readmodel.clear(conn)
        assert store._fold_in_slices(conn, eventstore._slices_for(len(log)))
        conn.rollback()
    schema = _schema(path)
    counted = store.rebuild()
    sliced = _dump(path)
    _whole_fold(store)
    store.close()
    assert counted == len(log) - 1
    assert _schema(path) == schema  # the indexes set aside while filling are made again
    assert all(sliced[t] for t in TABLES) and sliced == _dump(path)


@pytest.mark.parametrize("stray", ["decision named under two contacts", "column edited"])
def test_a_log_that_strays_out_of_its_scopes_is_folded_whole(
    tmp_path: Path,
    model_and_events: tuple[projection.ReadModel, list],  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
    stray: str,
) -> None:
    """A decision signed off under another contact's id, or a contact_id column that no
    longer matches its payload, would put a row in two slices: the rebuild notices and
    folds the whole log at once, so its rows are still one whole fold's."""
    from dutydesk.store import eventstore

    monkeypatch.setattr(eventstore, "SLICE_EVENTS", 300)
    model, events = model_and_events
    log = list(events)
    slices = eventstore._slices_for(len(log) + 1)
    decided = [(c, d) for c, d in model.decisions_by_contact.items() if d]
    c1, d1 = decided[0]
    c2 = next(
        c for c, _ in decided if eventstore._slice_of(c, slices) != eventstore._slice_of(c1, slices)
    )
    if stray.startswith("decision"):
        signed = next(e for e in log if e.type == "decision.signed_off")
        log.append(
            dataclasses.replace(
                signed,
                id="0190a0c0-beef-7000-8000-00000000000a",
                payload={"contact_id": c2, "decision_id": min(d1)},
            )
        )
    path = tmp_path / "s.sqlite3"
    store = EventStore.open(path)
    store.import_events(log, validate=False)
    if stray == "column edited":
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE events SET contact_id = ? WHERE local_seq = "
                "(SELECT min(local_seq) FROM events WHERE contact_id = ?)",
                (c2, c1),
            )
    with store.engine.connect() as conn:
        readmodel.clear(conn)
        assert not store._fold_in_slices(conn, slices)
        conn.rollback()
    store.rebuild()
    rebuilt = _dump(path)
    _whole_fold(store)
    store.close()
    assert rebuilt == _dump(path)


_AWKWARD = [
    {"contact_id": "c-1", "text": 'quote " backslash \\ slash / tab \t nul-free \x01 \x1f'},
    {"contact_id": "c-2", "text": "Siobhán Wiśniewski \u2028 \u2029 😀 \ud7ff", "n": 1.5},
    {"contact_id": "c-3", "nested": {"b": [1, 2.25, None, True], "a": {"z": "", "é": 1e100}}},
    {},
]


def _links_and_oracle(
    store: EventStore,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The store's chain links, and the links ``audit_chain.chain`` with
    ``local_event_hash`` gives for its events decoded in arrival order (the oracle)."""
    from dutydesk.domain.audit_chain import GENESIS, chain, local_event_hash

    with store.engine.connect() as conn:
        links = conn.exec_driver_sql(
            "SELECT position, event_id, prev_hash, hash FROM audit_chain ORDER BY position"
        ).all()
        in_order = list(store._iter(conn))
    store.close()
    oracle = [
        (pos, e.id, prev, digest)
        for pos, (e, prev, digest) in enumerate(chain(in_order, GENESIS, local_event_hash), 1)
    ]
    return [tuple(r) for r in links], oracle


def test_chain_links_of_an_append_hash_what_the_event_hashed(
    tmp_path: Path, model_and_events: tuple[projection.ReadModel, list]
) -> None:  # type: ignore[type-arg]
    """Oracle: every link an append writes from the values it stored (issue 19c; before,
    each stored row was read back, decoded and re-serialised) equals the link the decoded
    event gives (``audit_chain.chain`` with ``local_event_hash``), over appends of several
    sizes and awkward payload text; and so does sealing an older store (rows read back)."""
    from dutydesk.domain.events import Event
    from dutydesk.store.chain import ChainedEventStore

    _, events = model_and_events
    awkward = [
        Event(f"0190a0c0-0000-7000-8000-00000000000{i}", "note.x", "a", "b", "d", "t", p)
        for i, p in enumerate(_AWKWARD)
    ]
    log = awkward + events[:300]
    store = ChainedEventStore.open(tmp_path / "c.sqlite3")
    start = 0
    for size in (1, 3, 60, 1, 100, 500):  # appends of several sizes, in arrival order
        store.append(log[start : start + size], validate=False)
        start += size
    links, oracle = _links_and_oracle(store)
    assert len(links) == len(log)
    assert links == oracle
    # A store made before the chain existed is sealed from its rows read back: the same.
    older = EventStore.open(tmp_path / "older.sqlite3")
    older.import_events(log, validate=False)
    older.close()
    links, oracle = _links_and_oracle(ChainedEventStore.open(tmp_path / "older.sqlite3"))
    assert len(links) == len(log)
    assert links == oracle
