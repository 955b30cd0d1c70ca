"""Use cases of the duty desk: the queue and its live changes, the contact record, and
the actions a duty manager takes (take/assign, re-rate, partner checks, notes, decide,
amend, sign off, handover).

The window calls these on the writer thread; each returns snapshots or a ``Changes``.
Role rules are enforced here, not only by greying out buttons: the service raises
``PermissionDenied`` (the shared server checks again on sync).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ..domain.clock import Clock
from ..domain.codes import ConsentStatus, ContactStatus, DecisionStatus, Rating
from ..domain.directory import PeopleDirectory
from ..domain.errors import PermissionDenied, ValidationError
from ..domain.events import Actor, Event, recorded_by
from ..domain.ids import new_id
from ..domain.nhs import is_valid_nhs_number, normalise_nhs_number
from ..domain.people import age_text, reported_age_text
from ..domain.permissions import MIN_REASON_CHARS, Action, allows, require
from ..domain.projection import ContactChildRow, ContactRow, QueueRow
from ..domain.queue import order_key
from ..store.desk_queries import DeskQueries
from ..store.eventstore import EventStore
from ..store.gcpause import collector_paused
from ..store.queries import Queries
from .contact_detail import build_detail
from .directory import local_directory
from .guard import GuardedStore
from .progress import Progress, step
from .rating_upkeep import RatingUpkeep
from .snapshots import (
    Changes,
    ChildSummary,
    ContactDetail,
    HandoverNote,
    MatchSuggestion,
    QueueItem,
)
from .triage import TriageService

QUEUE_CHUNK = 2000
SHOWN_IN_PANE = "shown in the detail pane"  # record.viewed reason for a display


@dataclass(frozen=True, slots=True)
class QueueDelta:
    """What changed in the store since the window last looked."""

    seq: int
    changed: tuple[QueueItem, ...]
    removed: frozenset[str]
    handovers: bool

    @property
    def empty(self) -> bool:
        return not self.changed and not self.removed and not self.handovers


class DeskService:
    def __init__(
        self,
        store: EventStore,
        actor: Actor,
        clock: Clock,
        triage: TriageService | None = None,
        directory: Callable[[], PeopleDirectory] | None = None,
    ) -> None:
        # The one read and write path: whatever store the caller hands in, every write is
        # checked against ``actor`` and every read redacted for them (no caller can get
        # the unguarded store by mistake; wrapping a GuardedStore again changes nothing).
        self.store = GuardedStore(store, actor, clock)
        self.actor = actor
        self.clock = clock
        self.queries = Queries(store.engine)
        self.desk_queries = DeskQueries(store.engine)
        # The one way to rate: the triage service (its intake rule in the contact's own
        # transaction, then its policy with the child's history).
        self.triage = triage if triage is not None else TriageService(self.store, actor, clock)
        # Every read of the queue first rates whatever arrived unrated or changed a
        # child's history (imports, the watched folder, pulls from the server).
        self.upkeep = RatingUpkeep(self.triage)
        # Who exists: local accounts (standalone) or the server's directory (shared mode).
        self._directory = directory or (lambda: local_directory(store))

    def keep_ratings_current(self, *, recheck: bool = False) -> int:
        """Rate what arrived since the last look (see ``services.rating_upkeep``)."""
        return self.upkeep.catch_up(recheck=recheck)

    def event(self, event_type: str, payload: Mapping[str, Any]) -> Event:
        """A validated event by the signed-in actor at the clock's time."""
        return recorded_by(
            event_type,
            payload,
            by=self.actor,
            at=self.clock.now(),
        )

    def _require(self, action: Action) -> None:
        """The one permission table (``domain.permissions``) decides; the guarded store and
        the shared server check again."""
        require(self.actor, action)

    def _write(self, *events: Event, contact_id: str | None = None) -> Changes:
        self.store.append(list(events))
        return Changes(contacts=frozenset({contact_id} if contact_id else ()), queue=True)

    # ---- the queue ---------------------------------------------------------------------

    def queue(self, progress: Progress | None = None) -> list[QueueItem]:
        """Open contacts in triage order, read in chunks so that a long load reports
        progress and can be cancelled."""
        self.keep_ratings_current()
        # Thousands of rows and items, no reference cycles: the cyclic collector's scans
        # of them were a third of the window's first queue load at 1M events.
        with collector_paused():
            ids = self.desk_queries.open_contact_ids()
            today = self.clock.now().date()
            returned = self.desk_queries.with_returned_proposal()
            items: list[QueueItem] = []
            name_of = self._assignee_names()
            step(progress, 0, len(ids))
            for start in range(0, len(ids), QUEUE_CHUNK):
                chunk = ids[start : start + QUEUE_CHUNK]
                contacts, children, _ = self.desk_queries.open_queue_rows_in(chunk)
                items.extend(
                    _queue_item(c, children.get(c.contact_id, []), today, returned, name_of)
                    for c in contacts
                )
                step(progress, min(start + QUEUE_CHUNK, len(ids)), len(ids))
            items.sort(key=order_key)
            return self._redacted(items)

    def _assignee_names(self) -> Callable[[str], str | None]:
        """Who has a contact, by name from the people directory (the login when the
        directory does not list them); the directory is read once, when first needed."""
        people: PeopleDirectory | None = None

        def name_of(login: str) -> str | None:
            nonlocal people
            if people is None:
                people = self.people()
            return people.name_of(login)

        return name_of

    def _redacted(self, items: list[QueueItem]) -> list[QueueItem]:
        """Restricted children stay in the queue (the contact must be seen to exist) with
        their names and concern hidden from anyone not named on the record."""
        return self.store.redact_queue(items)

    def last_seq(self) -> int:
        return self.desk_queries.last_seq()

    def changes_since(self, seq: int) -> QueueDelta:
        """The queue rows to refresh after ``seq`` (cheap when nothing arrived). The live
        poll also re-rates open contacts a lower scoring revision rated (after the first
        frame: ``RatingUpkeep.catch_up``)."""
        self.keep_ratings_current(recheck=True)
        if self.desk_queries.last_seq() == seq:
            return QueueDelta(seq, (), frozenset(), False)
        newest, contact_ids, types = self.desk_queries.changed_since(seq)
        contacts, children, gone = self.desk_queries.open_queue_rows_in(contact_ids)
        today = self.clock.now().date()
        returned = self.desk_queries.with_returned_proposal() if contacts else set()
        name_of = self._assignee_names()
        return QueueDelta(
            newest,
            tuple(
                self._redacted(
                    [
                        _queue_item(c, children.get(c.contact_id, []), today, returned, name_of)
                        for c in contacts
                    ]
                )
            ),
            frozenset(gone),
            any(t.startswith("handover.") for t in types),
        )

    # ---- the record --------------------------------------------------------------------

    def contact_detail(self, contact_id: str) -> ContactDetail | None:
        """The whole record of a contact; ``RestrictedRecord`` if it is about a child
        whose record this person is not named on (break the glass to read it)."""
        self.store.require_contact(contact_id)
        return self._named(build_detail(self.store, self.queries, contact_id, self.clock.now()))

    def _named(self, detail: ContactDetail | None) -> ContactDetail | None:
        """The detail with the directory's display names, so people are shown by name."""
        if detail is None:
            return None
        people = self.people()
        return replace(detail, names={e.login: e.display_name for e in people.entries})

    def restricted_people(self, contact_id: str) -> list[str]:
        """The restricted children on a contact this person may not read (for break-glass)."""
        hidden = self.store.hidden_people(
            [k.person_id for k in self.queries.children_of(contact_id) if k.person_id]
        )
        return sorted(hidden)

    def break_glass(self, person_id: str, reason: str) -> Changes:
        """Open a restricted record without being named on it: a real reason is required,
        and the access is recorded and reported to auditors."""
        from .audit import AuditService  # the audit and export stack, when first needed

        AuditService(self.store).break_glass(person_id, reason)
        return Changes(people=frozenset({person_id}), queue=True)

    def open_contact(self, contact_id: str) -> ContactDetail | None:
        """Open the record deliberately: the view is recorded (``record.viewed``)."""
        return self.show_contact(contact_id, reason=None)

    def show_contact(
        self, contact_id: str, *, reason: str | None = SHOWN_IN_PANE
    ) -> ContactDetail | None:
        """The record as it is about to be shown (the detail pane): the showing is recorded
        first (``record.viewed``), so no record reaches the screen unlogged. A restricted
        record this person is not named on raises ``RestrictedRecord`` and nothing is
        recorded (nothing is shown); a role that may not read records (an administrator)
        is refused before anything is read. The window debounces: a person moving through
        the queue records each contact they stop on, not each row they pass."""
        require(self.actor, Action.VIEW_RECORD)
        self.store.require_contact(contact_id)
        detail = build_detail(self.store, self.queries, contact_id, self.clock.now())
        if detail is None:
            return None  # no such contact on this desk: nothing shown, nothing recorded
        payload: dict[str, Any] = {"contact_id": contact_id}
        if reason:
            payload["reason"] = reason
        self._write(self.event("record.viewed", payload))  # before anyone sees it
        return self._named(detail)

    # ---- recording a contact -----------------------------------------------------------

    def record_contact(self, payload: Mapping[str, Any]) -> tuple[str, Changes]:
        """Record a new contact; returns its id. Invalid input raises ValidationError.

        Triage rates it twice, as two events: its intake rule in the same transaction, so
        immediate danger is Red the moment the contact appears in anyone's queue; then its
        policy, with the child's history."""
        self._require(Action.RECORD_CONTACT)
        body = dict(payload)
        body.setdefault("contact_id", new_id())
        body.setdefault("received_at", self.clock.now().isoformat())
        received = self.event("contact.received", body)
        events = [received]
        rated = self.triage.on_arrival(received.payload, self.clock.now())
        if rated is not None:
            events.append(self.event("contact.rated", rated))
        self.store.append(events)
        cid = received.payload["contact_id"]
        self.triage.rate(cid)
        return cid, Changes(contacts=frozenset({cid}), queue=True)

    def suggest_matches(
        self,
        *,
        nhs_number: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        date_of_birth: str | None = None,
    ) -> list[MatchSuggestion]:
        """Known people who may be the child being typed: exact NHS number, or name with
        date of birth. The entry form asks the scored matcher first (match_provider) and
        falls back to this while only names are typed. Restricted people are left out."""
        typed = normalise_nhs_number(nhs_number or "")
        nhs = typed if is_valid_nhs_number(typed) else None
        given = (given_name or "").strip() or None
        family = (family_name or "").strip() or None
        people = self.desk_queries.people_matching(
            nhs_number=nhs, given_name=given, family_name=family, date_of_birth=date_of_birth
        )
        if people:
            hidden = self.store.hidden_people([p.person_id for p in people])
            people = [p for p in people if p.person_id not in hidden]
        today = self.clock.now().date()
        out = []
        for p in people:
            evidence = []
            if nhs and p.nhs_number == nhs:
                evidence.append("same NHS number")
            if date_of_birth and p.date_of_birth == date_of_birth:
                evidence.append("same date of birth")
            if family and (p.family_name or "").casefold() == family.casefold():
                evidence.append("same family name")
            if given and (p.given_name or "").casefold() == given.casefold():
                evidence.append("same given name")
            by_nhs = "same NHS number" in evidence
            strength = min(100, (60 if by_nhs else 0) + 15 * (len(evidence) - by_nhs))
            age = age_text(p.date_of_birth, p.expected_date_of_birth, today)
            out.append(
                MatchSuggestion(
                    p.person_id,
                    f"{p.display_name} ({age})",
                    p.date_of_birth,
                    p.nhs_number,
                    p.postcode,
                    tuple(evidence),
                    strength,
                )
            )
        out.sort(key=lambda s: (-s.strength, s.name))
        return out

    # ---- actions on a contact ----------------------------------------------------------

    def take(self, contact_id: str) -> Changes:
        """The signed-in person takes the contact. Anyone who may assign records an
        assignment to themselves; practitioners take it (``contact.taken``, docs/window.md)."""
        if allows(self.actor.role, Action.ASSIGN):
            return self._write(
                self.event(
                    "contact.assigned", {"contact_id": contact_id, "assignee": self.actor.login}
                ),
                contact_id=contact_id,
            )
        self._require(Action.TAKE_CONTACT)
        return self._write(
            self.event("contact.taken", {"contact_id": contact_id}), contact_id=contact_id
        )

    def people(self) -> PeopleDirectory:
        """The people directory: display names and roles of everyone who signs in."""
        return self._directory()

    def assign(self, contact_id: str, assignee: str) -> Changes:
        """Assign to a person in the directory whose role works on contacts; anyone else
        (a mistyped login, an auditor) is refused in words, nothing written."""
        self._require(Action.ASSIGN)
        entry = self.people().require_assignable(assignee)
        return self._write(
            self.event("contact.assigned", {"contact_id": contact_id, "assignee": entry.login}),
            contact_id=contact_id,
        )

    # ---- consent ------------------------------------------------------------------------

    def record_consent(
        self, contact_id: str, status: str, *, given_by: str | None = None, basis: str | None = None
    ) -> Changes:
        """Consent gathered at any point after intake: given or refused (by whom: a
        parent, the young person), not sought or not required (why). Recorded as
        ``consent.recorded``; the contact's consent becomes ``status``."""
        self._require(Action.RECORD_CONSENT)
        self._contact(contact_id)
        who = (given_by or "").strip() or None
        why = (basis or "").strip() or None
        if status in (ConsentStatus.GIVEN.value, ConsentStatus.REFUSED.value) and not who:
            raise ValidationError(
                "say who gave or refused consent (e.g. mother, the young person)", "given_by"
            )
        if status in (ConsentStatus.NOT_SOUGHT.value, ConsentStatus.NOT_REQUIRED.value) and not why:
            raise ValidationError("say why consent was not sought or is not needed", "basis")
        payload: dict[str, Any] = {"contact_id": contact_id, "status": status}
        if who:
            payload["given_by"] = who
        if why:
            payload["basis"] = why
        return self._write(self.event("consent.recorded", payload), contact_id=contact_id)

    def share_without_consent(self, contact_id: str, basis: str) -> Changes:
        """Information shared without consent, on a duty manager's authority, with the
        basis in words (e.g. consent would place the child at increased risk of
        significant harm). The manager is recorded as the approver. Refused for any
        other role: a practitioner asks their manager."""
        self._require(Action.CONSENT_OVERRIDE)
        self._contact(contact_id)
        text = (basis or "").strip()
        if len(text) < MIN_REASON_CHARS:
            raise ValidationError(
                f"give the basis for sharing without consent in at least "
                f"{MIN_REASON_CHARS} characters",
                "basis",
            )
        return self._write(
            self.event(
                "consent.overridden",
                {"contact_id": contact_id, "basis": text, "approver": self.actor.login},
            ),
            contact_id=contact_id,
        )

    def override_rating(self, contact_id: str, to_rating: str, reason: str) -> Changes:
        """Change the rating with a reason. Lowering a Red needs a duty manager or senior
        practitioner, who is recorded as the approver."""
        self._require(Action.OVERRIDE_RATING)
        contact = self._contact(contact_id)
        current = contact.rating
        if current is None:
            raise ValidationError(
                "the contact has not been rated yet; wait for triage", "from_rating"
            )
        target = Rating(to_rating)
        if target.value == current:
            raise ValidationError(f"the contact is already {current}", "to_rating")
        lowering_red = current == Rating.RED.value and target.rank > Rating.RED.rank
        if lowering_red and not allows(self.actor.role, Action.LOWER_RED):
            raise PermissionDenied(
                "only a duty manager or senior practitioner may lower a Red rating"
            )
        payload: dict[str, Any] = {
            "contact_id": contact_id,
            "from_rating": current,
            "to_rating": target.value,
            "reason": reason,
        }
        if lowering_red:
            payload["approver"] = self.actor.login
        return self._write(self.event("contact.rating_overridden", payload), contact_id=contact_id)

    def request_partner_check(
        self, contact_id: str, agency: str, question: str, due_at: datetime | None = None
    ) -> Changes:
        """Ask a partner agency; the answer is due at ``due_at``, else by the contact's
        response time from its rating (MASH research is done within the rating's
        timescale, e.g. Merton: red 2 hours, amber 6, green 24; domain.md §2.1), else
        within one working day. The follow-through view shows it overdue after that."""
        self._require(Action.PARTNER_CHECK)
        row = self._contact(contact_id)
        now = self.clock.now()
        if due_at is None:
            rated = datetime.fromisoformat(row.due_at) if row.due_at else None
            due_at = (
                rated
                if rated is not None and rated > now
                else (self.triage.policy.office.add_working_days(now, 1))
            )
        if due_at <= now:
            raise ValidationError("the answer cannot be due before it is asked for", "due_at")
        return self._write(
            self.event(
                "partner_check.requested",
                {
                    "check_id": new_id(),
                    "contact_id": contact_id,
                    "agency": agency,
                    "question": question,
                    "requested_at": now.isoformat(),
                    "due_at": due_at.isoformat(),
                },
            ),
            contact_id=contact_id,
        )

    def answer_partner_check(
        self,
        contact_id: str,
        check_id: str,
        answer: str,
        answered_by: str | None = None,
        *,
        no_trace: bool = False,
    ) -> Changes:
        """Record the agency's answer; ``no_trace``: the agency holds nothing on them."""
        self._require(Action.PARTNER_CHECK)
        payload: dict[str, Any] = {
            "check_id": check_id,
            "contact_id": contact_id,
            "answer": answer,
            "answered_at": self.clock.now().isoformat(),
        }
        if answered_by:
            payload["answered_by"] = answered_by
        if no_trace:
            payload["no_trace"] = True
        return self._write(self.event("partner_check.answered", payload), contact_id=contact_id)

    def add_note(self, contact_id: str, text: str) -> Changes:
        self._require(Action.ADD_NOTE)
        return self._write(
            self.event("note.added", {"contact_id": contact_id, "text": text}),
            contact_id=contact_id,
        )

    def decide(
        self,
        contact_id: str,
        outcome: str,
        threshold_level: int,
        rationale: Mapping[str, Any],
        primary_need: str | None = None,
    ) -> tuple[str, Changes]:
        """A manager's decision is recorded; a practitioner's is proposed for sign-off.

        Once a contact has a decision that stands (recorded, signed off, or proposed and
        waiting), a second one is refused: changing it is an amendment with a reason
        (``amend_decision``). A proposal returned to its author does not stand, so its
        author proposes again."""
        self._require(Action.PROPOSE_DECISION)
        self._contact(contact_id)
        standing = self._standing_decision(contact_id)
        if standing is not None:
            how = {
                "proposed": "proposed and waits for sign-off",
                "recorded": "recorded",
                "signed_off": "signed off",
            }.get(standing.status, standing.status)
            raise ValidationError(
                f"this contact already has a decision ({how} by {standing.decided_by}); "
                "change it by amending it with a reason, not by deciding again",
                "decision_id",
            )
        kind = (
            "decision.recorded"
            if allows(self.actor.role, Action.RECORD_DECISION)
            else "decision.proposed"
        )
        payload: dict[str, Any] = {
            "decision_id": new_id(),
            "contact_id": contact_id,
            "outcome": outcome,
            "threshold_level": threshold_level,
            "rationale": dict(rationale),
        }
        if primary_need:
            payload["primary_need"] = primary_need
        event = self.event(kind, payload)
        return payload["decision_id"], self._write(event, contact_id=contact_id)

    def sign_off(self, contact_id: str, decision_id: str, comment: str | None = None) -> Changes:
        self._require(Action.SIGN_OFF)
        decision = self._decision(contact_id, decision_id)
        if decision.status != DecisionStatus.PROPOSED.value:
            raise ValidationError("only a proposed decision waits for sign-off", "decision_id")
        if decision.decided_by == self.actor.login:
            raise PermissionDenied("a decision cannot be signed off by the person who proposed it")
        payload: dict[str, Any] = {"decision_id": decision_id, "contact_id": contact_id}
        if comment:
            payload["comment"] = comment
        return self._write(self.event("decision.signed_off", payload), contact_id=contact_id)

    def return_proposal(self, contact_id: str, decision_id: str, reason: str) -> Changes:
        """Send a practitioner's proposal back to them with a reason (instead of signing it
        off). It stays on record as returned; its author proposes again."""
        self._require(Action.SIGN_OFF)
        decision = self._decision(contact_id, decision_id)
        if decision.status != DecisionStatus.PROPOSED.value:
            raise ValidationError(
                "only a proposed decision can be returned to its author", "decision_id"
            )
        if decision.decided_by == self.actor.login:
            raise PermissionDenied("a proposal cannot be returned by the person who made it")
        return self._write(
            self.event(
                "decision.returned",
                {"decision_id": decision_id, "contact_id": contact_id, "reason": reason},
            ),
            contact_id=contact_id,
        )

    def amend_decision(
        self,
        contact_id: str,
        decision_id: str,
        reason: str,
        *,
        outcome: str | None = None,
        threshold_level: int | None = None,
        rationale: Mapping[str, Any] | None = None,
    ) -> Changes:
        """Amend with a reason; the original stays in the log and on screen."""
        self._require(Action.AMEND_DECISION)
        decision = self._decision(contact_id, decision_id)
        if decision.status == DecisionStatus.RETURNED.value:
            raise ValidationError(
                "a returned proposal is not amended; its author proposes again", "decision_id"
            )
        payload: dict[str, Any] = {
            "amendment_id": new_id(),
            "decision_id": decision_id,
            "contact_id": contact_id,
            "reason": reason,
        }
        if outcome is not None:
            payload["outcome"] = outcome
        if threshold_level is not None:
            payload["threshold_level"] = threshold_level
        if rationale is not None:
            payload["rationale"] = dict(rationale)
        return self._write(self.event("decision.amended", payload), contact_id=contact_id)

    # ---- out-of-hours handover ---------------------------------------------------------

    def handovers(self, since: date | None = None) -> list[HandoverNote]:
        """Handover notes (newest first), with who has acknowledged each."""
        events = self.desk_queries.events_of_types(("handover.noted", "handover.acknowledged"))
        acks: dict[str, list[str]] = {}
        names = {e.login: e.display_name for e in self.people().entries} if events else {}
        for e in events:
            if e.type == "handover.acknowledged":
                acks.setdefault(e.payload["handover_id"], []).append(e.actor)
        notes = [
            HandoverNote(
                e.payload["handover_id"],
                e.payload["shift"],
                e.payload["text"],
                e.actor,
                e.client_time,
                tuple(e.payload.get("contact_ids", ())),
                tuple(dict.fromkeys(acks.get(e.payload["handover_id"], ()))),
                names,
            )
            for e in events
            if e.type == "handover.noted"
            and (since is None or e.client_time[:10] >= since.isoformat())
        ]
        return sorted(notes, key=lambda n: n.noted_at, reverse=True)

    def note_handover(self, shift: str, text: str, contact_ids: tuple[str, ...] = ()) -> Changes:
        self._require(Action.HANDOVER)
        payload: dict[str, Any] = {"handover_id": new_id(), "shift": shift, "text": text}
        if contact_ids:
            payload["contact_ids"] = list(contact_ids)
        return self._write(self.event("handover.noted", payload))

    def acknowledge_handover(self, handover_id: str) -> Changes:
        return self._write(self.event("handover.acknowledged", {"handover_id": handover_id}))

    # ---- helpers -----------------------------------------------------------------------

    def _contact(self, contact_id: str) -> ContactRow:
        row = self.queries.contact(contact_id)
        if row is None or not row.received_at:
            raise ValidationError(f"no contact {contact_id} in this store", "contact_id")
        return row

    def _standing_decision(self, contact_id: str) -> Any:
        live = [d for d in self.queries.decisions_for(contact_id) if d.live]
        return live[-1] if live else None

    def _decision(self, contact_id: str, decision_id: str) -> Any:
        found = next(
            (d for d in self.queries.decisions_for(contact_id) if d.decision_id == decision_id),
            None,
        )
        if found is None:
            raise ValidationError(f"no decision {decision_id} on this contact", "decision_id")
        return found


def _queue_item(
    c: QueueRow,
    kids: list[ContactChildRow],
    today: Any,
    returned: set[str] | frozenset[str],
    name_of: Callable[[str], str | None],
) -> QueueItem:
    return QueueItem(
        contact_id=c.contact_id,
        rating=c.rating,
        score=c.score,
        due_at=c.due_at,
        decision_due_at=c.decision_due_at,
        received_at=c.received_at,
        status=c.status,
        assignee=c.assignee,
        source_code=c.source_code,
        concern=c.concern,
        categories_json=c.categories,
        children=tuple(
            ChildSummary(
                k.slot,
                k.person_id,
                k.display_name,
                reported_age_text(
                    k.date_of_birth,
                    k.expected_date_of_birth,
                    today,
                    k.age_years,
                    k.date_of_birth_estimated,
                ),
                k.date_of_birth,
            )
            for k in kids
        ),
        office=c.office,
        team=c.team,
        conflict=c.conflict,
        immediate_danger=c.immediate_danger,
        reasons_json=c.reasons,
        returned=c.status == ContactStatus.IN_PROGRESS.value and c.contact_id in returned,
        assignee_name=name_of(c.assignee) if c.assignee else None,
    )
