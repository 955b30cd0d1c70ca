"""Fit the front-door follow-through into the window: Tools entries for the follow-through
view, the strategy discussion form, routes per child, adults on a contact and record
corrections, each only for roles the permission table allows (the services check again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from ..domain.codes import Role
from ..domain.errors import DomainError
from ..domain.permissions import Action, allows
from ..domain.route_codes import (
    ADULT_ROLE_LABELS,
    ROUTE_LABELS,
    ROUTE_STEPS,
    STEP_LABELS,
    RouteKind,
)
from ..services.corrections import CorrectionService
from ..services.followthrough import FollowThroughService
from ..services.redaction import RESTRICTED_TEXT
from ..services.triage import TriageService
from .action_dialogs import ActionDialog, Choice
from .followthrough_view import FollowThroughWindow
from .form_parts import parse_day, parse_moment
from .main_window import MainWindow
from .strategy_dialog import StrategyDialog, lead_choices
from .tasks import TaskRunner

CONSENT = (
    ("given", "Given"),
    ("refused", "Refused"),
    ("not_sought", "Not sought"),
    ("unknown", "Not known"),
)
METHODS = (("email", "Email"), ("phone", "Phone"), ("letter", "Letter"))


class FollowThroughActions:
    """The dialogs behind the Tools entries and the follow-through window's buttons."""

    def __init__(
        self,
        window: MainWindow,
        follow: FollowThroughService,
        fix: CorrectionService,
        tasks: TaskRunner,
    ) -> None:
        self.window = window
        self.follow = follow
        self.fix = fix
        self.tasks = tasks
        self.view: FollowThroughWindow | None = None
        self.dialog: Any = None

    # ---- plumbing ----------------------------------------------------------------------

    def _contact(self) -> str | None:
        cid = self.window.current_contact_id()
        if cid is None:
            self.window.status_message.setText("Select a contact first.")
        return cid

    def _run(self, dialog: Any, work: Callable[[dict[str, Any]], Any], done: str) -> None:
        """Run ``work(values)`` on the writer; close on success, keep the dialog (and what
        was typed) open with the refusal otherwise."""

        def submitted(values: dict[str, Any]) -> None:
            def ok(_result: Any) -> None:
                dialog.accept()
                self.window.status_message.setText(done)
                self.window.reload()
                if self.view is not None and self.view.isVisible():
                    self.view.reload()

            def failed(error: BaseException) -> None:
                dialog.show_failure(self.window.describe(error), error)

            self.tasks.submit(lambda: work(values), ok, failed)

        dialog.submitted.connect(submitted)
        # Closed is finished with: Qt deletes it (a window kept every dialog ever opened
        # as a hidden child, each walked again by a palette or font change).
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()

    def _with_children(
        self, cid: str, then: Callable[[list[tuple[int, str, str | None]]], None]
    ) -> None:
        self.tasks.submit(lambda: self.follow.children(cid), then, self.window.show_error)

    def _with_linked(
        self,
        title: str,
        missing: str,
        then: Callable[[str, list[tuple[int, str, str | None]]], None],
    ) -> None:
        """The selected contact's children, when at least one is linked to a person (the
        corrections below act on people); otherwise ``missing`` under ``title``."""
        cid = self._contact()
        if cid is None:
            return

        def show(kids: list[tuple[int, str, str | None]]) -> None:
            if not any(p for _s, _n, p in kids):
                QMessageBox.information(self.window, title, missing)
                return
            then(cid, kids)

        self._with_children(cid, show)

    # ---- the follow-through window -----------------------------------------------------

    def open_view(self) -> FollowThroughWindow:
        if self.view is None:
            self.view = FollowThroughWindow(self.follow, self.tasks)
            self.view.open_contact.connect(self.window.show_contact_from_history)
            self.view.record.connect(self.on_record)
        self.view.show()
        self.view.reload()
        return self.view

    def on_record(self, what: str, key: Any) -> None:
        """A button of the follow-through view: ``what`` names it, ``key`` is (contact id,
        what it is about)."""
        cid, ref = key
        if what == "open":
            self.route(cid)
            return
        record = {
            "step": self._record_step,
            "close": self._close_route,
            "transfer": self._transfer,
            "answer": self._answer_transfer,
            "ack": self._referrer_told,
            "tick": self._tick_next_step,
            "notice": self._worker_told,
            "chase": self._chase_check,
            "resolve": self._resolve_conflict,
        }.get(what)
        if record is not None:
            record(cid, ref, self.view or self.window)

    def _record_step(self, cid: str, ref: Any, parent: QWidget) -> None:
        """A step on a route (not on a restricted record; not on a route without steps)."""
        f = self.follow
        route = next(
            (
                r
                for r in (self.view.view.routes if self.view and self.view.view else ())
                if r.route_id == ref
            ),
            None,
        )
        if route is None:
            return
        if route.label == RESTRICTED_TEXT:
            QMessageBox.information(
                parent,
                "Record a step",
                "This child's record is restricted: open the contact "
                "and break the glass with a reason first.",
            )
            return
        steps = [(s.value, STEP_LABELS[s]) for s in ROUTE_STEPS[RouteKind(route.kind)]]
        if not steps:
            QMessageBox.information(
                parent, "Record a step", f"A {route.label} route has no steps; close it."
            )
            return
        self._run(
            ActionDialog(
                "Record a step",
                [
                    Choice("step", "Step", "choice", sorted(steps, key=lambda s: s[1])),
                    Choice(
                        "at",
                        "When it happened (dd/mm/yyyy hh:mm)",
                        required=False,
                        placeholder="blank: now",
                    ),
                    Choice("reason", "Reason or note", "text", required=False),
                ],
                "Record",
                intro=f"{route.child}: {route.label}",
                parent=parent,
            ),
            lambda v: f.progress(
                ref,
                v["step"],
                reason=v["reason"] or None,
                at=parse_moment(v.get("at") or "", "at", f.office.zone),
            ),
            "Step recorded.",
        )

    def _close_route(self, cid: str, ref: Any, parent: QWidget) -> None:
        f = self.follow
        self._run(
            ActionDialog(
                "Close route",
                [Choice("reason", "Reason", "text")],
                "Close route",
                parent=parent,
            ),
            lambda v: f.close_route(ref, v["reason"]),
            "Route closed.",
        )

    def _transfer(self, cid: str, ref: Any, parent: QWidget) -> None:
        f = self.follow
        self._run(
            ActionDialog(
                "Transfer to a team",
                [
                    Choice("team", "Team", placeholder="e.g. Assessment Team 2"),
                    Choice("worker", "Worker (login)", required=False),
                    Choice("notes", "Notes", "text", required=False),
                ],
                "Transfer",
                parent=parent,
            ),
            lambda v: f.transfer(ref, v["team"], v["worker"] or None, v["notes"] or None),
            "Transferred; waiting for the team to accept.",
        )

    def _answer_transfer(self, cid: str, ref: Any, parent: QWidget) -> None:
        """The receiving team accepts or returns a transfer."""
        f = self.follow
        self._run(
            ActionDialog(
                "Accept or return",
                [
                    Choice(
                        "answer",
                        "Answer",
                        "choice",
                        (("accept", "Accept"), ("return", "Return")),
                    ),
                    Choice("worker", "Allocated worker (login)", required=False),
                    Choice("reason", "Reason (needed to return)", "text", required=False),
                ],
                "Record",
                parent=parent,
            ),
            lambda v: f.answer_transfer(
                ref,
                accept=v["answer"] == "accept",
                worker=v["worker"] or None,
                reason=v["reason"] or None,
            ),
            "Recorded.",
        )

    def _referrer_told(self, cid: str, ref: Any, parent: QWidget) -> None:
        """The referrer told: receipt acknowledged or the decision fed back."""
        f = self.follow
        self._run(
            ActionDialog(
                "Referrer told",
                [
                    Choice(
                        "kind",
                        "What",
                        "choice",
                        (
                            ("acknowledgement", "Receipt acknowledged"),
                            ("feedback", "Decision fed back"),
                        ),
                    ),
                    Choice("method", "How", "choice", METHODS),
                    Choice("to", "To", required=False),
                    Choice("note", "Note", "text", required=False),
                ],
                "Record",
                parent=parent,
            ),
            lambda v: f.acknowledge(
                cid, v["kind"], v["method"], to=v["to"] or None, note=v["note"] or None
            ),
            "Recorded.",
        )

    def _tick_next_step(self, cid: str, ref: Any, parent: QWidget) -> None:
        f = self.follow
        decision_id, index = ref
        self._run(
            ActionDialog(
                "Next step done",
                [Choice("note", "Note", "text", required=False)],
                "Tick off",
                parent=parent,
            ),
            lambda v: f.complete_next_step(cid, decision_id, index, v["note"] or None),
            "Ticked off.",
        )

    def _worker_told(self, cid: str, ref: Any, parent: QWidget) -> None:
        """The allocated worker told of the contact."""
        f = self.follow
        # the person record's allocated worker, when known (set in the window or
        # imported): the dialog starts with it, and it can be changed
        notice = next(
            (
                n
                for n in (self.view.view.notices if self.view and self.view.view else ())
                if (n.contact_id, n.person_id) == (cid, ref)
            ),
            None,
        )
        self._run(
            ActionDialog(
                "Allocated worker told",
                [
                    Choice(
                        "worker",
                        "Allocated worker",
                        initial=(notice.worker or "") if notice else "",
                    ),
                    Choice("method", "How", "choice", METHODS),
                ],
                "Record",
                parent=parent,
            ),
            lambda v: f.notify_allocated_worker(cid, ref, v["worker"], v["method"]),
            "Recorded.",
        )

    def _chase_check(self, cid: str, ref: Any, parent: QWidget) -> None:
        f = self.follow
        self._run(
            ActionDialog(
                "Chase partner check",
                [
                    Choice("note", "Note", "text", required=False),
                    Choice("due", "New due date (dd/mm/yyyy)", required=False),
                ],
                "Record chase",
                parent=parent,
            ),
            lambda v: f.chase_partner_check(
                cid, ref, v["note"] or None, _end_of_day(parse_day(v["due"], "due"), f.office)
            ),
            "Chase recorded.",
        )

    def _resolve_conflict(self, cid: str, ref: Any, parent: QWidget) -> None:
        f = self.follow
        options = [(d, f"{o} by {by}") for d, o, by in ref]
        self._run(
            ActionDialog(
                "Resolve conflicting decisions",
                [
                    Choice("chosen", "Decision that stands", "choice", options),
                    Choice("reason", "Reason", "text"),
                ],
                "Resolve",
                parent=parent,
            ),
            lambda v: f.resolve_conflict(cid, v["chosen"], v["reason"]),
            "Resolved.",
        )

    # ---- dialogs on the selected contact -----------------------------------------------

    def strategy(self) -> None:
        cid = self._contact()
        if cid is None:
            return

        def show(kids: list[tuple[int, str, str | None]]) -> None:
            dialog = StrategyDialog(
                [(s, n) for s, n, _p in kids],
                self.follow.clock.now(),
                lead=self.follow.actor.login,
                people=lead_choices(self.window.service.people(), self.follow.actor.login),
                parent=self.window,
            )
            self._run(
                dialog,
                lambda v: self.follow.record_strategy_discussion(cid, **v),
                "Strategy discussion recorded.",
            )

        self._with_children(cid, show)

    def route(self, contact_id: str | None = None) -> None:
        cid = contact_id or self._contact()
        if cid is None:
            return

        def show(data: tuple[list[tuple[int, str, str | None]], list[tuple[int, str]]]) -> None:
            kids, adults = data
            fields = _route_fields(kids, adults)

            def work(v: dict[str, Any]) -> Any:
                details = {
                    k: v[k]
                    for k in ("to", "team", "worker", "family_consent", "marac", "notes")
                    if v.get(k)
                }
                if v.get("adult_slot"):
                    details["adult_slot"] = int(v["adult_slot"])
                slot = int(v["slot"]) if v.get("slot") else None
                return self.follow.open_route(cid, v["kind"], slot=slot, **details)

            self._run(
                ActionDialog(
                    "Route for a child",
                    fields,
                    "Open route",
                    intro="Beside the main outcome, each child may take their "
                    "own route. Statutory clocks start from the contact.",
                    parent=self.window,
                ),
                work,
                "Route opened.",
            )

        self.tasks.submit(
            lambda: (self.follow.children(cid), self.follow.adults(cid)),
            show,
            self.window.show_error,
        )

    def adult(self) -> None:
        cid = self._contact()
        if cid is None:
            return
        self._run(
            ActionDialog(
                "Add an adult",
                [
                    Choice(
                        "role",
                        "Role",
                        "choice",
                        [(r.value, label) for r, label in ADULT_ROLE_LABELS.items()],
                    ),
                    Choice("given_name", "Given name", required=False),
                    Choice("family_name", "Family name"),
                    Choice("date_of_birth", "Date of birth (dd/mm/yyyy)", required=False),
                    Choice("relationship", "Relationship to the child", required=False),
                    Choice("occupation", "Occupation and employer (LADO)", required=False),
                ],
                "Add adult",
                parent=self.window,
            ),
            lambda v: self.follow.record_adult(
                cid,
                v["role"],
                given_name=v["given_name"] or None,
                family_name=v["family_name"],
                date_of_birth=parse_day(v["date_of_birth"], "date_of_birth"),
                relationship=v["relationship"] or None,
                occupation=v["occupation"] or None,
            ),
            "Adult added.",
        )

    def merge(self) -> None:
        cid = self._contact()
        if cid is None:
            return

        def show(candidates: list[tuple[str, str]]) -> None:
            if not candidates:
                QMessageBox.information(
                    self.window,
                    "Merge duplicate",
                    "No other contact shares a child or the partner's "
                    "reference within a week of this one.",
                )
                return
            self._run(
                ActionDialog(
                    "Merge duplicate contact",
                    [
                        Choice("into", "Keep this one", "choice", candidates),
                        Choice("reason", "Reason", "text"),
                    ],
                    "Merge",
                    intro="The selected contact is merged into the one you keep: it leaves the "
                    "queue, history and MI; its record stays, with your reason.",
                    parent=self.window,
                ),
                lambda v: self.fix.merge(cid, v["into"], v["reason"]),
                "Merged.",
            )

        self.tasks.submit(lambda: self.follow.merge_candidates(cid), show, self.window.show_error)

    def in_error(self) -> None:
        cid = self._contact()
        if cid is None:
            return
        self._run(
            ActionDialog(
                "Entered in error",
                [Choice("reason", "Reason", "text")],
                "Mark entered in error",
                intro="The contact stays on the record with your reason but "
                "counts nowhere: not in the queue, history or MI.",
                parent=self.window,
            ),
            lambda v: self.fix.entered_in_error(cid, v["reason"]),
            "Marked entered in error.",
        )

    def unlink(self) -> None:
        def show(cid: str, kids: list[tuple[int, str, str | None]]) -> None:
            linked = [(str(s), n) for s, n, p in kids if p]
            self._run(
                ActionDialog(
                    "Undo a wrong link",
                    [Choice("slot", "Child", "choice", linked), Choice("reason", "Reason", "text")],
                    "Unlink",
                    parent=self.window,
                ),
                lambda v: self.fix.unlink(cid, int(v["slot"]), v["reason"]),
                "Unlinked; ratings follow.",
            )

        self._with_linked("Unlink", "No child here is linked.", show)

    def correct(self) -> None:
        def show(_cid: str, kids: list[tuple[int, str, str | None]]) -> None:
            linked = [(p, n) for _s, n, p in kids if p]
            self._run(
                ActionDialog(
                    "Correct a child's details",
                    [
                        Choice("person_id", "Child", "choice", linked),
                        Choice("given_name", "Given name", required=False),
                        Choice("family_name", "Family name", required=False),
                        Choice("date_of_birth", "Date of birth (dd/mm/yyyy)", required=False),
                        Choice("reason", "Reason", "text"),
                    ],
                    "Correct",
                    parent=self.window,
                ),
                lambda v: self.fix.correct_person(
                    v["person_id"],
                    {
                        k: (parse_day(v[k], k) if k == "date_of_birth" else v[k])
                        for k in ("given_name", "family_name", "date_of_birth")
                        if v[k]
                    },
                    v["reason"],
                ),
                "Corrected; the old values stay in the history.",
            )

        self._with_linked("Correct details", "Link the child to a person first.", show)

    def allocation(self) -> None:
        """Record who holds a linked child's open case (or that the case is closed)."""

        def show(_cid: str, kids: list[tuple[int, str, str | None]]) -> None:
            linked = [(p, n) for _s, n, p in kids if p]
            self._run(
                ActionDialog(
                    "Allocated worker (open case)",
                    [
                        Choice("person_id", "Child", "choice", linked),
                        Choice(
                            "worker",
                            "Allocated worker (blank: the case is closed)",
                            required=False,
                        ),
                        Choice("team", "Allocated team", required=False),
                        Choice(
                            "reason",
                            "Reason",
                            "text",
                            initial="As the case-management system records it",
                        ),
                    ],
                    "Record",
                    parent=self.window,
                ),
                lambda v: self.fix.record_allocation(
                    v["person_id"], v["worker"] or None, v["team"] or None, v["reason"]
                ),
                "Recorded; the allocated worker is told of new contacts the same working day.",
            )

        self._with_linked("Allocated worker", "Link the child to a person first.", show)

    def register(self) -> None:
        cid = self._contact()
        if cid is None:
            return

        def show(kids: list[tuple[int, str, str | None]]) -> None:
            self._run(
                ActionDialog(
                    "Register a new child",
                    [
                        Choice(
                            "slot",
                            "Child on this contact",
                            "choice",
                            [(str(s), n) for s, n, p in kids if not p],
                        ),
                        Choice("given_name", "Given name"),
                        Choice("family_name", "Family name"),
                        Choice("date_of_birth", "Date of birth (dd/mm/yyyy)", required=False),
                        Choice(
                            "reason",
                            "Reason",
                            "text",
                            initial="Not known to the service: registered from the contact",
                        ),
                    ],
                    "Register and link",
                    parent=self.window,
                ),
                lambda v: self.fix.register_person(
                    {
                        k: (parse_day(v[k], k) if k == "date_of_birth" else v[k])
                        for k in ("given_name", "family_name", "date_of_birth")
                        if v[k]
                    },
                    link_to=(cid, int(v["slot"])),
                    reason=v["reason"],
                ),
                "Registered and linked.",
            )

        self._with_children(cid, show)


