"""The queue's load at start-up (issue 19a): it reads only the columns it shows
(``QueueRow``), and it pauses the cyclic collector while it builds its rows and items (a
third of the window's first queue load at 1M events), leaving it running after, however
the load ends."""

from __future__ import annotations

import gc

import pytest

from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.projection import ContactRow, QueueRow
from dutydesk.services.desk import _queue_item
from dutydesk.services.progress import Cancelled
from dutydesk.store.desk_queries import DeskQueries
from dutydesk.store.eventstore import EventStore
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
    same name, value for value, and the queue items made from either are equal, over a
    demo store's open contacts (rated, with reasons, categories, danger stated or not)."""
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
    for row in shown:  # value and type (True == 1 would hide a missed bool conversion)
        assert {n: (type(v := getattr(row, n)), v) for n in names} == {
            n: (type(v := getattr(by_id[row.contact_id], n)), v) for n in names
        }
    today = clock.now().date()
    assert [_queue_item(c, kids.get(c.contact_id, []), today) for c in shown] == [
        _queue_item(c, kids.get(c.contact_id, []), today) for c in whole
    ]
