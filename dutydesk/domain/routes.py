"""Follow-through: each child's routes after the front-door decision, with their clocks.

Pure. ``fold_routes`` reads the route, strategy-discussion, adult and hand-off events of a
set of contacts (in log order) and returns what each child is on, what is due and what is
overdue. Clocks use the working-time rules of ``timescales`` (office hours, England bank
holidays); where no national timescale exists there is no clock, only a state.

Statutory clocks (sources in docs/workflow.md):

* s17 assessment: 45 working days from the point of referral (WT 2023 ch. 1/3).
* ICPC: within 15 working days of the strategy discussion at which the s47 enquiry was
  initiated (WT 2023 ch. 3).
* Police protection: at most 72 hours (Children Act 1989 s46(6)).
* Emergency protection order: at most 8 days (s45(1)).
* LADO: the designated officer told within one working day of the allegation (WT 2023
  ch. 2).
* Private fostering: visit within 7 working days of the notification (Children (Private
  Arrangements for Fostering) Regulations 2005, reg. 4).
* Acknowledgement to the referrer within one working day of receipt (WT 2023 ch. 3).
* An open case's allocated worker told the same working day (local practice).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple

from .events import Event
from .route_codes import (
    ADULT_ROLE_LABELS,
    ROUTE_LABELS,
    S47_DECISIONS,
    STEP_LABELS,
    AdultRole,
    RouteKind,
    RouteStep,
    StrategyDecision,
)
from .timescales import OfficeHours, assessment_due, nth_working_day

ICPC_WORKING_DAYS = 15
LADO_WORKING_DAYS = 1
PRIVATE_FOSTERING_WORKING_DAYS = 7
POLICE_PROTECTION_HOURS = 72
EPO_DAYS = 8
ACK_WORKING_DAYS = 1
MARAC_ESCALATION_INCIDENTS = 3  # SafeLives "potential escalation" (local threshold)
MARAC_REPEAT_MONTHS = 12

# Event types the fold reads (the store fetches exactly these).
FOLLOW_THROUGH_TYPES = (
    "route.opened",
    "route.progressed",
    "route.transferred",
    "route.transfer_accepted",
    "route.transfer_returned",
    "route.closed",
    "strategy.discussed",
    "adult.recorded",
    "assessment.completed",
)


class FoldEvent(NamedTuple):
    """The fields of an event ``fold_routes`` reads (an ``Event`` has them too): the store
    reads only these columns for the fold, not whole events."""

    type: str
    actor: str
    client_time: str
    payload: Mapping[str, Any]


RouteEvent = Event | FoldEvent


@dataclass(frozen=True, slots=True)
class Due:
    """One clock: what is due, by when, and when (if ever) it was met."""

    label: str
    due: datetime | None  # None: no national timescale ("as soon as possible")
    met_at: datetime | None = None
    source: str = ""

    def overdue(self, now: datetime) -> bool:
        return self.met_at is None and self.due is not None and now > self.due

    def met_late(self) -> bool:
        return self.met_at is not None and self.due is not None and self.met_at > self.due

    def state(self, now: datetime) -> str:
        if self.met_at is not None:
            return "met late" if self.met_late() else "met"
        if self.due is None:
            return "no timescale"
        return "overdue" if self.overdue(now) else "due"


@dataclass(frozen=True, slots=True)
class Step:
    step: str
    at: datetime
    by: str
    reason: str | None = None

    @property
    def label(self) -> str:
        return STEP_LABELS[RouteStep(self.step)]


@dataclass(frozen=True, slots=True)
class Attendee:
    agency: str
    name: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class StrategyDiscussion:
    """One strategy discussion as recorded (the s47 record that Annex A List 5 reads)."""

    discussion_id: str
    contact_id: str
    slots: tuple[int, ...]
    held_at: datetime
    attendees: tuple[Attendee, ...]
    decision: str
    recorded_by: str
    s47_started_on: date | None = None
    medical: str | None = None
    medical_at: datetime | None = None
    police_protection_from: datetime | None = None
    police_protection_to: datetime | None = None
    protection_where: str | None = None
    epo_applied_at: datetime | None = None
    epo_granted_at: datetime | None = None
    lead_social_worker: str | None = None
    summary: str | None = None
    route_id: str | None = None

    @property
    def s47(self) -> bool:
        return StrategyDecision(self.decision) in S47_DECISIONS

    def missing_agencies(self, required: Sequence[str]) -> list[str]:
        present = {a.agency.casefold() for a in self.attendees}
        return [r for r in required if r.casefold() not in present]


@dataclass(frozen=True, slots=True)
class Adult:
    contact_id: str
    adult_slot: int
    role: str
    name: str
    relationship: str | None = None
    occupation: str | None = None
    date_of_birth: str | None = None

    @property
    def role_label(self) -> str:
        return ADULT_ROLE_LABELS[AdultRole(self.role)]


@dataclass(slots=True)
class Route:
    route_id: str
    contact_id: str
    kind: str
    opened_at: datetime
    opened_by: str
    slot: int | None = None
    person_id: str | None = None
    adult_slot: int | None = None
    to: str | None = None
    team: str | None = None
    worker: str | None = None
    family_consent: str | None = None
    marac: str | None = None
    notes: str | None = None
    steps: list[Step] = field(default_factory=list)
    transfer_team: str | None = None
    transfer_worker: str | None = None
    transfer_state: str | None = None  # awaiting, accepted, returned
    transfer_reason: str | None = None
    transfer_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: str | None = None
    discussions: list[StrategyDiscussion] = field(default_factory=list)
    clocks: list[Due] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ROUTE_LABELS[RouteKind(self.kind)]

    @property
    def handed_over(self) -> bool:
        """Accepted by a named team, or (early help, another authority) accepted by the
        service it went to: the front door's part is done."""
        if self.transfer_state == "accepted":
            return True
        last = next(
            (
                s.step
                for s in reversed(self.steps)
                if s.step in (RouteStep.ACCEPTED, RouteStep.RETURNED)
            ),
            None,
        )
        return last == RouteStep.ACCEPTED

    @property
    def open(self) -> bool:
        """On the follow-through view until handed over (accepted) or closed."""
        return self.closed_at is None and not self.handed_over

    def step_at(self, step: RouteStep) -> datetime | None:
        found = [s.at for s in self.steps if s.step == step]
        return found[-1] if found else None

    def overdue(self, now: datetime) -> list[Due]:
        return [c for c in self.clocks if c.overdue(now)]

    def state_text(self) -> str:
        if self.closed_at is not None:
            return f"Closed: {self.closed_reason}"
        if self.transfer_state == "accepted":
            return f"Handed over to {self.transfer_team}" + (
                f" ({self.transfer_worker})" if self.transfer_worker else ""
            )
        if self.handed_over:
            return f"Accepted by {self.team or self.to or 'the receiving service'}"
        if self.transfer_state == "awaiting":
            return f"Awaiting acceptance by {self.transfer_team}"
        if self.transfer_state == "returned":
            return f"Returned by {self.transfer_team}: {self.transfer_reason}"
        if self.steps:
            return self.steps[-1].label
        return "Open"


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the fold needs about a contact besides its events."""

    contact_id: str
    received_at: datetime
    referral_on: date | None = None  # the day it became a referral (decision), if it did


@dataclass(slots=True)
class FollowThrough:
    routes: dict[str, Route] = field(default_factory=dict)
    discussions: list[StrategyDiscussion] = field(default_factory=list)
    adults: dict[tuple[str, int], Adult] = field(default_factory=dict)

    def routes_of(self, contact_id: str) -> list[Route]:
        return [r for r in self.routes.values() if r.contact_id == contact_id]

    def open_routes(self) -> list[Route]:
        return [r for r in self.routes.values() if r.open]

    def adults_of(self, contact_id: str) -> list[Adult]:
        return sorted(
            (a for (cid, _), a in self.adults.items() if cid == contact_id),
            key=lambda a: a.adult_slot,
        )


def _at(value: str | None, fallback: datetime) -> datetime:
    return datetime.fromisoformat(value) if value else fallback


def _discussion(e: RouteEvent) -> StrategyDiscussion:
    p = e.payload
    pp = p.get("police_protection") or {}
    epo = p.get("epo") or {}

    def opt(v: Any) -> datetime | None:
        return datetime.fromisoformat(v) if v else None

    return StrategyDiscussion(
        discussion_id=p["discussion_id"],
        contact_id=p["contact_id"],
        slots=tuple(p["slots"]),
        held_at=datetime.fromisoformat(p["held_at"]),
        attendees=tuple(
            Attendee(a["agency"], a.get("name"), a.get("role")) for a in p["attendees"]
        ),
        decision=p["decision"],
        recorded_by=e.actor,
        s47_started_on=date.fromisoformat(p["s47_started_on"]) if p.get("s47_started_on") else None,
        medical=p.get("medical"),
        medical_at=opt(p.get("medical_at")),
        police_protection_from=opt(pp.get("started_at")),
        police_protection_to=opt(pp.get("ended_at")),
        protection_where=pp.get("where"),
        epo_applied_at=opt(epo.get("applied_at")),
        epo_granted_at=opt(epo.get("granted_at")),
        lead_social_worker=p.get("lead_social_worker"),
        summary=p.get("summary"),
        route_id=p.get("route_id"),
    )


def apply_route_event(routes: dict[str, Route], e: RouteEvent, at: datetime) -> None:
    """Fold one route lifecycle event (``LIFECYCLE_TYPES``; others are ignored) into
    ``routes`` (route id -> route): the one definition of a route's state, used by
    ``fold_routes`` and by the store's ``routes`` projection (``domain.projection``), which
    keeps each route's row up to date at append time. ``at`` is the event's client time.

    A route belongs to the contact that opened it: an event naming another contact (or
    none) changes nothing, and a ``route.opened`` reusing another contact's route id is
    ignored, so a route's state depends only on its own contact's events (the scope the
    projection is rebuilt and refolded by). Opened again on its own contact, a route
    starts afresh."""
    p = e.payload
    kind = e.type
    if kind == "route.opened":
        held = routes.get(p["route_id"])
        if held is not None and held.contact_id != p["contact_id"]:
            return
        routes[p["route_id"]] = Route(
            route_id=p["route_id"],
            contact_id=p["contact_id"],
            kind=p["kind"],
            opened_at=_at(p.get("opened_at"), at),
            opened_by=e.actor,
            slot=p.get("slot"),
            person_id=p.get("person_id"),
            adult_slot=p.get("adult_slot"),
            to=p.get("to"),
            team=p.get("team"),
            worker=p.get("worker"),
            family_consent=p.get("family_consent"),
            marac=p.get("marac"),
            notes=p.get("notes"),
        )
        return
    route = routes.get(p.get("route_id", ""))
    if route is None or route.contact_id != p.get("contact_id"):
        return
    if kind == "route.progressed":
        route.steps.append(Step(p["step"], _at(p.get("at"), at), e.actor, p.get("reason")))
    elif kind == "route.transferred":
        route.transfer_team, route.transfer_worker = p["team"], p.get("worker")
        route.transfer_state, route.transfer_reason = "awaiting", None
        route.transfer_at = at
    elif kind == "route.transfer_accepted":
        route.transfer_state = "accepted"
        route.transfer_worker = p.get("worker") or route.transfer_worker
    elif kind == "route.transfer_returned":
        route.transfer_state, route.transfer_reason = "returned", p.get("reason")
    elif kind == "route.closed":
        route.closed_at, route.closed_reason = at, p["reason"]


def fold_routes(
    events: Iterable[RouteEvent],
    facts: Mapping[str, ContactFacts],
    office: OfficeHours,
    clocks_for: Container[str] | None = None,
    folded: Iterable[Route] = (),
) -> FollowThrough:
    """Every route, discussion and adult in ``events``, with clocks computed (only for the
    routes of the contacts in ``clocks_for``, when given: the others' are left empty, for
    a reader that uses no other route's clocks, as MI's load). ``folded``: routes already
    folded from their lifecycle events (``route_of`` the store's ``routes`` rows, in the
    order the fold first met them), which ``events`` then leaves out; the discussions,
    adults and assessments in ``events`` join them as they join routes folded here."""
    out = FollowThrough(routes={r.route_id: r for r in folded})
    completed: dict[tuple[str, str], datetime] = {}
    routes = out.routes
    for e in events:
        p = e.payload
        at = datetime.fromisoformat(e.client_time)
        if e.type == "strategy.discussed":
            out.discussions.append(_discussion(e))
        elif e.type == "adult.recorded":
            name = " ".join(x for x in (p.get("given_name"), p.get("family_name")) if x)
            out.adults[(p["contact_id"], p["adult_slot"])] = Adult(
                p["contact_id"],
                p["adult_slot"],
                p["role"],
                name,
                p.get("relationship"),
                p.get("occupation"),
                p.get("date_of_birth"),
            )
        elif e.type == "assessment.completed":
            completed[(p["contact_id"], p["person_id"])] = datetime.combine(
                date.fromisoformat(p["completed_on"]), time(12), tzinfo=at.tzinfo
            )
        else:
            apply_route_event(routes, e, at)
    # Each discussion joins its contact's routes (indexed by contact: a scan of every
    # route per discussion took 17 s on a store with 25,000 routes and 3,400 discussions).
    by_contact: dict[str, list[Route]] = {}
    for route in out.routes.values():
        by_contact.setdefault(route.contact_id, []).append(route)
    for d in out.discussions:
        for route in by_contact.get(d.contact_id, ()):
            if d.route_id == route.route_id or (
                route.slot in d.slots
                and route.kind in (RouteKind.STRATEGY_S47, RouteKind.EMERGENCY_PROTECTION)
            ):
                route.discussions.append(d)
    # Police protection and an EPO run on the child's emergency protection route, where
    # their end is recorded; an s47 route beside it does not show them a second time (it
    # would stay "overdue" after the protection ended, with no step to say so).
    protected = {
        (r.contact_id, r.slot)
        for r in out.routes.values()
        if r.kind == RouteKind.EMERGENCY_PROTECTION
    }
    for route in out.routes.values():
        route.discussions.sort(key=lambda d: d.held_at)
        if clocks_for is not None and route.contact_id not in clocks_for:
            continue
        route.clocks = route_clocks(
            route,
            facts.get(route.contact_id),
            office,
            completed.get((route.contact_id, route.person_id or "")),
            protection=route.kind != RouteKind.STRATEGY_S47
            or (route.contact_id, route.slot) not in protected,
        )
    return out


def referrer_told_due(start: datetime, office: OfficeHours) -> datetime:
    """When the referrer is to be told: receipt acknowledged within one working day of
    office time from receipt (WT 2023 ch. 2), the decision fed back within one working day
    of it (local practice). The follow-through view and MI both call this."""
    return office.add_working_days(start, ACK_WORKING_DAYS)


def _end_of(day: date, office: OfficeHours) -> datetime:
    return datetime.combine(day, office.closes, tzinfo=office.zone)


def route_clocks(
    route: Route,
    fact: ContactFacts | None,
    office: OfficeHours,
    assessment_done: datetime | None = None,
    *,
    protection: bool = True,
) -> list[Due]:
    """The clocks of one route (see the module notes for their sources); ``protection``
    False leaves out police protection and EPO clocks (another route of the child has
    them)."""
    kind = RouteKind(route.kind)
    received = fact.received_at if fact else route.opened_at
    clocks: list[Due] = []
    if kind == RouteKind.S17_ASSESSMENT:
        referral = (
            fact.referral_on
            if fact and fact.referral_on
            else route.opened_at.astimezone(office.zone).date()
        )
        clocks.append(
            Due(
                "Assessment completed (45 working days)",
                _end_of(assessment_due(office, referral), office),
                assessment_done,
                "WT 2023 ch. 3; CIN census assessment timeliness",
            )
        )
    elif kind == RouteKind.STRATEGY_S47:
        if not route.discussions:
            clocks.append(
                Due("Strategy discussion held (as soon as possible)", None, None, "WT 2023 ch. 3")
            )
        initiating = [d for d in route.discussions if d.s47]
        if initiating:
            held = initiating[-1].held_at.astimezone(office.zone).date()
            met = route.step_at(RouteStep.ICPC_HELD) or route.step_at(RouteStep.ICPC_NOT_REQUIRED)
            clocks.append(
                Due(
                    "Initial child protection conference (15 working days)",
                    _end_of(nth_working_day(office, held, ICPC_WORKING_DAYS), office),
                    met,
                    "WT 2023 ch. 3; CIN census InitialCPCtarget",
                )
            )
    elif kind == RouteKind.LADO:
        clocks.append(
            Due(
                "LADO told (1 working day)",
                office.add_working_days(received, LADO_WORKING_DAYS),
                route.step_at(RouteStep.REFERRED),
                "WT 2023 ch. 2",
            )
        )
    elif kind == RouteKind.PRIVATE_FOSTERING:
        day0 = received.astimezone(office.zone).date()
        clocks.append(
            Due(
                "Private fostering visit (7 working days)",
                _end_of(nth_working_day(office, day0, PRIVATE_FOSTERING_WORKING_DAYS), office),
                route.step_at(RouteStep.VISITED),
                "Children (Private Arrangements for Fostering) Regs 2005, reg. 4",
            )
        )
    if kind in (RouteKind.EMERGENCY_PROTECTION, RouteKind.STRATEGY_S47) and protection:
        clocks.extend(protection_clocks(route))
    return clocks


def protection_clocks(route: Route) -> list[Due]:
    """Police protection (72 hours) and EPO (8 days) from the route's discussions."""
    clocks: list[Due] = []
    ended_step = route.step_at(RouteStep.PROTECTION_ENDED)
    for d in route.discussions:
        if d.police_protection_from is not None:
            clocks.append(
                Due(
                    "Police protection ends (72 hours)",
                    d.police_protection_from + timedelta(hours=POLICE_PROTECTION_HOURS),
                    d.police_protection_to or ended_step,
                    "Children Act 1989 s46(6)",
                )
            )
        if d.epo_granted_at is not None:
            clocks.append(
                Due(
                    "Emergency protection order expires (8 days)",
                    d.epo_granted_at + timedelta(days=EPO_DAYS),
                    ended_step,
                    "Children Act 1989 s45(1)",
                )
            )
    granted = route.step_at(RouteStep.EPO_GRANTED)
    if granted is not None and not any(d.epo_granted_at for d in route.discussions):
        # granted after the discussion, recorded on the route
        clocks.append(
            Due(
                "Emergency protection order expires (8 days)",
                granted + timedelta(days=EPO_DAYS),
                ended_step,
                "Children Act 1989 s45(1)",
            )
        )
    if RouteKind(route.kind) == RouteKind.STRATEGY_S47:
        return [c for c in clocks if c.met_at is None]  # the s47 view shows live ones only
    return clocks


