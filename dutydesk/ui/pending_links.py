"""The pending-links dialog: likely matches a person must confirm or dismiss, with the
child as described on the contact and the known person side by side.

``PendingLinksModel`` is a table model over match keys plus a dict of immutable
``PendingMatch`` snapshots (like the queue); a confirmed or dismissed row is removed with
``beginRemoveRows`` so the selection moves to the next one. Reads and writes run through
the ``TaskRunner``; a refusal is shown inline and nothing typed is lost.

Keyboard: the list has focus; Up/Down choose; Ctrl+L (or Alt+L) links; Ctrl+D (or Alt+D)
dismisses, first taking you to the reason box if it is empty; F5 reloads; Esc closes.
Enter never links: a link is a decision, not a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import SEX
from ..domain.errors import ValidationError
from ..domain.wording import human_date
from ..services.links import LinkService, PendingMatch, Side
from .form_parts import error_label, line, show_error
from .problems import describe
from .table_base import HeadedTableModel
from .tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
Key = tuple[str, int, str]

COLUMNS = ("Received", "Child on the contact", "Known person", "Confidence", "What agrees", "From")

# (label, Side attribute, the matching evidence that speaks about it)
COMPARED = (
    ("Name", "name", ("given_name", "family_name")),
    ("Date of birth", "date_of_birth", ("date_of_birth",)),
    ("Sex", "sex", ()),
    ("NHS number", "nhs_number", ("nhs_number",)),
    ("Postcode", "postcode", ("postcode",)),
    ("School", "school", ("school",)),
    ("Other names", "other_names", ()),
)


def uk_day(value: str | None) -> str:
    if not value:
        return ""
    try:
        return human_date(date.fromisoformat(value[:10]))
    except ValueError:
        return value


def _received(value: str | None) -> str:
    return f"{uk_day(value)} {value[11:16]}" if value and len(value) >= 16 else uk_day(value)


def _value(side: Side, attr: str) -> str:
    value = getattr(side, attr)
    if attr in ("date_of_birth",):
        text = uk_day(value)
        return text or (
            f"unborn (due {uk_day(side.expected_date_of_birth)})"
            if side.expected_date_of_birth
            else ""
        )
    if attr == "sex":
        code = SEX.get(value or "")
        return code.label if code else ""
    if attr == "other_names":
        return ", ".join(value)
    return str(value or "")


def agreement(match: PendingMatch, attr: str, evidence: Sequence[str]) -> str:
    """How a compared row agrees, in words: 'yes', 'yes (diacritics)', 'differs' or ''."""
    hows = []
    for item in match.matched:
        field, _, how = item.partition(" (")
        if field in evidence:
            hows.append(how.rstrip(")"))
    if hows:
        details = sorted({h for h in hows if h})
        return "yes" + (f" ({', '.join(details)})" if details else "")
    mine, theirs = _value(match.on_contact, attr), _value(match.on_record, attr)
    if not mine or not theirs or attr == "other_names" or match.hidden:
        return ""
    return "yes" if mine == theirs and not evidence else "differs"


def evidence_text(matched: Sequence[str]) -> str:
    """``family_name (punctuation)`` as a person would say it."""
    return ", ".join(m.replace("_", " ") for m in matched)


class PendingLinksModel(HeadedTableModel):
    columns = COLUMNS

    def row_total(self) -> int:
        return len(self._keys)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._keys: list[Key] = []
        self._matches: dict[Key, PendingMatch] = {}

    def set_matches(self, matches: Sequence[PendingMatch]) -> None:
        self.beginResetModel()
        self._keys = [m.key for m in matches]
        self._matches = {m.key: m for m in matches}
        self.endResetModel()

    def match_at(self, row: int) -> PendingMatch:
        return self._matches[self._keys[row]]

    def row_of(self, key: Key) -> int:
        return self._keys.index(key) if key in self._matches else -1

    def remove(self, key: Key) -> None:
        row = self.row_of(key)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._keys[row]
        del self._matches[key]
        self.endRemoveRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._keys):
            return None
        m = self._matches[self._keys[index.row()]]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                _received(m.received_at),
                _person_cell(m.on_contact),
                _person_cell(m.on_record),
                f"{m.confidence} ({m.level})",
                evidence_text(m.matched)
                if m.matched
                else ("hidden: restricted record" if m.hidden else ""),
                m.source,
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"contact {m.contact_id}, child {m.slot + 1}; known person {m.person_id}; "
                f"queued {_received(m.queued_at)}"
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _person_cell(side: Side) -> str:
    born = _value(side, "date_of_birth")
    return f"{side.name}, {born}" if born else side.name


class PendingLinksDialog(QDialog):
    """The list above, the two records compared below, the decision at the bottom."""

    def __init__(
        self, service: LinkService, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.tasks = tasks
        self.setObjectName("pendingLinksDialog")
        self.setWindowTitle("DutyDesk — likely matches to confirm")

        self.summary = QLabel("Loading…")
        self.summary.setObjectName("pendingSummary")
        self.summary.setWordWrap(True)

        self._build_list()
        self._build_compare()
        close, reason_label = self._build_decision()
        self._build_layout(close, reason_label)
        self.resize(1040, 560)
        self._enable(None)

    def _build_list(self) -> None:
        """The likely matches waiting, one a row."""
        self.model = PendingLinksModel(self)
        self.table = QTableView()
        self.table.setObjectName("pendingTable")
        self.table.setAccessibleName("Likely matches waiting; up and down to choose")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the list for the buttons
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((135, 190, 190, 95, 330)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._show_current)

    def _build_compare(self) -> None:
        """The two records side by side."""
        self.compare = QTableWidget(len(COMPARED), 3)
        self.compare.setObjectName("pendingCompare")
        self.compare.setAccessibleName("The two records side by side")
        self.compare.setHorizontalHeaderLabels(("On the contact", "On the record", "Agrees"))
        self.compare.setVerticalHeaderLabels([label for label, _, _ in COMPARED])
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.setTabKeyNavigation(False)
        self.compare.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.compare.setMinimumHeight(self.compare.verticalHeader().length() + 34)

    def _build_decision(self) -> tuple[QPushButton, QLabel]:
        """The reason to dismiss, and link, dismiss, reload and close with their keys."""
        self.reason = line(
            "dismissReason",
            "Why this is not the same child",
            "why this is not the same child (needed to dismiss)",
        )
        reason_label = QLabel("&Why not the same child:")
        reason_label.setBuddy(self.reason)
        self.error = error_label("pendingError")
        self.link_button = QPushButton("&Link: same child")
        self.link_button.setObjectName("pendingLink")
        self.link_button.setAutoDefault(False)
        self.link_button.clicked.connect(self.confirm_current)
        self.dismiss_button = QPushButton("&Dismiss: not the same child")
        self.dismiss_button.setObjectName("pendingDismiss")
        self.dismiss_button.setAutoDefault(False)
        self.dismiss_button.clicked.connect(self.dismiss_current)
        self.refresh_button = QPushButton("&Reload")
        self.refresh_button.setObjectName("pendingReload")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        close = QPushButton("Close")
        close.setObjectName("pendingClose")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)
        QShortcut(QKeySequence("Ctrl+L"), self, self._link_key)
        QShortcut(QKeySequence("Ctrl+D"), self, self._dismiss_key)
        self.link_button.setToolTip("Link the child to the known person (Ctrl+L)")
        self.dismiss_button.setToolTip("Not the same child; needs a reason (Ctrl+D)")
        return close, reason_label

    def _build_layout(self, close: QPushButton, reason_label: QLabel) -> None:
        """Everything in reading order; Tab goes the same way."""
        reason_row = QHBoxLayout()
        reason_row.addWidget(reason_label)
        reason_row.addWidget(self.reason, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.compare, 2)
        layout.addLayout(reason_row)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        for a, b in (
            (self.table, self.compare),
            (self.compare, self.reason),
            (self.reason, self.link_button),
            (self.link_button, self.dismiss_button),
            (self.dismiss_button, self.refresh_button),
            (self.refresh_button, close),
        ):
            QWidget.setTabOrder(a, b)

    # ---- loading -----------------------------------------------------------------------

    def refresh(self) -> None:
        self.tasks.submit(self.service.pending, self._loaded, self._failed)

    def _loaded(self, matches: list[PendingMatch]) -> None:
        self.model.set_matches(matches)
        self._count()
        if matches:
            self.table.selectRow(0)
            self.table.setFocus()
        else:
            self._show(None)

    def _count(self) -> None:
        n = self.model.rowCount()
        self.summary.setText(
            f"{n} likely match{'es' if n != 1 else ''} waiting. Compare the two records; "
            "link only when they are the same child. Nothing is linked without you."
            if n
            else "No likely matches are waiting."
        )

    def current(self) -> PendingMatch | None:
        row = self.table.currentIndex().row()
        return self.model.match_at(row) if 0 <= row < self.model.rowCount() else None

    def _show_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show(self.model.match_at(current.row()) if current.isValid() else None)

    def _show(self, match: PendingMatch | None) -> None:
        for row, (_label, attr, evidence) in enumerate(COMPARED):
            cells = (
                ("", "", "")
                if match is None
                else (
                    _value(match.on_contact, attr),
                    _value(match.on_record, attr),
                    agreement(match, attr, evidence),
                )
            )
            for col, text in enumerate(cells):
                self.compare.setItem(row, col, QTableWidgetItem(text))
        self.reason.clear()
        show_error(self.error, "")
        if match is not None and match.hidden:
            show_error(
                self.error,
                "This record is restricted: someone named on it must compare and decide.",
            )
        self._enable(match)

    def _enable(self, match: PendingMatch | None) -> None:
        usable = match is not None and not match.hidden
        self.link_button.setEnabled(usable)
        self.dismiss_button.setEnabled(usable)
        self.reason.setEnabled(usable)

    # ---- deciding ----------------------------------------------------------------------

    def confirm_current(self) -> None:
        match = self.current()
        if match is None:
            return
        self.tasks.submit(
            lambda: self.service.confirm(*match.key),
            lambda _r: self._closed(match, "Linked"),
            self._failed,
        )

    def _link_key(self) -> None:
        if self.link_button.isEnabled():
            self.confirm_current()

    def _dismiss_key(self) -> None:
        if self.dismiss_button.isEnabled():
            self.dismiss_current()

    def dismiss_current(self) -> None:
        match = self.current()
        if match is None:
            return
        reason = self.reason.text()
        self.tasks.submit(
            lambda: self.service.dismiss(*match.key, reason),
            lambda _r: self._closed(match, "Dismissed"),
            self._failed,
        )

    def _closed(self, match: PendingMatch, what: str) -> None:
        self.model.remove(match.key)
        self._count()
        self.summary.setText(f"{what}: {match.on_contact.name}. " + self.summary.text())
        nxt = self.current()
        if nxt is None and self.model.rowCount():
            self.table.selectRow(0)
        self._show(self.current())
        self.table.setFocus()

    def _failed(self, error: BaseException) -> None:
        # In the words of the form ("Reason: say why…"), never the rule's path ("reason: …")
        show_error(
            self.error, describe(error) if isinstance(error, ValidationError) else str(error)
        )
        if isinstance(error, ValidationError) and error.path == "reason":
            self.reason.setFocus()  # type the reason, then dismiss again


def open_pending_links(
    parent: QWidget, service: LinkService, tasks: TaskRunner
) -> PendingLinksDialog:
    """Open the dialog (non-modal, window-modal to ``parent``) and load the list."""
    dialog = PendingLinksDialog(service, tasks, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.refresh()
    return dialog
