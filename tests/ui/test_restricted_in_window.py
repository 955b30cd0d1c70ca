"""A restricted child's contact in the window: in the queue but unreadable, and opened only
by breaking the glass with a reason, which is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QInputDialog

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload, event

SECRET = "Concern about a staff member's daughter, Zoë"


@pytest.fixture
def window_and_store(qtbot, tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    pid = new_id()
    body = contact_payload(
        concern=SECRET, children=[{"person_id": pid, "given_name": "Zoë", "family_name": "Quinn"}]
    )
    at = clock.now()
    store.import_events(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Zoë", "family_name": "Quinn"},
                at,
            ),
            event("contact.received", body, at),
            event(
                "record.restricted",
                {"person_id": pid, "allowed": ["someone.else"], "reason": "staff relative"},
                at,
                actor="admin",
                role=Role.ADMIN,
            ),
        ]
    )
    actor = Actor(login="dm.other", role=Role.DUTY_MANAGER, device="t")
    guarded = GuardedStore(store, actor, clock)
    window = MainWindow(
        DeskService(guarded, actor, clock),
        TaskRunner(synchronous=True),
        demo=False,
        store_path=tmp_path / "s.sqlite3",
    )
    qtbot.addWidget(window)
    window.show()
    window.reload()
    yield window, store, body["contact_id"], pid
    store.close()


def test_the_queue_shows_the_contact_but_not_its_content(qtbot, window_and_store) -> None:  # type: ignore[no-untyped-def]
    window, _, cid, _ = window_and_store
    item = window.model.item(window.model.row_of(cid))
    assert item is not None and "Zoë" not in item.children_text and SECRET not in item.concern
    window.select_contact(cid)
    qtbot.waitUntil(lambda: "Restricted record" in window.detail.toPlainText(), timeout=3000)
    assert SECRET not in window.detail.toPlainText()
    assert not window.actions_by_name["decide"].isEnabled()


def test_breaking_the_glass_needs_a_reason_and_is_recorded(  # type: ignore[no-untyped-def]
    qtbot, monkeypatch: pytest.MonkeyPatch, window_and_store
) -> None:
    window, store, cid, pid = window_and_store
    window.select_contact(cid)
    qtbot.waitUntil(lambda: "Restricted record" in window.detail.toPlainText(), timeout=3000)
    monkeypatch.setattr(
        QInputDialog, "getMultiLineText", lambda *a, **k: ("x", True)
    )  # too short: refused by the service
    window.detail_pane.browser.anchorClicked.emit(QUrl(f"breakglass:{cid}"))
    assert "reason" in window.status_message.text()
    assert not [e for e in store.events() if e.type == "access.break_glass"]

    reason = "Police on the phone: child missing tonight, need the address history now"
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: (reason, True))
    window.detail_pane.browser.anchorClicked.emit(QUrl(f"breakglass:{cid}"))
    qtbot.waitUntil(lambda: SECRET in window.detail.toPlainText(), timeout=3000)
    [glass] = [e for e in store.events() if e.type == "access.break_glass"]
    assert glass.actor == "dm.other" and glass.payload == {"person_id": pid, "reason": reason}