# ---- MARAC --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaracCriteria:
    """Which SafeLives referral criteria a domestic abuse contact meets (domain.md §5)."""

    high_risk: bool
    escalation: bool
    repeat: bool
    incidents_12_months: int
    previous_referral_on: date | None = None

    @property
    def met(self) -> bool:
        return self.high_risk or self.escalation or self.repeat

    def reasons(self) -> list[str]:
        out = []
        if self.high_risk:
            out.append("visible high risk (DASH/DARA high)")
        if self.escalation:
            out.append(
                f"potential escalation: {self.incidents_12_months} police-recorded "
                f"incidents in 12 months ({MARAC_ESCALATION_INCIDENTS} or more)"
            )
        if self.repeat and self.previous_referral_on:
            out.append(
                "repeat: a new incident within 12 months of the MARAC referral on "
                f"{self.previous_referral_on.isoformat()}"
            )
        return out


def marac_criteria(
    *,
    incident_on: date,
    dash_level: str | None,
    dara_level: str | None,
    previous_incidents: int | None,
    earlier_police_da: Iterable[date],
    earlier_marac_referrals: Iterable[date],
) -> MaracCriteria:
    """The criteria from the notification and the police history.

    ``previous_incidents`` is what the police notification says (incidents at the address
    in the last 12 months); ``earlier_police_da`` are earlier police notifications about the
    same children. The larger count is used: either source alone may be incomplete."""
    since = _months_before(incident_on, MARAC_REPEAT_MONTHS)
    earlier = sum(1 for d in earlier_police_da if since <= d < incident_on)
    incidents = max(previous_incidents or 0, earlier)
    referrals = sorted(d for d in earlier_marac_referrals if since <= d <= incident_on)
    return MaracCriteria(
        high_risk="high" in (dash_level, dara_level),
        escalation=incidents >= MARAC_ESCALATION_INCIDENTS,
        repeat=bool(referrals),
        incidents_12_months=incidents,
        previous_referral_on=referrals[-1] if referrals else None,
    )