def _end_of_day(day: str | None, office: Any) -> datetime | None:
    if day is None:
        return None
    from datetime import date

    return datetime.combine(date.fromisoformat(day), office.closes, tzinfo=office.zone)


def _route_fields(
    kids: list[tuple[int, str, str | None]], adults: list[tuple[int, str]]
) -> list[Choice]:
    """The route dialog's fields: the route, for which child (or adult), and its details."""
    return [
        Choice("kind", "Route", "choice", [(k.value, ROUTE_LABELS[k]) for k in RouteKind]),
        Choice(
            "slot",
            "Child",
            "choice",
            [("", "(the whole contact)")] + [(str(s), n) for s, n, _p in kids],
            required=False,
        ),
        Choice(
            "adult_slot",
            "Adult (LADO, MARAC)",
            "choice",
            [("", "(none)")] + [(str(s), n) for s, n in adults],
            required=False,
        ),
        Choice("to", "To (signpost service / other authority)", required=False),
        Choice("team", "Team", required=False),
        Choice("worker", "Worker", required=False),
        Choice(
            "family_consent",
            "Family consent (early help)",
            "choice",
            [("", "(not asked)"), *CONSENT],
            required=False,
        ),
        Choice(
            "marac",
            "MARAC",
            "choice",
            [
                ("", "(not MARAC)"),
                ("referred", "Referred"),
                ("already_known", "Already known"),
            ],
            required=False,
        ),
        Choice("notes", "Notes", "text", required=False),
    ]


