"""The duty desk main window: the ranked queue with filters and saved views, the selected
contact's record beside it, the actions a duty manager takes, and the out-of-hours
handover panel.

The GUI thread never touches the store: every read and write goes through the
``TaskRunner`` (one writer thread) and comes back by queued signal. The queue follows the
store live (a poll of the newest local sequence number), keeping the selection and the
scroll position.

Extension points for features built elsewhere (``ui.session`` builds them for the
signed-in person and hands them over with ``compose``, held as ``features``):
``tools_menu`` / ``add_tool_action``, ``add_status_widget`` / ``set_sync_state``, and
``print_requested`` / ``set_print_handler`` for printing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import ROLE_LABELS
from ..domain.errors import DomainError, PermissionDenied, ValidationError
from ..domain.permissions import Action, allows
from ..services.desk import DeskService, QueueDelta
from ..services.drafts import DraftStore
from ..services.guard import RestrictedRecord
from ..services.progress import Cancelled
from ..services.snapshots import ContactDetail, HandoverNote, QueueItem
from .contact_form import FORM_KEYS
from .decision_dialog import threshold_labels
from .detail_pane import DetailPane
from .features import WindowFeatures
from .filter_bar import FilterBar
from .handover_panel import HandoverPanel
from .keyboard_map import help_rows
from .problems import describe as plain_describe
from .progress import ProgressArea
from .queue_delegates import RatingChipDelegate
from .queue_model import RATING, QueueModel
from .screen_lock import ScreenLock
from .tasks import TaskRunner
from .verify_dialog import VerifyAction
from .window_actions import ContactActions
from .window_layout import DetailPlacement, QueueColumns, place_handover

if TYPE_CHECKING:  # followthrough_wiring builds on this module; sync and the watched
    # folder load only where a session uses them
    from .folder_watch import WatchedFolder
    from .followthrough_wiring import FollowThroughActions
    from .sync_controller import SyncController

log = logging.getLogger(__name__)

POLL_MS = 2000

# (name, text, shortcut, menu) for every action; docs/window.md lists the same table.
SHORTCUTS: tuple[tuple[str, str, str, str], ...] = (
    ("new_contact", "&New contact…", "Ctrl+N", "file"),
    ("print", "&Print contact…", "Ctrl+P", "file"),
    ("quit", "&Quit", "Ctrl+Q", "file"),
    ("open", "&Open contact", "Ctrl+O", "contact"),
    ("take", "&Take contact", "Ctrl+T", "contact"),
    ("assign", "&Assign to…", "Ctrl+Shift+A", "contact"),
    ("rerate", "Change &rating…", "Ctrl+Shift+R", "contact"),
    ("partner_check", "Request &partner check…", "Ctrl+Shift+P", "contact"),
    ("answer_check", "Record partner ans&wer…", "Ctrl+Shift+W", "contact"),
    ("note", "Add &note…", "Ctrl+Shift+N", "contact"),
    ("decide", "&Decide…", "Ctrl+D", "contact"),
    ("sign_off", "&Sign off proposed decision…", "Ctrl+Shift+S", "contact"),
    ("amend", "A&mend decision…", "Ctrl+Shift+D", "contact"),
    ("return_proposal", "Ret&urn proposal to its author…", "Ctrl+Shift+B", "contact"),
    ("consent", "Record &consent…", "Ctrl+Shift+C", "contact"),
    ("share_without_consent", "Share wit&hout consent…", "Ctrl+Shift+X", "contact"),
    ("next", "&Next contact", "J", "view"),
    ("previous", "&Previous contact", "K", "view"),
    ("find", "&Find in queue", "Ctrl+F", "view"),
    ("overdue", "&Overdue only", "Ctrl+Shift+O", "view"),
    ("focus_queue", "Go to &queue", "Ctrl+1", "view"),
    ("focus_detail", "Go to contact &detail", "Ctrl+2", "view"),
    ("detail_pane", "Show contact detail pan&e", "Ctrl+3", "view"),
    ("handover", "&Handover notes", "Ctrl+H", "view"),
    ("refresh", "&Refresh", "F5", "view"),
    ("shortcuts", "&Keyboard shortcuts", "F1", "help"),
)


class MainWindow(QMainWindow):
    print_requested = Signal(str)  # contact id; the printing module connects here

    def __init__(
        self,
        service: DeskService,
        tasks: TaskRunner,
        *,
        demo: bool,
        store_path: Path,
        drafts: DraftStore | None = None,
        settings: QSettings | None = None,
        local_threshold_labels: Mapping[str, str] | None = None,
        poll_ms: int = POLL_MS,
    ) -> None:
        super().__init__()
        self.service = service
        self.tasks = tasks
        self.settings = settings or QSettings()
        # Drafts live in the store, for the signed-in person; files an earlier version
        # left beside the store are moved in (on the writer thread).
        self.drafts = drafts or DraftStore(service.store, service.actor.login)
        legacy = store_path.parent / "drafts"
        if legacy.is_dir():
            own = self.drafts
            tasks.submit(lambda: own.adopt_files(legacy), None, self.show_error)
        self.thresholds = threshold_labels(local_threshold_labels)
        self.seq = 0
        self.detail_snapshot: ContactDetail | None = None
        self._opened: str | None = None  # a contact opened from history, not the queue
        # The contact whose showing is already in the access log: a refresh of the record
        # on screen is not another showing; coming back to it after another one is.
        self._viewed: str | None = None
        self._restricted: str | None = None  # the current contact, if it is unreadable
        self._print_handler: Callable[[str], None] | None = None
        self._polling = False
        self._poll_again = False
        self._pending_select: str | None = None
        self._dialog: Any = None
        # What the session adds for the signed-in person (see ``compose``).
        self.features = WindowFeatures()
        self.setWindowTitle("DutyDesk" + (" — DEMO" if demo else ""))
        self.setObjectName("MainWindow")
        tasks.on_error = self.show_error
        self.contact_actions = ContactActions(self)  # what is done to the selected contact

        self._build_centre(demo)
        self._build_handover()
        self._build_bars()
        self._build_timers(poll_ms)
        self._follow_theme()
        self.resize(1440, 860)
        self._restore()
        self.placement.fit(self.width())
        place_handover(self, self.handover_dock, bool(self.placement.beside))
        self._update_actions()

    def _build_centre(self, demo: bool) -> None:
        """The queue (with the demo banner and the filters) beside the contact detail."""
        self.model = QueueModel(now=self.service.clock.now, parent=self)
        self.table = self._make_table()
        self.columns = QueueColumns(self.table, self.settings, self.service.actor.login)
        self.filters = FilterBar(self.settings)
        self.filters.changed.connect(self.apply_filter)
        self.search = self.filters.search
        self.detail_pane = DetailPane()
        self.detail_pane.contact_requested.connect(self.show_contact_from_history)
        self.detail_pane.break_glass_requested.connect(self.break_glass)
        self.detail = self.detail_pane.browser
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(6, 6, 6, 6)
        if demo:
            banner = QLabel("DEMO — synthetic data, not real children")
            banner.setObjectName("demoBanner")
            banner.setStyleSheet("background:#6a1b9a;color:white;font-weight:bold;padding:4px;")
            banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lay.addWidget(banner)
        lay.addWidget(self.filters)
        lay.addWidget(self.table)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail_pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.placement = DetailPlacement(self.splitter, self.detail_pane, self.settings)
        self.setCentralWidget(self.splitter)

    def _build_handover(self) -> None:
        """The out-of-hours handover, docked and hidden until there are notes."""
        self.handover = HandoverPanel(self.service.actor.login)
        self.handover.acknowledge.connect(self.contact_actions.acknowledge_handover)
        self.handover.write_note.connect(self.contact_actions.write_handover)
        self.handover_dock = QDockWidget("Out-of-hours handover", self)
        self.handover_dock.setObjectName("handoverDock")
        self.handover_dock.setWidget(self.handover)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.handover_dock)
        self.handover_dock.hide()

    def _build_bars(self) -> None:
        """The status bar, the menus and their actions, and the tab order."""
        self._status_bar()
        self.actions_by_name: dict[str, QAction] = {}
        self._menus()
        self.detail_pane.bind(self.actions_by_name)
        self._set_tab_order()

    def _build_timers(self, poll_ms: int) -> None:
        """The clocks tick, the queue is polled, the detail loads once selection settles."""
        self.tick = QTimer(self)
        self.tick.setInterval(15_000)
        self.tick.timeout.connect(self.model.refresh_times)
        self.tick.start()
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(poll_ms)
        self.poll_timer.timeout.connect(self.poll)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(60)
        self._detail_timer.timeout.connect(self._load_detail)

    # ---- features the session composes in -----------------------------------------

    def compose(self, features: WindowFeatures) -> None:
        """Hold the features ``ui.session.install_features`` built for this person."""
        self.features = features

    @property
    def verifier(self) -> VerifyAction | None:
        return self.features.verifier

    @property
    def followthrough(self) -> FollowThroughActions | None:
        return self.features.followthrough

    @property
    def screen_lock(self) -> ScreenLock | None:
        return self.features.screen_lock

    @property
    def watched_folder(self) -> WatchedFolder | None:
        return self.features.watched_folder

    @property
    def sync_controller(self) -> SyncController | None:
        return self.features.sync_controller

    # ---- building ------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("queueTable")
        table.setAccessibleName("Duty queue, most urgent first")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setItemDelegateForColumn(RATING, RatingChipDelegate(table))
        table.selectionModel().currentRowChanged.connect(self._current_changed)
        table.activated.connect(lambda _i: self.open_contact())
        return table

    def _status_bar(self) -> None:
        actor = self.service.actor
        self.status_user = QLabel(
            f"{actor.display_name or actor.login} · {ROLE_LABELS[actor.role]}"
        )
        self.status_user.setObjectName("statusUser")
        url = self.service.store.engine.url.database or "memory"
        self.status_store = QLabel(f"Store: {Path(url).name}")
        self.status_store.setObjectName("statusStore")
        self.status_store.setToolTip(str(url))
        self.status_sync = QLabel("Sync: standalone")
        self.status_sync.setObjectName("statusSync")
        self.status_count = QLabel("Loading…")
        self.status_count.setObjectName("statusCount")
        self.status_message = QLabel()
        self.status_message.setObjectName("statusMessage")
        self.status_message.setWordWrap(False)
        self.progress = ProgressArea()
        bar = self.statusBar()
        bar.addWidget(self.status_message, 1)
        bar.addPermanentWidget(self.progress)
        for w in (self.status_count, self.status_user, self.status_store, self.status_sync):
            bar.addPermanentWidget(w)

    def _menus(self) -> None:
        menus: dict[str, QMenu] = {
            "file": self.menuBar().addMenu("&File"),
            "contact": self.menuBar().addMenu("&Contact"),
            "view": self.menuBar().addMenu("&View"),
        }
        self.tools_menu = self.menuBar().addMenu("&Tools")
        self.tools_menu.setObjectName("toolsMenu")
        menus["help"] = self.menuBar().addMenu("&Help")
        acts = self.contact_actions
        slots: dict[str, Callable[[], Any]] = {
            "new_contact": acts.new_contact,
            "print": self.print_contact,
            "quit": self.close,
            "open": self.open_contact,
            "take": acts.take,
            "assign": acts.assign,
            "rerate": acts.rerate,
            "partner_check": acts.request_check,
            "answer_check": acts.answer_check,
            "note": acts.add_note,
            "decide": acts.decide,
            "sign_off": acts.sign_off,
            "amend": acts.amend,
            "return_proposal": acts.return_proposal,
            "consent": acts.record_consent,
            "share_without_consent": acts.share_without_consent,
            "next": lambda: self.step_contact(1),
            "previous": lambda: self.step_contact(-1),
            "find": self._find,
            "overdue": self.filters.overdue.toggle,
            "focus_queue": self.table.setFocus,
            "focus_detail": self.focus_detail,
            "detail_pane": self.toggle_detail_pane,
            "handover": self.toggle_handover,
            "refresh": self.reload,
            "shortcuts": self.show_shortcuts,
        }
        for name, text, keys, menu in SHORTCUTS:
            act = QAction(text, self)
            act.setObjectName(f"action_{name}")
            act.setShortcut(QKeySequence(keys))
            act.setToolTip(f"{text.replace('&', '').rstrip('…')} ({keys})")
            act.triggered.connect(slots[name])
            menus[menu].addAction(act)
            self.addAction(act)
            self.actions_by_name[name] = act
        menus["view"].addMenu(self.columns.menu)
        pane = self.actions_by_name["detail_pane"]
        pane.setCheckable(True)
        pane.setChecked(True)
        handover = self.actions_by_name["handover"]
        handover.setCheckable(True)  # shows whether the panel is open
        self.handover_dock.visibilityChanged.connect(
            lambda _v: handover.setChecked(not self.handover_dock.isHidden())
        )

    def _set_tab_order(self) -> None:
        order = [
            self.search,
            self.filters.views,
            self.filters.save_view_button,
            self.filters.delete_view_button,
            *self.filters.combos.values(),
            self.filters.overdue,
            self.table,
            self.detail,
            *self.detail_pane.buttons,
        ]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # ---- extension points -----------------------------------------------------------

    def add_tool_action(self, action: QAction) -> None:
        """Add a feature built elsewhere (import wizard, MI, audit…) to the Tools menu."""
        self.tools_menu.addAction(action)
        if not action.shortcut().isEmpty():
            self.addAction(action)

    def add_status_widget(self, widget: QWidget, permanent: bool = True) -> None:
        if permanent:
            self.statusBar().addPermanentWidget(widget)
        else:
            self.statusBar().addWidget(widget)

    def set_sync_state(self, text: str) -> None:
        self.status_sync.setText(f"Sync: {text}")
        self.status_sync.setToolTip("")

    def show_sync_stopped(self, problem: str) -> None:
        """Sync stopped on something retrying cannot fix (a server of another DutyDesk
        version or rules, a server this desk no longer trusts): the status bar says so in
        two words (the whole message would be cut off there) with the message as its
        tooltip, and a window that does not block work shows the whole message once."""
        self.status_sync.setText("Sync: STOPPED")
        self.status_sync.setStyleSheet("color: #b00020; font-weight: bold")
        self.status_sync.setToolTip(problem)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "DutyDesk — sync stopped",
            "Sync with the shared server has stopped. This desk keeps working on its own "
            "copy; what is recorded here waits until sync is possible again.",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setObjectName("syncStoppedBox")
        box.setInformativeText(problem[:1].upper() + problem[1:])
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.sync_stopped_box = box
        box.show()

    def set_print_handler(self, handler: Callable[[str], None] | None) -> None:
        """``handler(contact_id)`` prints the contact; set by the printing module."""
        self._print_handler = handler

    # ---- loading and live updates ---------------------------------------------------

    def reload(self) -> None:
        reporter = self.progress.start("Loading queue…")
        service = self.service

        def work() -> tuple[int, list[QueueItem]]:
            seq = service.last_seq()  # read first: anything newer is picked up by the poll
            return seq, service.queue(reporter)

        self.tasks.submit(work, self._loaded, self._load_failed)
        self.tasks.submit(service.handovers, self.show_handovers)

    def people_changed(self) -> None:
        """The people directory changed (someone added, renamed or removed on the shared
        server): show everyone by their name as it is now, in the queue, the handover
        notes and the detail pane (a refresh of the contact on screen, not a new view)."""
        self.reload()
        self._load_detail()

    def _load_failed(self, error: BaseException) -> None:
        self.progress.finish()
        if isinstance(error, Cancelled):
            self.status_message.setText("Loading the queue was cancelled. F5 loads it again.")
            return
        self.show_error(error)

    def _loaded(self, result: tuple[int, list[QueueItem]]) -> None:
        self.progress.finish()
        self.seq, items = result
        current = self.current_contact_id()
        self.model.set_items(items)
        self.columns.fit_names([i.assignee_name or i.assignee or "" for i in items])
        self.filters.set_choices(self.model.index_)
        self.apply_filter()
        if current and self.model.row_of(current) >= 0:
            self.select_contact(current)
        elif self.model.rowCount():
            self.table.selectRow(0)
        self._count()
        self.poll_timer.start()

    def _count(self) -> None:
        total = len(self.model.index_.items)
        shown = self.model.rowCount()
        self.status_count.setText(
            f"{total} open contacts" if shown == total else f"{shown} of {total} open contacts"
        )

    def poll(self) -> None:
        """Ask the store what changed since the last look (cheap when nothing did)."""
        if self._polling:
            self._poll_again = True  # a write landed while a poll was out: look once more
            return
        self._polling = True
        self._poll_again = False
        seq = self.seq
        self.tasks.submit(
            lambda: self.service.changes_since(seq), self._apply_delta, self._poll_failed
        )

    def _poll_failed(self, error: BaseException) -> None:
        self._polling = False
        self.show_error(error)

    def _apply_delta(self, delta: QueueDelta) -> None:
        self._polling = False
        if self._poll_again:
            self.poll()
        if delta.seq < self.seq:
            return
        self.seq = delta.seq
        if delta.empty:
            return
        current = self.current_contact_id()
        if delta.changed or delta.removed:
            self.model.update_items(delta.changed, delta.removed)
            self.columns.fit_names([i.assignee_name or i.assignee or "" for i in delta.changed])
            self._keep_view(lambda: self.model.show_ids(self.model.select(self.filters.value())))
            self.filters.set_choices(self.model.index_)
            self._count()
        if self._pending_select and self.select_contact(self._pending_select):
            self._pending_select = None
        touched = {i.contact_id for i in delta.changed} | set(delta.removed)
        if current and current in touched:
            self._detail_timer.start()
        if delta.handovers:
            self.tasks.submit(self.service.handovers, self.show_handovers)

    def _keep_view(self, change: Callable[[], None]) -> None:
        """Run ``change`` keeping the top visible contact where it was on screen."""
        top_row = self.table.rowAt(0)
        top_item = self.model.item(top_row)
        change()
        if top_item is not None:
            row = self.model.row_of(top_item.contact_id)
            if row >= 0 and row != top_row:
                self.table.scrollTo(self.cell(row), QAbstractItemView.ScrollHint.PositionAtTop)

    def apply_filter(self) -> None:
        """Filter the ids and reset; put the selection and the top row back by id."""
        current = self.current_contact_id()
        top = self.model.item(self.table.rowAt(0))
        self.model.reset_ids(self.model.select(self.filters.value()))
        if top is not None and self.model.row_of(top.contact_id) >= 0:
            self.table.scrollTo(
                self.cell(self.model.row_of(top.contact_id)),
                QAbstractItemView.ScrollHint.PositionAtTop,
            )
        if current and self.model.row_of(current) >= 0:
            self.select_contact(current, scroll=False)
        self._count()

    # ---- selection and detail -------------------------------------------------------

    def current_contact_id(self) -> str | None:
        """The contact the actions apply to: one opened from a child's history (already
        decided, so not in the queue), else the queue's current row."""
        if self._opened is not None:
            return self._opened
        item = self.model.item(self.table.currentIndex().row())
        return item.contact_id if item else None

    def show_contact_from_history(self, contact_id: str) -> None:
        """Show any contact, e.g. an earlier one from a child's history, to read, print or
        amend its decision. Choosing a queue row again returns to the queue."""
        self.table.selectionModel().clearCurrentIndex()
        self.table.clearSelection()
        self._opened = contact_id
        self._update_actions()
        self._load_detail()

    def cell(self, row: int) -> QModelIndex:
        """The row's first shown cell (Qt will not scroll to, or focus, a hidden column)."""
        header = self.table.horizontalHeader()
        shown = next(
            (
                header.logicalIndex(v)
                for v in range(header.count())
                if not header.isSectionHidden(header.logicalIndex(v))
            ),
            0,
        )
        return self.model.index(row, shown)

    def select_contact(self, contact_id: str, scroll: bool = True) -> bool:
        row = self.model.row_of(contact_id)
        if row < 0:
            return False
        index = self.cell(row)
        self.table.selectionModel().setCurrentIndex(
            index,
            self.table.selectionModel().SelectionFlag.ClearAndSelect
            | self.table.selectionModel().SelectionFlag.Rows,
        )
        if scroll:
            self.table.scrollTo(index)
        return True

    def step_contact(self, step: int) -> None:
        if not self.model.rowCount():
            return
        row = self.table.currentIndex().row()
        target = 0 if row < 0 else max(0, min(self.model.rowCount() - 1, row + step))
        self.table.selectRow(target)

    def _current_changed(self) -> None:
        if self.table.currentIndex().isValid():
            self._opened = None
        self._update_actions()
        self._detail_timer.start()

    def _load_detail(self) -> None:
        cid = self.current_contact_id()
        if cid is None:
            self._show_detail(None)
            return
        service = self.service
        if cid == self._viewed:

            def load() -> ContactDetail | None:
                return service.contact_detail(cid)
        else:

            def load() -> ContactDetail | None:
                detail = service.show_contact(cid)  # recorded before it is shown
                self._viewed = cid
                return detail

        self.tasks.submit(load, self._show_detail, lambda error: self._detail_failed(cid, error))

    def _detail_failed(self, contact_id: str, error: BaseException) -> None:
        if isinstance(error, PermissionDenied) and not allows(
            self.service.actor.role, Action.VIEW_RECORD
        ):
            self.detail_snapshot = None
            self._restricted = contact_id
            self.detail_pane.show_no_reading()
            self._update_actions()
            return
        if isinstance(error, RestrictedRecord) and contact_id == self.current_contact_id():
            self.detail_snapshot = None
            self._restricted = contact_id  # nothing can be done on it until the glass breaks
            self.detail_pane.show_restricted(contact_id)
            self._update_actions()
            return
        self.show_error(error)

    def need_contact(self) -> str | None:
        """The current contact's id, or None with a word in the status bar."""
        cid = self.current_contact_id()
        if cid is None:
            self.status_message.setText("Select a contact first.")
        return cid

    def open_contact(self) -> None:
        cid = self.need_contact()
        if cid:
            service = self.service

            def opened() -> ContactDetail | None:
                detail = service.open_contact(cid)  # recorded as a deliberate opening
                self._viewed = cid  # the pane's showing of it is this one
                return detail

            self._detail_timer.stop()
            self.tasks.submit(opened, self._show_detail)
            self.detail.setFocus()

    def after_write(self) -> None:
        """A write landed: look for changes now and load the current record again."""
        self.poll()
        self._detail_timer.start()

    def select_when_listed(self, contact_id: str) -> None:
        """Select ``contact_id`` as soon as the queue lists it (a new contact)."""
        self._pending_select = contact_id
        self.poll()

    def hold_dialog(self, dialog: Any) -> None:
        """Keep the open dialog alive (and reachable) while it is shown."""
        self._dialog = dialog

    def break_glass(self, contact_id: str) -> None:
        """Ask why, record the access, then show the record (the reason is checked by the
        service: at least a sentence, never blank)."""
        reason, ok = QInputDialog.getMultiLineText(
            self,
            "Break the glass",
            "Why must you open this restricted record now? This is recorded and reported.",
        )
        if not ok:
            return
        service = self.service

        def work() -> None:
            for person_id in service.restricted_people(contact_id):
                service.break_glass(person_id, reason)

        self.tasks.submit(work, lambda _: self._load_detail(), self.show_error)

    def _show_detail(self, detail: ContactDetail | None) -> None:
        if detail is not None and detail.contact_id != self.current_contact_id():
            return  # the person has moved on; a newer load is on its way
        self.detail_snapshot = detail
        self._restricted = None
        self.detail_pane.show_detail(detail, self.service.clock.now(), self.thresholds)
        self._update_actions()

    def _update_actions(self) -> None:
        role = self.service.actor.role
        current = self.current_contact_id()
        has = current is not None and current != self._restricted
        d = self.detail_snapshot if has else None

        def may(action: Action) -> bool:
            return has and allows(role, action)

        # a proposal is signed off or returned by a manager other than its author
        proposal = d.open_proposal if d else None
        answer_proposal = bool(
            may(Action.SIGN_OFF) and proposal and proposal.decided_by != self.service.actor.login
        )
        enabled = {
            "open": has,
            "take": may(Action.TAKE_CONTACT),
            "assign": may(Action.ASSIGN),
            "rerate": may(Action.OVERRIDE_RATING),
            "partner_check": may(Action.PARTNER_CHECK),
            "answer_check": bool(
                d and may(Action.PARTNER_CHECK) and any(c.answer is None for c in d.partner_checks)
            ),
            # A decision that stands is changed by amendment with a reason, never by a
            # second decision: Decide is off once there is one (Amend takes over).
            "note": may(Action.ADD_NOTE),
            "decide": bool(d and may(Action.PROPOSE_DECISION) and d.current_decision is None),
            "sign_off": answer_proposal,
            "return_proposal": answer_proposal,
            "amend": bool(
                d
                and may(Action.AMEND_DECISION)
                and d.current_decision
                and d.current_decision.status != "proposed"
            ),
            "print": may(Action.PRINT),
            "consent": bool(d and may(Action.RECORD_CONSENT)),
            "share_without_consent": bool(d and may(Action.CONSENT_OVERRIDE)),
        }
        for name, on in enabled.items():
            self.actions_by_name[name].setEnabled(on)
        self.detail_pane.refresh_buttons()

    def print_contact(self) -> None:
        cid = self.need_contact()
        if cid is None:
            return
        self.print_requested.emit(cid)
        if self._print_handler is not None:
            self._print_handler(cid)
        elif not self.receivers(self.print_requested):  # type: ignore[arg-type]
            self.status_message.setText("Printing is not set up on this desk yet.")

    # ---- handover ---------------------------------------------------------------------

    def show_handovers(self, notes: list[HandoverNote]) -> None:
        first = not self.handover.notes
        self.handover.set_notes(notes)
        if self.handover.pending() and first:
            self.handover_dock.show()  # start of the day: show what the night team left
            self.handover_dock.raise_()

    def toggle_handover(self) -> None:
        self.handover_dock.setVisible(not self.handover_dock.isVisible())
        if self.handover_dock.isVisible():
            self.handover.list.setFocus()

    # ---- messages ---------------------------------------------------------------------

    @staticmethod
    def describe(error: BaseException) -> str:
        if isinstance(error, ValidationError):
            return plain_describe(error)  # "Children: add at least one", not the rule's path
        if isinstance(error, DomainError):
            return str(error)
        return (
            f"Something went wrong ({type(error).__name__}); nothing was saved. "
            "Try again; if it keeps happening, tell support."
        )

    def show_error(self, error: BaseException) -> None:
        log.warning("action failed: %s", type(error).__name__)  # never the message: may hold data
        self.status_message.setText("⚠ " + self.describe(error))

    def toggle_detail_pane(self) -> None:
        shown = self.detail_pane.isHidden()
        self.placement.set_shown(shown)
        self.actions_by_name["detail_pane"].setChecked(shown)
        if not shown and self.detail_pane.isAncestorOf(self.focusWidget()):
            self.table.setFocus()

    def focus_detail(self) -> None:
        if self.detail_pane.isHidden():
            self.toggle_detail_pane()
        self.detail.setFocus()

    def _find(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_shortcuts(self) -> None:
        """Every menu entry (Tools included) with its keys, read from the menus."""
        rows, last = [], ""
        for menu, text, keys in help_rows(self):
            if menu != last:
                rows.append(f"<tr><th colspan='2' align='left'>{escape(menu)}</th></tr>")
                last = menu
            rows.append(f"<tr><td>{escape(text)}</td><td><b>{escape(keys)}</b></td></tr>")
        rows.append(
            "<tr><th colspan='2' align='left'>Anywhere</th></tr><tr><td>Move "
            "between fields and buttons</td><td><b>Tab, Shift+Tab</b></td></tr>"
        )
        rows.append("<tr><th colspan='2' align='left'>New contact form</th></tr>")
        rows += [
            f"<tr><td>{escape(what)}</td><td><b>{escape(keys)}</b></td></tr>"
            for keys, what in FORM_KEYS
        ]
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Keyboard shortcuts",
            f"<table cellpadding='2'>{''.join(rows)}</table>",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setObjectName("shortcutsHelp")
        self._dialog = box
        box.open()

    # ---- theme and state ------------------------------------------------------------

    def _follow_theme(self) -> None:
        self.model.set_dark(self.palette().base().color().lightness() < 128)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt name
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._follow_theme()
            self.model.refresh_times()
            if self.detail_snapshot is not None:
                self._show_detail(self.detail_snapshot)
        super().changeEvent(event)

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        self.columns.restore()
        if not self.placement.restore():
            self.toggle_detail_pane()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        self.placement.fit(self.width())
        place_handover(self, self.handover_dock, bool(self.placement.beside))
        super().resizeEvent(event)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        for timer in (self.poll_timer, self.tick, self._detail_timer):
            timer.stop()  # nothing more goes to the writer once the window is closing
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.placement.save()
        self.columns.save()
        self.settings.sync()
        super().closeEvent(event)
