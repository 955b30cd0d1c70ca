"""The follow-through in the window: Tools entries follow the permission table, the
strategy discussion form records what it shows, refusals stay inline, the follow-through
view puts what is overdue first and says so in words, and corrections work from the
window (merge a duplicate)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QComboBox, QDialog

from dutydesk.config.settings import Settings
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.timescales import OfficeHours
from dutydesk.services.desk import DeskService
from dutydesk.services.followthrough import FollowThroughService
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.followthrough_view import OVERDUE, FollowThroughWindow
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.session import Session, install_features
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload, event

THU = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
KIDS = [
    {"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2019-02-11"},
    {"given_name": "Leo", "family_name": "Stone", "date_of_birth": "2023-07-19"},
]


def _window(
    qtbot,
    tmp_path: Path,
    role: Role,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    contacts: int = 1,
) -> tuple[MainWindow, ChainedEventStore, list[str]]:
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    ids = []
    for n in range(contacts):
        body = contact_payload(
            children=KIDS,
            received_at=(THU - timedelta(minutes=30 - n)).isoformat(),
            external_ref="WY-2611-0042",
            source_code="6",
        )
        store.append(
            [
                event("contact.received", body, THU),
                event(
                    "contact.rated",
                    {
                        "contact_id": body["contact_id"],
                        "score": 60,
                        "rating": "amber",
                        "reasons": [],
                        "policy_version": "test",
                    },
                    THU,
                ),
            ]
        )
        ids.append(body["contact_id"])
    actor = Actor(f"user.{role.value}", role, "t")
    guarded = GuardedStore(store, actor, clock)
    session = Session(
        actor=actor, clock=clock, settings=Settings(), store=store, guarded=guarded, demo=True
    )
    tasks = TaskRunner(synchronous=True)
    window = MainWindow(
        DeskService(guarded, actor, clock),
        tasks,
        demo=True,
        store_path=tmp_path / "s.sqlite3",
        poll_ms=60_000,
    )
    qtbot.addWidget(window)
    install_features(window, session, tasks)
    window.show()
    window.reload()
    return window, store, ids


def _action(window: MainWindow, name: str) -> QAction | None:
    return next((a for a in window.findChildren(QAction) if a.objectName() == name), None)


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (
            Role.CONTACT_OFFICER,
            {"followThroughAction", "registerAction", "unlinkAction", "allocationAction"},
            {"strategyAction", "routeAction", "mergeAction", "inErrorAction"},
        ),
        (
            Role.PRACTITIONER,
            {"strategyAction", "routeAction", "adultAction"},
            {"mergeAction", "inErrorAction"},
        ),
        (Role.DUTY_MANAGER, {"strategyAction", "mergeAction", "inErrorAction"}, set()),
    ],
)
def test_follow_through_tools_follow_the_permission_table(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, role: Role, present: set[str], absent: set[str]
) -> None:
    window, store, _ = _window(qtbot, tmp_path, role, FixedClock(THU))
    names = {a.objectName() for a in window.findChildren(QAction) if a.parent() is window}
    assert present <= names and not (absent & names)
    store.close()


def test_strategy_form_records_what_it_shows(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.PRACTITIONER, clock)
    window.select_contact(cid)
    _action(window, "strategyAction").trigger()  # type: ignore[union-attr]
    dialog = window.followthrough.dialog  # type: ignore[attr-defined]
    assert dialog.objectName() == "strategyDialog" and dialog.isVisible()
    # nothing ticked (two children): refused inline, nothing written
    before = store.event_count()
    dialog.submit_button.click()
    assert "tick the child" in dialog.error.text() and store.event_count() == before
    dialog.child_boxes[0].setChecked(True)
    dialog.attendees.item(1, 1).setText("DS Khan")
    dialog.decision.setCurrentIndex(dialog.decision.findData("s47_single"))
    assert dialog.s47_start.isEnabled()
    # health removed: the form prompts (it does not refuse)
    dialog.attendees.selectRow(2)
    dialog.attendees.setCurrentCell(2, 1)
    dialog.findChild(type(dialog.submit_button), "strategyRemoveAttendee").click()
    assert "Health" in dialog.agency_prompt.text()
    dialog.police.setChecked(True)
    dialog.police_where.setText("grandmother's home")
    dialog.epo.setChecked(True)
    dialog.epo_granted.setChecked(True)
    dialog.epo_court.setText("Leeds Family Court")
    dialog.submit_button.click()
    assert not dialog.isVisible()
    stored = [e for e in store.events_for_contact(cid) if e.type == "strategy.discussed"]
    assert len(stored) == 1
    p = stored[0].payload
    assert [a["agency"] for a in p["attendees"]] == ["Children's social care", "Police"]
    assert p["attendees"][1]["name"] == "DS Khan" and p["decision"] == "s47_single"
    assert p["s47_started_on"] == "2026-11-26" and p["slots"] == [0]
    assert p["police_protection"]["where"] == "grandmother's home"
    assert p["epo"]["court"] == "Leeds Family Court" and "granted_at" in p["epo"]
    routes = FollowThroughService(store, window.service.actor, clock, OfficeHours()).contact_routes(
        cid
    )
    assert sorted(r.kind for r in routes.routes) == ["emergency_protection", "strategy_s47"]
    assert routes.missing_agencies[p["discussion_id"]] == ("Health",)
    store.close()


def test_a_closed_dialog_is_deleted_not_kept_hidden(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every strategy form opened stayed alive as a hidden child of the window, walked
    again by each palette or font change."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from dutydesk.ui.strategy_dialog import StrategyDialog

    window, store, (cid,) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, FixedClock(THU))
    window.select_contact(cid)
    for _ in range(3):
        _action(window, "strategyAction").trigger()  # type: ignore[union-attr]
        dialog = window.followthrough.dialog  # type: ignore[attr-defined]
        assert dialog.isVisible()
        dialog.reject()
    _action(window, "adultAction").trigger()  # type: ignore[union-attr]
    window.followthrough.dialog.reject()  # type: ignore[attr-defined]
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.findChildren(StrategyDialog) == []
    assert [w for w in window.findChildren(QDialog) if not w.isVisible()] == []
    store.close()


def test_the_follow_through_view_names_people_not_logins(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Its lines read "by user.duty_manager"; the queue's With column already used the
    people directory. The strategy form offers the lead by name and stores the login."""
    from dutydesk.store.accounts import AccountStore
    from tests.factories import decision_payload

    clock = FixedClock(THU)
    window, store, (cid, other) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock, 2)
    accounts = AccountStore(store.engine)
    accounts.add("user.duty_manager", "Dee Manager", Role.DUTY_MANAGER, "pw-long-enough-1", "x")
    accounts.add("sw.tom", "Tom Okafor", Role.PRACTITIONER, "pw-long-enough-2", "x")
    rationale = decision_payload(cid)["rationale"]
    rationale["next_steps"] = [{"action": "Visit with the health visitor", "owner": "sw.tom"}]
    window.service.decide(cid, "cin_assessment", 3, rationale)
    follow = window.followthrough.follow  # type: ignore[attr-defined]
    follow.acknowledge(other, "acknowledgement", "email")
    follow.open_route(
        cid, "early_help", slot=1, team="Early Help North", worker="sw.tom", family_consent="given"
    )
    _action(window, "followThroughAction").trigger()  # type: ignore[union-attr]
    view = window.followthrough.view  # type: ignore[attr-defined]
    qtbot.addWidget(view)

    def texts(tab) -> str:  # type: ignore[no-untyped-def]
        t = tab.table
        return " | ".join(
            t.item(r, c).text() for r in range(t.rowCount()) for c in range(t.columnCount())
        )

    everything = " ".join(texts(tab) for tab in (view.routes, view.awaiting, view.acks, view.steps))
    assert "user.duty_manager" not in everything and "sw.tom" not in everything, everything
    assert "by Dee Manager" in texts(view.acks)
    assert "Dee Manager" in texts(view.awaiting)  # who decided
    assert "Tom Okafor" in texts(view.steps)  # the step's owner
    assert "worker Tom Okafor" in texts(view.routes)
    view.close()

    window.select_contact(cid)
    _action(window, "strategyAction").trigger()  # type: ignore[union-attr]
    dialog = window.followthrough.dialog  # type: ignore[attr-defined]
    assert dialog.attendees.item(0, 1).text() == "Dee Manager"
    assert dialog.lead.currentText() == "Dee Manager"
    assert dialog.values()["lead_social_worker"] == "user.duty_manager"
    dialog.lead.setCurrentText("Tom Okafor")
    assert dialog.values()["lead_social_worker"] == "sw.tom"
    dialog.lead.setCurrentText("Sam from the locality team")  # nobody listed: kept as typed
    assert dialog.values()["lead_social_worker"] == "Sam from the locality team"
    dialog.reject()
    store.close()


