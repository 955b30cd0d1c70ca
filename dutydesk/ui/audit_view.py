"""The audit viewer: filter the audit trail by person (staff), child, event type and date,
export it to CSV, and check the hash chain. A second tab lists the events this desk
received from the server and holds in quarantine (``AuditService.quarantined``, as
``dutydesk audit quarantine``).

``AuditModel`` is a table model over event ids plus a dict of immutable ``AuditEntry``
snapshots, like the queue; ``QuarantineModel`` likewise over ``QuarantineEntry``. Queries
run on the writer thread through ``TaskRunner``.
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import ROLE_LABELS, Role
from ..domain.events import EVENT_TYPES
from ..domain.wording import human_datetime, plural
from ..services.audit import (
    ACCESS_TYPES,
    AuditEntry,
    AuditFilter,
    AuditService,
    QuarantineEntry,
)
from .table_base import HeadedTableModel
from .tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("When", "Who", "Role", "Event", "Contact", "Child / person", "Details")
ACCESS_CHOICE = "Access log (views, prints, exports, break-glass)"
ALL_CHOICE = "All events"
QUARANTINE_COLUMNS = (
    "Server seq",
    "Event",
    "Recorded by",
    "Role",
    "Recorded at",
    "Quarantined at",
    "Why it was not applied",
)
QUARANTINE_EXPLAINED = (
    "Events received from the server that this desk could not apply. They are held here, "
    "never applied; the other events were applied as usual. An administrator is alerted."
)
QUARANTINE_EMPTY = (
    "No events are held in quarantine on this desk: every event received from the server "
    "so far was applied (a desk that does not sync receives none)."
)


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


class QuarantineModel(HeadedTableModel):
    """Quarantined events, oldest server sequence first, as ``AuditService`` gives them
    (reasons already hidden for records this reader may not open)."""

    columns = QUARANTINE_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[QuarantineEntry] = []

    def row_total(self) -> int:
        return len(self._entries)

    def set_entries(self, entries: Sequence[QuarantineEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> QuarantineEntry:
        return self._entries[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        e = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            who = (
                f"{e.actor_name} ({e.actor})"
                if e.actor_name and e.actor_name != e.actor
                else e.actor
            )
            return (
                "" if e.server_seq is None else str(e.server_seq),
                e.event_type,
                who or "—",
                _role(e.actor_role) if e.actor_role else "—",
                _when(e.client_time),
                _when(e.quarantined_at),
                e.reason,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"event {e.event_id}\n{e.reason}"
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


def _when(value: str) -> str:
    """A time as the rest of the window shows it; a quarantined event's own time may be
    malformed (that may be why it was refused), so then it is shown as received."""
    try:
        return human_datetime(value)
    except (ValueError, TypeError):
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
        # the session's writer, shared with the window: each task names its own failure
        # handler here, the runner's default (the window's) stays as it is
        self.tasks = tasks
        self.setObjectName("auditView")
        self.setWindowTitle("DutyDesk — audit trail")
        today = service.clock.now().date()

        form = self._build_filters(today)
        trail = self._build_trail(form)
        held = self._build_quarantine_tab()
        self.tabs = _named(QTabWidget(), "auditTabs")
        self.tabs.addTab(trail, "&Trail")
        self.tabs.addTab(held, "&Quarantined")
        self.tabs.currentChanged.connect(self._tab_shown)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)

    def _build_filters(self, today: date) -> QFormLayout:
        """Who, which child, which events, between which dates; and Search."""
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
        return form

    def _build_trail(self, form: QFormLayout) -> QWidget:
        """The Trail tab: the filters, the events newest first, verify and export."""
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

        trail = QWidget()
        trail_layout = QVBoxLayout(trail)
        trail_layout.setContentsMargins(0, 0, 0, 0)
        trail_layout.addLayout(form)
        trail_layout.addWidget(self.table, 1)
        trail_layout.addLayout(bottom)
        return trail

    def _build_quarantine_tab(self) -> QWidget:
        """The Quarantined tab: what it means, the events held, reload."""
        self.quarantine_model = QuarantineModel(self)
        self.quarantine_table = _named(QTableView(), "auditQuarantineTable")
        self.quarantine_table.setAccessibleName("Events held in quarantine, oldest first")
        self.quarantine_table.setModel(self.quarantine_model)
        self.quarantine_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.quarantine_table.setAlternatingRowColors(True)
        self.quarantine_table.verticalHeader().setVisible(False)
        self.quarantine_table.setWordWrap(False)
        self.quarantine_table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((80, 120, 170, 120, 130, 130)):
            self.quarantine_table.setColumnWidth(col, width)
        self.quarantine_note = _named(QLabel(QUARANTINE_EXPLAINED), "auditQuarantineNote")
        self.quarantine_note.setWordWrap(True)
        self.quarantine_reload = _named(QPushButton("&Reload"), "auditQuarantineReload")
        self.quarantine_reload.clicked.connect(self.refresh_quarantine)
        self.quarantine_export = _named(QPushButton("E&xport CSV…"), "auditQuarantineExport")
        self.quarantine_export.clicked.connect(self._ask_export_quarantine)
        self.quarantine_status = _named(QLabel(), "auditQuarantineStatus")
        held = QWidget()
        held_layout = QVBoxLayout(held)
        held_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.quarantine_note, 1)
        top.addWidget(self.quarantine_reload)
        held_layout.addLayout(top)
        held_layout.addWidget(self.quarantine_table, 1)
        held_bottom = QHBoxLayout()
        held_bottom.addWidget(self.quarantine_status, 1)
        held_bottom.addWidget(self.quarantine_export)
        held_layout.addLayout(held_bottom)
        held_layout.addStretch(0)  # keeps the words at the top when the table is hidden
        return held

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
        self.tasks.submit(lambda: self.service.query(flt), self._show, self._failed)

    def _show(self, entries: list[AuditEntry]) -> None:
        self.model.set_entries(entries)
        self.status.setText(plural(len(entries), "entry"))

    def refresh_quarantine(self) -> None:
        """Read the quarantine (``AuditService.quarantined``) on the writer thread."""
        self.tasks.submit(self.service.quarantined, self._show_quarantine, self._quarantine_failed)

    def _show_quarantine(self, entries: list[QuarantineEntry]) -> None:
        self.quarantine_model.set_entries(entries)
        self.quarantine_note.setText(
            f"{QUARANTINE_EXPLAINED}\n{plural(len(entries), 'event')} held."
            if entries
            else QUARANTINE_EMPTY
        )
        self.quarantine_table.setVisible(bool(entries))
        self.tabs.setTabText(1, f"&Quarantined ({len(entries)})")

    def _quarantine_failed(self, error: BaseException) -> None:
        self.quarantine_model.set_entries([])
        self.quarantine_table.setVisible(False)
        self.quarantine_note.setText(f"Could not read the quarantine: {error}")
        self.tabs.setTabText(1, "&Quarantined")

    def _tab_shown(self, index: int) -> None:
        if index == 1:
            self.refresh_quarantine()

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

    def export_quarantine_to(self, path: Path) -> None:
        """The Quarantined tab as a signed CSV (``AuditService.export_quarantine_csv_file``)."""
        self.tasks.submit(
            lambda: self.service.export_quarantine_csv_file(path),
            lambda n: self.quarantine_status.setText(
                f"{plural(n, 'event')} exported to {path}, signed in {path.name}.p7s"
            ),
            lambda error: self.quarantine_status.setText(f"Not done: {error}"),
        )

    def _ask_export_quarantine(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export quarantine", "quarantine.csv", "CSV files (*.csv)"
        )
        if name:
            self.export_quarantine_to(Path(name))

    def verify(self) -> None:
        def shown(verdict: Any) -> None:
            self.status.setText(
                f"Audit chain intact: {verdict.checked} events verified"
                if verdict.ok
                else f"Audit chain BROKEN: {verdict.problem}"
            )

        self.tasks.submit(self.service.verify, shown, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"Not done: {error}")