def marac_referral_days(
    routes: Iterable[Route | RouteRecord], zone: tzinfo, *, other_than: str
) -> list[date]:
    """The days MARAC referrals were made ("referred", not "already known") on contacts
    other than ``other_than``: the earlier referrals ``marac_criteria`` reads for the
    repeat criterion. The window and MI both call this (one rule)."""
    return sorted(
        r.opened_at.astimezone(zone).date()
        for r in routes
        if r.kind == RouteKind.MARAC and r.marac == "referred" and r.contact_id != other_than
    )


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, 28)


# ---- which routes are open, without the fold ---------------------------------------------

# The events that decide whether a route is open (``Route.open``): what ``route_index``
# reads. A small subset of the fold's, and only ids and steps of their payloads.
LIFECYCLE_TYPES = (
    "route.opened",
    "route.progressed",
    "route.transferred",
    "route.transfer_accepted",
    "route.transfer_returned",
    "route.closed",
)


@dataclass(frozen=True, slots=True)
class RouteIndex:
    """Which contacts have a route still open (``Route.open``), and which children (contact
    id, slot; slot None for a route about an adult or the whole contact) have any route,
    open or closed: what the follow-through view needs before it folds anything, so it
    folds only the contacts with an open route."""

    open_contacts: frozenset[str]
    routed: frozenset[tuple[str, int | None]]


