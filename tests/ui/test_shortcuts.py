"""No two things in one window answer the same keys; F1 lists every menu entry; every
menu entry can be reached from the keyboard."""

from __future__ import annotations

from pathlib import Path
from pprint import pformat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from dutydesk.domain.clock import FixedClock
from dutydesk.ui.keyboard_map import clashes, help_rows, plain
from tests.ui.every_window import every_window, session_window


def test_no_window_or_dialog_has_a_shortcut_clash(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    window = session_window(qtbot, tmp_path, clock)
    found = {}
    names = []
    for name, widget in every_window(qtbot, window):
        names.append(name)
        problems = clashes(widget)
        if problems:
            found[name] = problems
    assert len(names) >= 14, names
    assert found == {}, pformat(found)


def test_assign_and_audit_each_answer_their_own_keys(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    """Ctrl+Shift+A opened neither (Qt refused the ambiguous shortcut)."""
    window = session_window(qtbot, tmp_path, clock)
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(
        window.table,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window._dialog is not None and window._dialog.windowTitle() == "Assign contact"
    window._dialog.reject()
    audit = next(a for a in window.tools_menu.actions() if a.objectName() == "auditAction")
    keys = audit.shortcut()
    assert not keys.isEmpty()
    qtbot.keyClick(window.table, keys[0].key(), keys[0].keyboardModifiers())
    qtbot.waitUntil(
        lambda: any(
            w.windowTitle() == "DutyDesk — audit trail" and w.isVisible()
            for w in QApplication.topLevelWidgets()
        )
    )
    for w in QApplication.topLevelWidgets():
        if w.windowTitle() == "DutyDesk — audit trail":
            w.close()


def test_f1_lists_every_menu_entry_with_its_keys(
    qtbot,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    window = session_window(qtbot, tmp_path, clock)
    rows = help_rows(window)
    tools = [text for menu, text, _keys in rows if menu == "Tools"]
    assert "Audit trail" in tools and "Letter to the family" in tools
    assert all(keys for _menu, _text, keys in rows), [r for r in rows if not r[2]]
    window.actions_by_name["shortcuts"].trigger()
    box = window._dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    shown = box.text()
    for menu in window.menuBar().actions():
        for act in menu.menu().actions():
            if not act.isSeparator():
                assert plain(act.text()) in shown, act.text()
    assert "Ctrl+Shift+A" in shown and "Ctrl+Shift+U" in shown  # assign; audit trail
    assert "New contact form" in shown and "Alt+R" in shown  # Risk details: no Tab stop
    box.close()
