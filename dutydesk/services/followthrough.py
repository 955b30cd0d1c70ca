"""Use cases after the decision: routes per child, strategy discussions and s47, adults on a
contact (LADO, MARAC), hand-offs, and the follow-through views with what is overdue.

Every write is an event checked against the permission table (here and by the guarded
store and the shared server). Reads fold the relevant events with the pure rules in
``dutydesk.domain.routes``; nothing here edits history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from ..domain import routes as rules
from ..domain.clock import Clock
from ..domain.codes import (
    OUTCOME_LABELS,
    REFERRAL_SOURCES,
    VOID_STATUSES,
    ContactStatus,
    Outcome,
)
from ..domain.directory import PeopleDirectory
from ..domain.errors import ValidationError
from ..domain.events import Actor, Event, recorded_by
from ..domain.ids import new_id
from ..domain.permissions import Action, require
from ..domain.projection import ContactChildRow, ContactRow
from ..domain.referrals import decisions_made_at
from ..domain.route_codes import (
    STRATEGY_REQUIRED_AGENCIES,
    AckKind,
    AdultRole,
    RouteKind,
    RouteStep,
    StrategyDecision,
)
from ..domain.route_events import step_fits
from ..domain.timescales import OfficeHours
from ..domain.wording import human_datetime
from ..store.eventstore import EventStore
from ..store.followthrough_queries import ChildSlot, DecidedContact, FollowThroughQueries
from .directory import local_directory
from .guard import GuardedStore
from .redaction import RESTRICTED_TEXT
from .snapshots import Changes

_Child = TypeVar("_Child", ContactChildRow, ChildSlot)  # a full child row, or its slot only

ACK_LOOKBACK_DAYS = 14  # contacts whose acknowledgement / feedback the view follows
# Conflicting decisions leave a contact without a decision that stands; the decision is due
# within one working day (WT 2023 ch. 3), so the resolution is too, from when the conflict
# arose (docs/workflow.md, "Clocks chosen by the desk").
CONFLICT_WORKING_DAYS = 1
# A handover note (the out-of-hours team's, or one shift's to the next) is read within one
# working day of office time, as the decisions it may concern are due.
HANDOVER_WORKING_DAYS = 1
NEXT_STEP_LOOKBACK_DAYS = 30
# Decisions whose children are followed until each has a route: every one since the desk
# first recorded a route (from then on the desk follows children through, so none may drop
# off), and at least the last 100 days (longer than the 45-working-day assessment clock)
# for history from before that, such as imports.
DECIDED_LOOKBACK_DAYS = 100
AWAITING = "awaiting"  # RouteRow.kind of a child decided onto a route nobody has opened

# The main outcomes that put each child on a route (domain.md §2.2; WT 2023 ch. 3), and
# the route that follows them through.
OUTCOME_ROUTES: Mapping[str, RouteKind] = {
    Outcome.STRATEGY_S47.value: RouteKind.STRATEGY_S47,
    Outcome.IMMEDIATE_PROTECTION.value: RouteKind.EMERGENCY_PROTECTION,
    Outcome.CIN_ASSESSMENT.value: RouteKind.S17_ASSESSMENT,
    Outcome.EARLY_HELP.value: RouteKind.EARLY_HELP,
}

# ---- snapshots the views show ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockRow:
    label: str
    due: datetime | None
    met_at: datetime | None
    state: str  # due, overdue, met, met late, no timescale
    source: str


@dataclass(frozen=True, slots=True)
class RouteRow:
    route_id: str
    contact_id: str
    kind: str
    label: str
    child: str
    slot: int | None
    person_id: str | None
    detail: str
    state: str
    opened_at: datetime
    open: bool
    clocks: tuple[ClockRow, ...]
    overdue: bool
    next_due: datetime | None
    transfer_state: str | None = None
    discussions: int = 0


@dataclass(frozen=True, slots=True)
class AckRow:
    contact_id: str
    children: str
    referrer: str
    received_at: datetime
    ack_due: datetime
    ack_sent: str | None
    feedback_due: datetime | None
    feedback_sent: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class NextStepRow:
    contact_id: str
    decision_id: str
    index: int
    children: str
    action: str
    owner: str | None
    due: date | None
    done: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class ConflictRow:
    contact_id: str
    children: str
    decisions: tuple[tuple[str, str, str], ...]  # (decision id, outcome, by)
    since: str
    # the conflict arose when the second standing decision was recorded; a duty manager
    # resolves it within one working day of that (``CONFLICT_WORKING_DAYS``)
    arose_at: datetime | None = None
    due: datetime | None = None
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class CheckRow:
    check_id: str
    contact_id: str
    children: str
    agency: str
    requested_at: datetime
    due_at: datetime | None
    chased: int
    answer: str | None
    no_trace: bool
    overdue: bool


@dataclass(frozen=True, slots=True)
class NoticeRow:
    contact_id: str
    person_id: str
    child: str
    due: datetime
    notified: str | None
    overdue: bool
    # who holds the case, from the person record (``person.updated`` ``allocated_worker``,
    # set in the window or imported): the notice dialog starts with it
    worker: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class HandoverRow:
    handover_id: str
    shift: str
    noted_at: str
    noted_by: str
    text: str
    contacts: tuple[tuple[str, str], ...]  # (contact id, children)
    acknowledged_by: tuple[str, ...]
    # read within one working day of office time after it was noted (``handover_due``)
    due: datetime | None = None
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class FollowThroughView:
    """Everything the follow-through window shows, computed at ``now``."""

    now: datetime
    routes: tuple[RouteRow, ...] = ()
    acknowledgements: tuple[AckRow, ...] = ()
    # children decided onto a route (s47, protection, assessment, early help) that nobody
    # has opened yet (``RouteRow.kind == AWAITING``, no route id)
    awaiting: tuple[RouteRow, ...] = ()
    # decided children with no route whose decision is older than the look-back (before
    # ``awaiting_since``): not listed, but counted so the view says they exist
    awaiting_older: int = 0
    awaiting_since: datetime | None = None
    next_steps: tuple[NextStepRow, ...] = ()
    conflicts: tuple[ConflictRow, ...] = ()
    checks: tuple[CheckRow, ...] = ()
    notices: tuple[NoticeRow, ...] = ()
    # open-case children on contacts received before the notices look-back
    # (``notices_since``) whose allocated worker was never told: not listed, but counted
    # so an unsent notice never drops out of sight
    notices_older: int = 0
    notices_since: datetime | None = None
    handovers: tuple[HandoverRow, ...] = ()

    def overdue_counts(self) -> dict[str, int]:
        return {
            "routes": sum(r.overdue for r in self.routes),
            "awaiting": sum(r.overdue for r in self.awaiting),
            "acknowledgements": sum(r.overdue for r in self.acknowledgements),
            "next_steps": sum(r.overdue for r in self.next_steps),
            "conflicts": sum(r.overdue for r in self.conflicts),
            "checks": sum(r.overdue for r in self.checks),
            # older unsent notices are all overdue (due the same working day)
            "notices": sum(r.overdue for r in self.notices) + self.notices_older,
            "handovers": sum(h.overdue for h in self.handovers),
        }


@dataclass(frozen=True, slots=True)
class ContactRoutes:
    """One contact's routes, discussions and adults (the detail pane and case log)."""

    contact_id: str
    routes: tuple[RouteRow, ...] = ()
    discussions: tuple[rules.StrategyDiscussion, ...] = ()
    adults: tuple[rules.Adult, ...] = ()
    marac: rules.MaracCriteria | None = None
    missing_agencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _names(kids: Sequence[ContactChildRow]) -> str:
    return ", ".join(k.display_name for k in kids) or "(no child)"


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class FollowThroughService:
    def __init__(
        self,
        store: EventStore,
        actor: Actor,
        clock: Clock,
        office: OfficeHours,
        directory: Callable[[], PeopleDirectory] | None = None,
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock
        # the desk's triage policy's office calendar (no default: every clock the view
        # shows must agree with the queue, the case log and MI)
        self.office = office
        self.q = FollowThroughQueries(store.engine)
        # Who did what is shown by name from the people directory (the desk's: local
        # accounts, or the server's in shared mode), as the queue's "With" column is.
        self._directory = directory or (lambda: local_directory(store))
        self._name: Callable[[str], str] = str

    # ---- writing ---------------------------------------------------------------------

    def _event(self, event_type: str, payload: Mapping[str, Any]) -> Event:
        return recorded_by(
            event_type,
            payload,
            by=self.actor,
            at=self.clock.now(),
        )

    def _write(self, events: Sequence[Event], contact_id: str) -> Changes:
        self.store.append(list(events))
        return Changes(contacts=frozenset({contact_id}), queue=True)

    def _contact(self, contact_id: str) -> tuple[ContactRow, list[ContactChildRow]]:
        row = self.q.contacts([contact_id]).get(contact_id)
        if row is None or not row.received_at:
            raise ValidationError(f"no contact {contact_id} in this store", "contact_id")
        if row.status in VOID_STATUSES:
            raise ValidationError(
                f"contact {contact_id} is {row.status.replace('_', ' ')}; "
                "record on the contact that stands",
                "contact_id",
            )
        return row, self.q.children_of([contact_id]).get(contact_id, [])

    def _route(self, route_id: str) -> rules.Route:
        opened = self.q.events_of_types(("route.opened",))
        contact = next((e.contact_id for e in opened if e.payload["route_id"] == route_id), None)
        if contact is None:
            raise ValidationError(f"no route {route_id} in this store", "route_id")
        found = self._fold([contact]).routes.get(route_id)
        assert found is not None
        return found

    def open_route(
        self, contact_id: str, kind: str, *, slot: int | None = None, **details: Any
    ) -> tuple[str, Changes]:
        """Open a route for a child (or, for LADO and MARAC, about an adult) beside the
        contact's main outcome. ``details``: to, team, worker, family_consent, marac,
        adult_slot, opened_at, notes."""
        require(self.actor, Action.OPEN_ROUTE)
        _, kids = self._contact(contact_id)
        payload: dict[str, Any] = {
            "route_id": new_id(),
            "contact_id": contact_id,
            "kind": RouteKind(kind).value,
        }
        if slot is not None:
            child = next((k for k in kids if k.slot == slot), None)
            if child is None:
                raise ValidationError(f"the contact has no child in slot {slot}", "slot")
            payload["slot"] = slot
            if child.person_id:
                payload["person_id"] = child.person_id
        if "adult_slot" in details and details["adult_slot"] is not None:
            adults = self._fold([contact_id]).adults
            if (contact_id, details["adult_slot"]) not in adults:
                raise ValidationError(
                    f"no adult {details['adult_slot']} on this contact; add the adult first",
                    "adult_slot",
                )
        payload.update({k: v for k, v in details.items() if v not in (None, "")})
        event = self._event("route.opened", payload)
        return payload["route_id"], self._write([event], contact_id)

    def progress(
        self, route_id: str, step: str, *, at: datetime | None = None, reason: str | None = None
    ) -> Changes:
        require(self.actor, Action.OPEN_ROUTE)
        route = self._route(route_id)
        if not step_fits(route.kind, step):
            raise ValidationError(
                f"'{RouteStep(step).value}' is not a step of a {route.label} route", "step"
            )
        if not route.open:
            raise ValidationError("the route is closed or handed over", "route_id")
        if at is not None and at > self.clock.now():
            raise ValidationError("a step cannot be recorded as happening in the future", "at")
        when = (at or self.clock.now()).astimezone(self.office.zone)
        if step == RouteStep.ICPC_HELD and when.weekday() >= 5:
            raise ValidationError(
                "an initial child protection conference is not held at a "
                "weekend (DfE CIN census rule 8875): give the day it was "
                "held",
                "at",
            )
        payload: dict[str, Any] = {
            "route_id": route_id,
            "contact_id": route.contact_id,
            "step": step,
        }
        if at is not None:
            payload["at"] = at.isoformat()
        if route.person_id:
            payload["person_id"] = route.person_id
        if reason:
            payload["reason"] = reason
        return self._write([self._event("route.progressed", payload)], route.contact_id)

    def transfer(
        self, route_id: str, team: str, worker: str | None = None, notes: str | None = None
    ) -> Changes:
        """Hand the route to a named team (and worker); it stays on the follow-through view
        until the team accepts it."""
        require(self.actor, Action.TRANSFER)
        route = self._route(route_id)
        if not route.open:
            raise ValidationError("the route is closed or already handed over", "route_id")
        payload: dict[str, Any] = {
            "route_id": route_id,
            "contact_id": route.contact_id,
            "team": team,
        }
        for key, value in (("worker", worker), ("notes", notes), ("person_id", route.person_id)):
            if value:
                payload[key] = value
        return self._write([self._event("route.transferred", payload)], route.contact_id)

    def answer_transfer(
        self, route_id: str, *, accept: bool, worker: str | None = None, reason: str | None = None
    ) -> Changes:
        """The receiving team accepts (naming the worker) or returns it with a reason."""
        require(self.actor, Action.ACCEPT_TRANSFER)
        route = self._route(route_id)
        if route.transfer_state != "awaiting":
            raise ValidationError("nothing is waiting for acceptance on this route", "route_id")
        payload: dict[str, Any] = {"route_id": route_id, "contact_id": route.contact_id}
        for key, value in (("worker", worker), ("reason", reason), ("person_id", route.person_id)):
            if value:
                payload[key] = value
        kind = "route.transfer_accepted" if accept else "route.transfer_returned"
        return self._write([self._event(kind, payload)], route.contact_id)

    def close_route(self, route_id: str, reason: str) -> Changes:
        require(self.actor, Action.OPEN_ROUTE)
        route = self._route(route_id)
        if route.closed_at is not None:
            raise ValidationError("the route is already closed", "route_id")
        payload: dict[str, Any] = {
            "route_id": route_id,
            "contact_id": route.contact_id,
            "reason": reason,
        }
        if route.person_id:
            payload["person_id"] = route.person_id
        return self._write([self._event("route.closed", payload)], route.contact_id)

    def record_strategy_discussion(
        self,
        contact_id: str,
        *,
        slots: Sequence[int],
        held_at: datetime,
        attendees: Sequence[Mapping[str, str]],
        decision: str,
        s47_started_on: date | None = None,
        medical: str | None = None,
        medical_at: datetime | None = None,
        police_protection: Mapping[str, Any] | None = None,
        epo: Mapping[str, Any] | None = None,
        lead_social_worker: str | None = None,
        summary: str | None = None,
    ) -> tuple[str, Changes]:
        """Record a strategy discussion. The children it concerns get a strategy/s47 route
        (and an emergency protection route where police protection or an EPO is recorded)
        in the same transaction, if they have none open, so they stay on follow-through."""
        require(self.actor, Action.STRATEGY_DISCUSSION)
        _, kids = self._contact(contact_id)
        by_slot = {k.slot: k for k in kids}
        for s in slots:
            if s not in by_slot:
                raise ValidationError(f"the contact has no child in slot {s}", "slots")
        existing = self._fold([contact_id])
        events: list[Event] = []

        def ensure(kind: RouteKind, slot: int) -> str:
            for r in existing.routes_of(contact_id):
                if r.kind == kind and r.slot == slot and r.open:
                    return r.route_id
            payload: dict[str, Any] = {
                "route_id": new_id(),
                "contact_id": contact_id,
                "kind": kind.value,
                "slot": slot,
                "opened_at": held_at.isoformat(),
            }
            if by_slot[slot].person_id:
                payload["person_id"] = by_slot[slot].person_id
            events.append(self._event("route.opened", payload))
            return str(payload["route_id"])

        route_ids = [ensure(RouteKind.STRATEGY_S47, s) for s in slots]
        if police_protection or epo:
            for s in slots:
                ensure(RouteKind.EMERGENCY_PROTECTION, s)
        did = new_id()
        body: dict[str, Any] = {
            "discussion_id": did,
            "contact_id": contact_id,
            "slots": list(slots),
            "held_at": held_at.isoformat(),
            "attendees": [dict(a) for a in attendees],
            "decision": StrategyDecision(decision).value,
        }
        if len(route_ids) == 1:
            body["route_id"] = route_ids[0]
        optional = {
            "s47_started_on": s47_started_on.isoformat() if s47_started_on else None,
            "medical": medical,
            "medical_at": medical_at.isoformat() if medical_at else None,
            "police_protection": _stamped(police_protection),
            "epo": _stamped(epo),
            "lead_social_worker": lead_social_worker,
            "summary": summary,
        }
        body.update({k: v for k, v in optional.items() if v not in (None, "", {})})
        events.append(self._event("strategy.discussed", body))
        return did, self._write(events, contact_id)

    def record_adult(
        self,
        contact_id: str,
        role: str,
        *,
        given_name: str | None = None,
        family_name: str | None = None,
        date_of_birth: str | None = None,
        relationship: str | None = None,
        occupation: str | None = None,
        address: str | None = None,
    ) -> tuple[int, Changes]:
        """Add an adult to the contact (victim, alleged perpetrator, subject of a LADO
        allegation...). Returns the adult's slot on the contact."""
        require(self.actor, Action.LINK_PERSON)
        self._contact(contact_id)
        taken = [slot for (cid, slot) in self._fold([contact_id]).adults if cid == contact_id]
        slot = max(taken, default=-1) + 1
        payload = {
            "contact_id": contact_id,
            "adult_slot": slot,
            "role": AdultRole(role).value,
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": date_of_birth,
            "relationship": relationship,
            "occupation": occupation,
            "address": address,
        }
        event = self._event(
            "adult.recorded", {k: v for k, v in payload.items() if v not in (None, "")}
        )
        return slot, self._write([event], contact_id)

    def acknowledge(
        self,
        contact_id: str,
        kind: str,
        method: str,
        *,
        to: str | None = None,
        note: str | None = None,
        sent_at: datetime | None = None,
    ) -> Changes:
        """Record that receipt was acknowledged, or the decision fed back, to the referrer."""
        require(self.actor, Action.FOLLOW_UP)
        self._contact(contact_id)
        payload: dict[str, Any] = {
            "contact_id": contact_id,
            "kind": AckKind(kind).value,
            "method": method,
            "sent_at": (sent_at or self.clock.now()).isoformat(),
        }
        if to:
            payload["to"] = to
        if note:
            payload["note"] = note
        return self._write([self._event("referrer.acknowledged", payload)], contact_id)

    def complete_next_step(
        self, contact_id: str, decision_id: str, index: int, note: str | None = None
    ) -> Changes:
        require(self.actor, Action.FOLLOW_UP)
        decisions = self.q.decisions_of([contact_id]).get(contact_id, [])
        found = next((d for d in decisions if d.decision_id == decision_id), None)
        if found is None:
            raise ValidationError(f"no decision {decision_id} on this contact", "decision_id")
        steps = found.rationale.get("next_steps") or []
        if not 0 <= index < len(steps):
            raise ValidationError(f"the decision has no next step {index + 1}", "index")
        payload: dict[str, Any] = {
            "contact_id": contact_id,
            "decision_id": decision_id,
            "index": index,
        }
        if note:
            payload["note"] = note
        return self._write([self._event("next_step.completed", payload)], contact_id)

    def chase_partner_check(
        self,
        contact_id: str,
        check_id: str,
        note: str | None = None,
        due_at: datetime | None = None,
    ) -> Changes:
        require(self.actor, Action.PARTNER_CHECK)
        asked = self.q.events_of_types(("partner_check.requested",), [contact_id])
        if not any(e.payload["check_id"] == check_id for e in asked):
            raise ValidationError(f"no partner check {check_id} on this contact", "check_id")
        payload: dict[str, Any] = {"check_id": check_id, "contact_id": contact_id}
        if note:
            payload["note"] = note
        if due_at:
            payload["due_at"] = due_at.isoformat()
        return self._write([self._event("partner_check.chased", payload)], contact_id)

    def notify_allocated_worker(
        self, contact_id: str, person_id: str, worker: str, method: str
    ) -> Changes:
        require(self.actor, Action.FOLLOW_UP)
        _, kids = self._contact(contact_id)
        if person_id not in {k.person_id for k in kids}:
            raise ValidationError("that child is not linked to this contact", "person_id")
        payload = {
            "contact_id": contact_id,
            "person_id": person_id,
            "worker": worker,
            "method": method,
            "sent_at": self.clock.now().isoformat(),
        }
        return self._write([self._event("allocated_worker.notified", payload)], contact_id)

    def resolve_conflict(self, contact_id: str, chosen_decision_id: str, reason: str) -> Changes:
        """A duty manager chooses between conflicting decisions; the others are kept in the
        log, marked superseded (``conflict.resolved``)."""
        require(self.actor, Action.RESOLVE_CONFLICT)
        live = [
            d.decision_id
            for d in self.q.decisions_of([contact_id]).get(contact_id, [])
            if not d.superseded
        ]
        if len(live) < 2:
            raise ValidationError("this contact has no conflicting decisions", "contact_id")
        if chosen_decision_id not in live:
            raise ValidationError("choose one of the conflicting decisions", "chosen_decision_id")
        return self._write(
            [
                self._event(
                    "conflict.resolved",
                    {
                        "contact_id": contact_id,
                        "decision_ids": live,
                        "chosen_decision_id": chosen_decision_id,
                        "reason": reason,
                    },
                )
            ],
            contact_id,
        )

    # ---- reading ---------------------------------------------------------------------

    def children(self, contact_id: str) -> list[tuple[int, str, str | None]]:
        """(slot, name, person id) of each child on the contact, for the dialogs."""
        _, kids = self._contact(contact_id)
        return [(k.slot, k.display_name, k.person_id) for k in kids]

    def adults(self, contact_id: str) -> list[tuple[int, str]]:
        return [
            (a.adult_slot, f"{a.name} ({a.role_label})")
            for a in self._fold([contact_id]).adults_of(contact_id)
        ]

    def merge_candidates(self, contact_id: str, days: int = 7) -> list[tuple[str, str]]:
        """Other contacts that may be the same notification: sharing a linked child or the
        partner's reference, received within ``days`` of it. (id, description)."""
        row, kids = self._contact(contact_id)
        pids = {k.person_id for k in kids if k.person_id}
        at = datetime.fromisoformat(row.received_at)
        found: dict[str, ContactRow] = {}
        if pids:
            found.update(self._linked_contacts(pids))
        lo, hi = (at - timedelta(days=days)).isoformat(), (at + timedelta(days=days)).isoformat()
        if row.external_ref:
            found.update(
                {
                    c.contact_id: c
                    for c in self.q.contacts_received_since(lo)
                    if c.external_ref == row.external_ref
                }
            )
        out = []
        for c in sorted(found.values(), key=lambda c: c.received_at):
            if (
                c.contact_id == contact_id
                or c.status in VOID_STATUSES
                or not (lo <= c.received_at <= hi)
            ):
                continue
            out.append(
                (
                    c.contact_id,
                    f"{human_datetime(c.received_at)} · {c.source_code} · {c.concern[:60]}",
                )
            )
        return out

    def _fold(self, contact_ids: Iterable[str] | None = None) -> rules.FollowThrough:
        return self.q.fold(self.office, contact_ids)

    def _route_row(
        self,
        r: rules.Route,
        kids: Mapping[str, list[ContactChildRow]],
        now: datetime,
        follow: rules.FollowThrough | None = None,
    ) -> RouteRow:
        adult = (
            follow.adults.get((r.contact_id, r.adult_slot))
            if (follow is not None and r.adult_slot is not None)
            else None
        )
        child = next(
            (k.display_name for k in kids.get(r.contact_id, []) if k.slot == r.slot),
            "(whole contact)" if r.slot is None else f"child {r.slot + 1}",
        )
        if r.slot is None and adult is not None:
            child = f"Adult: {adult.name} ({adult.role_label.lower()})"
        details = [
            x
            for x in (
                f"to {r.to}" if r.to else None,
                f"team {r.team}" if r.team else None,
                f"worker {self._name(r.worker)}" if r.worker else None,
                f"family consent: {r.family_consent.replace('_', ' ')}"
                if r.family_consent
                else None,
                ("MARAC: already known" if r.marac == "already_known" else "MARAC: referred")
                if r.marac
                else None,
            )
            if x
        ]
        clocks = tuple(ClockRow(c.label, c.due, c.met_at, c.state(now), c.source) for c in r.clocks)
        pending = [c.due for c in r.clocks if c.met_at is None and c.due is not None]
        return RouteRow(
            r.route_id,
            r.contact_id,
            r.kind,
            r.label,
            child,
            r.slot,
            r.person_id,
            "; ".join(details),
            r.state_text(),
            r.opened_at,
            r.open,
            clocks,
            r.open and bool(r.overdue(now)),
            min(pending) if pending else None,
            r.transfer_state,
            len(r.discussions),
        )

    def _awaiting(
        self,
        decisions: Sequence[DecidedContact],
        routed: Set[tuple[str, int | None]],
        kids: Mapping[str, list[ContactChildRow]],
        now: datetime,
    ) -> list[RouteRow]:
        """Children decided onto a route (s47, protection, assessment, early help) for whom
        nobody has opened any route yet: the contact has left the queue, so they are shown
        here, with the clock their outcome carries, until a route is opened for them (any
        route: a sibling may go to early help while the main outcome is s47)."""
        rows: list[RouteRow] = []
        for d, k in self._unrouted(decisions, routed, kids):
            kind = OUTCOME_ROUTES[d.outcome]
            decided = datetime.fromisoformat(d.signed_off_at or d.decided_at)
            fact = rules.ContactFacts(
                d.contact_id,
                datetime.fromisoformat(d.received_at or ""),
                decided.astimezone(self.office.zone).date() if d.is_referral else None,
            )
            pseudo = rules.Route(
                route_id="",
                contact_id=d.contact_id,
                kind=kind.value,
                opened_at=decided,
                opened_by=d.decided_by,
                slot=k.slot,
                person_id=k.person_id,
            )
            clocks = rules.route_clocks(pseudo, fact, self.office, None)
            if kind in (RouteKind.STRATEGY_S47, RouteKind.EMERGENCY_PROTECTION) and not any(
                c.label.startswith("Strategy discussion") for c in clocks
            ):
                clocks.insert(
                    0,
                    rules.Due(
                        "Strategy discussion held (as soon as possible)",
                        None,
                        None,
                        "WT 2023 ch. 3",
                    ),
                )
            if kind == RouteKind.EARLY_HELP:
                clocks.append(
                    rules.Due(
                        "Early help request made (team, family consent)",
                        None,
                        None,
                        "WT 2023 ch. 1",
                    )
                )
            rows_clocks = tuple(
                ClockRow(x.label, x.due, x.met_at, x.state(now), x.source) for x in clocks
            )
            pending = [x.due for x in clocks if x.met_at is None and x.due is not None]
            rows.append(
                RouteRow(
                    "",
                    d.contact_id,
                    AWAITING,
                    OUTCOME_LABELS[Outcome(d.outcome)],
                    k.display_name,
                    k.slot,
                    k.person_id,
                    self._name(d.decided_by),
                    "Awaiting a route",
                    decided,
                    True,
                    rows_clocks,
                    any(x.overdue(now) for x in clocks),
                    min(pending) if pending else None,
                )
            )
        return rows

    def _unrouted(
        self,
        decisions: Sequence[DecidedContact],
        routed: Set[tuple[str, int | None]],
        kids: Mapping[str, Sequence[_Child]],
    ) -> Iterator[tuple[DecidedContact, _Child]]:
        """Each child of a standing decision (first per contact) with no route opened for
        them and nothing left done that ends the follow-through (a completed assessment),
        on a contact that is not void: the "awaiting a route" children. The listed rows
        pass full child rows, the count of older ones only (slot, person id)."""
        seen: set[str] = set()
        unrouted: list[tuple[DecidedContact, _Child]] = []
        for d in decisions:
            if d.contact_id in seen or not d.received_at or d.status in VOID_STATUSES:
                continue
            seen.add(d.contact_id)
            unrouted.extend(
                (d, k) for k in kids.get(d.contact_id, []) if (d.contact_id, k.slot) not in routed
            )
        # assessments are looked up only for children no route follows
        done = self.q.completed_assessments({d.contact_id for d, _ in unrouted})
        for d, k in unrouted:
            if (d.contact_id, k.person_id or "") not in done:
                yield d, k

    def contact_routes(self, contact_id: str) -> ContactRoutes:
        """One contact's routes (open and closed), discussions, adults and MARAC criteria."""
        if isinstance(self.store, GuardedStore):
            self.store.require_contact(contact_id)  # RestrictedRecord if not named on it
        now = self.clock.now()
        self._name = self._directory().name_of
        follow = self._fold([contact_id])
        kids = self.q.children_of([contact_id])
        rows = tuple(
            sorted(
                (self._route_row(r, kids, now, follow) for r in follow.routes_of(contact_id)),
                key=lambda r: (r.opened_at, r.route_id),
            )
        )
        discussions = tuple(d for d in follow.discussions if d.contact_id == contact_id)
        contact = self.q.contacts([contact_id]).get(contact_id)
        domestic_abuse = (
            contact is not None
            and contact.status not in VOID_STATUSES
            and (
                bool(contact.dash_level or contact.dara_level)
                or contact.previous_incidents is not None
            )
        )
        marac = self.marac_criteria(contact_id) if domestic_abuse else None
        return ContactRoutes(
            contact_id,
            rows,
            discussions,
            tuple(follow.adults_of(contact_id)),
            marac,
            {
                d.discussion_id: tuple(d.missing_agencies(STRATEGY_REQUIRED_AGENCIES))
                for d in discussions
            },
        )

    def marac_criteria(self, contact_id: str) -> rules.MaracCriteria:
        """The SafeLives criteria from this notification and the children's police history
        (earlier police notifications, earlier MARAC referrals) in the last 12 months."""
        contact, kids = self._contact(contact_id)
        pids = {k.person_id for k in kids if k.person_id}
        received = datetime.fromisoformat(contact.received_at)
        incident_on = received.astimezone(self.office.zone).date()
        earlier_police: list[date] = []
        earlier_marac: list[date] = []
        if pids:
            linked = self._linked_contacts(pids)
            for other in linked.values():
                if other.contact_id == contact_id or other.status in VOID_STATUSES:
                    continue
                day = datetime.fromisoformat(other.received_at).astimezone(self.office.zone).date()
                if other.source_code == "6" and (
                    other.dash_level or other.dara_level or other.previous_incidents is not None
                ):
                    earlier_police.append(day)
            follow = self._fold(linked)
            earlier_marac = rules.marac_referral_days(
                (
                    r
                    for r in follow.routes.values()
                    if linked[r.contact_id].status not in VOID_STATUSES
                ),
                self.office.zone,
                other_than=contact_id,
            )
        return rules.marac_criteria(
            incident_on=incident_on,
            dash_level=contact.dash_level,
            dara_level=contact.dara_level,
            previous_incidents=contact.previous_incidents,
            earlier_police_da=earlier_police,
            earlier_marac_referrals=earlier_marac,
        )

    def _linked_contacts(self, person_ids: set[str]) -> dict[str, ContactRow]:
        from ..store.queries import Queries  # one read per child; a family is small

        q = Queries(self.store.engine)
        out: dict[str, ContactRow] = {}
        for pid in person_ids:
            for c in q.contacts_of_person(pid):
                out[c.contact_id] = c
        return out

    def s47_records(self) -> list[rules.S47Record]:
        """Every s47 enquiry recorded through a strategy discussion: what Annex A List 5
        reads (one row per child per initiating discussion). The same rows come from
        ``FollowThroughQueries.s47_records`` for code that reads the store directly."""
        return self.q.s47_records(self.office)

    def view(self) -> FollowThroughView:
        """The follow-through views at the clock's time, overdue first in each."""
        now = self.clock.now()
        self._name = self._directory().name_of
        # Only contacts with a route still open are folded (closed and handed-over routes
        # leave the view): the index says which, from the lifecycle events alone.
        index = self.q.route_index()
        follow = self.q.fold_open(self.office, sorted(index.open_contacts))
        open_routes = follow.open_routes()
        since_ack = (now - timedelta(days=ACK_LOOKBACK_DAYS)).isoformat()
        recent = [
            c for c in self.q.contacts_received_since(since_ack) if c.status not in VOID_STATUSES
        ]
        conflicts = [c for c in self.q.conflicted_contacts() if c.status not in VOID_STATUSES]
        since_steps = (now - timedelta(days=NEXT_STEP_LOOKBACK_DAYS)).isoformat()
        step_contacts = set(self.q.contacts_decided_since(since_steps))
        # Acknowledgements and completed next steps are read for the contacts their tabs
        # list (each tab reads only its own contacts' events); the rest for the whole store
        # (an unanswered check, an unread note or an old unsent notice stays in sight).
        follow_events = [
            *self.q.events_of_types(
                (
                    "partner_check.requested",
                    "partner_check.answered",
                    "partner_check.chased",
                    "allocated_worker.notified",
                    "handover.noted",
                    "handover.acknowledged",
                )
            ),
            *self.q.events_of_types(("referrer.acknowledged",), [c.contact_id for c in recent]),
            *self.q.events_of_types(("next_step.completed",), sorted(step_contacts)),
        ]
        check_contacts = {
            e.contact_id
            for e in follow_events
            if e.type.startswith("partner_check") and e.contact_id
        }
        handover_contacts = {
            cid
            for e in follow_events
            if e.type == "handover.noted"
            for cid in e.payload.get("contact_ids", ())
        }
        since = now - timedelta(days=DECIDED_LOOKBACK_DAYS)
        first = self.q.first_route_at()
        if first is not None and datetime.fromisoformat(first) < since:
            since = datetime.fromisoformat(first)
        decided = self.q.standing_decisions_since(since.isoformat(), list(OUTCOME_ROUTES))
        # Full child rows are read only for the contacts with a child still awaiting a
        # route (most decided children have one): the rest by slot and person id.
        waiting = {
            d.contact_id
            for d, _ in self._unrouted(
                decided,
                index.routed,
                self.q.decided_child_slots(since.isoformat(), list(OUTCOME_ROUTES)),
            )
        }
        awaiting = [d for d in decided if d.contact_id in waiting]
        # Older decisions are not listed, but the view says how many children they leave
        # without a route, so none drops out of sight silently.
        listed = {d.contact_id for d in decided}
        older = [
            d
            for d in self.q.standing_decisions_before(since.isoformat(), list(OUTCOME_ROUTES))
            if d.contact_id not in listed
        ]
        older_count = sum(
            1
            for _ in self._unrouted(
                older, index.routed, self.q.child_slots({d.contact_id for d in older})
            )
        )
        others = (
            {r.contact_id for r in open_routes}
            | {c.contact_id for c in recent}
            | {c.contact_id for c in conflicts}
            | step_contacts
            | check_contacts
            | handover_contacts
        )
        all_ids = others | {d.contact_id for d in awaiting}
        kids = self.q.children_of(all_ids)
        # the next-steps and checks tabs need only each contact's status
        statuses = {c.contact_id: c.status for c in recent} | self.q.statuses(
            others - {c.contact_id for c in recent}
        )
        route_rows = sorted(
            (self._route_row(r, kids, now, follow) for r in open_routes), key=_overdue_first
        )
        view = FollowThroughView(
            now=now,
            routes=tuple(route_rows),
            awaiting=tuple(
                sorted(self._awaiting(awaiting, index.routed, kids, now), key=_overdue_first)
            ),
            awaiting_older=older_count,
            awaiting_since=since,
            acknowledgements=tuple(self._acks(recent, kids, follow_events, now)),
            next_steps=tuple(
                self._next_steps(step_contacts, statuses, kids, follow_events, since_steps, now)
            ),
            conflicts=tuple(self._conflicts(conflicts, kids, now)),
            checks=tuple(self._checks(statuses, kids, follow_events, now)),
            notices=tuple(self._notices(recent, kids, follow_events, now)),
            notices_older=self._older_notices(since_ack, follow_events),
            notices_since=datetime.fromisoformat(since_ack),
            handovers=tuple(self._handovers(kids, follow_events, now)),
        )
        return self._redacted(view, all_ids)

    def _redacted(self, view: FollowThroughView, contact_ids: set[str]) -> FollowThroughView:
        """Rows about a restricted child this person is not named on keep their timing
        (what is overdue stays visible, so no work is lost) and lose every word about the
        child, the route and the concern."""
        if not isinstance(self.store, GuardedStore) or not contact_ids:
            return view
        seen = self.store.visible_contacts(contact_ids)
        hidden = {cid for cid, ok in seen.items() if not ok}
        if not hidden:
            return view
        r = RESTRICTED_TEXT

        def clocks(row: RouteRow) -> tuple[ClockRow, ...]:
            return tuple(dataclasses.replace(c, label=r, source="") for c in row.clocks)

        return dataclasses.replace(
            view,
            routes=tuple(
                dataclasses.replace(
                    x, label=r, child=r, detail="", state=r, person_id=None, clocks=clocks(x)
                )
                if x.contact_id in hidden
                else x
                for x in view.routes
            ),
            awaiting=tuple(
                dataclasses.replace(
                    x, label=r, child=r, detail="", state=r, person_id=None, clocks=clocks(x)
                )
                if x.contact_id in hidden
                else x
                for x in view.awaiting
            ),
            acknowledgements=tuple(
                dataclasses.replace(x, children=r, referrer=r) if x.contact_id in hidden else x
                for x in view.acknowledgements
            ),
            next_steps=tuple(
                dataclasses.replace(x, children=r, action=r, owner=None)
                if x.contact_id in hidden
                else x
                for x in view.next_steps
            ),
            conflicts=tuple(
                dataclasses.replace(x, children=r, decisions=()) if x.contact_id in hidden else x
                for x in view.conflicts
            ),
            checks=tuple(
                dataclasses.replace(x, children=r, agency=r, answer=None if x.answer is None else r)
                if x.contact_id in hidden
                else x
                for x in view.checks
            ),
            notices=tuple(
                dataclasses.replace(x, child=r, worker=None, team=None)
                if x.contact_id in hidden
                else x
                for x in view.notices
            ),
            handovers=tuple(
                dataclasses.replace(
                    x,
                    contacts=tuple(
                        (cid, r if cid in hidden else names) for cid, names in x.contacts
                    ),
                )
                for x in view.handovers
            ),
        )

    def _acks(
        self,
        recent: Sequence[ContactRow],
        kids: Mapping[str, list[ContactChildRow]],
        events: Sequence[Event],
        now: datetime,
    ) -> list[AckRow]:
        sent: dict[tuple[str, str], str] = {}
        for e in events:
            if e.type == "referrer.acknowledged":
                p = e.payload
                when = _when(p.get("sent_at")) or datetime.fromisoformat(e.client_time)
                sent[(p["contact_id"], p["kind"])] = (
                    f"{p['method']} {human_datetime(when)} by {self._name(e.actor)}"
                )
        rows = []
        # feedback is due from when the decision was made (MI's rule: the first that
        # stands; a practitioner's proposal when it is signed off)
        made = decisions_made_at(
            d for ds in self.q.decisions_of(c.contact_id for c in recent).values() for d in ds
        )
        for c in recent:
            if c.source_code == "9":  # anonymous: nobody to acknowledge
                continue
            received = datetime.fromisoformat(c.received_at)
            ack_due = rules.referrer_told_due(received, self.office)
            decided = made.get(c.contact_id) if c.status == ContactStatus.DECIDED.value else None
            feedback_due = rules.referrer_told_due(decided, self.office) if decided else None
            ack = sent.get((c.contact_id, AckKind.ACKNOWLEDGEMENT.value))
            feedback = sent.get((c.contact_id, AckKind.FEEDBACK.value))
            if ack and feedback:
                continue  # both sent: nothing left to follow
            overdue = (ack is None and now > ack_due) or (
                feedback is None and feedback_due is not None and now > feedback_due
            )
            source = REFERRAL_SOURCES.get(c.source_code)
            referrer = c.reporter_name or c.reporter_agency or (source.label if source else "—")
            rows.append(
                AckRow(
                    c.contact_id,
                    _names(kids.get(c.contact_id, [])),
                    str(referrer),
                    received,
                    ack_due,
                    ack,
                    feedback_due,
                    feedback,
                    overdue,
                )
            )
        return sorted(rows, key=lambda r: (not r.overdue, r.ack_due))

    def _next_steps(
        self,
        ids: set[str],
        statuses: Mapping[str, str],
        kids: Mapping[str, list[ContactChildRow]],
        events: Sequence[Event],
        since: str,
        now: datetime,
    ) -> list[NextStepRow]:
        # A completion marks a step of the decision it names only under that decision's
        # own contact (docs/sync.md, "A decision belongs to one contact"): one naming the
        # decision under another contact (a crafted or faulty desk) changes nothing.
        done: dict[tuple[str, str, int], str] = {}
        for e in events:
            if e.type == "next_step.completed":
                stamp = datetime.fromisoformat(e.client_time).astimezone(self.office.zone)
                done[(e.payload["contact_id"], e.payload["decision_id"], e.payload["index"])] = (
                    f"{human_datetime(stamp)} by {self._name(e.actor)}"
                )
        rows = []
        today = now.astimezone(self.office.zone).date()
        for cid, decisions in self.q.decisions_of(ids).items():
            status = statuses.get(cid)
            if status is None or status in VOID_STATUSES:
                continue
            for d in decisions:
                if d.superseded or d.decided_at < since or d.status == "proposed":
                    continue
                for i, s in enumerate(d.rationale.get("next_steps") or []):
                    due = date.fromisoformat(s["due"]) if s.get("due") else None
                    finished = done.get((cid, d.decision_id, i))
                    if finished and due and due < today - timedelta(days=7):
                        continue  # done and long past: off the view
                    rows.append(
                        NextStepRow(
                            cid,
                            d.decision_id,
                            i,
                            _names(kids.get(cid, [])),
                            s["action"],
                            self._name(s["owner"]) if s.get("owner") else None,
                            due,
                            finished,
                            finished is None and due is not None and due < today,
                        )
                    )
        return sorted(rows, key=lambda r: (r.done is not None, not r.overdue, r.due or date.max))

    def _conflicts(
        self,
        conflicts: Sequence[ContactRow],
        kids: Mapping[str, list[ContactChildRow]],
        now: datetime,
    ) -> list[ConflictRow]:
        decisions = self.q.decisions_of(c.contact_id for c in conflicts)
        rows = []
        for c in conflicts:
            every = decisions.get(c.contact_id, [])
            live = [d for d in every if not d.superseded]
            arose = conflict_arose_at(d.decided_at for d in live)
            due = (
                self.office.add_working_days(arose, CONFLICT_WORKING_DAYS)
                if arose is not None
                else None
            )
            rows.append(
                ConflictRow(
                    c.contact_id,
                    _names(kids.get(c.contact_id, [])),
                    tuple((d.decision_id, d.outcome, self._name(d.decided_by)) for d in live),
                    min((d.decided_at for d in every), default=""),
                    arose,
                    due,
                    due is not None and now > due,
                )
            )
        return sorted(rows, key=lambda r: (not r.overdue, r.due or now))

    def _checks(
        self,
        statuses: Mapping[str, str],
        kids: Mapping[str, list[ContactChildRow]],
        events: Sequence[Event],
        now: datetime,
    ) -> list[CheckRow]:
        asked: dict[str, dict[str, Any]] = {}
        for e in events:
            p = e.payload
            if e.type == "partner_check.requested":
                asked[p["check_id"]] = {
                    "contact_id": p["contact_id"],
                    "agency": p["agency"],
                    "requested_at": _when(p.get("requested_at"))
                    or datetime.fromisoformat(e.client_time),
                    "due_at": _when(p.get("due_at")),
                    "chased": 0,
                    "answer": None,
                    "no_trace": False,
                }
            elif p.get("check_id") in asked:
                row = asked[p["check_id"]]
                if e.type == "partner_check.chased":
                    row["chased"] += 1
                    row["due_at"] = _when(p.get("due_at")) or row["due_at"]
                elif e.type == "partner_check.answered":
                    row["answer"] = p["answer"]
                    row["no_trace"] = bool(p.get("no_trace"))
        rows = []
        for check_id, a in asked.items():
            status = statuses.get(a["contact_id"])
            if status is None or status in VOID_STATUSES:
                continue
            if a["answer"] is not None and status == ContactStatus.DECIDED.value:
                continue  # answered and decided: nothing left to follow
            overdue = a["answer"] is None and a["due_at"] is not None and now > a["due_at"]
            rows.append(
                CheckRow(
                    check_id,
                    a["contact_id"],
                    _names(kids.get(a["contact_id"], [])),
                    a["agency"],
                    a["requested_at"],
                    a["due_at"],
                    a["chased"],
                    a["answer"],
                    a["no_trace"],
                    overdue,
                )
            )
        return sorted(
            rows, key=lambda r: (not r.overdue, r.answer is not None, r.due_at or r.requested_at)
        )

    def _notices(
        self,
        recent: Sequence[ContactRow],
        kids: Mapping[str, list[ContactChildRow]],
        events: Sequence[Event],
        now: datetime,
    ) -> list[NoticeRow]:
        """Same-day notice to an open case's allocated worker, for linked children whose
        record says an allocated worker holds the case."""
        told: dict[tuple[str, str], str] = {}
        for e in events:
            if e.type == "allocated_worker.notified":
                p = e.payload
                told[(p["contact_id"], p["person_id"])] = (
                    f"{self._name(p['worker'])} by {p['method']} ({self._name(e.actor)})"
                )
        pids = {k.person_id for c in recent for k in kids.get(c.contact_id, []) if k.person_id}
        people = self.q.people(pids)
        rows = []
        for c in recent:
            received = datetime.fromisoformat(c.received_at)
            start = self.office.clock_start(received)
            due = datetime.combine(start.date(), self.office.closes, tzinfo=self.office.zone)
            for k in kids.get(c.contact_id, []):
                person = people.get(k.person_id or "")
                if person is None or not person.open_case:
                    continue
                notified = told.get((c.contact_id, person.person_id))
                rows.append(
                    NoticeRow(
                        c.contact_id,
                        person.person_id,
                        k.display_name,
                        due,
                        notified,
                        notified is None and now > due,
                        person.allocated_worker,
                        person.allocated_team,
                    )
                )
        return sorted(rows, key=lambda r: (r.notified is not None, not r.overdue, r.due))

    def _older_notices(self, since_ack: str, events: Sequence[Event]) -> int:
        """How many open-case children on contacts received before the look-back never
        had their allocated worker told (all overdue: the notice is due the same working
        day). Not listed, only counted, so none drops off the tab silently."""
        told = {
            (e.payload["contact_id"], e.payload["person_id"])
            for e in events
            if e.type == "allocated_worker.notified"
        }
        return len(self.q.open_case_children_received_before(since_ack) - told)

    def _handovers(
        self, kids: Mapping[str, list[ContactChildRow]], events: Sequence[Event], now: datetime
    ) -> list[HandoverRow]:
        acks: dict[str, list[str]] = {}
        for e in events:
            if e.type == "handover.acknowledged":
                acks.setdefault(e.payload["handover_id"], []).append(self._name(e.actor))
        rows = []
        for e in events:
            if e.type != "handover.noted":
                continue
            read_by = tuple(dict.fromkeys(acks.get(e.payload["handover_id"], ())))
            due = handover_due(datetime.fromisoformat(e.client_time), self.office)
            rows.append(
                HandoverRow(
                    e.payload["handover_id"],
                    e.payload["shift"],
                    e.client_time,
                    self._name(e.actor),
                    e.payload["text"],
                    tuple(
                        (cid, _names(kids.get(cid, []))) for cid in e.payload.get("contact_ids", ())
                    ),
                    read_by,
                    due,
                    not read_by and now > due,
                )
            )
        return sorted(rows, key=lambda h: (bool(h.acknowledged_by), not h.overdue, h.noted_at))


def conflict_arose_at(decided_at: Iterable[str]) -> datetime | None:
    """When decisions on a contact started to conflict: when the second standing decision
    was recorded (None with fewer than two)."""
    times = sorted(datetime.fromisoformat(t) for t in decided_at)
    return times[1] if len(times) > 1 else None


def handover_due(noted_at: datetime, office: OfficeHours) -> datetime:
    """A handover note is read within one working day of office time after it was noted
    (``HANDOVER_WORKING_DAYS``): a note the out-of-hours team leaves at night is due by the
    close of the next working day; one left at 16:55 by the same time the next working day
    (docs/workflow.md, "Clocks chosen by the desk")."""
    return office.add_working_days(noted_at, HANDOVER_WORKING_DAYS)


def _stamped(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in value.items()
        if v not in (None, "")
    }


def _overdue_first(row: RouteRow) -> tuple[Any, ...]:
    return (
        not row.overdue,
        row.next_due is None,
        row.next_due or row.opened_at,
        row.opened_at,
        row.contact_id,
        row.route_id,
    )