class RouteIndexer:
    """``route_index`` fed in pieces: events in log order, as they arrive (the store feeds
    only events newer than the last it fed, so a view after the first reads a few)."""

    def __init__(self) -> None:
        self._child: dict[str, tuple[str, int | None]] = {}
        self._closed: set[str] = set()
        self._transfer: dict[str, str] = {}
        self._answer: dict[str, str] = {}

    def feed(self, events: Iterable[tuple[str, Mapping[str, Any]]]) -> RouteIndexer:
        for kind, p in events:
            rid = p.get("route_id", "")
            held = self._child.get(rid)
            if kind == "route.opened":
                if held is not None and held[0] != p["contact_id"]:
                    continue  # as the fold: another contact's route id (apply_route_event)
                self._child[rid] = (p["contact_id"], p.get("slot"))
                self._closed.discard(rid)  # as the fold, a route opened again starts afresh
                self._transfer.pop(rid, None)
                self._answer.pop(rid, None)
            elif held is None or held[0] != p.get("contact_id"):
                continue
            elif kind == "route.closed":
                self._closed.add(rid)
            elif kind == "route.transferred":
                self._transfer[rid] = "awaiting"
            elif kind == "route.transfer_accepted":
                self._transfer[rid] = "accepted"
            elif kind == "route.transfer_returned":
                self._transfer[rid] = "returned"
            elif kind == "route.progressed" and p.get("step") in (
                RouteStep.ACCEPTED,
                RouteStep.RETURNED,
            ):
                self._answer[rid] = p["step"]
        return self

    def index(self) -> RouteIndex:
        return RouteIndex(
            frozenset(
                cid
                for rid, (cid, _slot) in self._child.items()
                if rid not in self._closed
                and self._transfer.get(rid) != "accepted"
                and self._answer.get(rid) != RouteStep.ACCEPTED
            ),
            frozenset(self._child.values()),
        )


