"""What the duty manager does with the selected contact: take, assign, re-rate, partner
checks, notes, decide, sign off, amend, print; new contacts; the handover.

A mixin of ``MainWindow`` (kept apart so the window module stays about layout, loading
and live updates). Every write runs on the writer thread through ``_run``; a refusal
from the service is shown in the dialog, which keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..domain.codes import Role
from ..domain.timescales import OfficeHours
from ..services.match_provider import match_provider
from ..services.snapshots import HandoverNote, MatchSuggestion
from . import action_dialogs as dialogs
from .contact_form import DRAFT_KIND, ContactForm
from .decision_dialog import DecisionDialog
from .detail_html import consent_line, outcome_label
from .form_parts import parse_day

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, SignalInstance
    from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTextBrowser

    from ..domain.directory import PeopleDirectory
    from ..services.desk import DeskService
    from ..services.drafts import Draft, DraftStore
    from ..services.snapshots import ContactDetail
    from .handover_panel import HandoverPanel
    from .queue_model import QueueModel
    from .tasks import TaskRunner

    _Base = QMainWindow
else:
    _Base = object


class ContactActions(_Base):
    """Needs these from ``MainWindow`` (declared for the type checker only)."""

    if TYPE_CHECKING:
        service: DeskService
        tasks: TaskRunner
        model: QueueModel
        drafts: DraftStore
        thresholds: dict[int, str]
        detail_snapshot: ContactDetail | None
        detail: QTextBrowser
        status_message: QLabel
        handover: HandoverPanel
        handover_dock: QDockWidget
        print_requested: SignalInstance
        _print_handler: Callable[[str], None] | None
        _dialog: Any
        _pending_select: str | None
        _detail_timer: QTimer
        _viewed: str | None

        def poll(self) -> None: ...
        def current_contact_id(self) -> str | None: ...
        def show_error(self, error: BaseException) -> None: ...
        def describe(self, error: BaseException) -> str: ...
        def _show_detail(self, detail: ContactDetail | None) -> None: ...
    # ---- actions --------------------------------------------------------------------

    def _run(
        self,
        work: Callable[[], Any],
        done_text: str,
        dialog: Any = None,
        after: Callable[[Any], None] | None = None,
    ) -> None:
        """Run a write on the writer thread; refresh on success, explain a refusal."""

        def done(value: Any) -> None:
            if dialog is not None:
                dialog.accept()
            self.status_message.setText(done_text)
            if after is not None:
                after(value)
            self.poll()
            self._detail_timer.start()

        def failed(error: BaseException) -> None:
            message = self.describe(error)
            if dialog is not None:
                dialog.show_failure(message, error)
            else:
                self.show_error(error)

        self.tasks.submit(work, done, failed)

    def _open_dialog(self, dialog: Any, on_submit: Callable[[dict[str, Any]], None]) -> None:
        self._dialog = dialog
        dialog.submitted.connect(on_submit)
        dialog.open()

    def _ask(self, dlg: Any, write: Callable[[dict[str, Any]], Any], done_text: str) -> None:
        """Open ``dlg``; on submit run ``write(values)`` on the writer thread."""
        self._open_dialog(dlg, lambda v: self._run(lambda: write(v), done_text, dlg))

    def _need_contact(self) -> str | None:
        cid = self.current_contact_id()
        if cid is None:
            self.status_message.setText("Select a contact first.")
        return cid

    def open_contact(self) -> None:
        cid = self._need_contact()
        if cid:
            service = self.service

            def opened() -> ContactDetail | None:
                detail = service.open_contact(cid)  # recorded as a deliberate opening
                self._viewed = cid  # the pane's showing of it is this one
                return detail

            self._detail_timer.stop()
            self.tasks.submit(opened, self._show_detail)
            self.detail.setFocus()

    def take(self) -> None:
        cid = self._need_contact()
        if cid:
            self._run(lambda: self.service.take(cid), "You have taken the contact.")

    def assign(self) -> None:
        cid = self._need_contact()
        if cid:
            service = self.service

            def ask(directory: PeopleDirectory) -> None:
                people = [(e.login, e.label) for e in directory.assignable()]
                if not people:
                    self.status_message.setText("Nobody in the people directory can take contacts.")
                    return
                self._ask(
                    dialogs.assign_dialog(people, self),
                    lambda v: service.assign(cid, v["assignee"]),
                    "Contact assigned.",
                )

            self.tasks.submit(service.people, ask, self.show_error)

    def record_consent(self) -> None:
        cid = self._need_contact()
        if cid:
            d = self.detail_snapshot
            self._ask(
                dialogs.consent_dialog(d.consent if d else None, self),
                lambda v: self.service.record_consent(
                    cid, v["status"], given_by=v.get("given_by"), basis=v.get("basis")
                ),
                "Consent recorded.",
            )

    def share_without_consent(self) -> None:
        cid = self._need_contact()
        if cid:
            self._ask(
                dialogs.share_without_consent_dialog(self),
                lambda v: self.service.share_without_consent(cid, v["basis"]),
                "Sharing without consent recorded, with you as the approver.",
            )

    def rerate(self) -> None:
        cid = self._need_contact()
        if cid:
            item = self.model.item(self.model.row_of(cid))
            self._ask(
                dialogs.rerate_dialog(item.rating if item else None, self),
                lambda v: self.service.override_rating(cid, v["to_rating"], v["reason"]),
                "Rating changed.",
            )

    def request_check(self) -> None:
        cid = self._need_contact()
        if cid:
            d = self.detail_snapshot
            self._ask(
                dialogs.partner_check_dialog(self, consent_line(d) if d else ""),
                lambda v: self.service.request_partner_check(
                    cid,
                    v["agency"],
                    v["question"],
                    _end_of_day(v.get("due"), self.service.triage.policy.office),
                ),
                "Partner check requested.",
            )

    def answer_check(self) -> None:
        d = self.detail_snapshot
        if d is None:
            return
        open_checks = [
            (c.check_id, f"{c.agency}: {c.question[:60]}")
            for c in d.partner_checks
            if c.answer is None
        ]
        if not open_checks:
            self.status_message.setText("No partner check is waiting for an answer.")
            return
        self._ask(
            dialogs.answer_dialog(open_checks, self),
            lambda v: self.service.answer_partner_check(
                d.contact_id,
                v["check_id"],
                v["answer"],
                v["answered_by"] or None,
                no_trace=v.get("no_trace") == "yes",
            ),
            "Partner answer recorded.",
        )

    def add_note(self) -> None:
        cid = self._need_contact()
        if cid:
            self._ask(
                dialogs.note_dialog(self),
                lambda v: self.service.add_note(cid, v["text"]),
                "Note added.",
            )

    def decide(self) -> None:
        d = self.detail_snapshot
        if d is None or d.contact_id != self.current_contact_id():
            self.status_message.setText("The contact is still loading; try again.")
            return
        role = self.service.actor.role
        done = (
            "Decision recorded."
            if role in (Role.DUTY_MANAGER, Role.SENIOR_PRACTITIONER)
            else "Decision proposed for a manager's sign-off."
        )
        self._ask(
            DecisionDialog(d, role, labels=self.thresholds, parent=self),
            lambda v: self.service.decide(
                d.contact_id,
                v["outcome"],
                v["threshold_level"],
                v["rationale"],
                v.get("primary_need"),
            ),
            done,
        )

    def amend(self) -> None:
        d = self.detail_snapshot
        current = d.current_decision if d else None
        if d is None or current is None:
            self.status_message.setText("There is no decision to amend.")
            return
        self._ask(
            DecisionDialog(
                d, self.service.actor.role, labels=self.thresholds, amend=current, parent=self
            ),
            lambda v: self.service.amend_decision(
                d.contact_id,
                v["decision_id"],
                v["reason"],
                outcome=v["outcome"],
                threshold_level=v["threshold_level"],
                rationale=v["rationale"],
            ),
            "Decision amended; the original stays on record.",
        )

    def sign_off(self) -> None:
        d = self.detail_snapshot
        proposal = d.open_proposal if d else None
        if d is None or proposal is None:
            self.status_message.setText("No proposed decision waits for sign-off.")
            return
        summary = (
            f"{d.who(proposal.decided_by)} proposed: {outcome_label(proposal.outcome)}, "
            f"level {proposal.threshold_level}. The full rationale is in the "
            "contact detail."
        )
        self._ask(
            dialogs.sign_off_dialog(summary, self),
            lambda v: self.service.sign_off(
                d.contact_id, proposal.decision_id, v["comment"] or None
            ),
            "Decision signed off.",
        )

    def return_proposal(self) -> None:
        d = self.detail_snapshot
        proposal = d.open_proposal if d else None
        if d is None or proposal is None:
            self.status_message.setText("No proposed decision waits for sign-off.")
            return
        summary = (
            f"{d.who(proposal.decided_by)} proposed: {outcome_label(proposal.outcome)}, "
            f"level {proposal.threshold_level}. Say what needs to change; the "
            "proposal goes back to them and stays on record."
        )
        self._ask(
            dialogs.return_dialog(summary, self),
            lambda v: self.service.return_proposal(d.contact_id, proposal.decision_id, v["reason"]),
            f"Proposal returned to {d.who(proposal.decided_by)}.",
        )

    def print_contact(self) -> None:
        cid = self._need_contact()
        if cid is None:
            return
        self.print_requested.emit(cid)
        if self._print_handler is not None:
            self._print_handler(cid)
        elif not self.receivers(self.print_requested):  # type: ignore[arg-type]
            self.status_message.setText("Printing is not set up on this desk yet.")

    # ---- new contact ------------------------------------------------------------------

    def new_contact(self) -> ContactForm | None:
        """Open the entry form, with this person's latest draft if there is one (read on
        the writer thread, like every store read). Returns the form when it is open
        already (a synchronous runner: tests, screenshots)."""
        drafts = self.drafts
        opened: list[ContactForm] = []
        self.tasks.submit(
            lambda: drafts.list(DRAFT_KIND),
            lambda found: opened.append(self._open_contact_form(found)),
            self.show_error,
        )
        return opened[0] if opened else None

    def _open_contact_form(self, drafts: list[Draft]) -> ContactForm:
        actor = self.service.actor
        form = ContactForm(
            self.drafts,
            office=actor.office,
            team=actor.team,
            draft=drafts[0] if drafts else None,
            parent=self,
            runner=self.tasks.submit,
        )
        scored = match_provider(self.service.store, self.service.clock)

        def suggest(query: Mapping[str, Any]) -> list[MatchSuggestion]:
            # Scored matching needs a date of birth or NHS number; names alone fall back
            # to the exact look-up so the officer still sees who is known.
            return scored(query) or self.service.suggest_matches(**query)

        form.set_match_provider(suggest, self.tasks.submit)

        def submitted(payload: dict[str, Any]) -> None:
            def done(result: Any) -> None:
                cid, _changes = result
                form.saved()
                self.status_message.setText("Contact recorded.")
                self._pending_select = cid  # selected as soon as the poll brings it in
                self.poll()

            self.tasks.submit(
                lambda: self.service.record_contact(payload),
                done,
                lambda err: form.show_failure(self.describe(err), err),
            )

        self._dialog = form
        form.submitted.connect(submitted)
        form.open()
        return form

    # ---- handover ---------------------------------------------------------------------

    def _handovers_loaded(self, notes: list[HandoverNote]) -> None:
        first = not self.handover.notes
        self.handover.set_notes(notes)
        if self.handover.pending() and first:
            self.handover_dock.show()  # start of the day: show what the night team left
            self.handover_dock.raise_()

    def _acknowledge_handover(self, handover_id: str) -> None:
        self._run(
            lambda: self.service.acknowledge_handover(handover_id),
            "Handover acknowledged.",
            after=lambda _v: self.tasks.submit(self.service.handovers, self._handovers_loaded),
        )

    def write_handover(self) -> None:
        # issue 21: a handover note can point at the contact it concerns
        cid = self.current_contact_id()
        self._ask(
            dialogs.handover_dialog(self, current_contact=cid),
            lambda v: self.service.note_handover(
                v["shift"], v["text"], (cid,) if cid and v.get("about") == "current" else ()
            ),
            "Handover recorded.",
        )

    def toggle_handover(self) -> None:
        self.handover_dock.setVisible(not self.handover_dock.isVisible())
        if self.handover_dock.isVisible():
            self.handover.list.setFocus()


def _end_of_day(text: str | None, office: OfficeHours) -> datetime | None:
    """The end of the office day typed (dd/mm/yyyy) on ``office`` (the desk's triage
    policy's calendar, whose closing time the queue uses), or None when left blank."""
    if not text:
        return None
    iso = parse_day(text, "due")
    if iso is None:
        return None
    day = date.fromisoformat(iso)
    return datetime.combine(day, office.closes, tzinfo=office.zone)
