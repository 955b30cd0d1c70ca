"""The queue's load pauses the cyclic collector while it builds its rows and items (a
third of the window's first queue load at 1M events), and leaves it running after,
however the load ends. The rows themselves are the desk suites' business."""

from __future__ import annotations

import gc

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
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
    read = DeskQueries.open_contacts_in

    def spy(self, contact_ids):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return read(self, contact_ids)

    monkeypatch.setattr(DeskQueries, "open_contacts_in", spy)
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
