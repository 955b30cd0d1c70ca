"""Two small dialogs of the MI window: record an assessment's authorisation for a child in
the drill-down, and record a worker's supervision. Both write through ``MiRecords`` (the
guarded store decides who may); an error is shown in the dialog and nothing is written."""

from __future__ import annotations

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


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class _RecordDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
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
            self.write()
        except Exception as err:  # noqa: BLE001 - shown to the person, nothing written
            self.error.setText(f"Not saved: {err}")
            return
        self.accept()

    def write(self) -> None:
        raise NotImplementedError


class AssessmentCompletedDialog(_RecordDialog):
    def __init__(
        self,
        records: MiRecords,
        contact_id: str,
        person_id: str,
        child: str,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Record assessment completion", parent)
        self.records, self.contact_id, self.person_id = records, contact_id, person_id
        self.completed_on = self._date("Date of authorisation", today)
        self.authorised_by = QLineEdit(records.store.actor.login)
        self.authorised_by.setAccessibleName("Authorised by")
        self.form.addRow("Child", QLabel(child))
        self.form.addRow("Date of &authorisation", self.completed_on)
        self.form.addRow("Authorised &by", self.authorised_by)
        self._finish()

    def write(self) -> None:
        self.records.complete_assessment(
            self.contact_id,
            self.person_id,
            _pydate(self.completed_on.date()),
            self.authorised_by.text().strip() or None,
        )


class SupervisionDialog(_RecordDialog):
    def __init__(
        self, records: MiRecords, workers: list[str], today: date, parent: QWidget | None = None
    ) -> None:
        super().__init__("Record supervision", parent)
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

    def write(self) -> None:
        worker = self.worker.currentText().strip()
        if not worker:
            raise ValueError("name the worker supervised")
        self.records.record_supervision(
            worker, _pydate(self.held_on.date()), _pydate(self.next_due.date())
        )
