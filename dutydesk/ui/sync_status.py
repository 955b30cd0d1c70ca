"""The status-bar piece for sync: online/offline, events waiting, last sync, rejected count.

It only shows a ``SyncReport``; the ``SyncController`` produces them off the GUI thread.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ..sync.engine import SyncReport


class SyncStatusWidget(QWidget):
    show_rejected = Signal()  # the person wants to see what the server refused

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel("Not connected")
        self.state.setAccessibleName("Server connection")
        self.waiting = QLabel("0 waiting")
        self.waiting.setAccessibleName("Events waiting to be sent")
        self.last = QLabel("never synced")
        self.last.setAccessibleName("Last sync")
        self.rejected = QPushButton("0 rejected")
        self.rejected.setAccessibleName("Events rejected by the server")
        self.rejected.setFlat(True)
        self.rejected.clicked.connect(self.show_rejected)
        self.quarantined = QLabel("")
        self.quarantined.setAccessibleName("Events received but quarantined")
        self.quarantined.setToolTip(
            "Events from the server this desk could not validate or "
            "apply: kept aside, sync carries on. List them with "
            "`dutydesk sync --quarantine` and tell the administrator."
        )
        self.quarantined.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for w in (self.state, self.waiting, self.last, self.rejected, self.quarantined):
            layout.addWidget(w)

    def show_report(self, report: SyncReport) -> None:
        if report.online:
            self.state.setText("● Online")
            self.state.setStyleSheet("color: #1b7f3b")
            self.state.setToolTip(report.summary())
        else:
            retry = f", retrying in {report.retry_in_s:.0f} s" if report.retry_in_s else ""
            self.state.setText("○ Offline")
            self.state.setStyleSheet("color: #b00020")
            self.state.setToolTip(f"{report.problem or 'not connected'}{retry}")
        self.waiting.setText(f"{report.waiting} waiting")
        self.last.setText(_when(report.last_sync_at))
        self.rejected.setText(f"{report.rejected_total} rejected")
        self.rejected.setStyleSheet(
            "color: #b00020; font-weight: bold" if report.rejected_total else ""
        )
        self.rejected.setEnabled(report.rejected_total > 0)
        self.quarantined.setText(f"⚠ {report.quarantined_total} quarantined")
        self.quarantined.setStyleSheet("color: #b00020; font-weight: bold")
        self.quarantined.setVisible(report.quarantined_total > 0)

    def show_problem(self, message: str) -> None:
        self.state.setText("⚠ Stopped")
        self.state.setStyleSheet("color: #b00020")
        self.state.setToolTip(message)


def _when(iso: str | None) -> str:
    if not iso:
        return "never synced"
    return "last sync " + datetime.fromisoformat(iso).strftime("%H:%M:%S")
