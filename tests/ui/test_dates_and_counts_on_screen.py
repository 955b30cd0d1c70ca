"""What the windows show people: no ISO dates, no "item(s)", no "1 pages"."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QTextBrowser,
    QWidget,
)

from dutydesk.domain.clock import FixedClock
from tests.ui.every_window import every_window, session_window

ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}|\dT\d{2}:")
# People read "30 Nov 2026" and "30 Nov 2026 14:05" everywhere: not "Tue 01 Dec 17:00"
# in one window and "01 Dec 2026 17:00" in the next, nor a day and month without the year.
MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
OTHER_DATE = re.compile(
    rf"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{{1,2}} {MONTH}\b"
    rf"|\b\d{{1,2}} {MONTH}(?! \d{{4}})\b"
)
# "3 row(s)" guesses the plural; DfE labels such as "parent(s)/carer(s)" are quoted as is.
ODD = re.compile(
    r"\b\d+ [\w ]*\w\((s|es)\)|\b1 (pages|entries|notes|contacts|problems|"
    r"matches|rows|events|children|days|hours)\b"
)


def shown_text(window: QWidget) -> list[str]:
    out = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, (QLabel, QAbstractButton)):
            out.append(widget.text())
        elif isinstance(widget, QTextBrowser):
            out.append(widget.toPlainText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            cols = 1 if model.inherits("QAbstractListModel") else model.columnCount(QModelIndex())
            for row in range(min(model.rowCount(QModelIndex()), 40)):
                for col in range(cols):
                    value = model.index(row, col).data(Qt.ItemDataRole.DisplayRole)
                    if value is not None:
                        out.append(str(value))
    return out


def test_windows_show_human_dates_and_counts_that_agree(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    window = session_window(qtbot, tmp_path, clock)
    window.select_contact(window.model.ids()[0])
    window._load_detail()
    bad = {}
    names = []
    for name, widget in every_window(qtbot, window):
        names.append(name)
        QApplication.processEvents()
        found = [
            t[:120]
            for t in shown_text(widget)
            if ISO.search(t) or ODD.search(t) or OTHER_DATE.search(t)
        ]
        if found:
            bad[name] = found
    assert "follow-through" in names
    assert bad == {}
