"""Screen lock: after a period without keyboard or mouse input the window is covered by an
opaque panel that needs the signed-in person's password.

``ScreenLock`` watches input application-wide, restarts its timer on every key or mouse
event, and on time-out puts a ``LockPanel`` over the window and hides every other
top-level window and dialog (management information, print preview, the audit trail, an
open action dialog), showing them again on unlock. While locked, keys and
shortcuts meant for anything but the panel are swallowed, so nothing underneath can be
read or used. The password is checked by the accounts service (on the writer thread when
a ``TaskRunner`` is given).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .tasks import TaskRunner

Verify = Callable[[str, str], bool]  # (login, password) -> right?

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}
_BLOCKED_WHILE_LOCKED = {
    QEvent.Type.KeyPress,
    QEvent.Type.KeyRelease,
    QEvent.Type.Shortcut,
    QEvent.Type.ShortcutOverride,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel,
}


class LockPanel(QWidget):
    """The opaque panel over a locked window."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget, who: str) -> None:
        super().__init__(parent)
        self.setObjectName("lockPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#lockPanel { background: #263238; } #lockPanel QLabel { color: white; }"
        )
        title = QLabel("DutyDesk is locked")
        title.setObjectName("lockTitle")
        title.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.who = QLabel(f"Signed in as {who}. Enter your password to continue.")
        self.password = QLineEdit()
        self.password.setObjectName("lockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password to unlock")
        self.password.setPlaceholderText("Password")
        self.password.setMinimumWidth(280)
        self.password.returnPressed.connect(self._submit)
        self.unlock = QPushButton("&Unlock")
        self.unlock.setObjectName("lockUnlock")
        self.unlock.setMinimumWidth(120)
        self.unlock.clicked.connect(self._submit)
        self.message = QLabel("")
        self.message.setObjectName("lockMessage")
        self.message.setStyleSheet("color: #ffab91;")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (title, self.who, self.password, self.unlock, self.message):
            layout.addWidget(w, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def _submit(self) -> None:
        text = self.password.text()
        self.password.clear()
        self.submitted.emit(text)


class ScreenLock(QObject):
    """Locks ``window`` after ``timeout_ms`` without input; unlocks with the password."""

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        window: QWidget,
        login: str,
        verify: Verify,
        *,
        timeout_ms: int,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(window)
        if timeout_ms <= 0:
            raise ValueError("the screen lock time-out must be positive")
        self.window = window
        self.login = login
        self.verify = verify
        self.tasks = tasks
        self.panel: LockPanel | None = None
        self._hidden: list[QWidget] = []  # other windows hidden while locked
        self.timer = QTimer(self, singleShot=True, interval=timeout_ms)
        self.timer.timeout.connect(self.lock)
        app = QApplication.instance()
        assert app is not None, "create the QApplication first"
        app.installEventFilter(self)
        window.installEventFilter(self)
        self.timer.start()

    @classmethod
    def after_minutes(
        cls,
        window: QWidget,
        login: str,
        verify: Verify,
        minutes: int,
        tasks: TaskRunner | None = None,
    ) -> ScreenLock:
        """From ``Settings.lock_after_minutes``."""
        return cls(window, login, verify, timeout_ms=minutes * 60_000, tasks=tasks)

    @property
    def is_locked(self) -> bool:
        return self.panel is not None

    def lock(self) -> None:
        if self.panel is not None:
            return
        self.timer.stop()
        self._hidden = [
            w for w in QApplication.topLevelWidgets() if w is not self.window and w.isVisible()
        ]
        for w in self._hidden:
            w.hide()
        self.panel = LockPanel(self.window, self.login)
        self.panel.setGeometry(self.window.rect())
        self.panel.submitted.connect(self._check)
        self.panel.show()
        self.panel.raise_()
        self.panel.password.setFocus()
        self.locked.emit()

    def _check(self, password: str) -> None:
        if self.tasks is None:
            self._checked(self.verify(self.login, password))
        else:
            self.tasks.submit(lambda: self.verify(self.login, password), self._checked)

    def _checked(self, ok: bool) -> None:
        if self.panel is None:
            return
        if not ok:
            self.panel.message.setText("That password is not right.")
            return
        self.panel.hide()
        self.panel.deleteLater()
        self.panel = None
        hidden, self._hidden = self._hidden, []
        for w in hidden:
            w.show()
        self.timer.start()
        self.unlocked.emit()

    def _inside_panel(self, watched: QObject) -> bool:
        node: QObject | None = watched
        while node is not None:
            if node is self.panel:
                return True
            node = node.parent()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if watched is self.window and kind == QEvent.Type.Resize and self.panel is not None:
            self.panel.setGeometry(self.window.rect())
        if self.panel is None:
            if kind in _ACTIVITY:
                self.timer.start()
            return False
        # The native window receives input first and passes it on to the focused widget
        # (the password field); block only what would reach widgets under the panel.
        return (
            kind in _BLOCKED_WHILE_LOCKED
            and not isinstance(watched, QWindow)
            and not self._inside_panel(watched)
        )

    def stop(self) -> None:
        """Remove the filter (on sign-out or window close)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()
