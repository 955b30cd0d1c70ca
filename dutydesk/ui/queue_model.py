"""The duty queue as a table model over contact ids.

The model holds a ``QueueIndex`` (every open contact in triage order, with folded search
text) and the ids currently shown. A filter keystroke selects ids in Python and resets
the model (the window puts the selection and scroll back by contact id); a live change
from the store removes, inserts and re-orders only the rows that changed, so persistent
indexes (the selection) survive. No ``QSortFilterProxyModel``: it calls Python ``data()``
for every row, 0.6 s a keystroke at 100,000 rows against 20 ms for ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ..domain.codes import SOURCE_SHORT, source_label
from ..domain.triage.explain import reason_text
from ..domain.wording import duration_text, human_datetime, top_reasons
from ..services.queue_filter import QueueFilter, QueueIndex
from ..services.snapshots import QueueItem

Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    "#",
    "Rating",
    "Time left",
    "Children",
    "Why",
    "Concern",
    "Source",
    "Received",
    "Status",
    "With",
)
RANK, RATING, TIME_LEFT, CHILDREN, WHY, CONCERN, SOURCE, RECEIVED, STATUS, WITH = range(10)
# What a cell may hold at its widest, for widths that follow the font (200% text too).
COLUMN_SAMPLES = (
    "999",
    "⚠ AMBER",
    "overdue 99h 59m",
    "Amelia Müller (16 y)",
    "Physical abuse – adult on chi",
    "",
    "Social care",
    "30 Nov 2026 14:05",
    "In progress",
    "Grace Senior",
)
HIDDEN_AT_FIRST = (RANK, RECEIVED)  # the order is the rank; time left says more than arrival
DANGER_MARK = "⚠"

# Rating chips keep their colours in light and dark themes: the colour is the message.
RATING_COLOURS = {
    "red": ("#c62828", "#ffffff"),
    "amber": ("#ef8f00", "#000000"),
    "green": ("#2e7d32", "#ffffff"),
    "blue": ("#1565c0", "#ffffff"),
}
# Countdown warnings, readable on a light and on a dark base respectively.
WARN = {"amber": ("#a05a00", "#ffb74d"), "red": ("#c62828", "#ff8a80")}
AMBER_WITHIN_SECONDS = 3600  # the countdown turns amber in its last hour

STATUS_TEXT = {
    "new": "New",
    "in_progress": "In progress",
    "awaiting_sign_off": "Awaiting sign-off",
    "decided": "Decided",
    "merged": "Merged (duplicate)",
    "entered_in_error": "Entered in error",
}
DECIDED = "decided"
RETURNED_TEXT = "Returned"  # a manager sent the proposal back: the reason is in the detail

# Past this many changed rows a reset is cheaper than row-by-row signals.
DIFF_LIMIT = 300


def time_left_text(
    due_at: str | None,
    now: datetime,
    amber_within: int = AMBER_WITHIN_SECONDS,
    *,
    status: str | None = None,
) -> tuple[str, str | None]:
    """Text and warning level (None, ``amber`` nearing, ``red`` passed) for a due time.
    A decided contact has no countdown: the clock stopped with the decision."""
    if status == "decided":
        return DECIDED, None
    if not due_at:
        return "—", None
    return time_left_seconds(
        int((datetime.fromisoformat(due_at) - now).total_seconds()), amber_within
    )


def time_left_seconds(
    seconds: int, amber_within: int = AMBER_WITHIN_SECONDS
) -> tuple[str, str | None]:
    """Always hours and minutes, so a column of them compares at a glance; the warning is
    in the words too ("overdue", "soon"), never in the colour alone."""
    text = duration_text(seconds)
    if seconds < 0:
        return f"overdue {text}", "red"
    if seconds < amber_within:
        return f"{text} (soon)", "amber"
    return text, None


class QueueModel(QAbstractTableModel):
    def __init__(self, now: Callable[[], datetime], parent: Any = None) -> None:
        super().__init__(parent)
        self._now = now
        self.index_ = QueueIndex()
        self._ids: list[str] = []
        self._rank: dict[str, int] = {}
        self._cells: dict[str, tuple[str, ...]] = {}  # static display text, made on first paint
        self._dark = False

    # ---- content -----------------------------------------------------------------

    def set_items(self, items: Sequence[QueueItem], visible: Sequence[str] | None = None) -> None:
        """Replace the whole queue (first load)."""
        self.beginResetModel()
        self.index_.replace_all(items)
        self._cells.clear()
        self._rerank()
        self._ids = list(visible) if visible is not None else list(self.index_.ranked)
        self.endResetModel()

    def update_items(self, changed: Iterable[QueueItem], removed: Iterable[str] = ()) -> None:
        """Take a live change into the index; call ``show_ids`` after to show it."""
        changed = list(changed)
        removed = list(removed)
        self.index_.update(changed, removed)
        for cid in [*removed, *(i.contact_id for i in changed)]:
            self._cells.pop(cid, None)
        self._rerank()

    def _rerank(self) -> None:
        self._rank = {cid: n for n, cid in enumerate(self.index_.ranked, 1)}

    def select(self, flt: QueueFilter) -> list[str]:
        return self.index_.select(flt, self._now())

    def reset_ids(self, ids: Sequence[str]) -> None:
        """Show ``ids`` with a reset (fast for big filter changes; selection is lost)."""
        self.beginResetModel()
        self._ids = [i for i in ids if i in self.index_.items]
        self.endResetModel()

    def show_ids(self, ids: Sequence[str]) -> None:
        """Show ``ids`` keeping persistent indexes: removed rows go with ``beginRemoveRows``,
        new rows come with ``beginInsertRows``, then one layout change re-orders."""
        target = [i for i in ids if i in self.index_.items]
        wanted = set(target)
        current = set(self._ids)
        if len(wanted ^ current) > DIFF_LIMIT:
            self.reset_ids(target)
            return
        for row in range(len(self._ids) - 1, -1, -1):
            if self._ids[row] not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._ids[row]
                self.endRemoveRows()
        fresh = [i for i in target if i not in current]
        if fresh:
            start = len(self._ids)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._ids.extend(fresh)
            self.endInsertRows()
        if self._ids != target:
            self._reorder(target)
        elif self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1)
            )

    def _reorder(self, target: list[str]) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self._ids[i.row()] if 0 <= i.row() < len(self._ids) else None for i in old]
        self._ids = target
        position = {cid: row for row, cid in enumerate(target)}
        new = []
        for idx, cid in zip(old, old_ids, strict=True):
            row = position.get(cid) if cid is not None else None
            new.append(self.index(row, idx.column()) if row is not None else QModelIndex())
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def item(self, row: int) -> QueueItem | None:
        if 0 <= row < len(self._ids):
            return self.index_.items.get(self._ids[row])
        return None

    def row_of(self, contact_id: str) -> int:
        try:
            return self._ids.index(contact_id)
        except ValueError:
            return -1

    def all_items(self) -> list[QueueItem]:
        return [self.index_.items[c] for c in self.index_.ranked]

    def ids(self) -> list[str]:
        return list(self._ids)

    def set_dark(self, dark: bool) -> None:
        self._dark = dark

    def refresh_times(self) -> None:
        """Repaint the countdown column (called by a timer)."""
        if self._ids:
            self.dataChanged.emit(
                self.index(0, TIME_LEFT),
                self.index(len(self._ids) - 1, TIME_LEFT),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole],
            )

    # ---- Qt model API ------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
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
            return self._display(item, col)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(item, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == TIME_LEFT:
            level = self._time_left(item)[1]
            return QBrush(QColor(WARN[level][int(self._dark)])) if level else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (RANK, RATING):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.UserRole:
            return item.contact_id
        if role == Qt.ItemDataRole.UserRole + 1 and col == RATING:
            return item.rating
        return None

    def _time_left(self, item: QueueItem) -> tuple[str, str | None]:
        if item.status == "decided":
            return DECIDED, None
        due = self.index_.due(item.contact_id)
        if due is None:
            return "—", None
        return time_left_seconds(int(due - self._now().timestamp()))

    def _display(self, item: QueueItem, col: int) -> str:
        if col == RANK:
            return str(self._rank.get(item.contact_id, 0))
        if col == TIME_LEFT:
            return self._time_left(item)[0]
        cells = self._cells.get(item.contact_id)
        if cells is None:
            cells = self._cells[item.contact_id] = _cells(item)
        return cells[col]

    def _spoken(self, item: QueueItem, col: int) -> str:
        """What a screen reader says: the marks in words."""
        if col == RATING:
            words = [(item.rating or "unrated").capitalize()]
            if item.immediate_danger:
                words.append("immediate danger")
            if item.conflict:
                words.append("conflicting decisions")
            return ", ".join(words)
        return self._display(item, col)

    def _tooltip(self, item: QueueItem, col: int) -> str | None:
        if col in (RATING, WHY):
            if item.immediate_danger and col == RATING:
                return "Immediate danger reported at intake\n" + "\n".join(
                    reason_text(r) for r in item.reasons
                )
            if not item.reasons:
                return "Not rated yet" if not item.rating else None
            return "\n".join(reason_text(r) for r in item.reasons)
        if col == CONCERN:
            return item.concern
        if col == SOURCE:
            return f"{item.source_code}: {source_label(item.source_code)}"
        if col == TIME_LEFT:
            due = item.due_at or item.decision_due_at
            if item.status == "decided":
                return "Decided: the clock stopped with the decision"
            return f"Due {human_datetime(due)}" if due else None
        return None


def _cells(item: QueueItem) -> tuple[str, ...]:
    """The text of every column that does not change with the clock or the rank."""
    label = (item.rating or "unrated").upper()
    if item.immediate_danger:
        label = f"{DANGER_MARK} {label}"
    first = item.concern.split(". ")[0]
    status = RETURNED_TEXT if item.returned else STATUS_TEXT.get(item.status, item.status)
    return (
        "",
        f"{label} !" if item.conflict else label,
        "",
        item.children_text,
        "; ".join(top_reasons(item.reasons)),
        first if len(first) <= 90 else first[:87] + "…",
        SOURCE_SHORT.get(item.source_code, item.source_code),
        human_datetime(item.received_at),
        f"{status} (conflicting decisions)" if item.conflict else status,
        item.assignee_name or item.assignee or "",
    )
