"""The duty queue as a table model over contact ids.

The model holds the ordered ids and a dict of immutable ``QueueItem`` snapshots. Filtering
and re-ranking happen on the id list (fast in Python), then the model swaps ids with
layout signals, so a 100,000-row queue never goes through ``QSortFilterProxyModel``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ..domain.codes import SOURCE_SHORT, source_label
from ..services.snapshots import QueueItem

Index = QModelIndex | QPersistentModelIndex

COLUMNS = ("#", "Rating", "Time left", "Children", "Concern", "Source", "Received",
           "Status", "With")

RATING_COLOURS = {
    "red": ("#c62828", "#ffffff"),
    "amber": ("#ef8f00", "#000000"),
    "green": ("#2e7d32", "#ffffff"),
    "blue": ("#1565c0", "#ffffff"),
}

STATUS_TEXT = {"new": "New", "in_progress": "In progress",
               "awaiting_sign_off": "Awaiting sign-off", "decided": "Decided"}


def time_left_text(due_at: str | None, now: datetime) -> tuple[str, str | None]:
    """Text and warning colour for the time-left column."""
    if not due_at:
        return "—", None
    due = datetime.fromisoformat(due_at)
    seconds = int((due - now).total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    text = f"{hours // 24}d {hours % 24}h" if hours >= 48 else f"{hours}h {minutes:02d}m"
    if overdue:
        return f"overdue {text}", "#c62828"
    if seconds < 3600:
        return text, "#ef8f00"
    return text, None


class QueueModel(QAbstractTableModel):
    def __init__(self, now: Callable[[], datetime], parent: Any = None) -> None:
        super().__init__(parent)
        self._now = now
        self._ids: list[str] = []
        self._items: dict[str, QueueItem] = {}

    # ---- content -----------------------------------------------------------------

    def set_items(self, items: Sequence[QueueItem], visible: Sequence[str] | None = None) -> None:
        """Replace the whole queue (first load)."""
        self.beginResetModel()
        self._items = {i.contact_id: i for i in items}
        self._ids = list(visible) if visible is not None else [i.contact_id for i in items]
        self.endResetModel()

    def show_ids(self, ids: Sequence[str]) -> None:
        """Reorder/filter to ``ids`` keeping persistent indexes (selection) where possible."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self._ids[i.row()] if 0 <= i.row() < len(self._ids) else None for i in old]
        self._ids = [i for i in ids if i in self._items]
        position = {cid: row for row, cid in enumerate(self._ids)}
        new = []
        for idx, cid in zip(old, old_ids, strict=True):
            row = position.get(cid) if cid is not None else None
            new.append(self.index(row, idx.column()) if row is not None else QModelIndex())
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def item(self, row: int) -> QueueItem | None:
        if 0 <= row < len(self._ids):
            return self._items.get(self._ids[row])
        return None

    def row_of(self, contact_id: str) -> int:
        try:
            return self._ids.index(contact_id)
        except ValueError:
            return -1

    def all_items(self) -> list[QueueItem]:
        return list(self._items.values())

    def ids(self) -> list[str]:
        return list(self._ids)

    def refresh_times(self) -> None:
        """Repaint the countdown column (called by a timer)."""
        if self._ids:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self._ids) - 1, 2),
                                  [Qt.ItemDataRole.DisplayRole])

    # ---- Qt model API ------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.item(index.row())
        if item is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, index.row(), col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, col)
        if role == Qt.ItemDataRole.BackgroundRole and col == 1 and item.rating:
            return QBrush(QColor(RATING_COLOURS[item.rating][0]))
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 1 and item.rating:
                return QBrush(QColor(RATING_COLOURS[item.rating][1]))
            if col == 2:
                colour = time_left_text(item.due_at or item.decision_due_at, self._now())[1]
                return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 1):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.UserRole:
            return item.contact_id
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(item, index.row(), col)
        return None

    def _display(self, item: QueueItem, row: int, col: int) -> str:
        if col == 0:
            return str(row + 1)
        if col == 1:
            label = (item.rating or "unrated").upper()
            return f"{label} !" if item.conflict else label
        if col == 2:
            return time_left_text(item.due_at or item.decision_due_at, self._now())[0]
        if col == 3:
            return item.children_text
        if col == 4:
            first = item.concern.split(". ")[0]
            return first if len(first) <= 90 else first[:87] + "…"
        if col == 5:
            return SOURCE_SHORT.get(item.source_code, item.source_code)
        if col == 6:
            return datetime.fromisoformat(item.received_at).strftime("%d %b %H:%M")
        if col == 7:
            text = STATUS_TEXT.get(item.status, item.status)
            return f"{text} (conflicting decisions)" if item.conflict else text
        if col == 8:
            return item.assignee or ""
        return ""

    def _tooltip(self, item: QueueItem, col: int) -> str | None:
        if col == 1 and item.reasons:
            return "\n".join(str(r.get("text") or r.get("factor") or r) for r in item.reasons)
        if col == 4:
            return item.concern
        if col == 5:
            return f"{item.source_code}: {source_label(item.source_code)}"
        return None
