"""The queue reads at a glance on an ordinary laptop: it fits 1024 px and 1366x768 at
125% (1093x614 logical pixels) with every shown column in view, the detail goes below
(or away), immediate danger and the reasons show in the row, time left has one unit and
stops at a decision, and each person's columns are remembered."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.domain.wording import top_reasons
from dutydesk.services.desk import DeskService
from dutydesk.services.drafts import DraftStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.queue_model import (
    CONCERN,
    RATING,
    SOURCE,
    TIME_LEFT,
    WHY,
    WITH,
    time_left_seconds,
    time_left_text,
)
from dutydesk.ui.tasks import TaskRunner
from tests.factories import contact_payload
from tests.ui.every_window import session_window

LAPTOPS = [(1024, 768), (1093, 614)]  # 1366x768 at 125% is 1093x614 logical pixels


@pytest.mark.parametrize("width, height", LAPTOPS)
def test_the_window_fits_an_ordinary_laptop(
    qtbot,
    tmp_path: Path,
    clock: FixedClock,  # type: ignore[no-untyped-def]
    width: int,
    height: int,
) -> None:
    window = session_window(qtbot, tmp_path, clock)
    window.handover_dock.hide()
    assert window.minimumSizeHint().width() <= 1000, window.minimumSizeHint()
    window.resize(width, height)
    QApplication.processEvents()
    assert (window.width(), window.height()) == (width, height)
    table = window.table
    # The detail is below the queue, not squeezing it from the side.
    assert window.detail_pane.geometry().top() >= table.parentWidget().geometry().bottom()
    # Every shown column is in view: no sideways scrolling to find Status or With.
    assert table.horizontalHeader().length() <= table.viewport().width()
    for col in (RATING, TIME_LEFT, WHY, CONCERN, SOURCE):
        assert not table.isColumnHidden(col)
    chars = table.fontMetrics().averageCharWidth()
    assert table.columnWidth(CONCERN) >= 12 * chars
    assert table.columnWidth(WHY) >= 20 * chars
    rows = table.viewport().height() // table.rowHeight(0)
    assert rows >= 8, rows
    # Who has a contact is read in full: it was cut to "Tom Practiti…" at 1024 px.
    names = {window.model.index(r, WITH).data() for r in range(window.model.rowCount())}
    assert "Tom Practitioner" in names
    metrics = table.fontMetrics()
    for name in names:
        assert table.columnWidth(WITH) >= metrics.horizontalAdvance(name) + 12, name


def test_a_wide_window_has_the_detail_beside_and_it_can_be_hidden(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, clock: FixedClock
) -> None:
    window = session_window(qtbot, tmp_path, clock)
    window.resize(1920, 1040)
    QApplication.processEvents()
    assert window.splitter.orientation() == Qt.Orientation.Horizontal
    queue_width = window.table.width()
    window.actions_by_name["detail_pane"].trigger()
    QApplication.processEvents()
    assert window.detail_pane.isHidden() and window.table.width() > queue_width + 300
    window.actions_by_name["focus_detail"].trigger()  # Ctrl+2 brings it back
    assert not window.detail_pane.isHidden() and window.actions_by_name["detail_pane"].isChecked()
    window.resize(1200, 800)
    QApplication.processEvents()
    assert window.splitter.orientation() == Qt.Orientation.Vertical


def test_immediate_danger_and_the_reasons_show_in_the_row(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    window = session_window(qtbot, tmp_path, clock)
    window.service.record_contact(contact_payload(immediate_danger=True))
    window.poll()
    model = window.model
    danger = [r for r in range(model.rowCount()) if model.item(r).immediate_danger]  # type: ignore[union-attr]
    calm = [r for r in range(model.rowCount()) if not model.item(r).immediate_danger]  # type: ignore[union-attr]
    assert danger and calm
    for row in danger:
        cell = model.index(row, RATING)
        assert "⚠" in cell.data()
        assert "immediate danger" in cell.data(Qt.ItemDataRole.AccessibleTextRole)
        assert "immediate danger" in model.index(row, WHY).data().split(";")[0].casefold()
    for row in calm:
        assert "⚠" not in model.index(row, RATING).data()
    for row in range(model.rowCount()):
        item = model.item(row)
        assert item is not None and item.reasons
        why = model.index(row, WHY).data()
        assert why and not why.startswith("Score"), why  # a reason, not the summary
        assert why == "; ".join(top_reasons(item.reasons))
        # The rating is in words too, never the chip colour alone.
        assert (item.rating or "unrated").upper() in model.index(row, RATING).data()


def test_top_reasons_are_short_and_not_repeated() -> None:
    reasons = [
        {"factor": "rating", "points": 0, "text": "Score 71: Red by score (Red from 60)"},
        {
            "factor": "hard_rule:danger",
            "points": 0,
            "text": "A child is reported to be in immediate danger: always Red",
        },
        {
            "factor": "flag:immediate_danger",
            "points": 60,
            "text": "Child reported to be in immediate danger (+60)",
        },
        {
            "factor": "category:3A",
            "points": 18,
            "text": "Concern: Domestic abuse – child is subject (+18)",
        },
    ]
    assert top_reasons(reasons) == ["In immediate danger", "Domestic abuse – child is subject"]
    assert top_reasons(reasons[:1]) == []


def test_time_left_has_one_unit_and_says_its_warning_in_words(now: datetime) -> None:
    assert time_left_seconds(45 * 3600 + 36 * 60) == ("45h 36m", None)
    assert time_left_seconds(61 * 3600) == ("61h 00m", None)  # was "2d 13h"
    assert time_left_seconds(30 * 60) == ("0h 30m (soon)", "amber")
    assert time_left_seconds(-125 * 60) == ("overdue 2h 05m", "red")
    late = (now - timedelta(hours=3)).isoformat()
    assert time_left_text(late, now, status="decided") == ("decided", None)


def test_a_decided_contact_shows_no_countdown(
    qtbot,
    make_window,  # type: ignore[no-untyped-def]
    service: DeskService,
) -> None:
    window = make_window()
    cid = window.model.item(0).contact_id  # type: ignore[union-attr]
    service.decide(cid, "nfa", 1, {"concerns_and_risks": "x", "analysis": "y"})
    window.show_contact_from_history(cid)
    qtbot.waitUntil(
        lambda: window.detail_snapshot is not None and window.detail_snapshot.contact_id == cid
    )
    text = window.detail.toPlainText()
    head = text.split("Concern")[0]
    assert "Decided" in head and "time left" not in head and "overdue" not in head


def _window(
    qtbot,
    service: DeskService,
    settings: QSettings,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    login: str,
) -> MainWindow:
    actor = Actor(login=login, role=Role.DUTY_MANAGER, device="t")
    window = MainWindow(
        DeskService(service.store, actor, service.clock),
        TaskRunner(synchronous=True),
        demo=True,
        store_path=tmp_path / "s.sqlite3",
        drafts=DraftStore(service.store, login),
        settings=settings,
        poll_ms=60_000,
    )
    qtbot.addWidget(window)
    return window


def test_columns_and_widths_are_remembered_for_each_person(
    qtbot,
    service: DeskService,  # type: ignore[no-untyped-def]
    settings: QSettings,
    tmp_path: Path,
) -> None:
    first = _window(qtbot, service, settings, tmp_path, "dm.one")
    default_why = first.table.columnWidth(WHY)
    first.columns.toggles[SOURCE].trigger()  # hide Source from the Columns menu
    assert first.table.isColumnHidden(SOURCE)
    first.table.setColumnWidth(WHY, default_why + 77)
    first.close()
    again = _window(qtbot, service, settings, tmp_path, "dm.one")
    assert again.table.isColumnHidden(SOURCE)
    assert not again.columns.toggles[SOURCE].isChecked()
    assert again.table.columnWidth(WHY) == default_why + 77
    other = _window(qtbot, service, settings, tmp_path, "dm.two")  # the next person at the desk
    assert not other.table.isColumnHidden(SOURCE)
    assert other.table.columnWidth(WHY) == default_why


def test_who_has_a_contact_is_shown_by_name_from_the_people_directory(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, clock: FixedClock
) -> None:
    """The With column showed logins ("sw.practitio…")."""
    window = session_window(qtbot, tmp_path, clock)  # a demo store: the demo users listed
    taken = [
        cid
        for cid in window.model.ids()
        if (item := window.model.item(window.model.row_of(cid))) is not None
        and item.assignee == "sw.practitioner"
    ]
    assert taken
    row = window.model.row_of(taken[0])
    assert window.model.index(row, WITH).data() == "Tom Practitioner"
    window.search.setText("tom practitioner")  # the search box finds people by name
    qtbot.waitUntil(lambda: sorted(window.model.ids()) == sorted(taken))
