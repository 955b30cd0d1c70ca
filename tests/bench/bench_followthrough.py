"""Benchmark: the follow-through view over a large demo store with many routes. Prints
figures; asserts nothing (the machine is shared: read them as orders of magnitude).

    .venv/bin/python -m tests.bench.bench_followthrough 100000 2000
    .venv/bin/python -m tests.bench.bench_followthrough 0 2000 --store COPY.sqlite3

``--store PATH`` times an existing store instead of building a demo one (e.g. a copy of
``bench_store --keep``'s 1,000,000-event store: the bench adds its routes to it, so never
give it the original).

Builds a demo store of EVENTS events, opens ROUTES routes (a strategy discussion on every
fifth) across its open and recent contacts, then times
- view(): every tab of the follow-through window, computed, first (cold) and refreshed
  (and again without the count
  of older decided children, then without the whole "awaiting a route" tab, to show what
  each costs), and without the count of older unsent allocated-worker notices;
- contact_routes(): one contact's routes, discussions, adults and MARAC criteria;
- s47_records(): what Annex A List 5 reads;
- MiQueries.load() for a six-month period and for the whole store.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from dutydesk.demo.loader import load_demo
from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.events import make_event
from dutydesk.domain.ids import new_id
from dutydesk.domain.timescales import OfficeHours
from dutydesk.services.followthrough import FollowThroughService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.followthrough_queries import FollowThroughQueries

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    best = float("inf")
    value = None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return value, best


def main(argv: list[str]) -> int:
    keep = None
    if "--store" in argv:
        at = argv.index("--store")
        keep = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    events = int(argv[0]) if argv else 100_000
    routes = int(argv[1]) if len(argv) > 1 else 2000
    actor = demo_actor()
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore.open(keep or Path(tmp) / "bench.sqlite3")
        start = time.perf_counter()
        if keep is None:
            load_demo(store, seed=7, events=events, clock=FixedClock(NOW), open_contacts=200)
            print(f"demo store: {events} events in {time.perf_counter() - start:.1f} s")
        else:
            print(f"store {keep}: {store.event_count()} events")
        contacts = FollowThroughQueries(store.engine).contacts_received_since(
            (NOW - timedelta(days=120)).isoformat()
        )
        made = []
        for i in range(routes):
            c = contacts[i % len(contacts)]
            at = datetime.fromisoformat(c.received_at) + timedelta(hours=2)
            kind = (
                "s17_assessment",
                "early_help",
                "strategy_s47",
                "private_fostering",
                "signpost",
            )[i % 5]
            extra: dict[str, Any] = {"slot": 0}
            if kind == "early_help":
                extra.update(team="Early Help North", family_consent="given")
            if kind == "signpost":
                extra.update(to="Family Hub")
            rid = new_id()
            made.append(
                make_event(
                    "route.opened",
                    {"route_id": rid, "contact_id": c.contact_id, "kind": kind, **extra},
                    actor=actor.login,
                    actor_role=actor.role.value,
                    device="bench",
                    at=at,
                )
            )
            if kind == "strategy_s47":
                made.append(
                    make_event(
                        "strategy.discussed",
                        {
                            "discussion_id": new_id(),
                            "contact_id": c.contact_id,
                            "slots": [0],
                            "route_id": rid,
                            "held_at": at.isoformat(),
                            "decision": "s47_joint",
                            "s47_started_on": at.date().isoformat(),
                            "attendees": [{"agency": "Police"}, {"agency": "Health"}],
                        },
                        actor=actor.login,
                        actor_role=actor.role.value,
                        device="bench",
                        at=at,
                    )
                )
        store.import_events(made)
        print(f"added {routes} routes ({len(made)} events)")
        follow = FollowThroughService(store, actor, FixedClock(NOW), OfficeHours())
        # The first view reads the route index and folds every contact with an open route;
        # a refresh reads only what was stored since (issue 21). Both, then best of 3.
        _, first = timed(follow.view, repeat=1)
        print(f"view() first (cold): {first * 1000:.0f} ms")
        view, secs = timed(follow.view)
        print(
            f"view() refreshed: {secs * 1000:.0f} ms  ({len(view.routes)} open routes, "
            f"{len(view.awaiting)} children awaiting a route, "
            f"{view.awaiting_older} older ones counted, "
            f"{len(view.acknowledgements)} referrer rows, {len(view.next_steps)} next steps)"
        )
        # the same view without the count of older decided children (standing decisions
        # before the look-back), then without the whole "awaiting a route" tab, in the
        # same process on the same store: what each costs
        since = follow.q.standing_decisions_since
        before = follow.q.standing_decisions_before
        follow.q.standing_decisions_before = lambda *_a: []  # type: ignore[method-assign]
        _, uncounted = timed(follow.view)
        print(f"view() without the older-decisions count: {uncounted * 1000:.0f} ms")
        follow.q.standing_decisions_since = lambda *_a: []  # type: ignore[method-assign]
        _, bare = timed(follow.view)
        follow.q.standing_decisions_since = since  # type: ignore[method-assign]
        follow.q.standing_decisions_before = before  # type: ignore[method-assign]
        print(f"view() without the awaiting tab: {bare * 1000:.0f} ms")
        # the older unsent allocated-worker notices: the query alone, and the view without it
        older = follow.q.open_case_children_received_before
        since_ack = (NOW - timedelta(days=14)).isoformat()  # ACK_LOOKBACK_DAYS
        pairs, q_secs = timed(lambda: older(since_ack))
        print(
            f"older-notices query: {q_secs * 1000:.1f} ms ({len(pairs)} open-case children on "
            f"older contacts; {view.notices_older} never told)"
        )
        follow.q.open_case_children_received_before = lambda *_a: set()  # type: ignore[method-assign]
        _, unnoticed = timed(follow.view)
        follow.q.open_case_children_received_before = older  # type: ignore[method-assign]
        print(f"view() without the older-notices count: {unnoticed * 1000:.0f} ms")
        # The demo gives nobody an open case, so the count reads no rows. Give every fifth
        # child linked on an older contact an open case (in this throwaway store's read
        # model only) and time again: a store where many old notices were never sent.
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE people SET open_case = 1 WHERE person_id IN ("
                    "SELECT DISTINCT k.person_id FROM contact_children k JOIN contacts c "
                    "ON c.contact_id = k.contact_id WHERE c.received_at < :since) "
                    "AND abs(random()) % 5 = 0"
                ),
                {"since": since_ack},
            )
        pairs, q_secs = timed(lambda: older(since_ack))
        with_old, counted = timed(follow.view)
        print(
            f"with open cases: older-notices query {q_secs * 1000:.1f} ms ({len(pairs)} rows); "
            f"view() {counted * 1000:.0f} ms ({with_old.notices_older} older not sent counted)"
        )
        follow.q.open_case_children_received_before = lambda *_a: set()  # type: ignore[method-assign]
        _, unnoticed = timed(follow.view)
        follow.q.open_case_children_received_before = older  # type: ignore[method-assign]
        print(f"with open cases, view() without the older-notices count: {unnoticed * 1000:.0f} ms")
        _, secs = timed(lambda: follow.contact_routes(contacts[0].contact_id))
        print(f"contact_routes(): {secs * 1000:.1f} ms")
        records, secs = timed(follow.s47_records)
        print(f"s47_records(): {secs * 1000:.0f} ms  ({len(records)} rows)")
        # MI's load: a six-month period reads the period's route contacts, 12 months of
        # MARAC history and waiting hand-offs; the whole store reads every route (issue 21)
        from dutydesk.store.mi_queries import MiQueries

        mi = MiQueries(store.engine)
        six_months: dict[str, Any] = {
            "date_from": (NOW - timedelta(days=183)).date(),
            "date_to": NOW.date(),
        }
        for label, period in (("six months", six_months), ("whole store", {})):
            data, secs = timed(lambda: mi.load(**period), repeat=1)  # noqa: B023 - run now
            print(
                f"MiQueries.load ({label}): {secs * 1000:.0f} ms  ({len(data.routes)} route "
                f"records, {len(data.contacts)} contacts)"
            )
        store.close()
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
