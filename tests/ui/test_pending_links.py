"""The pending-links dialog over a real store: model checked by qtmodeltester, both records
side by side, link and dismiss from the keyboard, refusals shown inline."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dutydesk.domain.clock import FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.audit import AuditService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.links import LinkService
from dutydesk.store.chain import ChainedEventStore
from dutydesk.ui.pending_links import PendingLinksDialog, PendingLinksModel
from dutydesk.ui.tasks import TaskRunner
from tests.link_cases import Waiting, waiting_links

# Pictures go to a temporary folder: a test run never writes tracked files
# (DUTYDESK_SCREENSHOTS=docs/screenshots refreshes the README's pictures on purpose).
SHOTS = Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="dd-shots-"))
OFFICER = Actor("co.officer", Role.CONTACT_OFFICER, "desk")


@pytest.fixture
def chained(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    yield store
    store.close()


@pytest.fixture
def waiting(chained: ChainedEventStore, clock: FixedClock) -> Waiting:
    return waiting_links(chained, clock.now(), count=4)


@pytest.fixture
def dialog(qtbot, chained: ChainedEventStore, waiting: Waiting, clock: FixedClock):  # type: ignore[no-untyped-def]
    service = LinkService(GuardedStore(chained, OFFICER, clock), clock)
    widget = PendingLinksDialog(service, TaskRunner(synchronous=True))
    qtbot.addWidget(widget)
    widget.show()
    widget.refresh()
    return widget


def _cell(dialog: PendingLinksDialog, row: int, col: int) -> str:
    item = dialog.compare.item(row, col)
    return item.text() if item else ""


def test_model_passes_qtmodeltester(qtmodeltester, dialog: PendingLinksDialog) -> None:  # type: ignore[no-untyped-def]
    assert dialog.model.rowCount() == 4
    qtmodeltester.check(dialog.model)
    qtmodeltester.check(PendingLinksModel())


def test_both_records_side_by_side(dialog: PendingLinksDialog) -> None:
    assert dialog.summary.text().startswith("4 likely matches waiting")
    assert _cell(dialog, 0, 0) == "Siobhán O'Brien" and _cell(dialog, 0, 1) == "Siobhan OBrien"
    assert _cell(dialog, 0, 2) == "yes (diacritics, punctuation)"
    assert _cell(dialog, 1, 0) == _cell(dialog, 1, 1) == "03 Apr 2019"
    assert _cell(dialog, 4, 1) == "LS1 4AB" and _cell(dialog, 4, 2) == "yes"
    assert _cell(dialog, 2, 1) == "Female" and _cell(dialog, 2, 2) == "yes"
    assert dialog.model.data(dialog.model.index(0, 4)).startswith(
        "family name (punctuation), given name (diacritics)"
    )
    dialog.table.selectRow(1)  # a boy on the contact, a girl on the record
    assert (_cell(dialog, 2, 0), _cell(dialog, 2, 2)) == ("Male", "differs")
    dialog.table.selectRow(0)
    assert dialog.model.data(dialog.model.index(0, 3)) == "85 (likely)"
    dialog.grab().save(str(SHOTS / "pending-links.png"))


def test_link_and_dismiss_from_the_keyboard(
    qtbot,
    dialog: PendingLinksDialog,  # type: ignore[no-untyped-def]
    chained: ChainedEventStore,
    waiting: Waiting,
) -> None:
    with qtbot.waitActive(dialog):
        dialog.activateWindow()

    def ctrl(key: Qt.Key) -> None:  # the key goes where focus is, as a person's would
        qtbot.keyClick(dialog.focusWidget(), key, Qt.KeyboardModifier.ControlModifier)

    assert dialog.focusWidget() is dialog.table
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    assert dialog.current() is not None and dialog.current().slot == 1  # type: ignore[union-attr]
    ctrl(Qt.Key.Key_L)
    assert dialog.model.rowCount() == 3
    assert dialog.summary.text().startswith("Linked: Zoë Wiśniewski.")
    assert chained.read_model().children[(waiting.contact_id, 1)].person_id == waiting.person_ids[1]
    assert dialog.current().slot == 2  # type: ignore[union-attr]  # the next one is chosen
    # Dismiss without a reason: refused inline, nothing changes, the reason box is there
    ctrl(Qt.Key.Key_D)  # no reason yet: refused inline, and the reason box takes focus
    assert dialog.error.isVisible() and "Reason: say why" in dialog.error.text()
    assert "reason:" not in dialog.error.text()  # the rule's field path, not people's words
    assert dialog.model.rowCount() == 3
    assert dialog.focusWidget() is dialog.reason
    qtbot.keyClicks(dialog.reason, "Different school; no brother called Sean")
    ctrl(Qt.Key.Key_D)
    assert dialog.model.rowCount() == 2 and not dialog.error.isVisible()
    assert dialog.reason.text() == ""
    assert [dialog.model.match_at(r).slot for r in range(2)] == [0, 3]
    dialog.refresh()  # what is stored agrees with the screen
    assert [dialog.model.match_at(r).slot for r in range(2)] == [0, 3]


def test_restricted_record_cannot_be_judged(
    qtbot,
    chained: ChainedEventStore,  # type: ignore[no-untyped-def]
    waiting: Waiting,
    clock: FixedClock,
) -> None:
    admin = Actor("ad.min", Role.ADMIN, "desk")
    AuditService(GuardedStore(chained, admin, clock)).restrict(
        waiting.person_ids[0], ["sp.senior"], "child of a staff member"
    )
    service = LinkService(GuardedStore(chained, OFFICER, clock), clock)
    dialog = PendingLinksDialog(service, TaskRunner(synchronous=True))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.refresh()
    assert _cell(dialog, 0, 1) == "Restricted record" and _cell(dialog, 1, 1) == ""
    assert not dialog.link_button.isEnabled() and "restricted" in dialog.error.text()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    assert dialog.link_button.isEnabled() and not dialog.error.isVisible()


def test_open_helper_loads_the_list(
    qtbot,
    chained: ChainedEventStore,
    waiting: Waiting,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    from PySide6.QtWidgets import QWidget

    from dutydesk.ui.pending_links import open_pending_links

    parent = QWidget()
    qtbot.addWidget(parent)
    service = LinkService(GuardedStore(chained, OFFICER, clock), clock)
    dialog = open_pending_links(parent, service, TaskRunner(synchronous=True))
    assert dialog.isVisible() and dialog.model.rowCount() == 4
    dialog.close()
