"""The duty desk main window: the ranked queue and, beside it, the selected contact."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import ROLE_LABELS, source_label
from ..services.desk import DeskService
from ..services.snapshots import QueueItem
from .queue_model import QueueModel
from .tasks import TaskRunner


def matches(item: QueueItem, words: list[str]) -> bool:
    """Search: every word must appear in the children, concern, source, office or team."""
    hay = " ".join((item.children_text, item.concern, item.source_code,
                    item.office or "", item.team or "", item.assignee or "")).casefold()
    return all(w in hay for w in words)


class MainWindow(QMainWindow):
    def __init__(self, service: DeskService, tasks: TaskRunner, *, demo: bool,
                 store_path: Path) -> None:
        super().__init__()
        self.service = service
        self.tasks = tasks
        self.setWindowTitle("DutyDesk" + (" — DEMO" if demo else ""))
        self.setObjectName("MainWindow")

        self.model = QueueModel(now=service.clock.now, parent=self)
        self.table = QTableView()
        self.table.setObjectName("queueTable")
        self.table.setAccessibleName("Duty queue, most urgent first")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for col, width in enumerate((36, 78, 110, 260, 360, 110, 110, 130, 110)):
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._show_current)

        self.search = QLineEdit()
        self.search.setObjectName("queueSearch")
        self.search.setPlaceholderText("Find in queue (name, concern, team)…  Ctrl+F")
        self.search.setAccessibleName("Find in queue")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)

        self.detail = QTextBrowser()
        self.detail.setObjectName("contactDetail")
        self.detail.setAccessibleName("Selected contact")
        self.detail.setOpenExternalLinks(False)

        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(6, 6, 6, 6)
        if demo:
            banner = QLabel("DEMO — synthetic data, not real children")
            banner.setObjectName("demoBanner")
            banner.setStyleSheet("background:#6a1b9a;color:white;font-weight:bold;padding:4px;")
            banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addWidget(banner)
        lay.addWidget(self.search)
        lay.addWidget(self.table)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("mainSplitter")
        split.addWidget(left)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.setCentralWidget(split)
        self.splitter = split

        actor = service.actor
        self.status_user = QLabel(f"{actor.display_name or actor.login} · "
                                  f"{ROLE_LABELS[actor.role]}")
        self.status_store = QLabel(f"Local store: {store_path.name} (standalone)")
        self.status_count = QLabel("Loading…")
        for w in (self.status_user, self.status_store, self.status_count):
            self.statusBar().addPermanentWidget(w)

        self._actions()
        self.tick = QTimer(self)
        self.tick.setInterval(30_000)
        self.tick.timeout.connect(self.model.refresh_times)
        self.tick.start()
        self.resize(1400, 820)
        self._restore()

    def _actions(self) -> None:
        def add(text: str, keys: QKeySequence | str, slot: object) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(keys))
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        add("Find", QKeySequence.StandardKey.Find, self.search.setFocus)
        add("Next contact", "J", lambda: self._move(1))
        add("Previous contact", "K", lambda: self._move(-1))
        add("Refresh", QKeySequence.StandardKey.Refresh, self.reload)

    def _move(self, step: int) -> None:
        row = max(0, min(self.model.rowCount() - 1, self.table.currentIndex().row() + step))
        self.table.selectRow(row)

    # ---- loading -------------------------------------------------------------------

    def reload(self) -> None:
        self.tasks.submit(self.service.queue, self._loaded)

    def _loaded(self, items: list[QueueItem]) -> None:
        current = self.current_contact_id()
        self.model.set_items(items)
        self._apply_filter(self.search.text())
        if current:
            row = self.model.row_of(current)
            if row >= 0:
                self.table.selectRow(row)
        elif items:
            self.table.selectRow(0)
        self.status_count.setText(f"{len(items)} open contacts")

    def _apply_filter(self, text: str) -> None:
        words = text.casefold().split()
        items = sorted(self.model.all_items(), key=_queue_position(self.model))
        ids = [i.contact_id for i in items if not words or matches(i, words)]
        self.model.show_ids(ids)

    def current_contact_id(self) -> str | None:
        item = self.model.item(self.table.currentIndex().row())
        return item.contact_id if item else None

    def _show_current(self) -> None:
        item = self.model.item(self.table.currentIndex().row())
        self.detail.setHtml(_detail_html(item) if item else "")

    # ---- state -------------------------------------------------------------------

    def _restore(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("window/splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.splitter.saveState())
        super().closeEvent(event)  # type: ignore[arg-type]


def _queue_position(model: QueueModel):  # type: ignore[no-untyped-def]
    from ..domain.queue import order_key
    return order_key


def _detail_html(item: QueueItem) -> str:
    from html import escape
    kids = "".join(f"<li>{escape(c.name)} — {escape(c.age)}</li>" for c in item.children)
    reasons = "".join(f"<li>{escape(str(r.get('text') or r))}</li>" for r in item.reasons)
    return (
        f"<h2>{escape((item.rating or 'unrated').upper())} · "
        f"{escape(source_label(item.source_code))}</h2>"
        f"<p><b>Children</b></p><ul>{kids}</ul>"
        f"<p><b>Concern</b></p><p>{escape(item.concern)}</p>"
        + (f"<p><b>Why this rating</b></p><ul>{reasons}</ul>" if reasons else "")
        + f"<p><b>Office / team</b>: {escape(item.office or '—')} / {escape(item.team or '—')}</p>"
    )
