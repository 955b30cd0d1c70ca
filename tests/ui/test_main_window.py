"""The main window opens on a real store and lists its open contacts in queue order."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dutydesk.app import demo_actor
from dutydesk.demo.synthetic import generate
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.queue import order_key
from dutydesk.services.desk import DeskService
from dutydesk.store.eventstore import EventStore
from dutydesk.ui.main_window import MainWindow
from dutydesk.ui.queue_model import QueueModel
from dutydesk.ui.tasks import TaskRunner


@pytest.fixture
def service(store: EventStore, clock: FixedClock) -> DeskService:
    store.import_events(generate(11, 600, now=clock.now(), open_contacts=25))
    return DeskService(store, demo_actor(), clock)


def test_window_lists_open_contacts_from_the_store(qtbot, service: DeskService,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    window = MainWindow(service, TaskRunner(synchronous=True), demo=True,
                        store_path=tmp_path / "store.sqlite3")
    qtbot.addWidget(window)
    window.show()
    window.reload()
    expected = service.queue()
    assert window.model.rowCount() == len(expected) == 25
    assert window.model.ids() == [i.contact_id for i in expected]
    first = expected[0]
    assert window.model.data(window.model.index(0, 3)) == first.children_text
    assert "25 open contacts" in window.status_count.text()
    assert window.findChild(type(window.status_count), "demoBanner") is not None
    assert first.concern[:20] in window.detail.toPlainText()


def test_search_filters_ids_and_keeps_the_selection(qtbot, service: DeskService,  # type: ignore[no-untyped-def]
                                                    tmp_path: Path) -> None:
    window = MainWindow(service, TaskRunner(synchronous=True), demo=False,
                        store_path=tmp_path / "s.db")
    qtbot.addWidget(window)
    window.reload()
    items = service.queue()
    target = items[3]
    window.table.selectRow(3)
    word = target.children[0].name.split()[-1]
    qtbot.keyClicks(window.search, word)
    shown = window.model.ids()
    assert target.contact_id in shown
    assert all(word.casefold() in window.model.item(r).children_text.casefold()  # type: ignore[union-attr]
               or word.casefold() in window.model.item(r).concern.casefold()  # type: ignore[union-attr]
               for r in range(len(shown)))
    assert window.current_contact_id() == target.contact_id
    window.search.clear()
    assert window.model.rowCount() == len(items)


def test_queue_model_passes_qt_model_tester(qtmodeltester, service: DeskService) -> None:  # type: ignore[no-untyped-def]
    model = QueueModel(now=service.clock.now)
    items = service.queue()
    model.set_items(items)
    qtmodeltester.check(model)
    model.show_ids([i.contact_id for i in sorted(items, key=order_key, reverse=True)][:10])
    qtmodeltester.check(model)
    assert model.rowCount() == 10
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DisplayRole) == "1"
