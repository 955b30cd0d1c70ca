"""Issue 13, item 7: the people directory; Assign picks from it.

Before, Assign took any text: "no.such.person" was accepted and written, and so was an
auditor's login. Now a contact is assigned only to a person in the directory (active
local accounts; the demo users on a demo store; the server's logins in shared mode) whose
role works on contacts, and the directory gives everyone's display name.
"""

from __future__ import annotations

import pytest

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import Actor
from dutydesk.services.accounts import AccountService
from dutydesk.services.desk import DeskService
from dutydesk.services.directory import local_directory, server_directory
from dutydesk.services.local_store import DEMO_KIND, STORE_KIND
from dutydesk.store.eventstore import EventStore
from tests.factories import contact_payload, event

MANAGER = Actor("dm.one", Role.DUTY_MANAGER, "test-desk", display_name="Dee One")
PASSWORD = "a long test password"


@pytest.fixture
def desk(store: EventStore, clock: FixedClock) -> DeskService:
    accounts = AccountService(store, clock)
    accounts.accounts.add("dm.one", "Dee One", Role.DUTY_MANAGER, PASSWORD, "2026-11-01")
    accounts.accounts.add("sw.tom", "Tom Okafor", Role.PRACTITIONER, PASSWORD, "2026-11-01")
    accounts.accounts.add("au.ann", "Ann Auditor", Role.AUDITOR, PASSWORD, "2026-11-01")
    accounts.accounts.add("sw.gone", "Left Last Year", Role.PRACTITIONER, PASSWORD, "2026-11-01")
    accounts.accounts.set_active("sw.gone", False, "2026-11-02")
    return DeskService(store, MANAGER, clock)


def contact(store: EventStore, clock: FixedClock) -> str:
    body = contact_payload()
    store.append([event("contact.received", body, clock.now(), actor="dm.one")])
    return body["contact_id"]


def assigned(store: EventStore, cid: str) -> list[str]:
    return [
        e.payload["assignee"] for e in store.events_for_contact(cid) if e.type == "contact.assigned"
    ]


@pytest.mark.parametrize(
    "who, words",
    [
        ("no.such.person", "nobody signs in as 'no.such.person'"),
        ("au.ann", "Ann Auditor does not work on contacts"),
        ("sw.gone", "nobody signs in as 'sw.gone'"),  # a closed account
        ("", "nobody signs in"),
    ],
)
def test_assign_refuses_anyone_not_in_the_directory_or_not_taking_contacts(
    desk: DeskService, store: EventStore, clock: FixedClock, who: str, words: str
) -> None:
    cid = contact(store, clock)
    with pytest.raises(ValidationError, match=words) as err:
        desk.assign(cid, who)
    assert err.value.path == "assignee"
    assert assigned(store, cid) == []


def test_assign_to_a_person_in_the_directory(
    desk: DeskService, store: EventStore, clock: FixedClock
) -> None:
    cid = contact(store, clock)
    desk.assign(cid, " sw.tom ")
    assert assigned(store, cid) == ["sw.tom"]


def test_the_directory_names_people_and_offers_only_those_who_take_contacts(
    desk: DeskService,
) -> None:
    people = desk.people()
    assert [e.login for e in people.assignable()] == ["dm.one", "sw.tom"]
    assert people.name_of("sw.tom") == "Tom Okafor"
    assert people.name_of("au.ann") == "Ann Auditor"
    assert people.name_of("someone.removed") == "someone.removed"
    assert "sw.gone" not in people
    assert [e.label for e in people.assignable()] == [
        "Dee One (dm.one), duty manager",
        "Tom Okafor (sw.tom), practitioner",
    ]


def test_a_demo_store_lists_the_demo_users_and_a_real_one_does_not(store: EventStore) -> None:
    assert list(local_directory(store).entries) == []
    store.set_meta(STORE_KIND, DEMO_KIND)
    assert local_directory(store).name_of("sw.practitioner") == "Tom Practitioner"


def test_the_servers_rows_become_the_directory() -> None:
    people = server_directory(
        [
            ("t.dm", "Dana Manager", "duty_manager"),
            ("t.pr", "Pat Practitioner", "practitioner"),
            ("t.x", "Odd", "not_a_role"),
        ]
    )
    assert [e.login for e in people.assignable()] == ["t.dm", "t.pr"]
    assert "t.x" not in people


def test_the_assign_dialog_picks_from_the_directory(  # type: ignore[no-untyped-def]
    qtbot, desk: DeskService, store: EventStore, clock: FixedClock, tmp_path
) -> None:
    from PySide6.QtWidgets import QComboBox

    from dutydesk.ui.main_window import MainWindow
    from dutydesk.ui.tasks import TaskRunner

    cid = contact(store, clock)
    window = MainWindow(
        desk, TaskRunner(synchronous=True), demo=False, store_path=tmp_path / "s.sqlite3"
    )
    qtbot.addWidget(window)
    window.show()
    window.reload()
    window.select_contact(cid)
    window.contact_actions.assign()
    dialog = window._dialog
    combo = dialog.findChild(QComboBox, "action_assignee")
    assert combo is not None and not combo.isEditable()  # nothing can be typed in
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == ["dm.one", "sw.tom"]  # no auditor, no closed account
    assert combo.itemText(1) == "Tom Okafor (sw.tom), practitioner"
    combo.setCurrentIndex(1)
    dialog.try_submit()
    assert assigned(store, cid) == ["sw.tom"]


def test_the_detail_pane_shows_people_by_name(  # type: ignore[no-untyped-def]
    qtbot, desk: DeskService, store: EventStore, clock: FixedClock, tmp_path
) -> None:
    from dutydesk.ui.main_window import MainWindow
    from dutydesk.ui.tasks import TaskRunner

    cid = contact(store, clock)
    desk.assign(cid, "sw.tom")
    window = MainWindow(
        desk, TaskRunner(synchronous=True), demo=False, store_path=tmp_path / "s.sqlite3"
    )
    qtbot.addWidget(window)
    window.show()
    window.reload()
    window.select_contact(cid)
    qtbot.waitUntil(lambda: window.detail_snapshot is not None, timeout=3000)
    assert "with Tom Okafor (sw.tom)" in window.detail.toPlainText()


def test_the_audit_trail_shows_people_by_name(
    desk: DeskService, store: EventStore, clock: FixedClock
) -> None:
    from dutydesk.services.audit import AuditFilter, AuditService
    from dutydesk.services.guard import GuardedStore

    cid = contact(store, clock)
    desk.assign(cid, "sw.tom")
    auditor = Actor("au.ann", Role.AUDITOR, "test-desk")
    names = {e.login: e.display_name for e in desk.people().entries}
    entries = AuditService(GuardedStore(store, auditor, clock), names).query(
        AuditFilter(contact_id=cid)
    )
    assert {e.who for e in entries} == {"Dee One (dm.one)"}
