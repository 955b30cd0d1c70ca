"""How the duty window fits the screen it is on.

``QueueColumns``: widths measured from the font (so 200% text gets wider columns, not
clipped ones), the concern column taking what is left, a few columns hidden at first, a
Columns menu (View menu and the header's right-click) to choose them, and each person's
choice and widths remembered under their login (desks are shared).

``DetailPlacement``: the contact detail sits beside the queue on a wide window and below
it on a narrow one (an ordinary laptop, 1024 px, or 1366x768 at 125%), and can be hidden
to give the queue the whole window. The sizes of each arrangement are remembered.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QMainWindow,
    QMenu,
    QSplitter,
    QTableView,
    QWidget,
)

from .queue_model import COLUMN_SAMPLES, COLUMNS, CONCERN, HIDDEN_AT_FIRST, WITH

# The detail goes beside the queue from this many average characters of window width
# (1600 px at the usual 9 pt font; twice that with the text at 200%).
BESIDE_FROM_CHARS = 266
CELL_PADDING = 18  # px a cell adds around its text (margins, the chip's rounding)
# The Columns menu, one underlined letter each (same order as COLUMNS).
CONCERN_MIN_CHARS = 16
# Who has a contact is read in full ("Tom Practitioner", not "Tom Practiti…"): the column
# widens to the longest name in the queue, up to this many average characters.
NAME_MAX_CHARS = 22
# The handover strip under the queue of a narrow window: this many lines of text tall.
HANDOVER_STRIP_LINES = 7
# ... and at the side of a wide one, this many average characters wide.
HANDOVER_SIDE_CHARS = 36
MENU_TEXT = (
    "Ran&k (#)",
    "&Rating",
    "&Time left",
    "C&hildren",
    "&Why",
    "C&oncern",
    "&Source",
    "R&eceived",
    "St&atus",
    "W&ith",
)


class QueueColumns(QObject):
    """Column widths, choice and memory for the queue table of one signed-in person."""

    def __init__(self, table: QTableView, settings: QSettings, login: str) -> None:
        super().__init__(table)
        self.table = table
        self._fitting = False
        self.settings = settings
        self.key = f"queue/{login}"
        self.menu = QMenu("&Columns")
        self.menu.setObjectName("columnsMenu")
        self.toggles: list[QAction] = []
        self.restored = False  # this person's own widths are in use: leave them be
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.sectionResized.connect(self._other_resized)
        table.viewport().installEventFilter(self)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        for col, text in enumerate(MENU_TEXT):
            act = QAction(text, self.menu)
            act.setObjectName(f"column_{col}")
            act.setCheckable(True)
            act.setChecked(True)
            act.toggled.connect(lambda on, c=col: self.show_column(c, on))
            self.menu.addAction(act)
            self.toggles.append(act)
        self.defaults()

    def natural_widths(self) -> list[int]:
        metrics = self.table.fontMetrics()
        return [metrics.horizontalAdvance(sample) + CELL_PADDING for sample in COLUMN_SAMPLES]

    def defaults(self) -> None:
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        header.setMinimumSectionSize(metrics.horizontalAdvance("000") + 12)
        # Compact rows: more of the queue on a laptop screen; still follows the font.
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        for col, width in enumerate(self.natural_widths()):
            if col != CONCERN:
                self.table.setColumnWidth(col, width)
        for col in range(len(COLUMNS)):
            self.toggles[col].setChecked(col not in HIDDEN_AT_FIRST)

    def fit_names(self, names: list[str]) -> None:
        """Widen the With column to the longest of ``names`` (capped at NAME_MAX_CHARS),
        unless this person has their own widths; never narrower than the default."""
        if self.restored:
            return
        metrics = self.table.fontMetrics()
        longest = max((metrics.horizontalAdvance(n) for n in set(names) if n), default=0)
        cap = NAME_MAX_CHARS * metrics.averageCharWidth()
        wanted = min(longest + CELL_PADDING, cap)
        if wanted > self.table.columnWidth(WITH):
            self.table.setColumnWidth(WITH, wanted)

    def show_column(self, col: int, shown: bool) -> None:
        if not shown and sum(not self.table.isColumnHidden(c) for c in range(len(COLUMNS))) <= 1:
            self.toggles[col].setChecked(True)  # keep at least one column
            return
        self.table.setColumnHidden(col, not shown)
        self.fit_concern()

    def concern_width(self) -> int:
        return self.table.columnWidth(CONCERN)

    def fit_concern(self) -> None:
        """The concern takes the width the other columns leave, but never less than
        CONCERN_MIN_CHARS (with large text the table scrolls sideways instead)."""
        if self._fitting:
            return
        header = self.table.horizontalHeader()
        others = sum(
            header.sectionSize(c)
            for c in range(len(COLUMNS))
            if c != CONCERN and not header.isSectionHidden(c)
        )
        least = CONCERN_MIN_CHARS * self.table.fontMetrics().averageCharWidth()
        self._fitting = True
        try:
            self.table.setColumnWidth(CONCERN, max(least, self.table.viewport().width() - others))
        finally:
            self._fitting = False

    def _other_resized(self, col: int, _old: int, _new: int) -> None:
        if col != CONCERN:
            self.fit_concern()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.Resize:
            self.fit_concern()
        return False

    def _header_menu(self, at: QPoint) -> None:
        self.menu.popup(self.table.horizontalHeader().mapToGlobal(at))

    def save(self) -> None:
        self.settings.setValue(f"{self.key}/header", self.table.horizontalHeader().saveState())
        self.settings.setValue(f"{self.key}/columns", "|".join(COLUMNS))

    def restore(self) -> None:
        """This person's columns, if saved for the columns there are now."""
        state = self.settings.value(f"{self.key}/header")
        if state is None or self.settings.value(f"{self.key}/columns") != "|".join(COLUMNS):
            return
        header = self.table.horizontalHeader()
        if isinstance(state, QByteArray) and header.restoreState(state):
            self.restored = True
            for col, act in enumerate(self.toggles):
                act.blockSignals(True)
                act.setChecked(not self.table.isColumnHidden(col))
                act.blockSignals(False)