def route_index(events: Iterable[tuple[str, Mapping[str, Any]]]) -> RouteIndex:
    """``Route.open`` for every route, from (type, payload) of ``LIFECYCLE_TYPES`` events in
    log order, by the fold's own rules: open until closed, or handed over (the last
    transfer answer "accepted", or the last accepted/returned step "accepted"); events of a
    route not opened (yet), or naming another contact than the one that opened it, are
    ignored, as the fold ignores them. Tested equal to the
    fold (``tests/unit/domain/test_routes.py``)."""
    return RouteIndexer().feed(events).index()


# ---- MI: one row per route ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """One route as MI counts it: its kind, the statutory clock the follow-through view
    shows for it (``route_clocks``, the one implementation; LADO and private fostering
    have one), the MARAC answer, the steps taken and the hand-off state."""

    route_id: str
    contact_id: str
    kind: str
    slot: int | None
    person_id: str | None
    opened_at: datetime
    clock: Due | None = None
    marac: str | None = None
    team: str | None = None  # the team it went to (early help)
    steps: tuple[tuple[str, datetime], ...] = ()
    closed_at: datetime | None = None
    transfer_state: str | None = None  # awaiting, accepted, returned
    transfer_team: str | None = None
    transfer_at: datetime | None = None

    def step_at(self, step: RouteStep) -> datetime | None:
        found = [at for s, at in self.steps if s == step]
        return found[-1] if found else None

    @property
    def answer(self) -> str | None:
        """The receiving service's last answer: "accepted", "returned" or None."""
        last = [s for s, _ in self.steps if s in (RouteStep.ACCEPTED, RouteStep.RETURNED)]
        return last[-1] if last else None


