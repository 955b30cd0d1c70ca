"""The reference for MI's read of routes: ``MiQueries.load`` with its route parts taken
from one fold of every route event in the log at load time (``FollowThroughQueries.fold``,
the rules of ``domain.routes``) instead of the ``routes`` projection, and the contract
docs/mi.md states ("What a load holds of routes") applied in plain Python to the folded
routes, where production applies it in SQL to the projection's rows. Tests compare the
whole ``MiInput`` (tests/integration/test_mi_routes_projected.py and its _attack).

This was production's second path (``MiQueries(routes_from_log=True)``) until the
projection read was trusted; it serves tests only. ``whole=True``: the route parts of
every contact with a route in the store (every route, s47 record and allocation), whatever
the period or the contacts loaded, to show that no figure or list reads what the contract
leaves out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Connection, Engine, select

from dutydesk.domain.clock import LONDON
from dutydesk.domain.codes import VOID_STATUSES
from dutydesk.domain.referrals import london_date, months_before
from dutydesk.domain.route_codes import RouteKind
from dutydesk.domain.routes import FollowThrough, allocations, route_records, s47_records
from dutydesk.domain.timescales import OfficeHours
from dutydesk.mi.records import MiDecision, RouteContact
from dutydesk.store import rowread
from dutydesk.store.followthrough_queries import FollowThroughQueries
from dutydesk.store.mi_queries import (
    LOOKBACK_MARGIN,
    MI_ROUTE_KINDS,
    MiQueries,
    RouteParts,
    RouteWants,
)
from dutydesk.store.readmodel import CONTACTS, _chunks


class FoldedMiQueries(MiQueries):
    def __init__(
        self, engine: Engine, calendar: OfficeHours | None = None, *, whole: bool = False
    ) -> None:
        super().__init__(engine, calendar)
        self.whole = whole
        self._folded: tuple[tuple[int, int, int, int], FollowThrough] | None = None

    def _fold(self) -> FollowThrough:
        """Every route and strategy discussion in the log, folded (kept while the store's
        state, ``MiQueries.state``, is the same)."""
        state = self.state()
        if self._folded is None or self._folded[0] != state:
            self._folded = (state, FollowThroughQueries(self.engine).fold(self.calendar))
        return self._folded[1]

    def _counted_routes(
        self,
        conn: Connection,
        decisions: Iterable[MiDecision],
        date_from: date | None,
        date_to: date | None,
    ) -> tuple[set[str], set[str], set[str], dict[str, RouteContact]]:
        """The route contacts of the period, by the contract, from each folded route's
        state now."""
        records = route_records(self._fold())
        counted = {
            r.contact_id
            for r in records
            if r.kind in MI_ROUTE_KINDS or r.transfer_state is not None
        }
        marac = {r.contact_id for r in records if r.kind == RouteKind.MARAC}
        if self.whole:  # every contact with a route, of any kind, in any state
            counted = {r.contact_id for r in records}
        elif date_from is not None or date_to is not None:
            lo = date_from - LOOKBACK_MARGIN if date_from is not None else date.min
            hi = date_to or date.max
            marac_lo = months_before(date_from, 12) - LOOKBACK_MARGIN if date_from else date.min

            def on(at: datetime | None, first: date = lo) -> bool:
                return at is not None and first <= at.astimezone(LONDON).date() <= hi

            def stamped(stamp: str | None) -> bool:
                return bool(stamp) and on(datetime.fromisoformat(str(stamp)))

            keep = set()
            for r in records:
                counts = r.kind in MI_ROUTE_KINDS
                if not counts and r.transfer_state is None:
                    continue
                if (
                    (counts and on(r.opened_at))
                    or (r.kind == RouteKind.MARAC and on(r.opened_at, marac_lo))
                    or (r.transfer_state is not None and on(r.transfer_at))
                    or (r.transfer_state == "awaiting" and r.closed_at is None)
                ):
                    keep.add(r.contact_id)
            for d in decisions:
                if d.contact_id in counted and (
                    stamped(d.decided_at) or stamped(d.signed_off_at or d.decided_at)
                ):
                    keep.add(d.contact_id)
            c = CONTACTS.c
            for chunk in _chunks(sorted(counted - keep)):
                for cid, received in rowread.fetch_statement(
                    conn, select(c.contact_id, c.received_at).where(c.contact_id.in_(chunk))
                ):
                    if received and lo <= london_date(received) <= hi:
                        keep.add(cid)
            counted = keep
        void, found = _route_contact_rows(conn, counted)
        return counted, marac & counted, void, found

    def _route_parts(self, want: RouteWants) -> RouteParts:
        """The s47 record and the allocations of the loaded contacts (with a strategy
        discussion, with an accepted hand-off: ``discussed``, ``accepted``), every route
        of the live route contacts, and the loaded contacts' discussions, from the fold."""
        discussed, accepted, _, live, _, reads = want
        follow = self._fold()
        s47_of, accepted_of = set(discussed), set(accepted)
        s47_found = (
            [r for r in s47_records(follow, self.calendar) if self.whole or r.contact_id in s47_of]
            if (discussed or self.whole) and "s47_records" in reads
            else []
        )
        allocated = (
            {k: v for k, v in allocations(follow).items() if self.whole or k[0] in accepted_of}
            if accepted or (self.whole and "allocations" in reads)
            else {}
        )
        routes = (
            [r for r in route_records(follow) if r.contact_id in live] if "routes" in reads else []
        )
        held = [d for d in follow.discussions if self.whole or d.contact_id in s47_of]
        return s47_found, allocated, routes, held


def _route_contact_rows(
    conn: Connection, contact_ids: Iterable[str]
) -> tuple[set[str], dict[str, RouteContact]]:
    """The route contacts that are void (merged or entered in error: their routes count
    nowhere), and the others' receipt, office, team and source, whenever received."""
    void: set[str] = set()
    found: dict[str, RouteContact] = {}
    c = CONTACTS.c
    for chunk in _chunks(sorted(contact_ids)):
        for cid, received, office, team, source, status in rowread.fetch_statement(
            conn,
            select(c.contact_id, c.received_at, c.office, c.team, c.source_code, c.status).where(
                c.contact_id.in_(chunk)
            ),
        ):
            if status in VOID_STATUSES:
                void.add(cid)
            elif received:  # a placeholder row whose contact.received has not arrived
                found[cid] = RouteContact(received, office, team, source)
    return void, found
