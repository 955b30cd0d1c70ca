"""Every window and dialog, in the default, dark and high-contrast palettes: each control
named (with a role), text at 4.5:1 or more, Tab in reading order; and the window still
works with the text at 200%."""

from __future__ import annotations

from pathlib import Path
from pprint import pformat

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel

from dutydesk.domain.clock import FixedClock
from dutydesk.ui.palettes import (
    contrast,
    dark_palette,
    follow_system,
    high_contrast_palette,
    readable,
    shortfalls,
)
from dutydesk.ui.queue_model import CONCERN, RATING_COLOURS, WARN
from tests.ui.accessibility_walk import low_contrast, out_of_reading_order, unnamed_controls
from tests.ui.every_window import every_window, session_window

PALETTES = {"default": None, "dark": dark_palette, "high contrast": high_contrast_palette}


@pytest.fixture
def system_palette(qapp):  # type: ignore[no-untyped-def]
    """Set what the desktop would set; DutyDesk follows it. Put back afterwards."""
    before = QPalette(qapp.palette())
    follow_system(qapp)

    def use(name: str) -> None:
        make = PALETTES[name]
        qapp.setPalette(make() if make else qapp.style().standardPalette())
        QApplication.processEvents()

    yield use
    qapp.setPalette(before)


@pytest.mark.parametrize("palette", list(PALETTES))
def test_every_window_is_named_readable_and_tabs_in_reading_order(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, clock: FixedClock, system_palette, palette: str
) -> None:
    system_palette(palette)
    assert shortfalls(QApplication.palette()) == []
    window = session_window(qtbot, tmp_path, clock)
    window.resize(1366, 768)
    problems: dict[str, dict[str, list[str]]] = {}
    seen = []
    for name, widget in every_window(qtbot, window):
        seen.append(name)
        QApplication.processEvents()
        found = {
            "unnamed": unnamed_controls(widget),
            "contrast": low_contrast(widget),
            "tab order": out_of_reading_order(widget),
        }
        found = {k: v for k, v in found.items() if v}
        if found:
            problems[name] = found
    assert len(seen) >= 14
    assert problems == {}, pformat(problems)


def test_the_system_palette_is_followed_and_made_readable(qapp, system_palette) -> None:  # type: ignore[no-untyped-def]
    plain = qapp.style().standardPalette()
    assert shortfalls(plain), "Qt's light palette has low-contrast text to fix"
    for name in PALETTES:
        system_palette(name)
        assert shortfalls(qapp.palette()) == [], name
    dark = qapp.palette()
    assert dark.color(QPalette.ColorRole.Base).lightness() < 60  # still dark: followed
    assert readable(dark) == dark


def test_fixed_colours_read_on_every_background() -> None:
    for back, fore in RATING_COLOURS.values():
        assert contrast(_c(fore), _c(back)) >= 4.5, (fore, back)
    for light, dark in WARN.values():
        for base in ("#ffffff", "#f7f7f7"):
            assert contrast(_c(light), _c(base)) >= 4.5, (light, base)
        for base in ("#1e1e1e", "#262626", "#000000", "#101010"):
            assert contrast(_c(dark), _c(base)) >= 4.5, (dark, base)


def _c(name: str):  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QColor

    return QColor(name)


def test_the_window_works_with_text_at_200_percent(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
    qapp,
) -> None:
    font = qapp.font()
    before = QApplication.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    qapp.setFont(font)
    try:
        window = session_window(qtbot, tmp_path, clock)
        window.resize(1920, 1080)
        QApplication.processEvents()
        clipped = []
        for widget in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
            if not widget.isVisible() or widget.window() is not window:
                continue
            if isinstance(widget, QLabel) and widget.wordWrap():
                if widget.height() < widget.heightForWidth(widget.width()) - 2:
                    clipped.append(widget.objectName() or widget.text()[:30])
            elif widget.width() < widget.sizeHint().width() - 2:
                clipped.append(widget.objectName() or widget.text()[:30])
        assert clipped == []
        table = window.table
        chars = table.fontMetrics().averageCharWidth()
        assert table.columnWidth(CONCERN) >= 10 * chars
        assert table.rowHeight(0) >= table.fontMetrics().height()
        assert window.detail_pane.isVisible()
    finally:
        qapp.setFont(before)
