"""The main window on a real store: ranked queue, filters, saved views, live updates that
keep the selection and scroll position, the detail pane and the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction

from dutydesk.domain.queue import order_key
from dutydesk.services.desk import DeskService
from dutydesk.services.queue_filter import QueueFilter
from dutydesk.services.snapshots import QueueItem
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.queue_model import QueueModel, time_left_text
from tests.factories import contact_payload


def shown(window: MainWindow) -> list[QueueItem]:
    return [window.model.item(r) for r in range(window.model.rowCount())]  # type: ignore[misc]


def test_queue_shows_open_contacts_in_triage_order(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    expected = sorted(service.queue(), key=order_key)
    assert window.model.rowCount() == len(expected) == 25
    assert window.model.ids() == [i.contact_id for i in expected]
    assert [window.model.data(window.model.index(r, 0)) for r in range(3)] == ["1", "2", "3"]
    items = [window.model.item(r) for r in range(25)]
    danger = [i.immediate_danger for i in items]  # type: ignore[union-attr]
    assert danger == sorted(danger, reverse=True)  # immediate danger above everything
    ratings = [i.rating for i in items if not i.immediate_danger]  # type: ignore[union-attr]
    assert ratings == sorted(ratings, key=("red", "amber", "green", "blue").index)
    assert window.model.data(window.model.index(0, 3)) == expected[0].children_text
    assert "25 open contacts" in window.status_count.text()
    assert window.status_sync.text() == "Sync: standalone"
    assert "Duty manager" in window.status_user.text()
    qtbot.waitUntil(lambda: expected[0].concern[:20] in window.detail.toPlainText())


def test_search_filters_ids_and_keeps_the_selection(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    target = window.model.item(3)
    window.table.selectRow(3)
    word = target.children[0].name.split()[-1]
    qtbot.keyClicks(window.search, word)
    assert target.contact_id in window.model.ids()
    assert all(word.casefold() in (i.children_text + i.concern).casefold() for i in shown(window))
    assert window.current_contact_id() == target.contact_id
    window.search.clear()
    assert window.model.rowCount() == 25
    assert window.current_contact_id() == target.contact_id


def test_rating_filter_overdue_and_saved_views(
    qtbot,
    make_window,
    settings: QSettings,  # type: ignore[no-untyped-def]
    clock,
) -> None:
    window = make_window()
    combo = window.filters.combos["ratings"]
    combo.setCurrentIndex(combo.findData("red"))
    assert shown(window) and {i.rating for i in shown(window)} == {"red"}
    window.filters.save_view("Reds")
    combo.setCurrentIndex(0)
    assert window.model.rowCount() == 25
    window.filters.views.setCurrentIndex(window.filters.views.findData("Reds"))
    window.filters.views.activated.emit(window.filters.views.currentIndex())
    assert {i.rating for i in shown(window)} == {"red"}
    combo.setCurrentIndex(0)
    clock.advance(hours=30)
    window.actions_by_name["overdue"].trigger()
    assert window.filters.overdue.isChecked()
    overdue = [
        i.contact_id
        for i in window.model.all_items()
        if time_left_text(i.due_at, clock.now())[1] == "red"
    ]
    assert overdue and window.model.ids() == overdue
    again = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    assert again.value("views/Reds") is not None


def test_live_update_inserts_new_contact_keeping_selection(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    window.table.resize(900, 200)  # a short view so that scrolling matters
    window.table.selectRow(20)
    window.table.scrollTo(window.model.index(20, 0))
    selected = window.current_contact_id()
    top_before = window.model.item(window.table.rowAt(0)).contact_id  # type: ignore[union-attr]
    other = DeskService(service.store, service.actor, service.clock)
    cid, _ = other.record_contact(contact_payload(immediate_danger=True))
    window.poll()
    # Red at once and rated by the policy (due on receipt): only other immediate-danger
    # contacts can be above it.
    new = window.model.item(window.model.row_of(cid))
    assert new is not None and new.rating == "red"
    assert "intake" not in str(new.reasons)
    assert window.model.ids() == [
        i.contact_id for i in sorted(window.model.all_items(), key=order_key)
    ]
    above = [window.model.item(r) for r in range(window.model.row_of(cid))]
    assert all(i is not None and i.immediate_danger for i in above)
    assert window.current_contact_id() == selected
    assert window.model.item(window.table.rowAt(0)).contact_id == top_before  # type: ignore[union-attr]
    assert "26 open contacts" in window.status_count.text()


def test_a_decided_contact_leaves_the_queue(qtbot, make_window, service: DeskService) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    gone = window.model.item(2).contact_id  # type: ignore[union-attr]
    service.decide(gone, "nfa", 1, {"concerns_and_risks": "x", "analysis": "y"})
    window.poll()
    assert gone not in window.model.ids() and window.model.rowCount() == 24


def test_layout_is_remembered(qtbot, make_window, settings: QSettings) -> None:  # type: ignore[no-untyped-def]
    window = make_window()  # 1440 px: the detail below the queue
    window.splitter.setSizes([300, 900])
    window.close()
    assert settings.value("window/splitter_below") is not None
    again = make_window()
    sizes = again.splitter.sizes()
    assert sizes[0] < sizes[1]


def test_extension_points(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    action = QAction("Import wizard…", window)
    window.add_tool_action(action)
    assert action in window.tools_menu.actions()
    window.set_sync_state("up to date")
    assert window.status_sync.text() == "Sync: up to date"
    printed: list[str] = []
    window.set_print_handler(printed.append)
    with qtbot.waitSignal(window.print_requested) as blocker:
        window.actions_by_name["print"].trigger()
    assert printed == [window.current_contact_id()] == blocker.args


def test_every_action_has_a_shortcut_and_controls_have_names(make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    keys = [a.shortcut().toString() for a in window.actions_by_name.values()]
    assert all(keys) and len(set(keys)) == len(keys)
    for name in ("queueTable", "queueSearch", "contactDetail", "savedViews"):
        assert window.findChild(object, name).accessibleName()  # type: ignore[union-attr]


def test_queue_model_passes_qt_model_tester(qtmodeltester, service: DeskService) -> None:  # type: ignore[no-untyped-def]
    model = QueueModel(now=service.clock.now)
    items = service.queue()
    model.set_items(items)
    qtmodeltester.check(model)
    model.show_ids([i.contact_id for i in items][5:15])
    qtmodeltester.check(model)
    assert model.rowCount() == 10
    model.show_ids([i.contact_id for i in reversed(items)])
    qtmodeltester.check(model)
    assert model.rowCount() == 25 and model.ids()[0] == items[-1].contact_id
    model.update_items([], removed=[items[0].contact_id])
    model.show_ids(model.select(QueueFilter()))
    qtmodeltester.check(model)
    assert model.rowCount() == 24
    assert model.data(model.index(0, 1), Qt.ItemDataRole.DisplayRole).removeprefix("⚠ ") in {
        "RED",
        "AMBER",
        "GREEN",
        "BLUE",
        "UNRATED",
    }


def test_time_left_turns_amber_then_red(now) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    assert time_left_text((now + timedelta(hours=5)).isoformat(), now) == ("5h 00m", None)
    assert time_left_text((now + timedelta(minutes=30)).isoformat(), now)[1] == "amber"
    text, level = time_left_text((now - timedelta(minutes=10)).isoformat(), now)
    assert level == "red" and text.startswith("overdue")
    assert time_left_text(None, now) == ("—", None)


def test_no_store_work_on_the_gui_thread(
    qtbot,
    service: DeskService,
    settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """With the real background runner the queue still loads, via the queued signal."""
    import threading

    from dutydesk.services.drafts import DraftStore
    from dutydesk.ui.tasks import TaskRunner

    threads: set[str] = set()
    original = service.queue

    def spy(progress=None):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return original(progress)

    service.queue = spy  # type: ignore[method-assign]
    tasks = TaskRunner()
    window = MainWindow(
        service,
        tasks,
        demo=False,
        store_path=tmp_path / "s.db",
        drafts=DraftStore(service.store, service.actor.login),
        settings=settings,
    )
    qtbot.addWidget(window)
    window.reload()
    qtbot.waitUntil(lambda: window.model.rowCount() == 25, timeout=10_000)
    window.close()
    tasks.shutdown()
    assert threads and all(name.startswith("dutydesk-writer") for name in threads)


def test_cancelling_a_long_load(qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.services.progress import Cancelled

    window = make_window()
    reporter = window.progress.start("Loading queue…")
    assert window.progress.isVisible()
    window.progress.cancel_button.click()
    assert reporter.cancelled()
    window._load_failed(Cancelled())
    assert not window.progress.isVisible()
    assert "cancelled" in window.status_message.text()


def test_an_earlier_decided_contact_opens_from_the_history_and_can_be_amended(  # type: ignore[no-untyped-def]
    qtbot, make_window, service: DeskService
) -> None:
    window = make_window()
    # An open contact whose child has an earlier, decided contact.
    pairs = [
        (item, c)
        for item in service.queue()
        for kid in item.children
        if kid.person_id
        for c in service.queries.contacts_of_person(kid.person_id)
        if c.status == "decided"
    ]
    assert pairs, "the demo history should link children to earlier decisions"
    target, old = pairs[0]
    window.select_contact(target.contact_id)
    qtbot.waitUntil(lambda: f"contact:{old.contact_id}" in window.detail.toHtml(), timeout=3000)
    window.detail_pane.browser.anchorClicked.emit(QUrl(f"contact:{old.contact_id}"))
    qtbot.waitUntil(
        lambda: (
            window.detail_snapshot is not None
            and window.detail_snapshot.contact_id == old.contact_id
        ),
        timeout=3000,
    )
    assert window.current_contact_id() == old.contact_id
    assert window.actions_by_name["amend"].isEnabled()  # a duty manager may amend it
    window.select_contact(target.contact_id)  # back to the queue
    assert window.current_contact_id() == target.contact_id


def test_open_records_a_view_of_the_selected_contact(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    cid = window.model.ids()[2]
    window.select_contact(cid)
    window.actions_by_name["open"].trigger()
    views = [e for e in service.store.events_for_contact(cid) if e.type == "record.viewed"]
    assert len(views) == 1 and views[0].actor == service.actor.login
    qtbot.waitUntil(
        lambda: window.detail_snapshot is not None and window.detail_snapshot.contact_id == cid,
        timeout=3000,
    )