def install_followthrough(
    window: MainWindow, session: Any, tasks: TaskRunner
) -> FollowThroughActions:
    """Tools entries for ``session.actor``'s role; returns the actions (tests use them)."""
    actor, clock = session.actor, session.clock
    # clocks on the queue's own office calendar (the desk's triage policy)
    follow = FollowThroughService(
        session.guarded,
        actor,
        clock,
        window.service.triage.policy.office,
        directory=window.service.people,  # the desk's people directory, names not logins
    )
    fix = CorrectionService(
        session.guarded, actor, clock, TriageService(session.guarded, actor, clock)
    )
    actions = FollowThroughActions(window, follow, fix, tasks)
    _add_menu(window, actions, actor.role)
    return actions


def _add_menu(window: MainWindow, actions: FollowThroughActions, role: Role) -> None:
    """The Follow-through submenu of Tools: the entries ``role`` allows."""
    menu = window.tools_menu.addMenu("Follow-&through")
    menu.setObjectName("followThroughMenu")

    def add(text: str, keys: str, slot: Callable[[], Any], name: str, action: Action) -> None:
        if not allows(role, action):
            return
        act = QAction(text, window)
        act.setObjectName(name)
        if keys:
            act.setShortcut(QKeySequence(keys))
            window.addAction(act)
        act.triggered.connect(lambda: _guarded(window, slot))
        menu.addAction(act)

    add(
        "&Follow-through view",
        "Ctrl+Shift+F",
        actions.open_view,
        "followThroughAction",
        Action.VIEW_RECORD,
    )
    add(
        "&Strategy discussion…",
        "Ctrl+Shift+G",
        actions.strategy,
        "strategyAction",
        Action.STRATEGY_DISCUSSION,
    )
    add("&Route for a child…", "", actions.route, "routeAction", Action.OPEN_ROUTE)
    add("Add an &adult…", "", actions.adult, "adultAction", Action.LINK_PERSON)
    menu.addSeparator()
    add("Register a &new child…", "", actions.register, "registerAction", Action.LINK_PERSON)
    add("&Correct a child's details…", "", actions.correct, "correctAction", Action.LINK_PERSON)
    add(
        "Allocated &worker (open case)…",
        "",
        actions.allocation,
        "allocationAction",
        Action.LINK_PERSON,
    )
    add("&Undo a wrong link…", "", actions.unlink, "unlinkAction", Action.LINK_PERSON)
    add("&Merge duplicate contact…", "", actions.merge, "mergeAction", Action.CORRECT_RECORD)
    add("Mark &entered in error…", "", actions.in_error, "inErrorAction", Action.CORRECT_RECORD)


def _guarded(window: MainWindow, slot: Callable[[], Any]) -> None:
    try:
        slot()
    except DomainError as err:
        window.show_error(err)
