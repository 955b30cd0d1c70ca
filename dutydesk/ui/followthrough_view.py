"""The follow-through window: what happens after the decision, one tab per kind of
follow-up, overdue first, each tab saying how many are overdue.

Tabs: routes per child (with their statutory clocks), acknowledgements and feedback to
referrers, next steps, conflicting decisions, partner checks, allocated workers to tell,
and handover notes with the contacts they concern. Overdue rows say so in words (and in
bold), never by colour alone. Reads and writes go through the ``TaskRunner``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..domain.codes import Role
from ..domain.permissions import Action, allows
from ..domain.wording import human_date, human_datetime
from ..services.followthrough import FollowThroughService, FollowThroughView
from .detail_html import outcome_label
from .tasks import TaskRunner

OVERDUE = "⚠ Overdue"


def _older_text(view: FollowThroughView, zone: Any) -> str:
    """Says how many decided children older than the look-back have no route and are not
    listed, so none drops out of sight silently."""
    n = view.awaiting_older
    if not n or view.awaiting_since is None:
        return ""
    who = "child" if n == 1 else "children"
    return (
        f" {n} older decided {who} without a route not listed (decided before "
        f"{_when(view.awaiting_since, zone)})."
    )


def _older_notices_text(view: FollowThroughView, zone: Any) -> str:
    """Says how many open-case children on contacts older than the tab's look-back never
    had their allocated worker told, so none drops off the tab silently."""
    n = view.notices_older
    if not n or view.notices_since is None:
        return ""
    return (
        f" And {n} older not sent, not listed (contacts received before "
        f"{_when(view.notices_since, zone)})."
    )


def _when(value: datetime | date | None, zone: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return human_datetime(value.astimezone(zone))  # one format for people: 30 Nov 2026 14:05
    return human_date(value)


def _clock_text(c: Any, zone: Any) -> str:
    if c.state == "overdue":
        return f"{c.label}: OVERDUE since {_when(c.due, zone)}"
    if c.state == "due":
        return f"{c.label}: due {_when(c.due, zone)}"
    if c.state in ("met", "met late"):
        return f"{c.label}: {c.state} {_when(c.met_at, zone)}"
    return f"{c.label}: no national timescale"


COLUMN_MAX_CHARS = 30  # a column is at most this many average characters wide
COLUMN_MIN_CHARS = 10  # and gives way down to this when the window is narrow
MAIN_MIN_CHARS = 40  # the main column (clocks, notes) keeps at least this much


class _Tab(QWidget):
    """A table, a line saying what is overdue, and buttons for the selected row."""

    def __init__(self, name: str, headers: Sequence[str], main: str | None = None) -> None:
        super().__init__()
        # the column that says what the row is about: it gets the room (the last if unsaid)
        self.main_column = list(headers).index(main) if main else len(headers) - 1
        self.setObjectName(f"followTab_{name}")
        lay = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName(f"followSummary_{name}")
        lay.addWidget(self.summary)
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName(f"followTable_{name}")
        self.table.setAccessibleName(name.replace("_", " "))
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self._fitting = False
        self.table.viewport().installEventFilter(self)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        lay.addLayout(self.buttons)
        self.keys: list[Any] = []

    def add_button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        self.buttons.insertWidget(self.buttons.count() - 1, button)
        return button

    def fill(self, rows: Sequence[tuple[Any, Sequence[str], bool]], summary: str) -> None:
        self.summary.setText(summary)
        self.keys = [key for key, _cells, _late in rows]
        self.table.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, (_key, cells, late) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if late:
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each column as wide as its text, up to COLUMN_MAX_CHARS (longer text wraps);
        the main column (the clocks, the note: what the row is about) takes what is left
        but at least MAIN_MIN_CHARS, the widest others giving way for it down to
        COLUMN_MIN_CHARS. Nothing important ends up behind a sideways scroll."""
        table = self.table
        table.resizeColumnsToContents()
        chars = table.fontMetrics().averageCharWidth()
        main = self.main_column
        others = [c for c in range(table.columnCount()) if c != main]
        widths = {c: min(table.columnWidth(c), COLUMN_MAX_CHARS * chars) for c in others}
        room = table.viewport().width() - MAIN_MIN_CHARS * chars
        floor = COLUMN_MIN_CHARS * chars
        while sum(widths.values()) > room:
            widest = max(others, key=lambda c: widths[c])
            if widths[widest] <= floor:
                break
            widths[widest] = max(floor, widths[widest] - chars)
        for c, width in widths.items():
            table.setColumnWidth(c, width)
        spare = table.viewport().width() - sum(widths.values())
        table.setColumnWidth(main, max(MAIN_MIN_CHARS * chars, spare))
        table.resizeRowsToContents()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        # The table's own viewport resized (shown, the window resized, a scroll bar came or
        # went): fit again. A hidden tab's size is only known once it is shown.
        if event.type() == QEvent.Type.Resize and self.table.rowCount() and not self._fitting:
            self._fitting = True
            try:
                self.fit_columns()
            finally:
                self._fitting = False
        return False

    def selected(self) -> Any:
        row = self.table.currentRow()
        return self.keys[row] if 0 <= row < len(self.keys) else None


