"""The selected contact's record and the buttons for what to do with it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..services.snapshots import ContactDetail
from .detail_html import detail_html
from .flow_layout import FlowLayout
from .keyboard_map import plain

BUTTONS = (
    "take",
    "rerate",
    "partner_check",
    "answer_check",
    "note",
    "decide",
    "sign_off",
    "amend",
    "print",
)


class DetailPane(QWidget):
    contact_requested = Signal(str)  # a contact id clicked in a child's history
    break_glass_requested = Signal(str)  # a restricted contact the person asks to open

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.browser = QTextBrowser()
        self.browser.setObjectName("contactDetail")
        self.browser.setAccessibleName("Selected contact")
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)  # contact: links open inside DutyDesk
        self.browser.anchorClicked.connect(self._follow)
        self.buttons: list[QPushButton] = []
        self._actions: list[QAction] = []
        self.grid = FlowLayout()  # the buttons wrap on a narrow pane or with large text
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.browser, 1)
        lay.addLayout(self.grid)

    def _follow(self, url: QUrl) -> None:
        if url.scheme() == "contact" and url.path():
            self.contact_requested.emit(url.path())
        elif url.scheme() == "breakglass" and url.path():
            self.break_glass_requested.emit(url.path())

    def show_restricted(self, contact_id: str) -> None:
        """Say that the record exists and is restricted, never what it holds."""
        self.browser.setHtml(
            "<h2>Restricted record</h2><p>This contact is about a child whose record is "
            "restricted to named people. You are not named on it.</p>"
            "<p>If you must act on it now, you can break the glass: you will be asked why, "
            "and the access is recorded and reported to the auditors.</p>"
            f"<p><a href='breakglass:{contact_id}'>Break the glass…</a></p>"
        )

    def show_no_reading(self) -> None:
        """For a role that reads no records (an administrator): the queue's shape, no
        content."""
        self.browser.setProperty("contact", None)
        self.browser.setHtml(
            "<h2>Records are not shown to your role</h2><p>Administrators "
            "manage accounts and settings; they do not read children's "
            "records.</p>"
        )

    def bind(self, actions: Mapping[str, QAction]) -> None:
        """One button per action, sharing its text, shortcut hint and enabled state."""
        for name in BUTTONS:
            action = actions[name]
            # No Alt+letter on the buttons: the menus own those (Alt+T is Tools).
            button = QPushButton(plain(action.text()))
            button.setObjectName(f"button_{name}")
            button.setAccessibleName(plain(action.text()))
            button.setToolTip(action.toolTip())
            button.setAutoDefault(False)
            button.clicked.connect(action.trigger)
            self.grid.addWidget(button)
            self.buttons.append(button)
            self._actions.append(action)

    def refresh_buttons(self) -> None:
        for button, action in zip(self.buttons, self._actions, strict=True):
            button.setEnabled(action.isEnabled())

    def show_detail(
        self, detail: ContactDetail | None, now: datetime, thresholds: Mapping[int, str]
    ) -> None:
        if detail is None:
            self.browser.setHtml("<p>Select a contact in the queue.</p>")
            return
        bar = self.browser.verticalScrollBar()
        keep = bar.value() if self.browser.property("contact") == detail.contact_id else 0
        self.browser.setHtml(detail_html(detail, now, thresholds))
        self.browser.setProperty("contact", detail.contact_id)
        bar.setValue(keep)