def test_follow_through_view_puts_overdue_first_in_words(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock)
    follow = FollowThroughService(window.service.store, window.service.actor, clock, OfficeHours())
    follow.open_route(cid, "early_help", slot=1, team="Early Help North", family_consent="given")
    teacher, _ = follow.record_adult(
        cid, "works_with_children", family_name="Reed", occupation="Teacher"
    )
    follow.open_route(cid, "lado", adult_slot=teacher)
    clock.at = THU + timedelta(days=1, hours=2)  # Fri 12:00: the LADO was due Fri 09:30
    view = FollowThroughWindow(follow, TaskRunner(synchronous=True))
    qtbot.addWidget(view)
    view.show()
    view.reload()
    table = view.routes.table
    assert table.rowCount() == 2
    assert table.item(0, 0).text() == OVERDUE and table.item(0, 0).font().bold()
    assert "Reed" in table.item(0, 1).text() and "LADO" in table.item(0, 2).text()
    assert "OVERDUE since 27 Nov 2026 09:30" in table.item(0, 6).text()
    assert table.item(1, 0).text() == "Open" and not table.item(1, 0).font().bold()
    assert view.tabs.tabText(0) == "Routes (1)"
    assert "1 overdue" in view.routes.summary.text()
    # On a 1024 px screen the clocks are in view, not behind a sideways scroll past
    # wide, half-empty columns.
    view.resize(1000, 600)
    QApplication.processEvents()
    header = table.horizontalHeader()
    chars = table.fontMetrics().averageCharWidth()
    clocks_end = header.sectionPosition(6) + header.sectionSize(6)
    assert header.sectionSize(6) >= 40 * chars
    assert clocks_end <= table.viewport().width(), (clocks_end, table.viewport().width())
    store.close()