# The kinds whose clock MI reads (the LADO and private fostering timeliness figures): a
# ``RouteRecord`` of any other kind carries no clock, so MI's load computes no other (an
# s47 or protection clock needs the route's discussions, an s17 one its contact's decision).
MI_CLOCKED_KINDS = frozenset({RouteKind.LADO, RouteKind.PRIVATE_FOSTERING})


def route_records(follow: FollowThrough) -> list[RouteRecord]:
    """Every route folded in ``follow``, with its first clock if it has one and is of a
    kind whose clock MI reads (``MI_CLOCKED_KINDS``), oldest first."""
    return sorted(
        (
            _record(
                r,
                r.opened_at,
                tuple((s.step, s.at) for s in r.steps),
                (r.closed_at, r.transfer_at),
                r.clocks[0] if r.clocks and r.kind in MI_CLOCKED_KINDS else None,
            )
            for r in follow.routes.values()
        ),
        key=_oldest_first,
    )


def stored_route_records(
    rows: Iterable[RouteRow], facts: Mapping[str, ContactFacts], office: OfficeHours
) -> list[RouteRecord]:
    """``route_records`` of the routes the store's ``routes`` rows hold (as the fold of
    their events, with ``facts`` for the clocks), without making a ``Route`` of each: only
    a route of a kind whose clock MI reads is made one, for ``route_clocks``."""
    out = []
    for row in rows:
        clock = None
        if row.kind in MI_CLOCKED_KINDS:
            clocks = route_clocks(route_of(row), facts.get(row.contact_id), office)
            clock = clocks[0] if clocks else None
        steps = tuple((s["step"], datetime.fromisoformat(s["at"])) for s in row.steps)
        ends = (_dt(row.closed_at), _dt(row.transfer_at))
        out.append(_record(row, datetime.fromisoformat(row.opened_at), steps, ends, clock))
    return sorted(out, key=_oldest_first)


