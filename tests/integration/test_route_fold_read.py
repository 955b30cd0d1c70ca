"""The route fold read as five columns (``FollowThroughQueries._fold_rows``), each payload
parsed as it is folded, folds to exactly what whole events gave (``events_of_types`` into
``fold_routes``, the oracle): every route, discussion and adult, with clocks, in the same
order, for the whole store and for a set of contacts, over a generated store with routes
in every state plus the route figures' history (LADO, MARAC, hand-offs, contacts entered
in error)."""

from __future__ import annotations

from datetime import datetime

import pytest

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.domain import routes as rules
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.timescales import OfficeHours
from dutydesk.store.eventstore import EventStore
from dutydesk.store.followthrough_queries import FollowThroughQueries
from tests.integration.test_mi_route_figures import _history
from tests.unit.mi.test_route_figures import SIX_DAY

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def _old_fold(
    q: FollowThroughQueries, office: OfficeHours, contact_ids: list[str] | None
) -> rules.FollowThrough:
    """``FollowThroughQueries.fold`` as it was: whole events."""
    events = q.events_of_types(rules.FOLLOW_THROUGH_TYPES, contact_ids)
    facts = {}
    for cid, received, decided, referral in q._times(
        {e.contact_id for e in events if e.contact_id}
    ):
        if received:
            day = (
                datetime.fromisoformat(decided).astimezone(office.zone).date()
                if referral and decided
                else None
            )
            facts[cid] = rules.ContactFacts(cid, datetime.fromisoformat(received), day)
    return rules.fold_routes(events, facts, office)


def _same(new: rules.FollowThrough, old: rules.FollowThrough) -> None:
    assert new == old
    assert list(new.routes) == list(old.routes)  # the same order too
    assert list(new.adults) == list(old.adults)


def test_the_fold_read_as_columns_equals_the_fold_of_whole_events(store: EventStore) -> None:
    load_mi_demo(store, seed=3, events=6000, clock=FixedClock(NOW), open_contacts=20)
    r, ids = _history()
    # the first contact's second route, opened last: log order is not contact order
    r.open(ids["lado"], "private_fostering", "2026-12-20 10:00", slot=0)
    store.import_events(r.h.events)
    q = FollowThroughQueries(store.engine)
    whole = _old_fold(q, OfficeHours(), None)
    states = {
        "closed" if x.closed_at else x.transfer_state or ("open" if x.open else "handed over")
        for x in whole.routes.values()
    }
    assert {"closed", "awaiting", "accepted", "open"} <= states
    assert len(whole.discussions) > 3 and len(whole.routes) > 50
    assert {x.kind for x in whole.routes.values()} >= {"lado", "marac", "strategy_s47"}
    for office in (OfficeHours(), SIX_DAY):
        _same(q.fold(office), _old_fold(q, office, None))
        everyone = sorted({x.contact_id for x in whole.routes.values()})
        for some in (everyone, everyone[::3], [ids["lado"], *everyone[-40:]]):
            _same(q.fold(office, some), _old_fold(q, office, some))


def test_clocks_for_some_contacts_leave_every_other_part_of_the_fold_as_it_was(
    store: EventStore,
) -> None:
    """MI folds routes whose clocks it does not read (``clocks_for``): the routes of the
    contacts named keep exactly the clocks of the full fold, every other route has none,
    and everything else (routes, steps, discussions, adults, order) is the full fold's."""
    load_mi_demo(store, seed=4, events=4000, clock=FixedClock(NOW), open_contacts=20)
    q = FollowThroughQueries(store.engine)
    full = q.fold(OfficeHours())
    everyone = sorted({x.contact_id for x in full.routes.values()})
    some = set(everyone[::2])
    for wanted in (None, everyone):
        part = q.fold(OfficeHours(), wanted, clocks_for=some)
        assert list(part.routes) == list(full.routes)
        with_clocks = 0
        for rid, route in part.routes.items():
            if route.contact_id in some:
                assert route.clocks == full.routes[rid].clocks
                with_clocks += bool(route.clocks)
            else:
                assert route.clocks == []
                route.clocks = full.routes[rid].clocks
        assert part == full
        assert with_clocks > 20


def test_a_fold_that_fails_part_way_raises_its_own_error_and_leaves_the_store_usable(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streamed fold of some contacts (a temporary table joined to the events) failing
    part way through its events (a payload the rules cannot take): the caller gets that
    error, not "database table is locked" from dropping the temporary table under the
    still-open read; the next fold, and a write, work as before."""
    load_mi_demo(store, seed=5, events=3000, clock=FixedClock(NOW), open_contacts=10)
    q = FollowThroughQueries(store.engine)
    everyone = sorted({x.contact_id for x in q.fold(OfficeHours()).routes.values()})
    before = q.fold(OfficeHours(), everyone)
    fold_routes = rules.fold_routes

    def fails_part_way(events, *args, **kwargs):
        it = iter(events)
        next(it)
        raise LookupError("a payload the fold cannot take")

    monkeypatch.setattr(rules, "fold_routes", fails_part_way)
    with pytest.raises(LookupError, match="cannot take"):
        q.fold(OfficeHours(), everyone)
    monkeypatch.setattr(rules, "fold_routes", fold_routes)
    _same(q.fold(OfficeHours(), everyone), before)
    r, _ = _history()
    store.import_events(r.h.events)