def test_merge_a_duplicate_from_the_window(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(THU)
    window, store, (first, second) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock, 2)
    assert {first, second} <= set(window.model.ids())
    window.select_contact(second)
    _action(window, "mergeAction").trigger()  # type: ignore[union-attr]
    dialog = window.followthrough.dialog  # type: ignore[attr-defined]
    combo = dialog.widgets["into"]
    assert isinstance(combo, QComboBox) and combo.currentData() == first
    dialog.widgets["reason"].setPlainText("short")
    dialog.submit_button.click()
    assert "10 characters" in dialog.error.text() and dialog.isVisible()
    dialog.widgets["reason"].setPlainText("Same police incident WY-2611-0042 sent twice")
    dialog.submit_button.click()
    assert not dialog.isVisible()
    assert [e.type for e in store.events_for_contact(second)][-1] == "contact.merged"
    assert second not in window.model.ids() and first in window.model.ids()
    store.close()


def test_steps_and_open_from_the_follow_through_window(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QPushButton

    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock)
    follow = FollowThroughService(window.service.store, window.service.actor, clock, OfficeHours())
    teacher, _ = follow.record_adult(cid, "works_with_children", family_name="Reed")
    follow.open_route(cid, "lado", adult_slot=teacher)
    _action(window, "followThroughAction").trigger()  # type: ignore[union-attr]
    view = window.followthrough.view  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    assert view.isVisible() and view.routes.table.rowCount() == 1
    view.routes.table.selectRow(0)
    view.findChild(QPushButton, "followTab_routes_open").click()
    assert window.current_contact_id() == cid
    view.findChild(QPushButton, "followStep").click()
    dialog = window.followthrough.dialog  # type: ignore[attr-defined]
    assert [dialog.widgets["step"].itemData(i) for i in range(dialog.widgets["step"].count())] == [
        "referred"
    ]
    # when it happened, typed (the LADO was told an hour before it was recorded)
    dialog.widgets["at"].setText("26/11/2026 25:00")
    dialog.submit_button.click()
    assert dialog.isVisible() and "not a time" in dialog.error.text()
    dialog.widgets["at"].setText("27/11/2026 09:00")
    dialog.submit_button.click()
    assert dialog.isVisible() and "future" in dialog.error.text()
    dialog.widgets["at"].setText("26/11/2026 09:00")
    dialog.submit_button.click()
    assert not dialog.isVisible()
    step = [e for e in store.events_for_contact(cid)][-1]
    assert step.type == "route.progressed"
    assert datetime.fromisoformat(step.payload["at"]) == THU - timedelta(hours=1)
    clock.at = THU + timedelta(days=3)
    view.reload()
    assert view.routes.table.item(0, 4).text() == "Referral sent"
    assert view.routes.table.item(0, 0).text() == "Open"  # met: nothing overdue
    assert "LADO told (1 working day): met" in view.routes.table.item(0, 6).text()
    store.close()