class DetailPlacement:
    """The splitter between queue and detail: beside on wide windows, below on narrow,
    or the detail hidden."""

    def __init__(self, splitter: QSplitter, detail: QWidget, settings: QSettings) -> None:
        self.splitter = splitter
        self.detail = detail
        self.settings = settings
        splitter.setChildrenCollapsible(False)
        self.beside: bool | None = None

    def fit(self, window_width: int) -> None:
        beside = window_width >= BESIDE_FROM_CHARS * self.detail.fontMetrics().averageCharWidth()
        if beside == self.beside:
            return
        if self.beside is not None:
            self._save_sizes()
        self.beside = beside
        self.splitter.setOrientation(
            Qt.Orientation.Horizontal if beside else Qt.Orientation.Vertical
        )
        saved = self.settings.value(self._key())
        if isinstance(saved, QByteArray) and self.splitter.restoreState(saved):
            self.splitter.setOrientation(
                Qt.Orientation.Horizontal if beside else Qt.Orientation.Vertical
            )
        else:
            # below: the queue gets two thirds of the height (it is what 9am is about)
            self.splitter.setSizes([600, 400] if beside else [660, 340])

    def _key(self) -> str:
        return "window/splitter" if self.beside else "window/splitter_below"

    def _save_sizes(self) -> None:
        self.settings.setValue(self._key(), self.splitter.saveState())

    def set_shown(self, shown: bool) -> None:
        self.detail.setVisible(shown)

    def save(self) -> None:
        if self.beside is not None:
            self._save_sizes()
        self.settings.setValue("window/detail_shown", not self.detail.isHidden())

    def restore(self) -> bool:
        """Whether the detail was shown when the window last closed (shown at first)."""
        return str(self.settings.value("window/detail_shown", "true")).lower() != "false"


def place_handover(window: QMainWindow, dock: QDockWidget, beside: bool) -> None:
    """The out-of-hours handover panel: at the right of a wide window, where the queue has
    room to spare; a short strip along the bottom of a narrow one, so that it never takes
    the width the concern column needs (on a 1024 px laptop it left the concern 16
    characters and the queue scrolling sideways)."""
    area = (
        Qt.DockWidgetArea.RightDockWidgetArea if beside else Qt.DockWidgetArea.BottomDockWidgetArea
    )
    panel = dock.widget()
    if hasattr(panel, "set_strip"):
        panel.set_strip(not beside)
    if window.dockWidgetArea(dock) == area:
        return
    window.addDockWidget(area, dock)  # moves it, keeping whether it is shown
    metrics = dock.fontMetrics()
    if beside:
        window.resizeDocks(
            [dock], [HANDOVER_SIDE_CHARS * metrics.averageCharWidth()], Qt.Orientation.Horizontal
        )
    else:
        window.resizeDocks(
            [dock], [HANDOVER_STRIP_LINES * metrics.height()], Qt.Orientation.Vertical
        )
