"""Facts MI derives once per load: London dates, decision times, referral episodes.

``prepare`` does the parsing and the joins; the figures (``figures.py``) then only filter
and count, so changing a dashboard filter does not parse a timestamp again.

Rules fixed here (and written up in docs/mi-definitions.md):
- dates are London dates (``Europe/London``) of the stored times; times stay as stored
  (aware, any offset), which compares correctly;
- a decision is *made* when a duty manager or senior practitioner records it, or, for a
  practitioner's proposal, when it is signed off; superseded decisions do not count;
- a child's **referral** is a contact that is a referral (``is_referral``, from
  ``domain.referrals``: NFA referrals imported from a census or Annex A included) with that
  child on it, dated on the day it was **received**; several referrals of one child on
  one day are **one** referral (the earliest contact that day stands for it);
- working days come from the office calendar of the triage policy (``domain.timescales``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from ..domain import referrals as dfe
from ..domain.clock import LONDON
from ..domain.codes import ContactStatus
from ..domain.referrals import ReferralHistory, london_date, months_before
from ..domain.routes import RouteRecord, S47Record
from ..domain.timescales import OfficeHours
from .records import (
    MiInput,
    NextStepRecord,
    PartnerCheckRecord,
    ProtectionRecord,
    ReferrerTold,
    Supervision,
)

NONE = "(none)"  # how MI shows a contact recorded without an office or team


def london(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(LONDON)


def child_key(contact_id: str, slot: int, person_id: str | None) -> str:
    """The child's id for MI: the person id, or contact/slot for a child not yet linked."""
    return person_id or f"{contact_id}/{slot}"


__all__ = [
    "ContactFacts",
    "Dataset",
    "Referral",
    "RouteContactFacts",
    "child_key",
    "default_period",
    "london",
    "prepare",
]


def default_period(today: date) -> tuple[date, date]:
    """Annex A's usual look-back: the six months up to and including ``today``."""
    return months_before(today, 6), today


@dataclass(frozen=True, slots=True)
class ContactFacts:
    contact_id: str
    received: datetime
    day: date
    source: str
    office: str
    team: str
    status: str
    assignee: str | None
    rating: str | None
    due: datetime | None
    outcome: str | None
    is_referral: bool
    made: datetime | None  # when the (first) decision was made
    made_day: date | None
    responded: datetime | None  # first action or decision, whichever came first
    children: tuple[str, ...]  # child keys

    @property
    def is_open(self) -> bool:
        return self.status != ContactStatus.DECIDED.value


@dataclass(frozen=True, slots=True)
class RouteContactFacts:
    """A route's contact as the route figures filter it (period, office, team, source)."""

    contact_id: str
    day: date
    office: str
    team: str
    source: str


@dataclass(frozen=True, slots=True)
class Referral:
    """One referral of one child (same-day referrals of a child merged)."""

    child: str
    day: date
    contact_id: str
    office: str
    team: str
    source: str
    assignee: str | None
    assessment_due: date
    assessment_completed: date | None
    nfa: bool = False  # the referral ended in no further action (Annex A "Referral NFA?")
    # the team and worker that accepted the child's hand-off (issue 21), if any: Annex A's
    # "Allocated Team" / "Allocated Worker" (else the contact's team and duty worker)
    allocated_team: str | None = None
    allocated_worker: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    contacts: tuple[ContactFacts, ...]
    referrals: tuple[Referral, ...]
    history: ReferralHistory  # child -> sorted distinct referral days
    office: OfficeHours
    supervisions: tuple[Supervision, ...]
    # The strategy-discussion record, by child key (``section47.section_47_enquiries``).
    s47_records: tuple[tuple[str, S47Record], ...] = ()
    s47_discussed: frozenset[str] = frozenset()  # contact ids with a discussion recorded
    # LADO, MARAC, private fostering and handed-off routes (``MiInput.routes``), and the
    # children of contacts with a MARAC route (for the repeat criterion).
    routes: tuple[RouteRecord, ...] = ()
    route_children: Mapping[str, frozenset[str]] = field(default_factory=dict)
    route_contacts: Mapping[str, RouteContactFacts] = field(default_factory=dict)
    # follow-through records (``MiInput``; figures in ``mi/followup.py``)
    told: tuple[ReferrerTold, ...] = ()
    partner_checks: tuple[PartnerCheckRecord, ...] = ()
    next_steps: tuple[NextStepRecord, ...] = ()
    protections: tuple[ProtectionRecord, ...] = ()

    @property
    def referral_days(self) -> dict[str, list[date]]:
        return dict(self.history.days)

    def previous_referral_within(self, child: str, day: date, months: int) -> date | None:
        """The child's latest referral before ``day`` and no more than ``months`` earlier."""
        return self.history.previous_within(child, day, months)

    def referrals_in_months_before(self, child: str, day: date, months: int) -> int:
        """Referrals that started in the ``months`` before ``day`` (``day`` itself excluded)."""
        return self.history.before(child, day, months)


