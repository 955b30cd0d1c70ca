"""The MI dashboard: filters, a tile per figure, a chart of the chosen figure, and a
drill-down table of the children, contacts or workers behind a tile or a bar.

All store work and every computation run on the task runner (off the GUI thread). The
period shown is loaded (pushed down to SQL, with its look-back: every office, team and
source), not the whole store: at a million events the whole store took minutes to read
and most of the memory. Changing office, team or source, or moving the period inside
what is loaded, only recomputes; a period outside it loads that period. The window opens
it (Management information, Ctrl+M).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QChartView
from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QCloseEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.clock import LONDON
from ..domain.codes import REFERRAL_SOURCES, SOURCE_SHORT
from ..domain.permissions import Action, allows
from ..mi import annex_a
from ..mi.records import Figure, Filters, Ref
from ..services.mi import DRILL_LIMIT, DrillRow, Loaded, MiService
from ..services.mi_records import MiRecords
from .mi_charts import build_chart
from .mi_records import AssessmentCompletedDialog, SupervisionDialog
from .table_base import HeadedTableModel
from .tasks import TaskRunner

ALL = "All"
TILE_COLUMNS = 2
DRILL_COLUMNS = ("Received", "Children", "Source", "Office / team", "Outcome", "Worker", "Child ID")


class DrillModel(HeadedTableModel):
    columns = DRILL_COLUMNS

    def row_total(self) -> int:
        return len(self._rows)

    """Rows behind the selected figure or bar (immutable snapshots)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[DrillRow] = []

    def row(self, n: int) -> DrillRow:
        return self._rows[n]

    def set_rows(self, rows: Sequence[DrillRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        row = self._rows[index.row()]
        values = (
            row.received,
            row.children,
            row.source,
            row.office_team,
            row.outcome,
            row.worker,
            row.child_id,
        )
        return values[index.column()]


class Tile(QPushButton):
    """One figure's headline; clicking it charts the figure and drills into it."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.setObjectName(f"tile_{key}")
        self.setCheckable(True)
        self.setMinimumSize(210, 78)
        # Palette colours, so a tile reads in dark and high-contrast palettes too.
        self.setStyleSheet(
            "QPushButton{text-align:left;padding:6px;border:1px solid palette(mid);"
            "border-radius:4px;background:palette(base);color:palette(text);}"
            "QPushButton:checked{border:3px solid palette(highlight);"
            "background:palette(alternate-base);}"
        )

    def show_figure(self, figure: Figure) -> None:
        self.setText(f"{figure.title}\n{figure.display()}")
        self.setToolTip(figure.note or figure.title)
        self.setAccessibleName(f"{figure.title}: {figure.display()}")


def _counts(counts: Sequence[tuple[int, int]]) -> str:
    return ", ".join(f"List {n}: {rows} rows" for n, rows in counts)


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class MiDashboard(QWidget):
    def __init__(
        self,
        service: MiService,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        *,
        records: MiRecords | None = None,
        writer: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.records = records  # None: this person may not record completions/supervision
        self.setObjectName("miDashboard")
        self.setWindowTitle("DutyDesk — management information")
        self.service = service
        self.tasks = tasks  # reads: load, figures, drill-down
        self.writer = writer or tasks  # writes: exports and records (the session's writer)
        self.loaded: Loaded | None = None
        self.figures: dict[str, Figure] = {}
        self.selected = "contacts_received"
        self._generation = 0  # results of an older request are dropped
        self._bar_parts: list[Any] = []

        self._build_filters()
        bar = self._build_bar(records is not None)
        self._build_tiles()
        self._build_chart_and_drill()
        self._build_layout(bar)
        self._follow_filters()

    def _build_filters(self) -> None:
        """The period and the office, team and source filters; refresh and the status."""
        start = self.service.default_filters()
        self.date_from = self._date_edit("From", start.date_from)
        self.date_to = self._date_edit("To", start.date_to)
        self.office = self._combo("Office")
        self.team = self._combo("Team")
        self.source = self._combo("Source")
        self.source.addItem(ALL, None)
        for code, found in REFERRAL_SOURCES.items():
            self.source.addItem(f"{code}: {SOURCE_SHORT.get(code, found.label)}", code)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setAccessibleName("Reload figures from the store")
        self.refresh_button.clicked.connect(self.reload)
        self.status = QLabel("Loading…")
        self.status.setObjectName("miStatus")

    def _build_bar(self, may_record: bool) -> QHBoxLayout:
        """The bar: the filters, then recording (where allowed) and the Annex A export."""
        bar = QHBoxLayout()
        for label, widget in (
            ("From", self.date_from),
            ("To", self.date_to),
            ("Office", self.office),
            ("Team", self.team),
            ("Source", self.source),
        ):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.refresh_button)
        self.complete_button = QPushButton("Record assessment &completion…")
        self.complete_button.setObjectName("recordCompletion")
        self.complete_button.setToolTip(
            "For the child selected in the table below (a referral whose assessment is open)"
        )
        self.complete_button.clicked.connect(self.record_completion)
        self.supervision_button = QPushButton("Record &supervision…")
        self.supervision_button.setObjectName("recordSupervision")
        self.supervision_button.clicked.connect(self.record_supervision)
        for button in (self.complete_button, self.supervision_button):
            button.setVisible(may_record)
            bar.addWidget(button)
        # Annex A Lists 1 to 5 for the period and filters shown. The service checks the
        # permission and records each export; the lists share one load of the store.
        self.export_button = QPushButton("&Export Annex A…")
        self.export_button.setObjectName("exportAnnexA")
        self.export_button.setToolTip(
            "Ofsted Annex A Lists 1 to 5 (xlsx, signed) for the period and filters shown"
        )
        self.export_button.setVisible(allows(self.service.actor.role, Action.EXPORT))
        self.export_button.clicked.connect(self._ask_export)
        bar.addWidget(self.export_button)
        bar.addStretch(1)
        bar.addWidget(self.status)
        return bar

    def _build_tiles(self) -> None:
        """A tile a figure, in a column that scrolls."""
        self.tiles: dict[str, Tile] = {}
        tile_box = QFrame()
        tile_box.setObjectName("miTiles")
        self.tile_grid = QGridLayout(tile_box)
        self.tile_grid.setContentsMargins(0, 0, 0, 0)
        # Every tile stays reachable however many figures there are and however small the
        # window: the tiles scroll (vertically) rather than being squeezed or cut off.
        self.tile_scroll = QScrollArea()
        self.tile_scroll.setObjectName("miTileScroll")
        self.tile_scroll.setWidget(tile_box)
        self.tile_scroll.setWidgetResizable(True)
        self.tile_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.tile_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Tab goes to the tiles themselves (the scroll area brings a focused tile into view)
        self.tile_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _build_chart_and_drill(self) -> None:
        """The chart of the figure chosen, and the children behind a tile or a bar."""
        self.chart_view = QChartView()
        self.chart_view.setObjectName("miChart")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(300)
        self.drill_label = QLabel("Click a tile or a bar to see the children behind it.")
        self.drill_label.setObjectName("drillLabel")
        self.drill_model = DrillModel(self)
        self.drill = QTableView()
        self.drill.setObjectName("drillTable")
        self.drill.setAccessibleName("Children behind the selected figure")
        self.drill.setModel(self.drill_model)
        self.drill.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.drill.verticalHeader().setVisible(False)
        self.drill.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.drill.setWordWrap(False)
        # Widths from the font (the received time was cut to "18 Sep 2026 18:…").
        metrics = self.drill.fontMetrics()
        chars = metrics.averageCharWidth()
        self.drill.setColumnWidth(0, metrics.horizontalAdvance("30 Nov 2026 14:05") + 18)
        for col, width in enumerate((34, 16, 36, 33, 16, 40), start=1):
            self.drill.setColumnWidth(col, width * chars)

    def _build_layout(self, bar: QHBoxLayout) -> None:
        """The bar over the tiles, beside the chart over the drill-down."""
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.chart_view)
        lower = QWidget()
        lay = QVBoxLayout(lower)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.drill_label)
        lay.addWidget(self.drill)
        right.addWidget(lower)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)

        body = QHBoxLayout()
        body.addWidget(self.tile_scroll, 0)
        body.addWidget(right, 1)
        main = QVBoxLayout(self)
        main.addLayout(bar)
        main.addLayout(body, 1)

    def _follow_filters(self) -> None:
        """A filter changed: compute again (the office narrows the teams offered)."""
        for w in (self.date_from, self.date_to):
            w.dateChanged.connect(self.recompute)
        for c in (self.office, self.team, self.source):
            c.currentIndexChanged.connect(self.recompute)
        self.office.currentIndexChanged.connect(self._offer_teams)

    # ---- recording ------------------------------------------------------------------

    def _today(self) -> date:
        return self.service.clock.now().astimezone(LONDON).date()

    def record_completion(self) -> AssessmentCompletedDialog | None:
        """Open the dialog for the drill-down row selected (a child on a referral)."""
        rows = self.drill.selectionModel().selectedRows() if self.drill.selectionModel() else []
        if self.records is None or not rows:
            self.status.setText("Select a child in the table (an open assessment) first.")
            return None
        row = self.drill_model.row(rows[0].row())
        if not row.contact_id or not row.child_id:
            self.status.setText("Select a child on a referral (assessments drill-down).")
            return None
        dialog = AssessmentCompletedDialog(
            self.records,
            self.writer,
            row.contact_id,
            row.child_id,
            row.children or row.child_id,
            self._today(),
            self,
        )
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def record_supervision(self) -> SupervisionDialog | None:
        if self.records is None:
            return None
        load = self.figures.get("caseload")
        workers = [p.label for p in load.parts] if load else []
        dialog = SupervisionDialog(self.records, self.writer, workers, self._today(), self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    # ---- exporting -----------------------------------------------------------------

    def _ask_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export Annex A Lists 1 to 5 to")
        if folder:
            self.export_lists(Path(folder))

    def export_lists(
        self, folder: Path, lists: Sequence[int] = (1, 2, 3, 4, 5), fmt: str = "xlsx"
    ) -> None:
        """Write Annex A ``lists`` for the filters shown into ``folder`` (off the GUI
        thread). Each list is a separate, signed and recorded export; they reuse one
        prepared dataset while the store is unchanged (see ``MiService._export_data``)."""
        filters = self.filters()
        if filters.date_from > filters.date_to:
            self.status.setText("The period starts after it ends.")
            return
        service, lists = self.service, tuple(lists)

        written: list[tuple[int, int]] = []  # (list, rows), as each is sealed

        def work() -> list[tuple[int, int]]:
            for n in lists:
                path = folder / annex_a.file_name(n, filters, fmt)
                written.append((n, service.export_annex_a(path, n, fmt, filters, also=lists)))
            return written

        def done(counts: list[tuple[int, int]]) -> None:
            self.status.setText(f"Annex A exported to {folder} ({_counts(counts)}), each signed")

        def failed(error: BaseException) -> None:
            # Lists already written stay (signed and recorded); say which, and which not.
            stopped = lists[len(written)]
            done_so_far = f" ({_counts(written)} written)" if written else ""
            self.status.setText(f"Annex A List {stopped} not exported: {error}{done_so_far}")

        self.status.setText("Exporting…")
        self.writer.submit(work, done, failed)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.service.forget_export_data()  # the kept dataset's memory goes with the window
        super().closeEvent(event)

    # ---- widgets -------------------------------------------------------------------

    def _date_edit(self, name: str, value: date) -> QDateEdit:
        edit = QDateEdit(_qdate(value))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setAccessibleName(f"Period {name.lower()}")
        edit.setObjectName(f"date{name}")
        return edit

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"filter{name}")
        combo.setAccessibleName(f"{name} filter")
        combo.setMinimumContentsLength(14)
        return combo

    def filters(self) -> Filters:
        return Filters(
            _pydate(self.date_from.date()),
            _pydate(self.date_to.date()),
            self.office.currentData(),
            self.team.currentData(),
            self.source.currentData(),
        )

    # ---- loading and computing (off the GUI thread) ----------------------------------

    def reload(self) -> None:
        """Read the store again for the period shown (every office, team and source of
        it: changing those later only recomputes). ``MiService.load`` of a period gives
        the figures the whole store's load gives for it (tests/integration/test_mi_queries,
        test_mi_period_load)."""
        filters = self.filters()
        if filters.date_from > filters.date_to:
            self.status.setText("The period starts after it ends.")
            return
        self.status.setText("Loading…")
        self._generation += 1
        generation = self._generation
        service = self.service
        period = Filters(filters.date_from, filters.date_to)
        self.tasks.submit(
            lambda: (service.load(period), service.queries.choices()),
            lambda result: self._loaded(generation, result),
            self._failed,
        )

    def _loaded(self, generation: int, result: tuple[Loaded, Any]) -> None:
        if generation != self._generation:
            return
        self.loaded, (pairs, _sources) = result
        self._pairs = pairs
        for combo in (self.office, self.team):
            combo.blockSignals(True)
        self.office.clear()
        self.office.addItem(ALL, None)
        for office in sorted({o for o, _ in pairs}):
            self.office.addItem(office, office)
        self.office.blockSignals(False)
        self.team.blockSignals(False)
        self._offer_teams()
        self.recompute()

    def _offer_teams(self) -> None:
        office = self.office.currentData()
        self.team.blockSignals(True)
        self.team.clear()
        self.team.addItem(ALL, None)
        for o, t in getattr(self, "_pairs", []):
            if office is None or o == office:
                self.team.addItem(t, t)
        self.team.blockSignals(False)

    def recompute(self) -> None:
        if self.loaded is None:
            return
        filters = self.filters()
        if filters.date_from > filters.date_to:
            self.status.setText("The period starts after it ends.")
            return
        if not self.loaded.covers_period(filters):
            self.reload()  # a period outside what is loaded: load it
            return
        self._generation += 1
        generation = self._generation
        loaded, service = self.loaded, self.service
        self.status.setText("Computing…")
        self.tasks.submit(
            lambda: service.figures(loaded, filters),
            lambda figs: self._computed(generation, figs),
            self._failed,
        )

    def _computed(self, generation: int, figures: tuple[Figure, ...]) -> None:
        if generation != self._generation:
            return
        self.figures = {f.key: f for f in figures}
        for i, fig in enumerate(figures):
            tile = self.tiles.get(fig.key)
            if tile is None:
                tile = Tile(fig.key)
                tile.clicked.connect(lambda _=False, k=fig.key: self.select(k))
                self.tiles[fig.key] = tile
                self.tile_grid.addWidget(tile, i // TILE_COLUMNS, i % TILE_COLUMNS)
                tile.show()  # now, not queued: the column's width is measured below
            tile.show_figure(fig)
        rows = -(-len(figures) // TILE_COLUMNS)
        for row in range(max(self.tile_grid.rowCount(), rows + 1)):
            self.tile_grid.setRowStretch(row, 1 if row == rows else 0)  # tiles at the top
        self._fit_tiles()
        # Tab reads the bar's buttons (top), then the tiles (left) before the chart and the
        # children (right); hidden buttons are skipped by Qt.
        bar = [self.refresh_button, self.complete_button, self.supervision_button]
        chain = [*bar, self.export_button, *self.tiles.values(), self.chart_view, self.drill]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        f = self.filters()
        self.status.setText(f"{f.date_from:%d/%m/%Y} – {f.date_to:%d/%m/%Y}")
        self.select(self.selected)

    def _fit_tiles(self) -> None:
        """The tile column as wide as its widest tiles (plus the scroll bar), so a tile's
        text is never cut at the side; the height scrolls."""
        self.tile_grid.invalidate()
        bar = self.tile_scroll.verticalScrollBar().sizeHint().width()
        self.tile_scroll.setMinimumWidth(self.tile_grid.sizeHint().width() + bar)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"Could not compute the figures: {error}")

    # ---- chart and drill-down ----------------------------------------------------------

    def select(self, key: str) -> None:
        figure = self.figures.get(key)
        if figure is None:
            return
        self.selected = key
        for k, tile in self.tiles.items():
            tile.setChecked(k == key)
        chart, bars, parts = build_chart(figure)
        old = self.chart_view.chart()
        self.chart_view.setChart(chart)
        if old is not None:
            old.deleteLater()
        self._bar_parts = parts
        if bars is not None:
            bars.clicked.connect(self._bar_clicked)
        self.drill_into(figure.title, figure.refs, figure.note)

    def _bar_clicked(self, index: int) -> None:
        if 0 <= index < len(self._bar_parts):
            part = self._bar_parts[index]
            figure = self.figures[self.selected]
            self.drill_into(f"{figure.title}: {part.label}", part.refs)

    def drill_into(self, title: str, refs: Sequence[Ref], note: str = "") -> None:
        more = f" (first {DRILL_LIMIT} shown)" if len(refs) > DRILL_LIMIT else ""
        self.drill_label.setText(
            f"<b>{title}</b> — {len(refs)} behind it{more}" + (f". {note}" if note else "")
        )
        service = self.service
        self.tasks.submit(lambda: service.drill(refs), self.drill_model.set_rows, self._failed)
