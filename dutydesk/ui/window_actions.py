"""What the duty manager does with the selected contact: take, assign, re-rate, partner
checks, notes, decide, sign off, amend; new contacts; handover notes written and
acknowledged. (Opening, printing and showing the handover stay with the window.)

An object the window holds (``MainWindow.contact_actions``), kept apart so the window
module stays about layout, loading and live updates; it reaches the store only through
the window's service and writer. Every write runs on the writer thread through ``_run``;
a refusal from the service is shown in the dialog, which keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ..domain.codes import Role
from ..domain.timescales import OfficeHours
from ..services.match_provider import match_provider
from ..services.snapshots import ContactDetail, DecisionView, MatchSuggestion
from . import action_dialogs as dialogs
from .contact_form import DRAFT_KIND, ContactForm
from .decision_dialog import DecisionDialog
from .detail_html import consent_line, outcome_label
from .form_parts import parse_day

if TYPE_CHECKING:  # annotations only: the window builds this object
    from ..domain.directory import PeopleDirectory
    from ..services.drafts import Draft
    from .main_window import MainWindow


class ContactActions:
    """The duty manager's actions on the selected contact, for ``window``."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

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
            self.window.status_message.setText(done_text)
            if after is not None:
                after(value)
            self.window.after_write()

        def failed(error: BaseException) -> None:
            message = self.window.describe(error)
            if dialog is not None:
                dialog.show_failure(message, error)
            else:
                self.window.show_error(error)

        self.window.tasks.submit(work, done, failed)

    def _open_dialog(self, dialog: Any, on_submit: Callable[[dict[str, Any]], None]) -> None:
        self.window.hold_dialog(dialog)
        dialog.submitted.connect(on_submit)
        dialog.open()

    def _ask(self, dlg: Any, write: Callable[[dict[str, Any]], Any], done_text: str) -> None:
        """Open ``dlg``; on submit run ``write(values)`` on the writer thread."""
        self._open_dialog(dlg, lambda v: self._run(lambda: write(v), done_text, dlg))

    def take(self) -> None:
        cid = self.window.need_contact()
        if cid:
            self._run(lambda: self.window.service.take(cid), "You have taken the contact.")

    def assign(self) -> None:
        cid = self.window.need_contact()
        if cid:
            service = self.window.service

            def ask(directory: PeopleDirectory) -> None:
                people = [(e.login, e.label) for e in directory.assignable()]
                if not people:
                    self.window.status_message.setText(
                        "Nobody in the people directory can take contacts."
                    )
                    return
                self._ask(
                    dialogs.assign_dialog(people, self.window),
                    lambda v: service.assign(cid, v["assignee"]),
                    "Contact assigned.",
                )

            self.window.tasks.submit(service.people, ask, self.window.show_error)

    def record_consent(self) -> None:
        cid = self.window.need_contact()
        if cid:
            d = self.window.detail_snapshot
            self._ask(
                dialogs.consent_dialog(d.consent if d else None, self.window),
                lambda v: self.window.service.record_consent(
                    cid, v["status"], given_by=v.get("given_by"), basis=v.get("basis")
                ),
                "Consent recorded.",
            )

    def share_without_consent(self) -> None:
        cid = self.window.need_contact()
        if cid:
            self._ask(
                dialogs.share_without_consent_dialog(self.window),
                lambda v: self.window.service.share_without_consent(cid, v["basis"]),
                "Sharing without consent recorded, with you as the approver.",
            )

    def rerate(self) -> None:
        cid = self.window.need_contact()
        if cid:
            item = self.window.model.item(self.window.model.row_of(cid))
            self._ask(
                dialogs.rerate_dialog(item.rating if item else None, self.window),
                lambda v: self.window.service.override_rating(cid, v["to_rating"], v["reason"]),
                "Rating changed.",
            )

    def request_check(self) -> None:
        cid = self.window.need_contact()
        if cid:
            d = self.window.detail_snapshot
            self._ask(
                dialogs.partner_check_dialog(self.window, consent_line(d) if d else ""),
                lambda v: self.window.service.request_partner_check(
                    cid,
                    v["agency"],
                    v["question"],
                    _end_of_day(v.get("due"), self.window.service.triage.policy.office),
                ),
                "Partner check requested.",
            )

    def answer_check(self) -> None:
        d = self.window.detail_snapshot
        if d is None:
            return
        open_checks = [
            (c.check_id, f"{c.agency}: {c.question[:60]}")
            for c in d.partner_checks
            if c.answer is None
        ]
        if not open_checks:
            self.window.status_message.setText("No partner check is waiting for an answer.")
            return
        self._ask(
            dialogs.answer_dialog(open_checks, self.window),
            lambda v: self.window.service.answer_partner_check(
                d.contact_id,
                v["check_id"],
                v["answer"],
                v["answered_by"] or None,
                no_trace=v.get("no_trace") == "yes",
            ),
            "Partner answer recorded.",
        )

    def add_note(self) -> None:
        cid = self.window.need_contact()
        if cid:
            self._ask(
                dialogs.note_dialog(self.window),
                lambda v: self.window.service.add_note(cid, v["text"]),
                "Note added.",
            )

    def decide(self) -> None:
        d = self.window.detail_snapshot
        if d is None or d.contact_id != self.window.current_contact_id():
            self.window.status_message.setText("The contact is still loading; try again.")
            return
        role = self.window.service.actor.role
        done = (
            "Decision recorded."
            if role in (Role.DUTY_MANAGER, Role.SENIOR_PRACTITIONER)
            else "Decision proposed for a manager's sign-off."
        )
        self._ask(
            DecisionDialog(d, role, labels=self.window.thresholds, parent=self.window),
            lambda v: self.window.service.decide(
                d.contact_id,
                v["outcome"],
                v["threshold_level"],
                v["rationale"],
                v.get("primary_need"),
            ),
            done,
        )

    def amend(self) -> None:
        d = self.window.detail_snapshot
        current = d.current_decision if d else None
        if d is None or current is None:
            self.window.status_message.setText("There is no decision to amend.")
            return
        self._ask(
            DecisionDialog(
                d,
                self.window.service.actor.role,
                labels=self.window.thresholds,
                amend=current,
                parent=self.window,
            ),
            lambda v: self.window.service.amend_decision(
                d.contact_id,
                v["decision_id"],
                v["reason"],
                outcome=v["outcome"],
                threshold_level=v["threshold_level"],
                rationale=v["rationale"],
            ),
            "Decision amended; the original stays on record.",
        )

    def _proposal(self) -> tuple[ContactDetail, DecisionView, str] | None:
        """The selected contact's proposal waiting for sign-off and a line that says
        whose it is and what it proposes; None (and the status bar says so) if none."""
        d = self.window.detail_snapshot
        proposal = d.open_proposal if d else None
        if d is None or proposal is None:
            self.window.status_message.setText("No proposed decision waits for sign-off.")
            return None
        said = (
            f"{d.who(proposal.decided_by)} proposed: {outcome_label(proposal.outcome)}, "
            f"level {proposal.threshold_level}."
        )
        return d, proposal, said

    def sign_off(self) -> None:
        found = self._proposal()
        if found is None:
            return
        d, proposal, said = found
        summary = f"{said} The full rationale is in the contact detail."
        self._ask(
            dialogs.sign_off_dialog(summary, self.window),
            lambda v: self.window.service.sign_off(
                d.contact_id, proposal.decision_id, v["comment"] or None
            ),
            "Decision signed off.",
        )

    def return_proposal(self) -> None:
        found = self._proposal()
        if found is None:
            return
        d, proposal, said = found
        summary = (
            f"{said} Say what needs to change; the proposal goes back to them and stays on record."
        )
        self._ask(
            dialogs.return_dialog(summary, self.window),
            lambda v: self.window.service.return_proposal(
                d.contact_id, proposal.decision_id, v["reason"]
            ),
            f"Proposal returned to {d.who(proposal.decided_by)}.",
        )

    # ---- new contact ------------------------------------------------------------------

    def new_contact(self) -> ContactForm | None:
        """Open the entry form, with this person's latest draft if there is one (read on
        the writer thread, like every store read). Returns the form when it is open
        already (a synchronous runner: tests, screenshots)."""
        drafts = self.window.drafts
        opened: list[ContactForm] = []
        self.window.tasks.submit(
            lambda: drafts.list(DRAFT_KIND),
            lambda found: opened.append(self._open_contact_form(found)),
            self.window.show_error,
        )
        return opened[0] if opened else None

    def _open_contact_form(self, drafts: list[Draft]) -> ContactForm:
        actor = self.window.service.actor
        form = ContactForm(
            self.window.drafts,
            office=actor.office,
            team=actor.team,
            draft=drafts[0] if drafts else None,
            parent=self.window,
            runner=self.window.tasks.submit,
        )
        scored = match_provider(self.window.service.store, self.window.service.clock)

        def suggest(query: Mapping[str, Any]) -> list[MatchSuggestion]:
            # Scored matching needs a date of birth or NHS number; names alone fall back
            # to the exact look-up so the officer still sees who is known.
            return scored(query) or self.window.service.suggest_matches(**query)

        form.set_match_provider(suggest, self.window.tasks.submit)

        def submitted(payload: dict[str, Any]) -> None:
            def done(result: Any) -> None:
                cid, _changes = result
                form.saved()
                self.window.status_message.setText("Contact recorded.")
                self.window.select_when_listed(cid)

            self.window.tasks.submit(
                lambda: self.window.service.record_contact(payload),
                done,
                lambda err: form.show_failure(self.window.describe(err), err),
            )

        self.window.hold_dialog(form)
        form.submitted.connect(submitted)
        form.open()
        return form

    # ---- handover ---------------------------------------------------------------------

    def acknowledge_handover(self, handover_id: str) -> None:
        self._run(
            lambda: self.window.service.acknowledge_handover(handover_id),
            "Handover acknowledged.",
            after=lambda _v: self.window.tasks.submit(
                self.window.service.handovers, self.window.show_handovers
            ),
        )

    def write_handover(self) -> None:
        # issue 21: a handover note can point at the contact it concerns
        cid = self.window.current_contact_id()
        self._ask(
            dialogs.handover_dialog(self.window, current_contact=cid),
            lambda v: self.window.service.note_handover(
                v["shift"], v["text"], (cid,) if cid and v.get("about") == "current" else ()
            ),
            "Handover recorded.",
        )


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
