"""The rebuild's fast paths store exactly what the general paths store.

``bulkwrite.save_all`` must leave the same column values (JSON text included) as
``readmodel.save_all`` through SQLAlchemy, the rebuild's driver-level event reader must
give the same events as ``db_to_event``, and ``projection.replace`` must agree with
``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from dutydesk.demo.mi_extras import demo_rating
from dutydesk.demo.synthetic import Generator
from dutydesk.domain import projection
from dutydesk.domain.clock import LONDON
from dutydesk.domain.projection import ContactRow, DecisionRow, PersonRow
from dutydesk.store import bulkwrite, readmodel
from dutydesk.store.eventstore import EVENTS, EventStore, db_to_event

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
TABLES = {
    "people": "person_id",
    "contacts": "contact_id",
    "contact_children": "contact_id, slot",
    "decisions": "decision_id",
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