def test_a_handover_note_points_at_the_selected_contact(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.PRACTITIONER, clock)
    window.select_contact(cid)
    window.contact_actions.write_handover()
    dialog = window._dialog
    dialog.widgets["shift"].setText("Night 26 Nov, EDT")
    dialog.widgets["text"].setPlainText("Police protection used at 22:30; strategy today.")
    assert dialog.widgets["about"].currentData() == "current"
    dialog.submit_button.click()
    noted = [e for e in store.events() if e.type == "handover.noted"]
    assert len(noted) == 1 and noted[0].payload["contact_ids"] == [cid]
    rows = FollowThroughService(store, window.service.actor, clock, OfficeHours()).view().handovers
    assert rows[0].contacts == ((cid, "Ava Stone, Leo Stone"),)
    store.close()


def test_a_decided_child_without_a_route_is_opened_from_the_view(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QPushButton

    from tests.factories import decision_payload

    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock)
    window.service.decide(cid, "cin_assessment", 3, decision_payload(cid)["rationale"])
    _action(window, "followThroughAction").trigger()  # type: ignore[union-attr]
    view = window.followthrough.view  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    table = view.awaiting.table
    assert table.rowCount() == 2  # Ava and Leo, decided onto an assessment, no route yet
    assert view.routes.table.rowCount() == 0
    assert [table.item(r, 1).text() for r in range(2)] == ["Ava Stone", "Leo Stone"]
    assert table.item(0, 2).text() == "Child-in-need assessment (s17)"
    assert "Assessment completed (45 working days): due" in table.item(0, 5).text()
    assert "2 children decided onto a route nobody has opened yet" in (view.awaiting.summary.text())
    assert view.tabs.tabText(1) == "Awaiting a route"  # nothing overdue yet
    # a route for Leo from the tab: the dialog opens on that contact
    table.selectRow(1)
    view.findChild(QPushButton, "followOpenRoute").click()
    dialog = window.followthrough.dialog  # type: ignore[attr-defined]
    dialog.widgets["kind"].setCurrentIndex(dialog.widgets["kind"].findData("early_help"))
    dialog.widgets["slot"].setCurrentIndex(dialog.widgets["slot"].findData("1"))
    dialog.widgets["team"].setText("Early Help North")
    dialog.widgets["family_consent"].setCurrentIndex(
        dialog.widgets["family_consent"].findData("given")
    )
    dialog.submit_button.click()
    assert not dialog.isVisible(), dialog.error.text()
    view.reload()
    assert [table.item(r, 1).text() for r in range(table.rowCount())] == ["Ava Stone"]
    assert [view.routes.table.item(0, 1).text(), view.routes.table.item(0, 2).text()] == [
        "Leo Stone",
        "Early help",
    ]
    # past the 45 working days: overdue, counted on the tab
    clock.at = datetime(2027, 2, 3, 9, 0, tzinfo=LONDON)
    view.reload()
    assert table.item(0, 0).text() == OVERDUE and view.tabs.tabText(1) == "Awaiting a route (1)"
    store.close()


