"""The queue's load at start-up (issue 19a): it reads only the columns it shows
(``QueueRow``), and it pauses the cyclic collector while it builds its rows and items (a
third of the window's first queue load at 1M events), leaving it running after, however
the load ends."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import func, select

from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.projection import ContactRow, QueueRow, decode_sequence
from dutydesk.domain.queue import order_key
from dutydesk.services.progress import Cancelled
from dutydesk.store.desk_queries import DeskQueries
from dutydesk.store.eventstore import EventStore
from dutydesk.store.queries import OPEN_STATUSES, Queries
from dutydesk.store.readmodel import CONTACTS
from tests.integration.services.test_desk import desk, rated
from tests.integration.test_gcpause import collector_running

__all__ = ["collector_running"]  # the autouse fixture: the collector on for each test


def test_the_queue_reads_with_the_collector_paused_and_resumes_it(
    store: EventStore, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = {rated(store, clock.now()) for _ in range(3)}
    seen: list[bool] = []
    read = DeskQueries.open_queue_rows_in

    def spy(self, contact_ids):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return read(self, contact_ids)

    monkeypatch.setattr(DeskQueries, "open_queue_rows_in", spy)
    service = desk(store, clock, Role.DUTY_MANAGER, "dm.one")
    assert {i.contact_id for i in service.queue()} == ids
    assert seen == [False] and gc.isenabled()

    class CancelAfterTheFirstChunk:
        def __init__(self) -> None:
            self.reports = 0

        def report(self, done: int, total: int) -> None:
            self.reports += 1

        def cancelled(self) -> bool:
            return self.reports > 0

    with pytest.raises(Cancelled):
        service.queue(CancelAfterTheFirstChunk())
    assert gc.isenabled()


def test_the_queue_rows_hold_what_the_whole_contact_rows_hold(
    store: EventStore, clock: FixedClock
) -> None:
    """Oracle: the whole ``ContactRow`` read. Every ``QueueRow`` field is the column of the
    same name, value for value (``categories`` and ``reasons`` as the stored JSON text,
    which decodes to the whole row's tuples), over a demo store's open contacts (rated,
    with reasons, categories, danger stated or not)."""
    load_demo(store, seed=11, events=900, clock=clock, open_contacts=80)
    names = [f for f in QueueRow.__dataclass_fields__]
    assert set(names) <= set(ContactRow.__dataclass_fields__)
    queries = DeskQueries(store.engine)
    ids = queries.open_contact_ids()
    whole, kids, gone = queries.open_contacts_in(ids)
    shown, shown_kids, shown_gone = queries.open_queue_rows_in(ids)
    assert len(whole) >= 60 and shown_kids == kids and shown_gone == gone
    assert any(c.reasons for c in whole) and any(c.categories for c in whole)
    by_id = {c.contact_id: c for c in whole}
    as_text = {"categories", "reasons"}
    for row in shown:  # value and type (True == 1 would hide a missed bool conversion)
        assert all(isinstance(getattr(row, n), str) for n in as_text)
        assert {
            n: (type(v), v)
            for n in names
            for v in [decode_sequence(getattr(row, n)) if n in as_text else getattr(row, n)]
        } == {n: (type(v := getattr(by_id[row.contact_id], n)), v) for n in names}


def test_the_queue_items_hold_what_an_eager_read_gives(
    store: EventStore, clock: FixedClock
) -> None:
    """Oracle: the queue as the code before built it. Each contact read whole through
    SQLAlchemy (its own JSON decoding), its categories and reasons decoded at load, the
    assignee's name from the directory, ordered by ``order_key``: the items the queue
    hands the window give the same values, field by field, in the same order. Fails if
    the lazily decoded reasons or categories, or the names, differ from that read."""
    load_demo(store, seed=12, events=1200, clock=clock, open_contacts=90)
    service = desk(store, clock, Role.DUTY_MANAGER, "dm.one")
    items = service.queue()
    whole = Queries(store.engine).contacts([i.contact_id for i in items])
    people = service.people()
    assert len(items) >= 60 and any(i.assignee for i in items)
    assert any(i.reasons for i in items) and any(i.categories for i in items)
    assert [i.contact_id for i in items] == [
        c.contact_id for c in sorted(whole.values(), key=order_key)
    ]
    for item in items:
        c = whole[item.contact_id]
        assert (item.reasons, item.categories) == (c.reasons, c.categories)
        assert all(type(a) is type(b) for a, b in zip(item.reasons, c.reasons, strict=True))
        assert type(item.reasons) is type(c.reasons) is tuple
        assert item.assignee_name == (people.name_of(c.assignee) if c.assignee else None)
        for name in QueueRow.__dataclass_fields__:
            if name not in ("categories", "reasons"):
                assert getattr(item, name) == getattr(c, name), name


def test_the_open_ids_read_by_the_driver_are_sqlalchemys(
    store: EventStore, clock: FixedClock
) -> None:
    """Oracle: the same statement's result read through SQLAlchemy, over open and decided
    contacts."""
    load_demo(store, seed=13, events=700, clock=clock, open_contacts=40)
    statement = select(CONTACTS.c.contact_id).where(
        CONTACTS.c.status.in_(OPEN_STATUSES), CONTACTS.c.received_at != ""
    )
    with store.engine.connect() as conn:
        expected = list(conn.execute(statement).scalars())
        everyone = conn.execute(select(func.count()).select_from(CONTACTS)).scalar()
    assert len(expected) >= 30 and everyone > len(expected)
    assert DeskQueries(store.engine).open_contact_ids() == expected
