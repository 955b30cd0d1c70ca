"""Issue 13, item 1: every open contact is rated the moment it exists on a desk, whatever
path brought it (form, import, watched folder, pull), by the person signed in there.

Before: only window start rated open contacts, so an imported police domestic-abuse
notification with DASH high risk and children present sat unrated below every Amber until
the window was restarted; an auditor's window start was refused outright.
"""

from __future__ import annotations

import json
from pathlib import Path

from dutydesk.demo.loader import load_demo
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.desk import DeskService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.importer import Importer
from dutydesk.services.triage import TriageService, default_policy
from dutydesk.services.watch import FolderWatcher
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.folder_watch import WatchedFolder
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload, event

DM = Actor("dm.lee", Role.DUTY_MANAGER, "desk-a")
PC_REF = "DA/2026/99001"


def police_notification(received_at: str) -> dict[str, object]:
    return {
        "received_at": received_at,
        "channel": "police_notification",
        "source_code": "6",
        "external_ref": PC_REF,
        "reporter": {"name": "PC 4471 Okafor", "agency": "West Yorkshire Police"},
        "children": [
            {
                "given_name": "Aoife",
                "family_name": "Kelly",
                "date_of_birth": "2025-12-02",
                "sex": "b",
            },
            {
                "given_name": "Cian",
                "family_name": "Kelly",
                "date_of_birth": "2019-05-14",
                "sex": "a",
            },
        ],
        "concern": "Father strangled mother in front of both children; he has left the "
        "address and his whereabouts are not known.",
        "categories": ["3B"],
        "consent": "not_sought",
        "immediate_danger": False,
        "domestic_abuse": {
            "dash_level": "high",
            "children_present": True,
            "previous_incidents": 4,
            "incident_ref": PC_REF,
        },
    }


def _window(
    qtbot,
    store: ChainedEventStore,
    actor: Actor,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> MainWindow:
    guarded = GuardedStore(store, actor, clock)
    desk = DeskService(guarded, actor, clock, triage=TriageService(guarded, actor, clock))
    window = MainWindow(
        desk,
        TaskRunner(synchronous=True),
        demo=False,
        store_path=tmp_path / "s.sqlite3",
        poll_ms=60_000,
    )
    qtbot.addWidget(window)
    window.show()
    window.reload()
    return window


def _top(window: MainWindow) -> tuple[str | None, str | None]:
    item = window.model.item(0)
    assert item is not None
    return item.contact_id, item.rating


def _assert_ranked_as_red(window: MainWindow, contact_id: str) -> None:
    """Rated Red and in its place: above every Amber, Green and Blue; only immediate
    danger or Reds due sooner above it."""
    row = window.model.row_of(contact_id)
    item = window.model.item(row)
    assert item is not None and item.rating == "red"
    for r in range(row):
        above = window.model.item(r)
        assert above is not None
        assert above.immediate_danger or (
            above.rating == "red" and (above.due_at or "") <= (item.due_at or "")
        )
    below = [window.model.item(r) for r in range(row + 1, window.model.rowCount())]
    assert all(
        b is not None
        and (b.rating != "red" or (b.due_at or "") >= (item.due_at or ""))
        and not b.immediate_danger
        for b in below
    )


def test_a_watched_folder_police_notification_is_rated_and_on_top_at_once(
    qtbot, tmp_path: Path, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    load_demo(store, seed=5, events=1500, clock=clock, open_contacts=60)
    window = _window(qtbot, store, DM, clock, tmp_path)
    before = window.model.rowCount()
    assert before > 20 and all(window.model.item(r).rating for r in range(before))

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    received = clock.now().replace(hour=2).isoformat()
    (inbox / "ppn.json").write_text(json.dumps(police_notification(received)), "utf-8")
    watched = WatchedFolder(
        FolderWatcher(inbox, window.service.store, clock),  # type: ignore[arg-type]
        window.tasks,
        lambda _reports: window.poll(),
        parent=window,
    )
    watched.poll()  # the first look notes the size; the second imports the stable file
    watched.poll()
    assert (inbox / "processed").is_dir()

    assert window.model.rowCount() == before + 1
    imported = next(
        e
        for e in store.events()
        if e.type == "contact.received" and e.payload.get("external_ref") == PC_REF
    )
    _assert_ranked_as_red(window, imported.contact_id)
    rating = next(
        e
        for e in store.events()
        if e.type == "contact.rated" and e.contact_id == imported.contact_id
    )
    assert (rating.actor, rating.actor_role) == ("dm.lee", "duty_manager")
    assert rating.payload["policy_version"] == default_policy().version
    assert imported.actor == "dm.lee"


def test_a_contact_stored_by_another_path_is_rated_before_it_is_shown(
    qtbot, tmp_path: Path, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    """A pull from the server writes to the store without the window: the next poll rates
    it before the row is shown (and a child linked later re-rates it)."""
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    window = _window(qtbot, store, DM, clock, tmp_path)
    body = contact_payload(
        **{
            k: v
            for k, v in police_notification(clock.now().isoformat()).items()
            if k != "external_ref"
        }
    )
    # what a pull does: events by someone else, straight into the store, no rating
    store.append(
        [event("contact.received", body, clock.now(), actor="cc.other", role=Role.CONTACT_OFFICER)]
    )
    window.poll()
    assert _top(window) == (body["contact_id"], "red")


def test_a_new_policy_version_re_rates_open_contacts_at_start(
    tmp_path: Path, clock: FixedClock
) -> None:
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    body = contact_payload()
    store.append(
        [
            event("contact.received", body, clock.now()),
            event(
                "contact.rated",
                {
                    "contact_id": body["contact_id"],
                    "score": 1,
                    "rating": "blue",
                    "reasons": [],
                    "policy_version": "old-2025",
                },
                clock.now(),
            ),
        ]
    )
    guarded = GuardedStore(store, DM, clock)
    assert TriageService(guarded, DM, clock).rate_all_open() == 1
    assert store.read_model().contacts[body["contact_id"]].policy_version == (
        default_policy().version
    )
    assert TriageService(guarded, DM, clock).rate_all_open() == 0


def test_an_auditor_window_starts_after_an_import_without_rating_anything(
    qtbot, tmp_path: Path, clock: FixedClock
) -> None:  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    path = tmp_path / "ppn.json"
    path.write_text(json.dumps(police_notification(clock.now().isoformat())), "utf-8")
    officer = Actor("cc.ahmed", Role.CONTACT_OFFICER, "desk-c")
    report = Importer(GuardedStore(store, officer, clock), clock).run(path)
    assert report.rows_ok == 1 and report.contacts_rated == 1
    store.append([event("contact.received", contact_payload(), clock.now())])  # unrated
    auditor = Actor("au.jones", Role.AUDITOR, "desk-x")
    guarded = GuardedStore(store, auditor, clock)
    assert TriageService(guarded, auditor, clock).rate_all_open() == 0  # was: refused
    window = _window(qtbot, store, auditor, clock, tmp_path)
    assert window.model.rowCount() == 2
    assert not [e for e in store.events() if e.actor == "au.jones" and e.type == "contact.rated"]