def _status(late: bool, done: bool = False) -> str:
    return OVERDUE if late else ("Done" if done else "Open")


class FollowThroughWindow(QWidget):
    """Shown from Tools → Follow-through. ``open_contact`` asks the main window to show a
    contact; ``record`` asks the wiring for a dialog for (what, key)."""

    open_contact = Signal(str)
    record = Signal(str, object)

    def __init__(
        self, service: FollowThroughService, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("followThroughWindow")
        self.setWindowTitle("DutyDesk — follow-through")
        self.service = service
        self.tasks = tasks
        self.view: FollowThroughView | None = None
        role = service.actor.role
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.heading = QLabel("Follow-through")
        self.heading.setObjectName("followHeading")
        top.addWidget(self.heading, 1)
        refresh = QPushButton("Refresh (F5)")
        refresh.setObjectName("followRefresh")
        refresh.setShortcut("F5")
        refresh.clicked.connect(self.reload)
        top.addWidget(refresh)
        lay.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("followTabs")
        lay.addWidget(self.tabs, 1)

        self._build_tabs()
        self._add_record_buttons(role)
        self.resize(1400, 760)

    def _build_tabs(self) -> None:
        """A tab a list, each with Open contact (a double click opens too)."""
        self.routes = _Tab(
            "routes",
            ["Status", "Child", "Route", "Details", "State", "Next due", "Clocks", "Opened"],
            main="Clocks",
        )
        self.awaiting = _Tab(
            "awaiting",
            ["Status", "Child", "Decided", "By", "Next due", "Clocks", "Decided at"],
            main="Clocks",
        )
        self.acks = _Tab(
            "acknowledgements",
            ["Status", "Children", "Referrer", "Received", "Acknowledgement", "Feedback"],
        )
        self.steps = _Tab("next_steps", ["Status", "Children", "Next step", "Owner", "Due", "Done"])
        self.conflicts = _Tab(
            "conflicts", ["Status", "Children", "Decisions", "Conflicting since", "Resolve by"]
        )
        self.checks = _Tab(
            "partner_checks", ["Status", "Children", "Agency", "Asked", "Due", "Chased", "Answer"]
        )
        self.notices = _Tab(
            "allocated_workers", ["Status", "Child", "Allocated worker", "Due", "Told"]
        )
        self.handovers = _Tab("handovers", ["Status", "Shift", "Noted", "Due", "Contacts", "Note"])
        for tab, title in (
            (self.routes, "Routes"),
            (self.awaiting, "Awaiting a route"),
            (self.acks, "Referrers"),
            (self.steps, "Next steps"),
            (self.conflicts, "Conflicts"),
            (self.checks, "Partner checks"),
            (self.notices, "Allocated workers"),
            (self.handovers, "Handover notes"),
        ):
            self.tabs.addTab(tab, title)
            tab.table.doubleClicked.connect(self._opener(tab))
            tab.add_button("Open contact", f"{tab.objectName()}_open", self._opener(tab))

    def _add_record_buttons(self, role: Role) -> None:
        """The recording buttons this person's role allows (the service checks again)."""

        def ask(what: str, tab: _Tab) -> Callable[[], None]:
            return lambda: self._ask(what, tab)

        if allows(role, Action.OPEN_ROUTE):
            self.awaiting.add_button("Open a route…", "followOpenRoute", ask("open", self.awaiting))
            self.routes.add_button("Record a step…", "followStep", ask("step", self.routes))
            self.routes.add_button("Close route…", "followClose", ask("close", self.routes))
        if allows(role, Action.TRANSFER):
            self.routes.add_button(
                "Transfer to a team…", "followTransfer", ask("transfer", self.routes)
            )
        if allows(role, Action.ACCEPT_TRANSFER):
            self.routes.add_button("Accept or return…", "followAnswer", ask("answer", self.routes))
        if allows(role, Action.FOLLOW_UP):
            self.acks.add_button(
                "Record acknowledgement / feedback…", "followAck", ask("ack", self.acks)
            )
            self.steps.add_button("Tick off", "followTick", ask("tick", self.steps))
            self.notices.add_button("Record notice…", "followNotice", ask("notice", self.notices))
        if allows(role, Action.PARTNER_CHECK):
            self.checks.add_button("Chase…", "followChase", ask("chase", self.checks))
        if allows(role, Action.RESOLVE_CONFLICT):
            self.conflicts.add_button("Resolve…", "followResolve", ask("resolve", self.conflicts))

    def _opener(self, tab: _Tab) -> Callable[..., None]:
        def run(*_args: Any) -> None:
            self._open(tab)

        return run

    def _open(self, tab: _Tab) -> None:
        key = tab.selected()
        if key is not None:
            self.open_contact.emit(key[0] if isinstance(key, tuple) else key)

    def _ask(self, what: str, tab: _Tab) -> None:
        key = tab.selected()
        if key is not None:
            self.record.emit(what, key)

    def reload(self) -> None:
        self.tasks.submit(self.service.view, self.show_view)

    def show_view(self, view: FollowThroughView) -> None:
        self.view = view
        zone = view.now.tzinfo
        counts = view.overdue_counts()
        self.heading.setText(
            f"Follow-through at {_when(view.now, zone)}: {sum(counts.values())} overdue now"
        )

        for fill in (
            self._fill_routes,
            self._fill_awaiting,
            self._fill_acks,
            self._fill_steps,
            self._fill_conflicts,
            self._fill_checks,
            self._fill_notices,
            self._fill_handovers,
        ):
            fill(view, counts, zone)
        self._count_tabs(counts)

    def _fill_routes(self, view: FollowThroughView, counts: Mapping[str, int], zone: Any) -> None:
        self.routes.fill(
            [
                (
                    (r.contact_id, r.route_id),
                    [
                        _status(r.overdue),
                        r.child,
                        r.label,
                        r.detail,
                        r.state,
                        _when(r.next_due, zone),
                        "; ".join(_clock_text(c, zone) for c in r.clocks) or "no statutory clock",
                        _when(r.opened_at, zone),
                    ],
                    r.overdue,
                )
                for r in view.routes
            ],
            f"{len(view.routes)} open routes; {counts['routes']} overdue.",
        )

    def _fill_awaiting(self, view: FollowThroughView, counts: Mapping[str, int], zone: Any) -> None:
        self.awaiting.fill(
            [
                (
                    (r.contact_id, r.route_id),
                    [
                        _status(r.overdue),
                        r.child,
                        r.label,
                        r.detail,
                        _when(r.next_due, zone),
                        "; ".join(_clock_text(c, zone) for c in r.clocks) or "no statutory clock",
                        _when(r.opened_at, zone),
                    ],
                    r.overdue,
                )
                for r in view.awaiting
            ],
            f"{len(view.awaiting)} children decided onto a route nobody has opened yet; "
            f"{counts['awaiting']} overdue." + _older_text(view, zone),
        )

    def _fill_acks(self, view: FollowThroughView, counts: Mapping[str, int], zone: Any) -> None:
        self.acks.fill(
            [
                (
                    (a.contact_id, a.contact_id),
                    [
                        _status(a.overdue),
                        a.children,
                        a.referrer,
                        _when(a.received_at, zone),
                        a.ack_sent or f"due {_when(a.ack_due, zone)}",
                        a.feedback_sent
                        or (
                            f"due {_when(a.feedback_due, zone)}"
                            if a.feedback_due
                            else "after the decision"
                        ),
                    ],
                    a.overdue,
                )
                for a in view.acknowledgements
            ],
            f"{len(view.acknowledgements)} referrers still to hear; "
            f"{counts['acknowledgements']} overdue.",
        )

    def _fill_steps(self, view: FollowThroughView, counts: Mapping[str, int], zone: Any) -> None:
        self.steps.fill(
            [
                (
                    (s.contact_id, (s.decision_id, s.index)),
                    [
                        _status(s.overdue, s.done is not None),
                        s.children,
                        s.action,
                        s.owner or "—",
                        _when(s.due, zone),
                        s.done or "—",
                    ],
                    s.overdue,
                )
                for s in view.next_steps
            ],
            f"{sum(s.done is None for s in view.next_steps)} next steps open; "
            f"{counts['next_steps']} overdue.",
        )

    def _fill_conflicts(
        self, view: FollowThroughView, counts: Mapping[str, int], zone: Any
    ) -> None:
        self.conflicts.fill(
            [
                (
                    (c.contact_id, c.decisions),
                    [
                        OVERDUE if c.overdue else "Needs a duty manager",
                        c.children,
                        "; ".join(f"{outcome_label(o)} by {by}" for _d, o, by in c.decisions),
                        _when(c.arose_at, zone),
                        _when(c.due, zone),
                    ],
                    c.overdue,
                )
                for c in view.conflicts
            ],
            f"{len(view.conflicts)} contacts with conflicting decisions; "
            f"{counts['conflicts']} overdue (a duty manager resolves within 1 working day).",
        )

    def _fill_checks(self, view: FollowThroughView, counts: Mapping[str, int], zone: Any) -> None:
        self.checks.fill(
            [
                (
                    (c.contact_id, c.check_id),
                    [
                        _status(c.overdue, c.answer is not None),
                        c.children,
                        c.agency,
                        _when(c.requested_at, zone),
                        _when(c.due_at, zone),
                        str(c.chased),
                        ("No trace" if c.no_trace else (c.answer or "awaiting")),
                    ],
                    c.overdue,
                )
                for c in view.checks
            ],
            f"{sum(c.answer is None for c in view.checks)} checks awaiting an answer; "
            f"{counts['checks']} overdue.",
        )

    def _fill_notices(self, view: FollowThroughView, counts: Mapping[str, int], zone: Any) -> None:
        self.notices.fill(
            [
                (
                    (n.contact_id, n.person_id),
                    [
                        _status(n.overdue, n.notified is not None),
                        n.child,
                        (n.worker or "not recorded") + (f" ({n.team})" if n.team else ""),
                        _when(n.due, zone),
                        n.notified or "not yet",
                    ],
                    n.overdue,
                )
                for n in view.notices
            ],
            f"{sum(n.notified is None for n in view.notices)} allocated workers to tell; "
            f"{counts['notices']} overdue." + _older_notices_text(view, zone),
        )

    def _fill_handovers(
        self, view: FollowThroughView, counts: Mapping[str, int], zone: Any
    ) -> None:
        self.handovers.fill(
            [
                (
                    (h.contacts[0][0] if h.contacts else "", h.handover_id),
                    [
                        "Read by " + ", ".join(h.acknowledged_by)
                        if h.acknowledged_by
                        else (OVERDUE + ", unread" if h.overdue else "Unread"),
                        h.shift,
                        f"{_when(datetime.fromisoformat(h.noted_at), zone)} by {h.noted_by}",
                        "read" if h.acknowledged_by else _when(h.due, zone),
                        "; ".join(names for _cid, names in h.contacts) or "—",
                        h.text,
                    ],
                    h.overdue,
                )
                for h in view.handovers
            ],
            f"{len(view.handovers)} handover notes; "
            f"{sum(not h.acknowledged_by for h in view.handovers)} unread, "
            f"{counts['handovers']} overdue (read within 1 working day).",
        )

    def _count_tabs(self, counts: Mapping[str, int]) -> None:
        """Each tab says how many of its rows are overdue."""
        for tab, key in (
            (self.routes, "routes"),
            (self.awaiting, "awaiting"),
            (self.acks, "acknowledgements"),
            (self.steps, "next_steps"),
            (self.conflicts, "conflicts"),
            (self.checks, "checks"),
            (self.notices, "notices"),
            (self.handovers, "handovers"),
        ):
            i = self.tabs.indexOf(tab)
            base = self.tabs.tabText(i).split(" (")[0]
            self.tabs.setTabText(i, f"{base} ({counts[key]})" if counts[key] else base)
