"""The screen lock covers the window after inactivity and opens only with the password."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from dutydesk.domain.clock import FixedClock
from dutydesk.services.accounts import AccountService
from dutydesk.ui.screen_lock import ScreenLock

# Pictures go to a temporary folder: a test run never writes tracked files
# (DUTYDESK_SCREENSHOTS=docs/screenshots refreshes the README's pictures on purpose).
SHOTS = Path(os.environ.get("DUTYDESK_SCREENSHOTS") or tempfile.mkdtemp(prefix="dd-shots-"))
PASSWORD = "correct horse battery staple"


def _window(qtbot) -> tuple[QWidget, QLineEdit]:  # type: ignore[no-untyped-def]
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("Siobhán O'Brien — bruise to cheek"))
    field = QLineEdit(objectName="underneath")
    layout.addWidget(field)
    qtbot.addWidget(window)
    window.resize(700, 420)
    window.show()
    return window, field


def test_locks_after_inactivity_and_unlocks_with_the_password(
    qtbot,
    store,  # type: ignore[no-untyped-def]
    clock: FixedClock,
) -> None:
    accounts = AccountService(store, clock)
    accounts.init_admin("dm.manager", "Dan Manager", PASSWORD)
    window, field = _window(qtbot)
    lock = ScreenLock(window, "dm.manager", accounts.verify_password, timeout_ms=150)
    with qtbot.waitSignal(lock.locked, timeout=3000):
        pass
    assert lock.is_locked and lock.panel is not None and lock.panel.isVisible()
    assert lock.panel.geometry() == window.rect()
    window.grab().save(str(SHOTS / "screen-lock.png"))
    qtbot.keyClicks(field, "typed under the lock")
    assert field.text() == ""  # input to the window underneath is swallowed
    qtbot.keyClicks(lock.panel.password, "not the password")
    qtbot.keyClick(lock.panel.password, Qt.Key.Key_Return)
    assert lock.is_locked and "not right" in lock.panel.message.text()
    with qtbot.waitSignal(lock.unlocked, timeout=3000):
        qtbot.keyClicks(lock.panel.password, PASSWORD)
        qtbot.mouseClick(lock.panel.unlock, Qt.MouseButton.LeftButton)
    assert not lock.is_locked
    qtbot.keyClicks(field, "ok")
    assert field.text() == "ok"
    lock.stop()


def test_activity_postpones_the_lock(qtbot) -> None:  # type: ignore[no-untyped-def]
    window, field = _window(qtbot)
    lock = ScreenLock(window, "dm.manager", lambda login, pw: False, timeout_ms=400)
    for _ in range(6):
        qtbot.wait(120)
        qtbot.keyClick(field, Qt.Key.Key_A)
    assert not lock.is_locked and field.text() == "aaaaaa"
    qtbot.waitUntil(lambda: lock.is_locked, timeout=3000)
    lock.stop()


def test_the_lock_hides_every_other_window_and_dialog(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: the MI window and print preview stayed readable under the lock."""
    from PySide6.QtWidgets import QDialog

    window, _ = _window(qtbot)
    mi = QWidget()
    mi.setWindowTitle("DutyDesk — management information")
    qtbot.addWidget(mi)
    mi.show()
    preview = QDialog(window)
    preview.setWindowTitle("Print preview")
    preview.open()
    lock = ScreenLock(window, "dm.manager", lambda login, pw: pw == PASSWORD, timeout_ms=60_000)
    lock.lock()
    assert not mi.isVisible() and not preview.isVisible()
    assert window.isVisible() and lock.panel is not None and lock.panel.isVisible()
    with qtbot.waitSignal(lock.unlocked, timeout=3000):
        lock.panel.password.setText(PASSWORD)
        lock.panel.unlock.click()
    assert mi.isVisible() and preview.isVisible()
    lock.stop()
