"""Two small dialogs of the MI window: record an assessment's authorisation for a child in
the drill-down, and record a worker's supervision. Both write through ``MiRecords`` (the
guarded store decides who may) on the session's writer thread; an error is shown in the
dialog and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ..services.mi_records import MiRecords
from .tasks import TaskRunner


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class _RecordDialog(QDialog):
    def __init__(self, title: str, writer: TaskRunner, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.writer = writer
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.error = QLabel("")
        self.error.setObjectName("recordError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.rejected.connect(self.reject)
        self.buttons.accepted.connect(self._save)

    def _finish(self) -> None:
        self.form.addRow(self.error)
        self.form.addRow(self.buttons)

    def _date(self, name: str, value: date) -> QDateEdit:
        edit = QDateEdit(_qdate(value))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setAccessibleName(name)
        return edit

    def _save(self) -> None:
        try:
            write = self.write()  # what was typed, read here on the GUI thread
        except Exception as err:  # noqa: BLE001 - shown to the person, nothing written
            self._refused(err)
            return
        self.buttons.setEnabled(False)
        self.writer.submit(write, lambda _: self.accept(), self._refused)

    def _refused(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(f"Not saved: {error}")

    def write(self) -> Callable[[], object]:
        """The store write for what was typed (run on the writer thread)."""
        raise NotImplementedError


class AssessmentCompletedDialog(_RecordDialog):
    def __init__(
        self,
        records: MiRecords,
        writer: TaskRunner,
        contact_id: str,
        person_id: str,
        child: str,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Record assessment completion", writer, parent)
        self.records, self.contact_id, self.person_id = records, contact_id, person_id
        self.completed_on = self._date("Date of authorisation", today)
        self.authorised_by = QLineEdit(records.store.actor.login)
        self.authorised_by.setAccessibleName("Authorised by")
        self.form.addRow("Child", QLabel(child))
        self.form.addRow("Date of &authorisation", self.completed_on)
        self.form.addRow("Authorised &by", self.authorised_by)
        self._finish()

    def write(self) -> Callable[[], object]:
        records, contact_id, person_id = self.records, self.contact_id, self.person_id
        completed_on = _pydate(self.completed_on.date())
        by = self.authorised_by.text().strip() or None
        return lambda: records.complete_assessment(contact_id, person_id, completed_on, by)


class SupervisionDialog(_RecordDialog):
    def __init__(
        self,
        records: MiRecords,
        writer: TaskRunner,
        workers: list[str],
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Record supervision", writer, parent)
        self.records = records
        self.worker = QComboBox()
        self.worker.setEditable(True)
        self.worker.addItems(workers)
        self.worker.setAccessibleName("Worker supervised")
        self.held_on = self._date("Held on", today)
        self.next_due = self._date("Next due", today + timedelta(days=28))
        self.form.addRow("&Worker", self.worker)
        self.form.addRow("&Held on", self.held_on)
        self.form.addRow("&Next due", self.next_due)
        self._finish()

    def write(self) -> Callable[[], object]:
        worker = self.worker.currentText().strip()
        if not worker:
            raise ValueError("name the worker supervised")
        records, held, due = (
            self.records,
            _pydate(self.held_on.date()),
            _pydate(self.next_due.date()),
        )
        return lambda: records.record_supervision(worker, held, due)
