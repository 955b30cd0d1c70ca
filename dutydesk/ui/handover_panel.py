"""Out-of-hours handover: notes from the emergency duty team, shown at the start of the
day until the person on duty acknowledges each (``handover.acknowledged``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..domain.wording import human_datetime, plural
from ..services.snapshots import HandoverNote


class HandoverPanel(QWidget):
    acknowledge = Signal(str)
    write_note = Signal()

    def __init__(self, login: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handoverPanel")
        self.login = login
        self.notes: list[HandoverNote] = []
        self.summary = QLabel("No handover notes.")
        self.summary.setObjectName("handoverSummary")
        self.list = QListWidget()
        self.list.setObjectName("handoverList")
        self.list.setAccessibleName("Handover notes")
        self.list.currentRowChanged.connect(self._show)
        self.text = QTextBrowser()
        self.text.setObjectName("handoverText")
        self.text.setAccessibleName("Handover note text")
        self.ack_button = QPushButton("&Acknowledge")
        self.ack_button.setObjectName("handoverAcknowledge")
        self.ack_button.setAccessibleName("Acknowledge the selected handover note")
        self.ack_button.clicked.connect(self._acknowledge)
        write = QPushButton("Write handover…")
        write.setObjectName("handoverWrite")
        write.clicked.connect(self.write_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ack_button)
        buttons.addStretch(1)
        buttons.addWidget(write)
        # The notes list and the note: one above the other in a panel at the side of a
        # wide window, side by side in a strip under the queue of a narrow one.
        self.notes_row = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.notes_row.addWidget(self.list, 1)
        self.notes_row.addWidget(self.text, 2)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addLayout(self.notes_row, 1)
        lay.addLayout(buttons)

    def set_strip(self, strip: bool) -> None:
        """Side by side (a strip under the queue) or one above the other (a side panel)."""
        self.notes_row.setDirection(
            QBoxLayout.Direction.LeftToRight if strip else QBoxLayout.Direction.TopToBottom
        )

    def pending(self) -> list[HandoverNote]:
        return [n for n in self.notes if self.login not in n.acknowledged_by]

    def set_notes(self, notes: Sequence[HandoverNote]) -> None:
        current = self._current_id()
        self.notes = sorted(
            notes, key=lambda n: (self.login in n.acknowledged_by, _neg(n.noted_at))
        )
        self.list.clear()
        for note in self.notes:
            done = self.login in note.acknowledged_by
            stamp = human_datetime(note.noted_at)
            item = QListWidgetItem(
                ("✓ " if done else "● ") + f"{note.shift} — {stamp} — {note.who(note.noted_by)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, note.handover_id)
            self.list.addItem(item)
        pending = len(self.pending())
        self.summary.setText(
            f"{plural(pending, 'handover note')} to acknowledge"
            if pending
            else "All handover notes acknowledged."
        )
        ids = [n.handover_id for n in self.notes]
        self.list.setCurrentRow(ids.index(current) if current in ids else 0)

    def _current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _show(self, row: int) -> None:
        note = self.notes[row] if 0 <= row < len(self.notes) else None
        if note is None:
            self.text.clear()
            self.ack_button.setEnabled(False)
            return
        acks = ", ".join(note.who(a) for a in note.acknowledged_by) or "nobody yet"
        self.text.setPlainText(f"{note.text}\n\nAcknowledged by: {acks}")
        self.ack_button.setEnabled(self.login not in note.acknowledged_by)

    def _acknowledge(self) -> None:
        hid = self._current_id()
        if hid:
            self.acknowledge.emit(hid)


def _neg(stamp: str) -> float:
    return -datetime.fromisoformat(stamp).timestamp()