def test_record_corrections_and_an_adult_from_the_window(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Register a new child, correct a date of birth, undo the link, add an adult and mark
    a contact entered in error, each from Tools → Follow-through, each an event with the
    reason typed; nothing recorded before is changed."""
    clock = FixedClock(THU)
    window, store, (cid, other) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock, 2)
    window.select_contact(cid)
    before = list(store.events_for_contact(cid))

    def dialog():  # type: ignore[no-untyped-def]
        return window.followthrough.dialog  # type: ignore[attr-defined]

    _action(window, "registerAction").trigger()  # type: ignore[union-attr]
    d = dialog()
    d.widgets["slot"].setCurrentIndex(d.widgets["slot"].findData("1"))
    d.widgets["given_name"].setText("Leo")
    d.widgets["family_name"].setText("Stone")
    d.widgets["date_of_birth"].setText("19/07/2023")
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    linked = [e for e in store.events_for_contact(cid) if e.type == "person.linked"]
    assert [e.payload["slot"] for e in linked] == [1]
    leo = linked[0].payload["person_id"]

    _action(window, "correctAction").trigger()  # type: ignore[union-attr]
    d = dialog()
    d.widgets["date_of_birth"].setText("20/07/2023")
    d.widgets["reason"].setPlainText("Birth certificate seen: 20 July, not 19")
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    fixed = [e for e in store.events() if e.type == "person.updated"]
    assert fixed and fixed[-1].payload["person_id"] == leo
    assert fixed[-1].payload["date_of_birth"] == "2023-07-20"

    _action(window, "unlinkAction").trigger()  # type: ignore[union-attr]
    d = dialog()
    d.widgets["reason"].setPlainText("short")
    d.submit_button.click()
    assert d.isVisible() and "10 characters" in d.error.text()
    d.widgets["reason"].setPlainText("Wrong Leo: this is his cousin, not him")
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    unlinked = [e for e in store.events_for_contact(cid) if e.type == "person.unlinked"]
    assert [(e.payload["slot"], e.payload["reason"]) for e in unlinked] == [
        (1, "Wrong Leo: this is his cousin, not him")
    ]

    _action(window, "adultAction").trigger()  # type: ignore[union-attr]
    d = dialog()
    d.widgets["role"].setCurrentIndex(d.widgets["role"].findData("alleged_perpetrator"))
    d.widgets["family_name"].setText("Stone")
    d.widgets["relationship"].setText("father")
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    adult = [e for e in store.events_for_contact(cid) if e.type == "adult.recorded"]
    assert adult[0].payload["role"] == "alleged_perpetrator"

    window.select_contact(other)
    _action(window, "inErrorAction").trigger()  # type: ignore[union-attr]
    d = dialog()
    d.widgets["reason"].setPlainText("Typed against the wrong family by mistake")
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    assert other not in window.model.ids()
    # nothing that was recorded before was changed
    assert [e.id for e in store.events_for_contact(cid)][: len(before)] == [e.id for e in before]
    store.close()


def test_the_awaiting_tab_says_how_many_older_decisions_it_does_not_list(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path
) -> None:
    from datetime import timedelta

    from tests.factories import decision_payload

    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock)
    window.service.decide(cid, "cin_assessment", 3, decision_payload(cid)["rationale"])
    clock.at = THU + timedelta(days=200)  # older than the look-back, no route ever recorded
    _action(window, "followThroughAction").trigger()  # type: ignore[union-attr]
    view = window.followthrough.view  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    assert view.awaiting.table.rowCount() == 0
    since = clock.at - timedelta(days=100)  # the look-back, DECIDED_LOOKBACK_DAYS
    assert (
        f"2 older decided children without a route not listed (decided before {since:%d %b %Y}"
    ) in view.awaiting.summary.text(), view.awaiting.summary.text()
    store.close()


def test_the_notices_tab_says_how_many_older_unsent_notices_it_does_not_list(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path
) -> None:
    from dutydesk.domain.ids import new_id
    from dutydesk.services.followthrough import ACK_LOOKBACK_DAYS

    clock = FixedClock(THU)
    window, store, _ = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock)
    pid = new_id()
    body = contact_payload(
        children=[{**KIDS[0], "person_id": pid}], received_at=THU.isoformat(), source_code="6"
    )
    store.append(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Ava", "family_name": "Stone", "open_case": True},
                THU,
            ),
            event("contact.received", body, THU),
        ]
    )
    clock.at = THU + timedelta(days=ACK_LOOKBACK_DAYS + 1)  # the notice was never sent
    _action(window, "followThroughAction").trigger()  # type: ignore[union-attr]
    view = window.followthrough.view  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    assert view.notices.table.rowCount() == 0
    since = clock.at - timedelta(days=ACK_LOOKBACK_DAYS)
    assert (
        f"And 1 older not sent, not listed (contacts received before {since:%d %b %Y}"
    ) in view.notices.summary.text(), view.notices.summary.text()
    assert "1 overdue" in view.notices.summary.text(), "the older notice is overdue"
    i = view.tabs.indexOf(view.notices)
    assert view.tabs.tabText(i).endswith("(1)")
    store.close()


def test_conflicts_and_handover_notes_show_what_is_overdue(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The conflicts tab shows when the conflict arose and when it is to be resolved by
    (1 working day); the handover tab when an unread note is due read (1 working day).
    Past those times the rows say Overdue, in the summary and the tab's count."""
    from tests.factories import decision_payload

    clock = FixedClock(THU)
    window, store, (cid,) = _window(qtbot, tmp_path, Role.DUTY_MANAGER, clock)
    first = decision_payload(cid, outcome="early_help", threshold_level=2)
    store.append(
        [
            event("decision.recorded", first, THU, actor="sp.lee", role=Role.SENIOR_PRACTITIONER),
            event("decision.recorded", decision_payload(cid), THU + timedelta(minutes=5)),
        ]
    )
    DeskService(store, window.service.actor, clock).note_handover("Day 26 Nov", "Call back.")
    follow = FollowThroughService(store, window.service.actor, clock, OfficeHours())
    view = FollowThroughWindow(follow, TaskRunner(synchronous=True))
    qtbot.addWidget(view)
    view.reload()
    conflicts, handovers = view.conflicts.table, view.handovers.table
    assert conflicts.item(0, 0).text() == "Needs a duty manager"
    assert conflicts.item(0, 4).text() == "27 Nov 2026 10:05"
    assert handovers.item(0, 0).text() == "Unread" and handovers.item(0, 3).text() == (
        "27 Nov 2026 10:00"
    )
    clock.at = THU + timedelta(days=1, hours=1)  # Fri 11:00: both past due
    view.reload()
    assert conflicts.item(0, 0).text() == OVERDUE and conflicts.item(0, 0).font().bold()
    assert handovers.item(0, 0).text().startswith(OVERDUE)
    assert "1 overdue" in view.conflicts.summary.text()
    assert "1 overdue" in view.handovers.summary.text()
    for tab in (view.conflicts, view.handovers):
        assert view.tabs.tabText(view.tabs.indexOf(tab)).endswith("(1)")
    store.close()


def test_record_the_allocated_worker_and_the_notice_starts_with_it(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Tools → Follow-through → Allocated worker records who holds a linked child's open
    case; the notices tab names them and the "told" dialog starts with their name."""
    from dutydesk.domain.ids import new_id

    clock = FixedClock(THU)
    window, store, _ = _window(qtbot, tmp_path, Role.CONTACT_OFFICER, clock, 0)
    pid = new_id()
    body = contact_payload(
        children=[{**KIDS[0], "person_id": pid}], received_at=THU.isoformat(), source_code="6"
    )
    store.append(
        [
            event("person.registered", {"person_id": pid, "given_name": "Ava"}, THU),
            event("contact.received", body, THU),
        ]
    )
    window.reload()
    window.select_contact(body["contact_id"])
    _action(window, "allocationAction").trigger()  # type: ignore[union-attr]
    d = window.followthrough.dialog  # type: ignore[attr-defined]
    assert d.widgets["person_id"].currentData() == pid
    d.widgets["worker"].setText("Sam Allocated")
    d.widgets["team"].setText("Locality 2")
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    updated = [e for e in store.events() if e.type == "person.updated"]
    assert updated[-1].payload == {
        "person_id": pid,
        "open_case": True,
        "allocated_worker": "Sam Allocated",
        "allocated_team": "Locality 2",
        "reason": "As the case-management system records it",
    }
    _action(window, "followThroughAction").trigger()  # type: ignore[union-attr]
    view = window.followthrough.view  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    table = view.notices.table
    assert table.rowCount() == 1 and table.item(0, 2).text() == "Sam Allocated (Locality 2)"
    table.selectRow(0)
    window.followthrough.on_record("notice", (body["contact_id"], pid))  # type: ignore[attr-defined]
    d = window.followthrough.dialog  # type: ignore[attr-defined]
    assert d.widgets["worker"].text() == "Sam Allocated"
    d.submit_button.click()
    assert not d.isVisible(), d.error.text()
    told = [e for e in store.events() if e.type == "allocated_worker.notified"]
    assert told[-1].payload["worker"] == "Sam Allocated"
    store.close()