def prepare(
    data: MiInput, office: OfficeHours | None = None, assessment_working_days: int = 45
) -> Dataset:
    office = office or OfficeHours()
    made = dfe.decisions_made_at(data.decisions)
    kids: dict[str, list[str]] = defaultdict(list)
    for ch in sorted(data.children, key=lambda c: (c.contact_id, c.slot)):
        kids[ch.contact_id].append(child_key(ch.contact_id, ch.slot, ch.person_id))
    facts: list[ContactFacts] = []
    for c in data.contacts:
        if not c.received_at:  # a placeholder row whose contact.received has not arrived
            continue
        received = datetime.fromisoformat(c.received_at)
        first = data.first_actions.get(c.contact_id)
        responded = datetime.fromisoformat(first) if first else None
        m = made.get(c.contact_id)
        if m is not None and (responded is None or m < responded):
            responded = m
        facts.append(
            ContactFacts(
                contact_id=c.contact_id,
                received=received,
                day=london_date(received),
                source=c.source_code,
                office=c.office or NONE,
                team=c.team or NONE,
                status=c.status,
                assignee=c.assignee,
                rating=c.rating,
                due=datetime.fromisoformat(c.due_at) if c.due_at else None,
                outcome=c.outcome,
                is_referral=c.is_referral,
                made=m,
                made_day=london_date(m) if m else None,
                responded=responded,
                children=tuple(kids.get(c.contact_id, ())),
            )
        )
    facts.sort(key=lambda f: (f.received, f.contact_id))
    completed = {(a.contact_id, a.person_id): a.completed_on for a in data.assessments}
    slots = {
        (ch.contact_id, child_key(ch.contact_id, ch.slot, ch.person_id)): ch.slot
        for ch in data.children
    }
    referrals: list[Referral] = []
    seen: set[tuple[str, date]] = set()
    days: dict[str, set[date]] = defaultdict(set)
    for f in facts:
        if not f.is_referral:
            continue
        day = f.day  # DfE: a referral is dated when it was received
        for child in f.children:
            if (child, day) in seen:
                continue
            seen.add((child, day))
            days[child].add(day)
            team, worker = data.allocations.get(
                (f.contact_id, slots.get((f.contact_id, child), -1)), (None, None)
            )
            referrals.append(
                Referral(
                    child=child,
                    day=day,
                    contact_id=f.contact_id,
                    office=f.office,
                    team=f.team,
                    source=f.source,
                    assignee=f.assignee,
                    assessment_due=dfe.assessment_due(office, day, assessment_working_days),
                    assessment_completed=completed.get((f.contact_id, child)),
                    nfa=dfe.is_referral_nfa(f.outcome),
                    allocated_team=team,
                    allocated_worker=worker,
                )
            )
    referrals.sort(key=lambda r: (r.day, r.child))
    # The child of a strategy-discussion record is the child linked *now* (a wrong link
    # undone since counts for the right child), else whoever the route named.
    linked = {(ch.contact_id, ch.slot): ch.person_id for ch in data.children}

    def key(contact_id: str, slot: int, person_id: str | None) -> str:
        return child_key(contact_id, slot, linked.get((contact_id, slot)) or person_id)

    return Dataset(
        contacts=tuple(facts),
        referrals=tuple(referrals),
        history=ReferralHistory({k: sorted(v) for k, v in days.items()}),
        office=office,
        supervisions=tuple(data.supervisions),
        s47_records=tuple((key(r.contact_id, r.slot, r.person_id), r) for r in data.s47_records),
        s47_discussed=frozenset(data.s47_discussed),
        routes=tuple(data.routes),
        route_children=dict(data.route_children),
        route_contacts=_route_contacts(data, facts),
        told=tuple(data.told),
        partner_checks=tuple(data.partner_checks),
        next_steps=tuple(data.next_steps),
        protections=tuple(data.protections),
    )


def _route_contacts(data: MiInput, facts: Iterable[ContactFacts]) -> dict[str, RouteContactFacts]:
    """The routes' contacts as loaded for them (any date), else as the period's facts."""
    out = {
        c.contact_id: RouteContactFacts(c.contact_id, c.day, c.office, c.team, c.source)
        for c in facts
    }
    for cid, rc in data.route_contacts.items():
        out[cid] = RouteContactFacts(
            cid,
            london_date(datetime.fromisoformat(rc.received_at)),
            rc.office or NONE,
            rc.team or NONE,
            rc.source_code,
        )
    return out
