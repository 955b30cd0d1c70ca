"""Progress of long work in the status bar, with a Cancel button.

``ProgressReporter`` is handed to service code on the writer thread; it reports through a
queued signal and reads a thread-safe flag set by the Cancel button.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class ProgressReporter(QObject):
    progressed = Signal(int, int)

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()

    def report(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class ProgressArea(QWidget):
    """What is running, how far it has got, and a way to stop it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressArea")
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setObjectName("progressBar")
        self.bar.setAccessibleName("Progress")
        self.bar.setMaximumWidth(160)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("progressCancel")
        self.cancel_button.setAccessibleName("Cancel the running task")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self.reporter: ProgressReporter | None = None
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def start(self, what: str) -> ProgressReporter:
        reporter = ProgressReporter()
        reporter.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        self.reporter = reporter
        self.label.setText(what)
        self.bar.setRange(0, 0)
        self.show()
        return reporter

    def _progressed(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _cancel(self) -> None:
        if self.reporter is not None:
            self.reporter.cancel()
            self.label.setText("Cancelling…")

    def finish(self) -> None:
        self.reporter = None
        self.hide()
