"""Loading what the MI figures and Annex A exports read, in a few set-based queries.

Only the columns MI uses are read (no concern text, no rationale), into the slim records
of ``dutydesk.mi.records``. A date range is pushed down to SQL with the look-back that
re-referrals need (12 months and a month's margin before the period, every office and
team, referrals only); office, team and source are pushed down for the rows of the period
itself and for the open queue.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    func,
    or_,
    select,
    true,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from ..domain.clock import LONDON
from ..domain.codes import REFERRAL_SOURCES, VOID_STATUSES
from ..domain.referrals import RE_REFERRAL_MONTHS, london_date, months_before
from ..domain.route_codes import RouteKind
from ..domain.routes import (
    MI_CLOCKED_KINDS,
    ContactFacts,
    FollowThrough,
    Route,
    RouteRecord,
    RouteRow,
    S47Record,
    StrategyDiscussion,
    allocations,
    fold_routes,
    route_of,
    s47_records,
    stored_route_records,
)
from ..domain.timescales import OfficeHours
from ..mi.cin_census import ContactExtras
from ..mi.dataset import NONE
from ..mi.records import (
    OPTIONAL_READS,
    AssessmentCompleted,
    ContactChild,
    MiChild,
    MiContact,
    MiDecision,
    MiInput,
    MiPerson,
    NextStepRecord,
    PartnerCheckRecord,
    ProtectionRecord,
    ReferrerTold,
    RouteContact,
    Supervision,
)
from . import rowread
from .eventstore import EVENTS, OUTBOX
from .followthrough_queries import FollowThroughQueries, _type_in
from .queries import OPEN_STATUSES
from .readmodel import CHILDREN, CONTACTS, DECISIONS, PEOPLE, ROUTES, _chunks, standing
from .syncstate import REJECTED

# Events that count as acting on a contact, for rating response times.
ACTION_TYPES = (
    "contact.assigned",
    "partner_check.requested",
    "note.added",
    "decision.proposed",
    "decision.recorded",
)

# Routes MI reads by kind (besides every hand-off): issue 21's route figures, and the
# early help routes Annex A List 2 lists (a sibling stepped down beside an s47).
MI_ROUTE_KINDS = frozenset(
    {RouteKind.LADO, RouteKind.MARAC, RouteKind.PRIVATE_FOSTERING, RouteKind.EARLY_HELP}
)


class RouteWants(NamedTuple):
    """Whose routes a load reads, for what: the loaded contacts with a strategy
    discussion and with an accepted hand-off, the contacts whose routes MI counts
    (``counted``) and of those the ones not void (``live``), with their contact rows."""

    discussed: list[str]
    accepted: list[str]
    counted: set[str]
    live: set[str]
    route_contacts: Mapping[str, RouteContact]
    reads: frozenset[str]


# What ``MiQueries`` reads of routes: the s47 record, the allocations, the routes MI
# counts and the strategy discussions of the loaded contacts.
RouteParts = tuple[
    list[S47Record],
    dict[tuple[str, int], tuple[str, str | None]],
    list[RouteRecord],
    Sequence[StrategyDiscussion],
]

LOOKBACK_MARGIN = timedelta(days=31)  # a contact may become a referral days after receipt


def _utc(day: date, *, end: bool = False) -> str:
    """The stored (UTC, ISO) form of the start or end of a London day."""
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), LONDON)
    return moment.astimezone(UTC).isoformat()


# Event types that change nothing MI reads: no read-model handler folds them and no query
# here selects them (``tests/integration/test_mi_queries.py`` checks the first). The
# store's ``state`` ignores them, so an export's own record does not force a reload.
NOT_READ_BY_MI = ("document.exported",)


class MiQueries:
    def __init__(self, engine: Engine, calendar: OfficeHours | None = None) -> None:
        self.engine = engine
        # the office calendar the strategy-discussion record is read on (its dates)
        self.calendar = calendar or OfficeHours()

    def _where(
        self,
        date_from: date | None,
        date_to: date | None,
        office: str | None,
        team: str | None,
        source: str | None,
        lookback_months: int,
    ) -> ColumnElement[bool]:
        c = CONTACTS.c
        matches: list[ColumnElement[bool]] = []
        for column, wanted in ((c.office, office), (c.team, team)):
            if wanted is not None:  # "(none)" is how MI shows a contact with no office/team
                matches.append(column.is_(None) if wanted == NONE else column == wanted)
        if source is not None:
            matches.append(c.source_code == source)
        # merged duplicates and contacts entered in error count nowhere (issue 21)
        match = and_(true(), c.status.not_in(sorted(VOID_STATUSES)), *matches)
        if date_from is None and date_to is None:
            return match
        window: list[ColumnElement[bool]] = []
        history: list[ColumnElement[bool]] = [
            c.is_referral.is_(True),
            c.status.not_in(sorted(VOID_STATUSES)),
        ]
        # A decision made in the period counts there whenever its contact came in (the
        # feedback-to-referrer figure is over the decisions made in the period): a contact
        # received months before and decided (or signed off) in the period is loaded too.
        d = DECISIONS.c
        decided: list[ColumnElement[bool]] = []
        signed: list[ColumnElement[bool]] = []
        # A strategy discussion dates the s47 enquiry it starts (List 5, the ICPC and
        # protection figures), however long after receipt it is held (an assessment
        # escalated): its contact is loaded when one is held in the period or in the 12
        # months before it (List 5 counts a child's enquiries and ICPCs in the 12 months
        # before the latest, whatever the re-referral look-back).
        e = EVENTS.c
        held = func.json_extract(e.payload, "$.held_at")
        discussed: list[ColumnElement[bool]] = [e.type == "strategy.discussed"]
        if date_from is not None:
            window.append(c.received_at >= _utc(date_from - LOOKBACK_MARGIN))
            # The history reaches back at least the 12 months List 5's counts of a
            # child's earlier s47 enquiries read, with a shorter re-referral look-back.
            months = max(lookback_months, RE_REFERRAL_MONTHS)
            start = months_before(date_from, months) - LOOKBACK_MARGIN
            history.append(c.received_at >= _utc(start))
            decided.append(d.decided_at >= _utc(date_from - LOOKBACK_MARGIN))
            signed.append(d.signed_off_at >= _utc(date_from - LOOKBACK_MARGIN))
            discussed.append(held >= _utc(start))
        if date_to is not None:
            # A day's margin: the stored times keep their offsets ("+01:00" in summer), and
            # as text "2026-07-31T23:30:00+01:00" sorts after the period's end in UTC
            # ("2026-07-31T23:00:00+00:00"), which dropped contacts received in the last
            # hour of a period ending in summer. The figures keep only the period's days.
            end = _utc(date_to + timedelta(days=1), end=True)
            window.append(c.received_at < end)
            history.append(c.received_at < end)
            decided.append(d.decided_at < end)
            signed.append(d.signed_off_at < end)
            discussed.append(held < end)
        decided_in_window = c.contact_id.in_(
            select(d.contact_id).where(or_(and_(*decided), and_(*signed)))
        )
        return or_(
            and_(match, *window),
            and_(*history),
            and_(match, c.status.in_(OPEN_STATUSES)),
            and_(match, decided_in_window),
            and_(match, c.contact_id.in_(select(e.contact_id).where(*discussed))),
        )

    def load(
        self,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        office: str | None = None,
        team: str | None = None,
        source: str | None = None,
        with_people: bool = False,
        lookback_months: int = 12,
        reads: frozenset[str] = OPTIONAL_READS,
    ) -> MiInput:
        """Rows for the figures. Without dates: every contact in the store. ``reads``: the
        optional parts of ``MiInput`` to read (``records.OPTIONAL_READS``: all, for the
        figures); the others are left empty and cost nothing (an Annex A list reads a
        few: ``annex_a.LIST_READS``)."""
        unknown = reads - OPTIONAL_READS
        if unknown:
            raise ValueError(f"MI reads no such part: {sorted(unknown)}")
        where = self._where(date_from, date_to, office, team, source, lookback_months)
        # The whole store's contacts, children and decisions at once: read as driver tuples
        # (``rowread.fetch_statement``), the Booleans made bool here.
        with self.engine.connect() as conn, _LoadedContacts(conn) as loaded_ids:
            contact_rows = rowread.fetch_statement(
                conn,
                select(
                    CONTACTS.c.contact_id,
                    CONTACTS.c.received_at,
                    CONTACTS.c.source_code,
                    CONTACTS.c.office,
                    CONTACTS.c.team,
                    CONTACTS.c.status,
                    CONTACTS.c.assignee,
                    CONTACTS.c.rating,
                    CONTACTS.c.due_at,
                    CONTACTS.c.outcome,
                    CONTACTS.c.is_referral,
                ).where(where),
            )
            contacts = [
                MiContact(cid, at, src, off, tm, status, who, rating, due, outcome, bool(ref))
                for cid, at, src, off, tm, status, who, rating, due, outcome, ref in contact_rows
            ]
            # The contacts read, as a temporary table every later read joins: the filter
            # (``_where``) was evaluated again by each of them, about half a second apiece
            # at 1M events. ``rated``: those with a due time (the response figures).
            ids, rated = loaded_ids.fill((r[0], r[8] is not None) for r in contact_rows)
            children = [
                MiChild(*row)
                for row in rowread.fetch_statement(
                    conn,
                    select(
                        CHILDREN.c.contact_id,
                        CHILDREN.c.slot,
                        CHILDREN.c.person_id,
                        CHILDREN.c.date_of_birth,
                        CHILDREN.c.expected_date_of_birth,
                        CHILDREN.c.sex,
                        CHILDREN.c.ethnicity,
                    ).where(CHILDREN.c.contact_id.in_(ids)),
                )
            ]
            decisions = [
                MiDecision(cid, status, role, decided, signed_off, bool(superseded))
                for cid, status, role, decided, signed_off, superseded in rowread.fetch_statement(
                    conn,
                    select(
                        DECISIONS.c.contact_id,
                        DECISIONS.c.status,
                        DECISIONS.c.decided_role,
                        DECISIONS.c.decided_at,
                        DECISIONS.c.signed_off_at,
                        DECISIONS.c.superseded,
                    ).where(DECISIONS.c.contact_id.in_(ids)),
                )
            ]
            people: dict[str, MiPerson] = {}
            if with_people:
                pids = select(CHILDREN.c.person_id).where(CHILDREN.c.contact_id.in_(ids))
                for pid, dob, edob, sex, ethnicity, la_id, died, listed in rowread.fetch_statement(
                    conn,
                    select(
                        PEOPLE.c.person_id,
                        PEOPLE.c.date_of_birth,
                        PEOPLE.c.expected_date_of_birth,
                        PEOPLE.c.sex,
                        PEOPLE.c.ethnicity,
                        PEOPLE.c.la_child_id,
                        PEOPLE.c.date_of_death,
                        PEOPLE.c.disabilities,
                    ).where(PEOPLE.c.person_id.in_(pids)),
                ):
                    people[pid] = MiPerson(
                        pid,
                        dob,
                        edob,
                        sex,
                        ethnicity,
                        la_id,
                        died,
                        disabilities=tuple(json.loads(listed)) if listed else (),  # JSON as text
                    )
            # The earliest action per contact, compared as times (stored offsets differ).
            first: dict[str, tuple[datetime, str]] = {}
            for cid, stamp in (
                ()
                if "first_actions" not in reads
                else rowread.fetch_statement(
                    conn,
                    select(EVENTS.c.contact_id, EVENTS.c.client_time).where(
                        EVENTS.c.type.in_(ACTION_TYPES), EVENTS.c.contact_id.in_(rated)
                    ),
                )
            ):
                at = datetime.fromisoformat(stamp)
                if cid not in first or at < first[cid][0]:
                    first[cid] = (at, stamp)
            supervisions = (
                [_supervision(p) for p in self._payloads(conn, "supervision.recorded")]
                if "supervisions" in reads
                else []
            )
            done = (
                [_assessment(p) for p in self._payloads(conn, "assessment.completed")]
                if "assessments" in reads
                else []
            )
            # Only the loaded contacts' discussions and accepted hand-offs: what the fold
            # gives for any other contact is read by no figure or list (the s47 record,
            # the allocations and the protections are all joined to the loaded contacts),
            # and folding every discussed contact of the store was most of a period's load.
            s47 = reads & {"s47_records", "s47_discussed", "protections"}
            discussed = self._contacts_with(conn, "strategy.discussed", ids) if s47 else []
            accepted = (
                self._contacts_with(conn, "route.transfer_accepted", ids)
                if "allocations" in reads
                else []
            )
            told, checks, steps = (
                self._follow_ups(conn, ids)
                if reads & {"told", "partner_checks", "next_steps"}
                else ([], [], [])
            )
            counted: set[str] = set()
            marac: set[str] = set()
            void: set[str] = set()
            route_contacts: dict[str, RouteContact] = {}
            if reads & {"routes", "route_children", "route_contacts"}:
                counted, marac, void, route_contacts = self._counted_routes(
                    conn, decisions, date_from, date_to
                )
            kids = self._linked_children(conn, marac - void)
        live = counted - void  # once: computed per record it made this loop quadratic
        s47_found, allocated, routes, held = self._route_parts(
            RouteWants(discussed, accepted, counted, live, route_contacts, reads)
        )
        loaded = {c.contact_id for c in contacts}
        linked = {(k.contact_id, k.slot): k.person_id for k in children}
        protections = [
            ProtectionRecord(
                d.contact_id, slot, linked.get((d.contact_id, slot)), kind, at.isoformat(), held
            )
            for d in (held if "protections" in reads else ())
            if d.contact_id in loaded
            for kind, at in (
                ("police_protection", d.police_protection_from),
                ("epo", d.epo_granted_at or d.epo_applied_at),
            )
            if at is not None
            for slot in d.slots
            for held in (d.held_at.isoformat(),)
        ]
        return MiInput(
            contacts=contacts,
            children=children,
            decisions=decisions,
            people=people,
            supervisions=supervisions,
            assessments=done,
            first_actions={k: v[1] for k, v in first.items()},
            s47_records=s47_found,
            s47_discussed=frozenset(discussed if "s47_discussed" in reads else ()),
            allocations=allocated,
            routes=routes,
            route_children=kids if "route_children" in reads else {},
            route_contacts=route_contacts if "route_contacts" in reads else {},
            told=told if "told" in reads else [],
            partner_checks=checks if "partner_checks" in reads else [],
            next_steps=steps if "next_steps" in reads else [],
            protections=protections,
        )

    def contact_children(
        self,
        *,
        date_from: date,
        date_to: date,
        office: str | None = None,
        team: str | None = None,
        source: str | None = None,
        lookback_months: int = 12,
    ) -> list[ContactChild]:
        """Each child of each contact ``load`` would read for these filters, with the
        linked person's demographics: all Annex A List 1 reads (``annex_a.list1_from``
        keeps the period's contacts, as ``list1_rows`` does). One joined query of narrow
        columns; no events, routes or decisions."""
        where = self._where(date_from, date_to, office, team, source, lookback_months)
        c, k, p = CONTACTS.c, CHILDREN.c, PEOPLE.c
        with self.engine.connect() as conn:
            rows = rowread.fetch_statement(
                conn,
                select(
                    c.contact_id,
                    c.received_at,
                    c.source_code,
                    c.office,
                    c.team,
                    k.slot,
                    k.person_id,
                    k.date_of_birth,
                    k.expected_date_of_birth,
                    k.sex,
                    k.ethnicity,
                    p.person_id,
                    p.date_of_birth,
                    p.expected_date_of_birth,
                    p.sex,
                    p.ethnicity,
                    p.la_child_id,
                )
                .select_from(CONTACTS)
                .join(CHILDREN, k.contact_id == c.contact_id)
                .outerjoin(PEOPLE, p.person_id == k.person_id)
                .where(where),
            )
        return [
            ContactChild(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                MiChild(r[0], *r[5:11]),
                MiPerson(*r[11:17]) if r[11] is not None else None,
            )
            for r in rows
        ]

    def _route_parts(self, want: RouteWants) -> RouteParts:
        """The s47 record and the allocations of the loaded contacts, every route of the
        live route contacts (``_counted_routes``) and the loaded contacts' strategy
        discussions (docs/mi.md, "What a load holds of routes"), with no fold of route
        events: each route as the ``routes`` projection holds it (folded at append time
        by the one rule, ``domain.routes.apply_route_event``), read for the contacts each
        part needs; only the strategy discussions are read as events (of the discussed
        contacts). Tested against the fold of every route event at load time
        (``tests/mi_fold_reference.py``, tests/integration/test_mi_routes_projected*.py).
        The routes MI counts are made ``RouteRecord``s straight from their rows
        (``routes.stored_route_records``); clocks are computed only for the kinds whose
        clock MI reads (``routes.MI_CLOCKED_KINDS``: no discussion or decision needed).

        Order: the s47 record takes a child's first s47 route and the allocations the
        latest of equal acceptances, both in the order the fold meets routes (their
        ``route.opened`` events in this desk's order), which the projection does not keep;
        routes are put in that order (read from the log) for the contacts where two of
        them compete (``_in_fold_order``)."""
        discussed, accepted, _, live, route_contacts, reads = want
        s47_of = set(discussed) if "s47_records" in reads else set()
        accepted_of = set(accepted)
        live_of = live if "routes" in reads else set()
        q = FollowThroughQueries(self.engine)
        with self.engine.connect() as conn:
            rows = rowread.rows_in(
                conn, RouteRow, "contact_id", sorted(s47_of | accepted_of | live_of)
            )
            s47_routes = self._in_fold_order(
                conn,
                [
                    route_of(r)
                    for r in rows
                    if r.contact_id in s47_of and r.kind == RouteKind.STRATEGY_S47
                ],
            )
            accepted_routes = self._in_fold_order(
                conn,
                [
                    route_of(r)
                    for r in rows
                    if r.contact_id in accepted_of and r.transfer_state == "accepted"
                ],
            )
        # the discussions (with the s47 routes they start, for the s47 record)
        follow = (
            fold_routes(
                q.fold_events(("strategy.discussed",), discussed),
                {},
                self.calendar,
                clocks_for=(),
                folded=s47_routes,
            )
            if discussed
            else FollowThrough()
        )
        s47_found = s47_records(follow, self.calendar) if s47_of else []
        allocated = (
            allocations(FollowThrough(routes={r.route_id: r for r in accepted_routes}))
            if accepted_of
            else {}
        )
        # what a clock MI reads needs of its contact (as ``FollowThroughQueries._facts``)
        clocked = {r.contact_id for r in rows if r.kind in MI_CLOCKED_KINDS}
        facts = {
            cid: ContactFacts(cid, datetime.fromisoformat(c.received_at))
            for cid, c in route_contacts.items()
            if cid in clocked
        }
        routes = stored_route_records(
            (r for r in rows if r.contact_id in live_of), facts, self.calendar
        )
        return s47_found, allocated, routes, follow.discussions

    @staticmethod
    def _in_fold_order(conn: Connection, routes: list[Route]) -> list[Route]:
        """``routes`` in the order the fold of their events meets them (each route's first
        ``route.opened`` on its own contact, in this desk's order, ``local_seq``) wherever
        two of one child (contact and slot) compete; the place of any other changes
        nothing (the s47 record and the allocations both choose within a child)."""
        children = Counter((r.contact_id, r.slot) for r in routes)
        contested = sorted({cid for (cid, _), n in children.items() if n > 1})
        if not contested:
            return routes
        owner = {r.route_id: r.contact_id for r in routes}
        first: dict[str, int] = {}
        e = EVENTS.c
        for chunk in _chunks(contested):
            for seq, cid, rid in rowread.fetch_statement(
                conn,
                select(e.local_seq, e.contact_id, *_fields(e.payload, "route_id")).where(
                    _type_in(["route.opened"]), e.contact_id.in_(chunk)
                ),
            ):
                if owner.get(rid) == cid and seq < first.get(rid, seq + 1):
                    first[rid] = seq
        return sorted(routes, key=lambda r: first.get(r.route_id, 0))

    @staticmethod
    def _follow_ups(
        conn: Connection, ids: Any
    ) -> tuple[list[ReferrerTold], list[PartnerCheckRecord], list[NextStepRecord]]:
        """The loaded contacts' referrers told, partner checks (folded: the last due time
        given, the answer) and the next steps of their standing decisions, ticked off or
        not (issue 21's follow-through figures)."""
        e = EVENTS.c
        told = [
            ReferrerTold(cid, kind, sent_at or stamp)
            for cid, kind, sent_at, stamp in rowread.fetch_statement(
                conn,
                select(e.contact_id, *_fields(e.payload, "kind", "sent_at"), e.client_time).where(
                    e.type == "referrer.acknowledged", e.contact_id.in_(ids)
                ),
            )
        ]
        asked: dict[str, dict[str, Any]] = {}
        for kind, cid, payload, stamp in rowread.fetch_statement(
            conn,
            select(e.type, e.contact_id, e.payload, e.client_time)
            .where(
                e.type.in_(
                    ("partner_check.requested", "partner_check.chased", "partner_check.answered")
                ),
                e.contact_id.in_(ids),
            )
            .order_by(e.local_seq),
        ):
            p = json.loads(payload)
            if kind == "partner_check.requested":
                asked[p["check_id"]] = {
                    "check_id": p["check_id"],
                    "contact_id": cid,
                    "requested_at": p.get("requested_at") or stamp,
                    "due_at": p.get("due_at"),
                }
            elif p.get("check_id") in asked:
                row = asked[p["check_id"]]
                if kind == "partner_check.chased":
                    row["due_at"] = p.get("due_at") or row["due_at"]
                else:
                    row["answered_at"] = p.get("answered_at") or stamp
                    row["no_trace"] = bool(p.get("no_trace"))
        # A step is done by a completion under its decision's own contact: one naming
        # another contact's decision changes nothing (docs/sync.md, "A decision belongs to
        # one contact"; the follow-through view keys it the same way).
        done: dict[tuple[str, str, int], str] = {}
        for cid, decision, index, stamp in rowread.fetch_statement(
            conn,
            select(e.contact_id, *_fields(e.payload, "decision_id", "index"), e.client_time).where(
                e.type == "next_step.completed", e.contact_id.in_(ids)
            ),
        ):
            done.setdefault((cid, decision, index), stamp)
        d = DECISIONS.c
        # only the rationale's next steps are parsed (SQLite gives them as JSON text)
        steps = [
            NextStepRecord(cid, did, i, s.get("due"), done.get((cid, did, i)))
            for did, cid, listed in rowread.fetch_statement(
                conn,
                select(d.decision_id, d.contact_id, *_fields(d.rationale, "next_steps")).where(
                    d.contact_id.in_(ids),
                    standing(),
                ),
            )
            for i, s in enumerate(json.loads(listed) if listed else [])
        ]
        return told, [PartnerCheckRecord(**a) for a in asked.values()], steps

    def _counted_routes(  # not static: the reference in tests/ overrides it with its fold
        self,
        conn: Connection,
        decisions: Iterable[MiDecision],
        date_from: date | None,
        date_to: date | None,
    ) -> tuple[set[str], set[str], set[str], dict[str, RouteContact]]:
        """The contacts whose routes a period's figures can read (docs/mi.md, "What a load
        holds of routes"), on each route's state now, from the ``routes`` projection
        joined to its contacts in one query: contacts with a route MI counts (LADO, MARAC,
        private fostering, early help, or handed off to a named team) that were received
        or decided in the period (with the load's month of margin before it), or whose
        such route, as it stands now, was opened or handed off in it, whose MARAC route
        was opened in the 12 months before it (the repeat criterion), or whose hand-off is
        still waiting, however old (that figure is "now"); of those, the ones with a
        MARAC route, the void ones (merged or entered in error: their routes count
        nowhere), and the others' receipt, office, team and source, whenever they were
        received. A route's earlier openings and hand-offs are not read: no figure or
        list reads them."""
        everything = date_from is None and date_to is None
        lo = date_from - LOOKBACK_MARGIN if date_from is not None else date.min
        hi = date_to or date.max
        marac_lo = months_before(date_from, 12) - LOOKBACK_MARGIN if date_from else date.min

        def within(stamp: str | None, first: date = lo) -> bool:
            return stamp is not None and stamp != "" and first <= london_date(stamp) <= hi

        r, c = ROUTES.c, CONTACTS.c
        counted: set[str] = set()
        keep: set[str] = set()
        marac: set[str] = set()
        contact: dict[str, Sequence[Any]] = {}  # received, office, team, source, status
        for cid, kind, opened_at, state, handed_at, closed_at, *row in rowread.fetch_statement(
            conn,
            select(
                r.contact_id,
                r.kind,
                r.opened_at,
                r.transfer_state,
                r.transfer_at,
                r.closed_at,
                c.received_at,
                c.office,
                c.team,
                c.source_code,
                c.status,
            ).select_from(ROUTES.outerjoin(CONTACTS, c.contact_id == r.contact_id)),
        ):
            counts = kind in MI_ROUTE_KINDS
            if not counts and state is None:  # not a kind MI counts, never handed off
                continue
            counted.add(cid)
            contact[cid] = row
            if kind == RouteKind.MARAC:
                marac.add(cid)
            if everything or cid in keep:
                continue
            if (
                (counts and within(opened_at))
                or (kind == RouteKind.MARAC and within(opened_at, marac_lo))
                or (state == "awaiting" and closed_at is None)
                or (state is not None and within(handed_at))
            ):
                keep.add(cid)
        if not everything:
            for d in decisions:
                if (
                    d.contact_id in counted
                    and d.contact_id not in keep
                    and (within(d.decided_at) or within(d.signed_off_at or d.decided_at))
                ):
                    keep.add(d.contact_id)
            for cid in counted - keep:
                if within(contact[cid][0]):
                    keep.add(cid)
            counted = keep
        void: set[str] = set()
        found: dict[str, RouteContact] = {}
        for cid in counted:
            received, office, team, source, status = contact[cid]
            if status in VOID_STATUSES:
                void.add(cid)
            elif received:  # a placeholder row whose contact.received has not arrived
                found[cid] = RouteContact(received, office, team, source)
        return counted, marac & counted, void, found

    @staticmethod
    def _linked_children(conn: Connection, contact_ids: Iterable[str]) -> dict[str, frozenset[str]]:
        """The children linked now on each contact (person ids)."""
        found: dict[str, set[str]] = {}
        for chunk in _chunks(list(contact_ids)):
            for cid, person in rowread.fetch_statement(
                conn,
                select(CHILDREN.c.contact_id, CHILDREN.c.person_id).where(
                    CHILDREN.c.contact_id.in_(chunk), CHILDREN.c.person_id.is_not(None)
                ),
            ):
                found.setdefault(cid, set()).add(person)
        return {k: frozenset(v) for k, v in found.items()}

    @staticmethod
    def _contacts_with(conn: Connection, event_type: str, ids: Any) -> list[str]:
        """The contacts of ``ids`` (a subquery) with an event of ``event_type``, in the
        order SQLite gives them."""
        e = EVENTS.c
        return [
            row[0]
            for row in rowread.fetch_statement(
                conn,
                select(e.contact_id).where(e.type == event_type, e.contact_id.in_(ids)).distinct(),
            )
        ]

    @staticmethod
    def _payloads(conn: Connection, event_type: str) -> Iterable[dict[str, object]]:
        rows = rowread.fetch_statement(
            conn, select(EVENTS.c.payload).where(EVENTS.c.type == event_type)
        )
        return [json.loads(r[0]) for r in rows]

    def state(self) -> tuple[int, int, int, int]:
        """Where the store is, for what MI reads: the sequence of this desk's last event,
        the highest server sequence and how many events have one (sync sets these on
        events already here, and a reset refolds the projections in the new order), and
        how many events the server rejected (taken out of the projections without a new
        event). Events MI never reads (``NOT_READ_BY_MI``: the export records) are left
        out, so recording an export does not make the next export load again; any other
        new, accepted, unconfirmed or rejected event changes the answer."""
        read = EVENTS.c.type.not_in(NOT_READ_BY_MI)
        with self.engine.connect() as conn:
            # newest first along the primary key: stops at the first event MI reads
            last = conn.execute(
                select(EVENTS.c.local_seq).where(read).order_by(EVENTS.c.local_seq.desc()).limit(1)
            ).scalar()
            server, accepted = conn.execute(
                select(func.max(EVENTS.c.server_seq), func.count(EVENTS.c.server_seq)).where(read)
            ).one()
            rejected = conn.execute(
                select(func.count()).select_from(OUTBOX).where(OUTBOX.c.state == REJECTED)
            ).scalar_one()
        return int(last or 0), int(server or 0), int(accepted or 0), int(rejected)

    def details(self, contact_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """For a drill-down table: each contact's facts and its children as (id, name)."""
        wanted = list(dict.fromkeys(contact_ids))
        out: dict[str, dict[str, Any]] = {}
        kids: dict[str, list[tuple[str | None, str]]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                for m in conn.execute(
                    select(
                        CONTACTS.c.contact_id,
                        CONTACTS.c.received_at,
                        CONTACTS.c.source_code,
                        CONTACTS.c.office,
                        CONTACTS.c.team,
                        CONTACTS.c.outcome,
                        CONTACTS.c.assignee,
                        CONTACTS.c.status,
                    ).where(CONTACTS.c.contact_id.in_(chunk))
                ).mappings():
                    out[m["contact_id"]] = dict(m)
                for cid, person, given, family, expected in conn.execute(
                    select(
                        CHILDREN.c.contact_id,
                        CHILDREN.c.person_id,
                        CHILDREN.c.given_name,
                        CHILDREN.c.family_name,
                        CHILDREN.c.expected_date_of_birth,
                    )
                    .where(CHILDREN.c.contact_id.in_(chunk))
                    .order_by(CHILDREN.c.contact_id, CHILDREN.c.slot)
                ):
                    kids.setdefault(cid, []).append((person, _name(given, family, expected)))
        for cid, row in out.items():
            row["children"] = kids.get(cid, [])
        return out

    def choices(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(office, team) pairs and source codes present, for the dashboard's filters."""
        with self.engine.connect() as conn:
            pairs = [
                (o or NONE, t or NONE)
                for o, t in conn.execute(
                    select(CONTACTS.c.office, CONTACTS.c.team)
                    .distinct()
                    .where(CONTACTS.c.received_at != "")
                    .order_by(CONTACTS.c.office, CONTACTS.c.team)
                )
            ]
            found = {
                s
                for (s,) in conn.execute(
                    select(CONTACTS.c.source_code).distinct().where(CONTACTS.c.source_code != "")
                )
            }
            sources = [s for s in REFERRAL_SOURCES if s in found]
        return pairs, sources

    def census_extras(self, contact_ids: Iterable[str]) -> dict[str, ContactExtras]:
        """Categories (assessment factors) and primary need of these contacts, for the
        CIN census (the MI load does not carry them)."""
        found: dict[str, ContactExtras] = {}
        ids = list(dict.fromkeys(contact_ids))
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                needs: dict[str, str] = {}
                for cid, need in rowread.fetch_statement(
                    conn,
                    select(DECISIONS.c.contact_id, DECISIONS.c.primary_need)
                    .where(
                        and_(
                            DECISIONS.c.contact_id.in_(chunk),
                            DECISIONS.c.superseded.is_(False),
                            DECISIONS.c.primary_need.is_not(None),
                        )
                    )
                    .order_by(DECISIONS.c.decided_at),
                ):
                    needs[cid] = need
                for cid, categories in rowread.fetch_statement(
                    conn,
                    select(CONTACTS.c.contact_id, CONTACTS.c.categories).where(
                        CONTACTS.c.contact_id.in_(chunk)
                    ),
                ):
                    listed = json.loads(categories) if categories else []
                    found[cid] = ContactExtras(tuple(listed), needs.get(cid))
        return found


LOADED = sql_table("mi_loaded", sql_column("contact_id"), sql_column("rated"), schema="temp")


class _LoadedContacts:
    """The contacts a load read, in a temporary table on its connection (``LOADED``),
    dropped when the load ends, however it ends."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> _LoadedContacts:
        rowread.execute(
            self.conn,
            "CREATE TEMP TABLE IF NOT EXISTS mi_loaded"
            " (contact_id TEXT PRIMARY KEY, rated INTEGER)",
        )
        rowread.execute(self.conn, "DELETE FROM temp.mi_loaded")
        return self

    def fill(self, rows: Iterable[tuple[str, bool]]) -> tuple[Select[Any], Select[Any]]:
        """Store (contact id, rated); the selects of all of them and of the rated ones."""
        rowread.execute_many(
            self.conn, "INSERT INTO temp.mi_loaded VALUES (?, ?)", [(c, int(r)) for c, r in rows]
        )
        return select(LOADED.c.contact_id), select(LOADED.c.contact_id).where(LOADED.c.rated == 1)

    def __exit__(self, *exc: object) -> None:
        rowread.execute(self.conn, "DROP TABLE IF EXISTS temp.mi_loaded")


def _fields(column: Any, *names: str) -> list[ColumnElement[Any]]:
    """SQLite's ``json_extract`` of top-level ``names`` of a JSON text column: the few
    fields MI reads, without parsing whole payloads in Python (text and numbers come back
    as they were; a field not there is NULL, as ``dict.get`` gives None; an array or object
    comes back as JSON text)."""
    return [func.json_extract(column, f"$.{name}") for name in names]


def _name(given: str | None, family: str | None, expected: str | None) -> str:
    name = " ".join(p for p in (given, family) if p)
    return name or ("Unborn child" if expected else "(name not known)")


def _supervision(p: dict[str, object]) -> Supervision:
    return Supervision(
        worker=str(p["worker"]),
        supervisor=str(p["supervisor"]),
        held_on=date.fromisoformat(str(p["held_on"])),
        next_due=date.fromisoformat(str(p["next_due"])),
    )


def _assessment(p: dict[str, object]) -> AssessmentCompleted:
    return AssessmentCompleted(
        contact_id=str(p["contact_id"]),
        person_id=str(p["person_id"]),
        completed_on=date.fromisoformat(str(p["completed_on"])),
    )


__all__ = ["ACTION_TYPES", "MiQueries"]
