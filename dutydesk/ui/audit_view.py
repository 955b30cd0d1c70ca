"""The audit viewer: filter the audit trail by person (staff), child, event type and date,
export it to CSV, and check the hash chain.

``AuditModel`` is a table model over event ids plus a dict of immutable ``AuditEntry``
snapshots, like the queue. Queries run on the writer thread through ``TaskRunner``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import ROLE_LABELS, Role
from ..domain.events import EVENT_TYPES
from ..domain.wording import human_datetime, plural
from ..services.audit import ACCESS_TYPES, AuditEntry, AuditFilter, AuditService
from .table_base import HeadedTableModel
from .tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("When", "Who", "Role", "Event", "Contact", "Child / person", "Details")
ACCESS_CHOICE = "Access log (views, prints, exports, break-glass)"
ALL_CHOICE = "All events"


class AuditModel(HeadedTableModel):
    columns = COLUMNS

    def row_total(self) -> int:
        return len(self._ids)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._ids: list[str] = []
        self._entries: dict[str, AuditEntry] = {}

    def set_entries(self, entries: Sequence[AuditEntry]) -> None:
        self.beginResetModel()
        self._ids = [e.event_id for e in entries]
        self._entries = {e.event_id: e for e in entries}
        self.endResetModel()

    def ids(self) -> list[str]:
        return list(self._ids)

    def entry(self, row: int) -> AuditEntry:
        return self._entries[self._ids[row]]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        e = self._entries[self._ids[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                human_datetime(e.time),
                e.who,
                _role(e.role),
                e.type,
                e.contact_id or "",
                " ".join(e.person_ids),
                e.summary,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"event {e.event_id}\n{e.summary}" if e.summary else f"event {e.event_id}"
        if role == Qt.ItemDataRole.ForegroundRole and e.type == "access.break_glass":
            return QBrush(QColor("#c62828"))
        return None


W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def _role(value: str) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return value


def _qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class AuditView(QWidget):
    """Filters above, the trail below, Export and Verify buttons at the bottom."""

    def __init__(
        self, service: AuditService, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.tasks = tasks
        self.setObjectName("auditView")
        self.setWindowTitle("DutyDesk — audit trail")
        today = service.clock.now().date()

        self.actor = _named(QLineEdit(), "auditActor")
        self.actor.setPlaceholderText("login, e.g. dm.manager")
        self.actor.setAccessibleName("Staff login")
        self.person = _named(QLineEdit(), "auditPerson")
        self.person.setPlaceholderText("child's record id")
        self.person.setAccessibleName("Child record id")
        self.event_type = _named(QComboBox(), "auditType")
        self.event_type.setAccessibleName("Event type")
        self.event_type.addItems([ACCESS_CHOICE, ALL_CHOICE, *sorted(EVENT_TYPES)])
        self.since = _named(QDateEdit(), "auditSince")
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("dd/MM/yyyy")
        self.since.setDate(QDate(today.year, today.month, today.day).addDays(-30))
        self.since.setAccessibleName("From date")
        self.until = _named(QDateEdit(), "auditUntil")
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("dd/MM/yyyy")
        self.until.setDate(QDate(today.year, today.month, today.day))
        self.until.setAccessibleName("To date")
        self.search = _named(QPushButton("&Search"), "auditSearch")
        self.search.clicked.connect(self.refresh)

        form = QFormLayout()
        form.addRow("Staff login", self.actor)
        form.addRow("Child record", self.person)
        form.addRow("Event", self.event_type)
        dates = QHBoxLayout()
        dates.addWidget(self.since)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.until)
        dates.addStretch(1)
        dates.addWidget(self.search)
        form.addRow("From", dates)

        self.model = AuditModel(self)
        self.table = _named(QTableView(), "auditTable")
        self.table.setAccessibleName("Audit trail, newest first")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((120, 110, 130, 140, 140, 140)):
            self.table.setColumnWidth(col, width)

        self.status = _named(QLabel(), "auditStatus")
        self.export_button = _named(QPushButton("&Export CSV…"), "auditExport")
        self.export_button.clicked.connect(self._ask_export)
        self.verify_button = _named(QPushButton("&Verify chain"), "auditVerify")
        self.verify_button.clicked.connect(self.verify)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.verify_button)
        bottom.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.tasks.on_error = self._failed

    def current_filter(self) -> AuditFilter:
        choice = self.event_type.currentText()
        types: tuple[str, ...] = (
            ACCESS_TYPES if choice == ACCESS_CHOICE else () if choice == ALL_CHOICE else (choice,)
        )
        return AuditFilter(
            actor=self.actor.text().strip() or None,
            person_id=self.person.text().strip() or None,
            event_types=types,
            since=_qdate(self.since.date()),
            until=_qdate(self.until.date()),
        )

    def refresh(self) -> None:
        flt = self.current_filter()
        self.tasks.submit(lambda: self.service.query(flt), self._show)

    def _show(self, entries: list[AuditEntry]) -> None:
        self.model.set_entries(entries)
        self.status.setText(plural(len(entries), "entry"))

    def export_to(self, path: Path) -> None:
        flt = self.current_filter()
        self.tasks.submit(
            lambda: self.service.export_csv_file(flt, path),
            lambda n: self.status.setText(
                f"{plural(n, 'entry')} exported to {path}, signed in {path.name}.p7s"
            ),
            self._failed,  # e.g. no signing key: nothing is written, the reason is shown
        )

    def _ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export audit trail", "audit.csv", "CSV files (*.csv)"
        )
        if name:
            self.export_to(Path(name))

    def verify(self) -> None:
        def shown(verdict: Any) -> None:
            self.status.setText(
                f"Audit chain intact: {verdict.checked} events verified"
                if verdict.ok
                else f"Audit chain BROKEN: {verdict.problem}"
            )

        self.tasks.submit(self.service.verify, shown)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"Not done: {error}")
