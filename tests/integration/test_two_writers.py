"""The local store has two writers in shared mode: the session's writer thread and the
sync thread (see ``dutydesk.ui.tasks``). SQLite lets one write at a time and the other
waits (WAL, ``busy_timeout`` in ``store.database``): both finish, nothing is lost."""

from __future__ import annotations

import threading
from datetime import datetime

from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event


def test_the_writer_and_sync_append_at_once_and_every_event_is_stored(
    store: EventStore, now: datetime
) -> None:
    recorded = [event("contact.received", contact_payload(), now) for _ in range(40)]
    pulled = [event("contact.received", contact_payload(), now) for _ in range(40)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(events: list, outbox: bool) -> None:  # type: ignore[type-arg]
        start.wait()
        try:
            for e in events:  # one transaction each, as the desk and sync write
                store.append([e], outbox=outbox)
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    threads = [
        threading.Thread(target=write, args=(recorded, True), name="dutydesk-writer_0"),
        threading.Thread(target=write, args=(pulled, False), name="dutydesk-sync"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    stored = {e.id for e in store.events()}
    assert {e.id for e in recorded + pulled} <= stored
    assert len(store.read_model().contacts) == 80
