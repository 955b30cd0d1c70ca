"""Issue 13, item 5: the access log records every display of a record.

Before, only "Open contact" wrote ``record.viewed``: a person could read every record in
the queue by moving down it with the arrow keys, or read a whole case log in print
preview, and the access log showed nothing. Now every contact shown in the detail pane is
recorded before it is shown (a person passing rows quickly records only where they stop),
a refresh of the record already on screen is not another entry, a restricted record
shows and records nothing, a role that reads no records (an administrator) sees no
content, and a print preview is recorded as a view naming the document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.services.desk import DeskService
from dutydesk.services.documents import DocumentService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.printing import DocumentActions
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload, event
from tests.report_cases import Case

SECRET = "Concern about a staff member's daughter, Zoë"


def views(store: EventStore, login: str) -> list[str | None]:
    """The contacts ``login`` is recorded as having been shown, in order."""
    return [
        e.payload.get("contact_id")
        for e in store.events()
        if e.type == "record.viewed" and e.actor == login
    ]


def shown(qtbot, window: MainWindow, cid: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(
        lambda: window.detail_snapshot is not None and window.detail_snapshot.contact_id == cid,
        timeout=3000,
    )


def test_moving_through_the_queue_records_every_contact_shown(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    window = make_window()
    store, login = service.store, service.actor.login
    assert views(store, login) == []
    ids = window.model.ids()
    window.table.setFocus()
    window.select_contact(ids[0])
    shown(qtbot, window, ids[0])
    for n in (1, 2):  # the arrow key, stopping to read each one
        qtbot.keyClick(window.table, Qt.Key.Key_Down)
        shown(qtbot, window, ids[n])
    assert views(store, login) == ids[:3]
    [entry] = [
        e
        for e in store.events()
        if e.type == "record.viewed" and e.payload.get("contact_id") == ids[1]
    ]
    assert entry.actor_role == service.actor.role.value
    assert "detail pane" in entry.payload["reason"]


def test_scrolling_past_does_not_flood_the_log_and_a_refresh_is_not_a_new_view(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    window = make_window()
    store, login = service.store, service.actor.login
    ids = window.model.ids()
    for cid in ids[:12]:  # rows passed in one sweep, faster than the pane loads
        window.select_contact(cid)
    shown(qtbot, window, ids[11])
    assert views(store, login) == [ids[11]]
    window._load_detail()  # a live update reloads the record already on screen
    qtbot.wait(150)
    assert views(store, login) == [ids[11]]
    window.select_contact(ids[3])
    shown(qtbot, window, ids[3])
    window.select_contact(ids[11])  # back to it: shown again, recorded again
    shown(qtbot, window, ids[11])
    assert views(store, login) == [ids[11], ids[3], ids[11]]


def test_open_is_one_entry_not_two(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    cid = window.model.ids()[4]
    window.select_contact(cid)
    window.actions_by_name["open"].trigger()
    shown(qtbot, window, cid)
    qtbot.wait(150)
    assert views(service.store, service.actor.login) == [cid]


@pytest.fixture
def restricted(tmp_path: Path, clock: FixedClock):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    pid = new_id()
    body = contact_payload(
        concern=SECRET, children=[{"person_id": pid, "given_name": "Zoë", "family_name": "Quinn"}]
    )
    other = contact_payload(concern="Neighbour heard shouting.")
    at = clock.now()
    store.import_events(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Zoë", "family_name": "Quinn"},
                at,
            ),
            event("contact.received", body, at),
            event("contact.received", other, at),
            event(
                "record.restricted",
                {"person_id": pid, "allowed": ["someone.else"], "reason": "staff relative"},
                at,
                actor="admin",
                role=Role.ADMIN,
            ),
        ]
    )
    yield store, body["contact_id"], other["contact_id"]
    store.close()


def window_for(
    qtbot,
    store: EventStore,
    actor: Actor,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> MainWindow:
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
    return window


def test_a_restricted_record_is_neither_shown_nor_logged_as_seen(  # type: ignore[no-untyped-def]
    qtbot, restricted, clock: FixedClock, tmp_path: Path
) -> None:
    store, cid, _ = restricted
    actor = Actor(login="dm.other", role=Role.DUTY_MANAGER, device="t")
    window = window_for(qtbot, store, actor, clock, tmp_path)
    window.select_contact(cid)
    qtbot.waitUntil(lambda: "Restricted record" in window.detail.toPlainText(), timeout=3000)
    assert SECRET not in window.detail.toPlainText()
    assert views(store, actor.login) == []


def test_an_administrator_sees_no_record_content_in_the_pane(  # type: ignore[no-untyped-def]
    qtbot, restricted, clock: FixedClock, tmp_path: Path
) -> None:
    """Administrators may not read records (the permission table gives them no
    view_record); the pane used to show them any unrestricted contact unlogged."""
    store, _, cid = restricted
    actor = Actor(login="it.admin", role=Role.ADMIN, device="t")
    window = window_for(qtbot, store, actor, clock, tmp_path)
    window.select_contact(cid)
    qtbot.waitUntil(lambda: "not shown to your role" in window.detail.toPlainText(), timeout=3000)
    assert "Neighbour" not in window.detail.toPlainText()
    assert views(store, actor.login) == []
    assert not window.actions_by_name["print"].isEnabled()


def test_print_preview_is_recorded_before_it_is_shown(  # type: ignore[no-untyped-def]
    qtbot, documents: DocumentService, store: EventStore, case: Case
) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    actions = DocumentActions(parent, documents, TaskRunner(synchronous=True))
    before = len([e for e in store.events() if e.type == "record.viewed"])
    actions.preview(lambda: documents.case_log(person_id=case.person_id))
    assert actions.last_preview is not None
    qtbot.addWidget(actions.last_preview)
    viewed = [e for e in store.events() if e.type == "record.viewed"]
    assert len(viewed) == before + 1
    entry = viewed[-1]
    assert entry.actor == documents.actor.login
    assert entry.payload["person_id"] == case.person_id
    assert entry.payload["reason"].startswith("print preview: case-log")
    assert not [e for e in store.events() if e.type == "document.printed"]  # not a print
