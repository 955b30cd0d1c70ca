"""The window and sync write to the local store at once, through its one writer: the
window submits its writes to the session's writer thread, sync hands its writes to the
same thread and waits for each (``TaskRunner.run``, see ``dutydesk.ui.tasks``). Both
finish, nothing is lost, and every statement that changed the file ran on the writer."""

from __future__ import annotations

import threading
from datetime import datetime

from pytestqt.qtbot import QtBot

from dutydesk.store.eventstore import EventStore
from dutydesk.ui.tasks import WRITER, TaskRunner
from tests.factories import contact_payload, event
from tests.sqltrace import trace


def test_the_window_and_sync_append_at_once_and_every_event_is_stored_by_the_writer(
    qtbot: QtBot, store: EventStore, now: datetime
) -> None:
    statements = trace(store.engine)
    writer = TaskRunner()  # a real writer thread, as in the window
    recorded = [event("contact.received", contact_payload(), now) for _ in range(40)]
    pulled = [event("contact.received", contact_payload(), now) for _ in range(40)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []
    done = threading.Event()

    def sync() -> None:
        """What sync does: each pulled event handed to the writer, its result waited for."""
        start.wait()
        try:
            for e in pulled:
                writer.run(lambda e=e: store.append([e], outbox=False))
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            failures.append(err)

    syncing = threading.Thread(target=sync, name="dutydesk-sync")
    syncing.start()
    start.wait()
    # What the window does on the GUI thread: each write submitted to the writer, its
    # result delivered later by queued signal.
    for e in recorded:  # one transaction each, as the desk writes
        writer.submit(lambda e=e: store.append([e], outbox=True), failed=failures.append)
    writer.submit(done.set)
    syncing.join(timeout=60)
    assert done.wait(60)
    qtbot.wait(10)  # any failure reported by queued signal arrives
    writer.shutdown()
    assert failures == []
    stored = {e.id for e in store.events()}
    assert {e.id for e in recorded + pulled} <= stored
    assert len(store.read_model().contacts) == 80
    assert len(statements.threads_of(r"INTO events\b")) == 1  # the same thread for both
    assert {t for t, _ in statements.writes()} == {f"{WRITER}_0"}
