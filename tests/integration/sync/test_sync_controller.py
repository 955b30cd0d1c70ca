"""The Qt sync controller: sync on its own thread, pulled by the server's NOTIFY pokes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pytestqt.qtbot import QtBot

from dutydesk.domain.codes import Role
from dutydesk.sync.engine import SyncReport
from dutydesk.ui.sync_controller import SyncController
from tests.factories import contact_payload, decision_payload, event
from tests.integration.sync.conftest import Desk, Login


def test_controller_syncs_off_the_gui_thread_and_follows_pokes(
    qtbot: QtBot,
    make_login: Callable[[str], Login],
    make_desk: Callable[[Login], Desk],
    now: datetime,
) -> None:
    watcher = make_desk(make_login("duty_manager"))
    maker = make_desk(make_login("senior_practitioner"))
    # The timer's interval is longer than every wait below, so only the first round and the
    # NOTIFY poke can bring anything over; the waits are bounds for a loaded machine.
    controller = SyncController(watcher.engine, interval_s=600)
    reports: list[SyncReport] = []
    controller.reported.connect(reports.append)
    controller.start()
    try:
        qtbot.waitUntil(lambda: bool(reports), timeout=60_000)
        contact = event(
            "contact.received",
            contact_payload(),
            now,
            actor=maker.login.name,
            role=Role.SENIOR_PRACTITIONER,
        )
        cid = contact.payload["contact_id"]
        maker.store.append(
            [
                contact,
                event(
                    "decision.recorded",
                    decision_payload(cid),
                    now,
                    actor=maker.login.name,
                    role=Role.SENIOR_PRACTITIONER,
                ),
            ]
        )
        maker.engine.sync()
        # No timer fires within this wait: only the NOTIFY poke can bring it over. The
        # report reaches this thread as a queued signal, after the store already shows it.
        qtbot.waitUntil(
            lambda: (
                watcher.store.read_model().contacts.get(cid) is not None
                and watcher.store.read_model().contacts[cid].status == "decided"
            ),
            timeout=60_000,
        )
        qtbot.waitUntil(lambda: any(r.pulled >= 2 for r in reports), timeout=60_000)
    finally:
        controller.stop()
