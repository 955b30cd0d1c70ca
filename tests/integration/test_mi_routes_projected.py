"""Oracle: MI's load reads its routes from the ``routes`` projection
(``MiQueries._counted_routes``, ``_route_parts``) and gives exactly the ``MiInput`` the
fold of every route event at load time gives under the same contract (docs/mi.md, "What a
load holds of routes"; ``tests/mi_fold_reference.FoldedMiQueries``, the reference): every
part, so every figure and every Annex A list row, for periods that cut through a generated
history, the whole store and two look-backs, for the dashboard's load and each list's own.

The history has what the projection could get wrong: LADO and private fostering routes
(their clocks are computed from the projection), routes of void contacts, hand-offs, s47
routes with discussions, police protection, and two children whose routes compete, so the
order the fold meets routes decides the answer (``_in_fold_order``): two s47 routes of one
child (the s47 record takes the first) and two acceptances of one child's hand-offs at the
same moment (the allocation takes the later). The log order and the opening times' order
disagree for both; the test fails if the routes are put in either of the other two orders
(or the fold's reversed), or if a route is missing. (The projection's own row order is
never relied on: a route's row is written again whenever an event changes it.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from dutydesk.demo.mi_extras import load_mi_demo
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.ids import new_id
from dutydesk.mi import annex_a
from dutydesk.mi.dataset import prepare
from dutydesk.mi.figures import compute_all
from dutydesk.mi.records import OPTIONAL_READS, Filters, MiInput, Settings
from dutydesk.store import mi_queries
from dutydesk.store.eventstore import EventStore
from dutydesk.store.mi_queries import MiQueries
from tests.integration.test_mi_route_figures import _history
from tests.mi_fold_reference import FoldedMiQueries
from tests.unit.mi.builders import at, child, event, pid

BUILT = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)
NOW = datetime(2026, 12, 22, 10, 0, tzinfo=LONDON)

PERIODS = [
    Filters(date(2026, 10, 1), date(2026, 10, 31)),
    Filters(date(2026, 9, 14), date(2026, 9, 27)),
    Filters(date(2026, 6, 23), date(2026, 12, 22)),  # the default six months
    Filters(date(2026, 11, 23), date(2026, 12, 31)),
    Filters(date(2026, 10, 1), date(2026, 11, 30), office="North Locality"),
    Filters(date(2026, 9, 1), date(2026, 12, 31), source="1B"),
]


def _competing(r: Any) -> list[int]:
    """Two children whose routes compete (see the module notes); the positions in
    ``r.h.events`` of the events to import after the others."""
    # Two s47 routes of one child: opened first in the log with the later opening time
    # (team "S47 First"), then the other; the first is updated last (the projection
    # rewrites its row, so the table holds it after the second).
    cid = r.contact("2026-10-05 10:00", children=[child(pid())])
    r.h.decide(cid, "2026-10-05 12:00", "strategy_s47")
    first = r.open(
        cid,
        "strategy_s47",
        "2026-10-06 09:00",
        slot=0,
        team="S47 First",
        opened_at=_iso("2026-10-07 09:00"),
    )
    r.open(cid, "strategy_s47", "2026-10-06 10:00", slot=0, team="S47 Second", worker="sw.two")
    r.h.events.append(
        event(
            "strategy.discussed",
            {
                "discussion_id": new_id(),
                "contact_id": cid,
                "slots": [0],
                "held_at": _iso("2026-10-06 11:00"),
                "decision": "s47_single",
                "s47_started_on": "2026-10-06",
                "attendees": [{"agency": "Police"}],
                "lead_social_worker": "sw.lead",
                "police_protection": {"started_at": _iso("2026-10-06 11:00")},
            },
            at("2026-10-06 11:00"),
        )
    )
    late = [len(r.h.events)]  # imported on their own: the projection rewrites the rows
    r.on(cid, first, "route.progressed", "2026-10-20 10:00", step="icpc_held")
    # Two hand-offs of one child accepted, transferred at the same moment: the fold's
    # later one (opened second, with the earlier opening time) is the allocation; the
    # first is accepted last (the projection holds its row last).
    cid = r.contact("2026-10-12 10:00", children=[child(pid())])
    r.h.decide(cid, "2026-10-12 12:00", "cin_assessment")
    one = r.open(cid, "s17_assessment", "2026-10-12 12:30", slot=0)
    two = r.open(
        cid, "s17_assessment", "2026-10-12 12:40", slot=0, opened_at=_iso("2026-10-12 12:00")
    )
    for rid, team in ((one, "Team One"), (two, "Team Two")):
        r.on(cid, rid, "route.transferred", "2026-10-13 10:00", team=team)
    r.on(cid, two, "route.transfer_accepted", "2026-10-14 10:00", worker="sw.two")
    late.append(len(r.h.events))
    r.on(cid, one, "route.transfer_accepted", "2026-10-14 11:00", worker="sw.one")
    # private fostering: visited late, and one not visited (clocks from the projection)
    for received, visited in (("2026-10-19 10:00", "2026-11-10 10:00"), ("2026-12-01 10:00", None)):
        cid = r.contact(received, children=[child(pid())])
        rid = r.open(cid, "private_fostering", received, slot=0)
        if visited:
            r.on(cid, rid, "route.progressed", visited, step="visited")
    return late


def _iso(stamp: str) -> str:
    return at(stamp).isoformat()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventStore]:
    store = EventStore.open(tmp_path_factory.mktemp("mi") / "store.sqlite3")
    load_mi_demo(store, seed=5, events=8000, clock=FixedClock(BUILT), open_contacts=40)
    r, _ = _history()
    late = _competing(r)
    store.import_events([e for i, e in enumerate(r.h.events) if i not in late])
    store.import_events([r.h.events[i] for i in late])
    yield store
    store.close()


@pytest.fixture(scope="module")
def reference(store: EventStore) -> FoldedMiQueries:
    return FoldedMiQueries(store.engine)  # one: its fold is kept between loads


def _loads(
    store: EventStore,
    reference: FoldedMiQueries,
    months: int,
    filters: Filters | None,
    reads: frozenset[str],
) -> tuple[MiInput, MiInput]:
    kw: dict[str, Any] = {"with_people": True, "reads": reads, "lookback_months": months}
    if filters is not None:
        kw.update(
            date_from=filters.date_from,
            date_to=filters.date_to,
            office=filters.office,
            team=filters.team,
            source=filters.source,
        )
    new = MiQueries(store.engine).load(**kw)
    old = reference.load(**kw)
    return new, old


@pytest.mark.parametrize("months", [12, 1])
def test_the_projection_read_gives_the_event_folds_mi_input(
    store: EventStore, reference: FoldedMiQueries, months: int
) -> None:
    settings = Settings(rereferral_months=months)
    seen = {"routes": 0, "clocks": 0, "s47": 0, "allocations": 0, "protections": 0}
    for filters in [*PERIODS, None]:
        new, old = _loads(store, reference, months, filters, OPTIONAL_READS)
        assert new == old, filters
        seen["routes"] += len(new.routes)
        seen["clocks"] += sum(1 for r in new.routes if r.clock is not None)
        seen["s47"] += len(new.s47_records)
        seen["allocations"] += len(new.allocations)
        seen["protections"] += len(new.protections)
        for shown in [filters] if filters else PERIODS:
            ds_new, ds_old = prepare(new), prepare(old)
            assert compute_all(ds_new, shown, NOW, settings) == compute_all(
                ds_old, shown, NOW, settings
            )
            for n in (2, 3, 4, 5):
                assert annex_a.rows_for(n, new, ds_new, shown) == annex_a.rows_for(
                    n, old, ds_old, shown
                )
        if filters is not None:
            for n in (2, 3, 4, 5):  # an export's load of only what its list reads
                narrow_new, narrow_old = _loads(
                    store, reference, months, filters, annex_a.LIST_READS[n]
                )
                assert narrow_new == narrow_old, (n, filters)
    assert all(seen.values()), seen  # the comparisons compare something


_FOLD_ORDER = MiQueries._in_fold_order


def _wrong_orders() -> dict[str, Any]:
    return {
        "the fold's order reversed": lambda conn, routes: _FOLD_ORDER(conn, routes)[::-1],
        "opening times' order": lambda conn, routes: sorted(
            routes, key=lambda r: (r.opened_at, r.route_id)
        ),
    }


@pytest.mark.parametrize("order", list(_wrong_orders()))
def test_routes_read_in_another_order_give_another_answer(
    store: EventStore, reference: FoldedMiQueries, order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oracle can fail: with competing routes put in another order than the fold's
    (reversed, or by opening time), the s47 record and the allocations differ."""
    monkeypatch.setattr(MiQueries, "_in_fold_order", staticmethod(_wrong_orders()[order]))
    new, old = _loads(store, reference, 12, PERIODS[0], OPTIONAL_READS)
    assert new.s47_records != old.s47_records
    assert new.allocations != old.allocations


def test_a_route_missing_from_the_read_gives_another_answer(
    store: EventStore, reference: FoldedMiQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The oracle can fail: a private fostering route left out of the projection read."""
    rows_in = mi_queries.rowread.rows_in

    def short(*args: Any, **kw: Any) -> Any:
        found = rows_in(*args, **kw)
        dropped = next(r for r in found if r.kind == "private_fostering")
        return [r for r in found if r is not dropped]

    monkeypatch.setattr(mi_queries.rowread, "rows_in", short)
    new, old = _loads(store, reference, 12, PERIODS[3], OPTIONAL_READS)
    assert len(new.routes) == len(old.routes) - 1
