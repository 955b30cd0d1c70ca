"""The handover panel never squeezes the queue: with the out-of-hours notes open at 9am
the concern column keeps room to read, on a laptop and on a wide screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from dutydesk.domain.clock import FixedClock
from dutydesk.ui.queue_model import CONCERN, WHY
from tests.ui.every_window import session_window


@pytest.mark.parametrize("width, height", [(1024, 768), (1093, 614), (1920, 1080)])
def test_the_handover_panel_leaves_the_concern_readable(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, clock: FixedClock, width: int, height: int
) -> None:
    window = session_window(qtbot, tmp_path, clock)  # handover open, as at 9am
    window.resize(width, height)
    QApplication.processEvents()
    assert window.handover_dock.isVisible()
    table = window.table
    chars = table.fontMetrics().averageCharWidth()
    print(
        width,
        table.columnWidth(CONCERN) // chars,
        table.viewport().width(),
        window.handover_dock.geometry(),
        table.viewport().height() // table.rowHeight(0),
    )
    assert table.horizontalHeader().length() <= table.viewport().width()
    assert table.columnWidth(CONCERN) >= 30 * chars
    assert table.columnWidth(WHY) >= 20 * chars
    # The notes themselves still read: a line of a note, not a sliver.
    assert window.handover.text.width() >= 30 * chars
    assert window.handover.text.height() >= 3 * window.handover.text.fontMetrics().height()
    # and the queue still shows a screenful of contacts above it
    assert table.viewport().height() // table.rowHeight(0) >= 5