def _record(
    r: Route | RouteRow,
    opened_at: datetime,
    steps: tuple[tuple[str, datetime], ...],
    ends: tuple[datetime | None, datetime | None],  # closed, handed off
    clock: Due | None,
) -> RouteRecord:
    closed, handed = ends
    return RouteRecord(  # in field order
        r.route_id, r.contact_id, r.kind, r.slot, r.person_id, opened_at, clock, r.marac,
        r.team, steps, closed, r.transfer_state, r.transfer_team, handed,
    )  # fmt: skip


def _oldest_first(r: RouteRecord) -> tuple[datetime, str]:
    return (r.opened_at, r.route_id)


# ---- Annex A List 5 ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class S47Record:
    """One s47 enquiry for one child, as Annex A List 5 wants it (domain.md §4.5)."""

    contact_id: str
    slot: int
    person_id: str | None
    strategy_discussion_on: date
    s47_started_on: date
    icpc_due_on: date
    icpc_held_on: date | None
    icpc_not_required: bool
    cpp_started: bool
    allocated_team: str | None
    allocated_worker: str | None


def s47_records(
    follow: FollowThrough, office: OfficeHours, people: Mapping[tuple[str, int], str] | None = None
) -> list[S47Record]:
    """Every s47 enquiry (one row per child per initiating discussion), oldest first.
    ``people`` maps (contact id, slot) to the linked child where the route does not say."""
    linked = people or {}
    s47_routes: dict[tuple[str, int | None], Route] = {}  # the first s47 route per child
    for r in follow.routes.values():
        if r.kind == RouteKind.STRATEGY_S47:
            s47_routes.setdefault((r.contact_id, r.slot), r)
    out: list[S47Record] = []
    for d in follow.discussions:
        if not d.s47 or d.s47_started_on is None:
            continue
        held = d.held_at.astimezone(office.zone).date()
        for slot in d.slots:
            route = s47_routes.get((d.contact_id, slot))
            icpc = route.step_at(RouteStep.ICPC_HELD) if route else None
            pid = (route.person_id if route else None) or linked.get((d.contact_id, slot))
            out.append(
                S47Record(
                    contact_id=d.contact_id,
                    slot=slot,
                    person_id=pid,
                    strategy_discussion_on=held,
                    s47_started_on=d.s47_started_on,
                    icpc_due_on=nth_working_day(office, held, ICPC_WORKING_DAYS),
                    icpc_held_on=icpc.astimezone(office.zone).date() if icpc else None,
                    icpc_not_required=bool(route and route.step_at(RouteStep.ICPC_NOT_REQUIRED)),
                    cpp_started=bool(route and route.step_at(RouteStep.CPP_STARTED)),
                    allocated_team=_allocated_team(route),
                    allocated_worker=_allocated_worker(route) or d.lead_social_worker,
                )
            )
    return sorted(out, key=lambda r: (r.s47_started_on, r.contact_id, r.slot))


_ALLOCATION_ORDER = (
    RouteKind.STRATEGY_S47,
    RouteKind.S17_ASSESSMENT,
    RouteKind.EMERGENCY_PROTECTION,
)


def allocations(follow: FollowThrough) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(contact id, slot) -> (team, worker) that *accepted* a hand-off of the child's
    route: Annex A's "Allocated Team" / "Allocated Worker" once the front door has passed
    the child on (an s47 route first, then an s17 assessment, then protection, then any
    other; the latest acceptance of the same kind wins)."""

    def rank(r: Route) -> int:
        kind = RouteKind(r.kind)
        return (
            _ALLOCATION_ORDER.index(kind) if kind in _ALLOCATION_ORDER else len(_ALLOCATION_ORDER)
        )

    best: dict[tuple[str, int], Route] = {}
    for r in follow.routes.values():
        if r.slot is None or r.transfer_state != "accepted" or not r.transfer_team:
            continue
        key = (r.contact_id, r.slot)
        held = best.get(key)
        if (
            held is None
            or rank(r) < rank(held)
            or (
                rank(r) == rank(held)
                and (r.transfer_at or r.opened_at) >= (held.transfer_at or held.opened_at)
            )
        ):
            best[key] = r
    return {k: (str(r.transfer_team), r.transfer_worker) for k, r in best.items()}


def _allocated_team(route: Route | None) -> str | None:
    """The team holding the route: the named team once it has *accepted* a transfer (one
    still awaiting acceptance, or returned, is not allocated), else the team it opened with."""
    if route is None:
        return None
    return route.transfer_team if route.transfer_state == "accepted" else route.team


def _allocated_worker(route: Route | None) -> str | None:
    if route is None:
        return None
    return route.transfer_worker if route.transfer_state == "accepted" else route.worker


# ---- the routes projection: one row per route ------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteRow:
    """A route's state as the store keeps it (table ``routes``), folded at append time by
    ``apply_route_event`` (``domain.projection``): what ``Route`` holds without the parts
    that are not the route's own events (discussions, clocks). Times are as the fold
    makes them, in ISO form; each step is a mapping (step, at, by, reason)."""

    route_id: str
    contact_id: str
    kind: str
    opened_at: str
    opened_by: str
    slot: int | None = None
    person_id: str | None = None
    adult_slot: int | None = None
    sent_to: str | None = None  # ``Route.to`` (a column cannot be called "to")
    team: str | None = None
    worker: str | None = None
    family_consent: str | None = None
    marac: str | None = None
    notes: str | None = None
    steps: tuple[Mapping[str, Any], ...] = ()
    transfer_team: str | None = None
    transfer_worker: str | None = None
    transfer_state: str | None = None
    transfer_reason: str | None = None
    transfer_at: str | None = None
    closed_at: str | None = None
    closed_reason: str | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def route_row(route: Route) -> RouteRow:
    """The stored row of ``route`` (its discussions and clocks are not stored)."""
    return RouteRow(
        route_id=route.route_id,
        contact_id=route.contact_id,
        kind=route.kind,
        opened_at=route.opened_at.isoformat(),
        opened_by=route.opened_by,
        slot=route.slot,
        person_id=route.person_id,
        adult_slot=route.adult_slot,
        sent_to=route.to,
        team=route.team,
        worker=route.worker,
        family_consent=route.family_consent,
        marac=route.marac,
        notes=route.notes,
        steps=tuple(
            {"step": s.step, "at": s.at.isoformat(), "by": s.by, "reason": s.reason}
            for s in route.steps
        ),
        transfer_team=route.transfer_team,
        transfer_worker=route.transfer_worker,
        transfer_state=route.transfer_state,
        transfer_reason=route.transfer_reason,
        transfer_at=_iso(route.transfer_at),
        closed_at=_iso(route.closed_at),
        closed_reason=route.closed_reason,
    )


def route_of(row: RouteRow) -> Route:
    """The ``Route`` a stored row holds (no discussions or clocks: ``fold_routes`` joins
    those), equal field for field to the one the fold of its events makes."""
    return Route(
        route_id=row.route_id,
        contact_id=row.contact_id,
        kind=row.kind,
        opened_at=datetime.fromisoformat(row.opened_at),
        opened_by=row.opened_by,
        slot=row.slot,
        person_id=row.person_id,
        adult_slot=row.adult_slot,
        to=row.sent_to,
        team=row.team,
        worker=row.worker,
        family_consent=row.family_consent,
        marac=row.marac,
        notes=row.notes,
        steps=[
            Step(s["step"], datetime.fromisoformat(s["at"]), s["by"], s.get("reason"))
            for s in row.steps
        ],
        transfer_team=row.transfer_team,
        transfer_worker=row.transfer_worker,
        transfer_state=row.transfer_state,
        transfer_reason=row.transfer_reason,
        transfer_at=_dt(row.transfer_at),
        closed_at=_dt(row.closed_at),
        closed_reason=row.closed_reason,
    )
