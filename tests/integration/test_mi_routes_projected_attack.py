"""Adversarial histories for MI's projection read of routes (review of 728a331, d51b5d9,
537ef48, f1162bd), compared with the fold of the routes' events (``FoldedMiQueries``,
the reference) as tests/integration/test_mi_routes_projected.py does, on histories its
fixture does not hold: a route whose earlier events fall in a period while its current
state (last opening, last hand-off) does not; a hand-off accepted after the period; a
child's earlier contact outside the period; a contact MI counts routes of but does not
load (another office, or a hand-off still waiting on an old contact) with a strategy
discussion. Also the temporary table of loaded contacts: loads of several periods on one
pooled connection, a load failing after filling it, and an encrypted store.

Found: every figure and Annex A List 2-5 row equalled the reference's, but the ``MiInput``
did not in four of these histories (``BEYOND``): the old reference chose a period's route
contacts on every opening and hand-off a route ever had, and kept the s47 record and
allocations of counted contacts MI did not load. No figure or list reads either (tested
below with the whole store's route parts), so the contract became a route's state now and
the loaded contacts' records (docs/mi.md, "What a load holds of routes"), which the
reference (``tests/mi_fold_reference.FoldedMiQueries``) now computes from its fold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dutydesk.domain.ids import new_id
from dutydesk.mi import annex_a
from dutydesk.mi.dataset import prepare
from dutydesk.mi.figures import compute_all
from dutydesk.mi.records import OPTIONAL_READS, Filters, MiInput, Settings
from dutydesk.store import rowread
from dutydesk.store.database import open_engine
from dutydesk.store.eventstore import EventStore
from dutydesk.store.mi_queries import MiQueries
from tests.factories import event
from tests.mi_fold_reference import FoldedMiQueries
from tests.unit.mi.builders import at, child, pid
from tests.unit.mi.test_route_figures import Routes

NOW = at("2026-12-30 09:30")
PERIODS = [
    Filters(date(2026, 9, 1), date(2026, 9, 30)),
    Filters(date(2026, 10, 1), date(2026, 10, 31)),
    Filters(date(2026, 10, 1), date(2026, 10, 31), office="North"),
    Filters(date(2026, 12, 1), date(2026, 12, 31)),
    Filters(date(2026, 6, 1), date(2026, 6, 30)),
    Filters(date(2030, 1, 1), date(2030, 1, 31)),  # no contacts
]


def _discussed(r: Routes, cid: str, when: str) -> None:
    payload = {
        "discussion_id": new_id(),
        "contact_id": cid,
        "slots": [0],
        "held_at": at(when).isoformat(),
        "decision": "s47_single",
        "s47_started_on": when[:10],
        "attendees": [{"agency": "Police"}],
        "lead_social_worker": "sw.lead",
    }
    r.h.events.append(event("strategy.discussed", payload, at(when)))


def _reopened(r: Routes) -> None:
    """Received and decided in June; a LADO route opened in September, closed, and opened
    again (the same route id: it starts afresh) in December."""
    cid = r.contact("2026-06-01 10:00", children=[child(pid())])
    r.h.decide(cid, "2026-06-01 12:00", "nfa")
    rid = r.open(cid, "lado", "2026-09-10 10:00", adult_slot=0)
    r.on(cid, rid, "route.closed", "2026-09-11 10:00", reason="About a parent")
    body = {"route_id": rid, "contact_id": cid, "kind": "lado", "adult_slot": 0}
    r.h.events.append(event("route.opened", body, at("2026-12-05 10:00")))


def _handed_and_back(r: Routes) -> None:
    """Received in June; handed off to Team A in September (accepted), and back to its
    first team in December (accepted)."""
    cid = r.contact("2026-06-01 10:00", children=[child(pid())])
    r.h.decide(cid, "2026-06-01 12:00", "cin_assessment")
    rid = r.open(cid, "s17_assessment", "2026-06-01 12:30", slot=0, team="Team Home")
    r.on(cid, rid, "route.transferred", "2026-09-15 10:00", team="Team A")
    r.on(cid, rid, "route.transfer_accepted", "2026-09-16 10:00", worker="sw.a")
    r.on(cid, rid, "route.transferred", "2026-12-03 10:00", team="Team Home")
    r.on(cid, rid, "route.transfer_accepted", "2026-12-04 10:00", worker="sw.h")


def _waiting_then_reopened(r: Routes) -> None:
    """Received in June; its s17 route handed off in September and still waiting when it
    was opened again in December (the same route id: it starts afresh, not handed off);
    another's s17 route handed off in September, closed, and opened again in December."""
    for closed in (False, True):
        cid = r.contact("2026-06-01 10:00", children=[child(pid())])
        r.h.decide(cid, "2026-06-01 12:00", "cin_assessment")
        rid = r.open(cid, "s17_assessment", "2026-06-01 12:30", slot=0, team="Team Home")
        r.on(cid, rid, "route.transferred", "2026-09-15 10:00", team="Team A")
        if closed:
            r.on(cid, rid, "route.closed", "2026-09-20 10:00", reason="Handed back by phone")
        body = {"route_id": rid, "contact_id": cid, "kind": "s17_assessment", "slot": 0}
        r.h.events.append(event("route.opened", body, at("2026-12-05 10:00")))


def _accepted_after(r: Routes) -> None:
    """Handed off on 28 September, accepted on 3 October; a LADO route opened on 30
    September on a contact of 29 September, referred to the LADO in October."""
    cid = r.contact("2026-06-01 10:00", children=[child(pid())])
    r.h.decide(cid, "2026-06-01 12:00", "cin_assessment")
    rid = r.open(cid, "s17_assessment", "2026-06-01 12:30", slot=0)
    r.on(cid, rid, "route.transferred", "2026-09-28 10:00", team="Team A")
    r.on(cid, rid, "route.transfer_accepted", "2026-10-03 10:00", worker="sw.a")
    cid = r.contact("2026-09-29 17:30", children=[child(pid())])
    rid = r.open(cid, "lado", "2026-09-30 10:00", adult_slot=0)
    r.on(cid, rid, "route.progressed", "2026-10-01 10:00", step="referred")


def _earlier_contact(r: Routes) -> None:
    """A child's contact of June with an early help route and a MARAC referral, and the
    same child's referral in October."""
    kid = pid()
    cid = r.contact("2026-06-01 10:00", children=[child(kid)], source="6")
    r.h.decide(cid, "2026-06-01 12:00", "early_help")
    r.open(cid, "early_help", "2026-06-01 12:30", slot=0, team="EH", family_consent="given")
    r.open(cid, "marac", "2026-06-01 13:00", adult_slot=0, marac="referred")
    cid = r.h.refer("2026-10-05 10:00", kid, decided="2026-10-05 12:00")
    r.open(cid, "marac", "2026-10-05 13:00", adult_slot=0, marac="referred")


def _other_office(r: Routes) -> None:
    """One child: a referral at North in October (s47); an earlier contact at South
    stepped down to early help in September (not a referral) with an s47 discussion and
    an accepted hand-off of its s47 route. With office=North the South contact is not
    loaded, but its early help route is counted."""
    kid = pid()
    a = r.h.refer("2026-10-05 10:00", kid, office="North", decided="2026-10-05 12:00")
    _discussed(r, a, "2026-10-06 11:00")
    s = r.open(a, "strategy_s47", "2026-10-06 12:00", slot=0)
    r.on(a, s, "route.transferred", "2026-10-07 10:00", team="Team N")
    r.on(a, s, "route.transfer_accepted", "2026-10-08 10:00", worker="sw.n")
    b = r.contact("2026-09-01 10:00", children=[child(kid)], office="South")
    r.h.decide(b, "2026-09-01 12:00", "early_help")
    r.open(b, "early_help", "2026-09-01 12:30", slot=0, team="EH South", family_consent="given")
    _discussed(r, b, "2026-09-20 11:00")
    s = r.open(b, "strategy_s47", "2026-09-20 12:00", slot=0)
    r.on(b, s, "route.transferred", "2026-09-21 10:00", team="Team S")
    r.on(b, s, "route.transfer_accepted", "2026-09-22 10:00", worker="sw.s")


def _old_waiting(r: Routes) -> None:
    """A contact of 2025 (early help, not a referral) with an s47 discussion and an
    accepted hand-off then, and a hand-off still waiting now: counted in every period,
    loaded in none."""
    kid = pid()
    b = r.contact("2025-03-01 10:00", children=[child(kid)])
    r.h.decide(b, "2025-03-01 12:00", "early_help")
    _discussed(r, b, "2025-03-02 11:00")
    s = r.open(b, "strategy_s47", "2025-03-02 12:00", slot=0)
    r.on(b, s, "route.transferred", "2025-03-03 10:00", team="Team S")
    r.on(b, s, "route.transfer_accepted", "2025-03-04 10:00", worker="sw.s")
    e = r.open(b, "early_help", "2025-03-01 12:30", slot=0, team="EH", family_consent="given")
    r.on(b, e, "route.transferred", "2026-12-14 10:00", team="Assessment Team 2")
    a = r.h.refer("2026-10-05 10:00", kid, decided="2026-10-05 12:00")
    _discussed(r, a, "2026-10-06 11:00")
    s = r.open(a, "strategy_s47", "2026-10-06 12:00", slot=0)
    r.on(a, s, "route.transferred", "2026-10-07 10:00", team="Team N")
    r.on(a, s, "route.transfer_accepted", "2026-10-08 10:00", worker="sw.n")


CASES: dict[str, Callable[[Routes], None]] = {
    "reopened": _reopened,
    "handed_and_back": _handed_and_back,
    "waiting_then_reopened": _waiting_then_reopened,
    "accepted_after": _accepted_after,
    "earlier_contact": _earlier_contact,
    "other_office": _other_office,
    "old_waiting": _old_waiting,
}

# The parts the old reference (every event of a route; every counted contact's fold) held
# beyond the contract, by history: what the whole store's parts must show unread.
BEYOND = {
    # a contact whose route was opened (or handed off) in the period and opened again (or
    # handed off again) after it: its route as it stands now is outside the period
    "reopened": ("routes", "route_contacts"),
    "handed_and_back": ("routes", "route_contacts"),
    # a route handed off and opened again (not handed off now): the old reference took
    # the hand-off as still waiting in every period, and counted its contact's routes
    "waiting_then_reopened": ("routes", "route_contacts"),
    # the strategy discussions (so s47 records) and accepted hand-offs (allocations) of
    # counted contacts MI did not load
    "other_office": ("s47_records", "allocations"),
    "old_waiting": ("s47_records", "allocations"),
}


def _build(path: Path, case: str, key: bytes | None = None) -> EventStore:
    r = Routes()
    CASES[case](r)
    store = EventStore(open_engine(path, key))
    store.import_events(r.h.events)
    return store


def _load(store: EventStore, f: Filters | None, *, from_log: bool, whole: bool = False) -> MiInput:
    kw: dict[str, Any] = {"with_people": True, "reads": OPTIONAL_READS}
    if f is not None:
        kw.update(date_from=f.date_from, date_to=f.date_to, office=f.office)
    if from_log:
        return FoldedMiQueries(store.engine, whole=whole).load(**kw)
    return MiQueries(store.engine).load(**kw)


def _differing(new: MiInput, old: MiInput) -> list[str]:
    return [p for p in MiInput.__dataclass_fields__ if getattr(new, p) != getattr(old, p)]


@pytest.mark.parametrize("case", list(CASES))
def test_figures_and_annex_a_lists_equal_the_folds(tmp_path: Path, case: str) -> None:
    store = _build(tmp_path / "store.sqlite3", case)
    try:
        for f in PERIODS:
            new, old = _load(store, f, from_log=False), _load(store, f, from_log=True)
            _same_figures_and_lists(new, old, f)
    finally:
        store.close()


def _same_figures_and_lists(new: MiInput, old: MiInput, f: Filters) -> None:
    """Every figure (re-referral look-backs of 12 and 1 months) and every Annex A List 2-5
    row of the period ``f``."""
    ds_new, ds_old = prepare(new), prepare(old)
    for months in (12, 1):
        settings = Settings(rereferral_months=months)
        assert compute_all(ds_new, f, NOW, settings) == compute_all(ds_old, f, NOW, settings), f
    for n in (2, 3, 4, 5):
        assert annex_a.rows_for(n, new, ds_new, f) == annex_a.rows_for(n, old, ds_old, f), (n, f)


@pytest.mark.parametrize("case", list(CASES))
def test_the_mi_input_equals_the_folds(tmp_path: Path, case: str) -> None:
    store = _build(tmp_path / "store.sqlite3", case)
    try:
        for f in [*PERIODS, None]:
            new, old = _load(store, f, from_log=False), _load(store, f, from_log=True)
            assert _differing(new, old) == [], f
    finally:
        store.close()


# What each figure and Annex A list reads of the route parts (grep ``dutydesk/mi/``): a
# route's state now (its opening, steps, hand-off, closing, clock), of contacts received
# in the period (``figures._routes_in_period``), MARAC referrals of the 12 months before
# an incident in it (``figures.marac_referrals``), hand-offs waiting now
# (``figures.handoffs_awaiting``), early help routes opened in the period or of contacts
# decided in it (``annex_a.list2_rows``); s47 records and allocations only of the loaded
# contacts (``section47.recorded_enquiries``, ``dataset.prepare``).
@pytest.mark.parametrize("case", list(CASES))
def test_no_figure_or_list_reads_beyond_the_contract(tmp_path: Path, case: str) -> None:
    """Every figure and Annex A List 2-5 row of a period is the same from the contract's
    route parts as from the whole store's (every route of any kind, s47 record and
    allocation the fold holds, whatever the period or the contacts loaded): what the
    contract leaves out (a route's past, the records of contacts MI did not load) is read
    by none of them.
    Where the old reference held more than the contract, the whole store's parts hold it
    (the comparison compares it)."""
    store = _build(tmp_path / "store.sqlite3", case)
    try:
        beyond: set[str] = set()
        for f in PERIODS:
            held = _load(store, f, from_log=True)
            whole = _load(store, f, from_log=True, whole=True)
            assert whole.contacts == held.contacts  # the same contacts loaded
            beyond |= {
                p
                for p in ("routes", "route_contacts", "s47_records", "allocations")
                if set(_items(getattr(held, p))) < set(_items(getattr(whole, p)))
            }
            _same_figures_and_lists(held, whole, f)
        assert set(BEYOND.get(case, ())) <= beyond
    finally:
        store.close()


def _items(part: Any) -> list[Any]:
    return list(part.items()) if isinstance(part, dict) else list(part)


def test_loads_on_one_pooled_connection_and_after_a_failed_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary table of loaded contacts holds no rows of an earlier load (another
    period, or one that failed after filling it): each load equals a load on a store
    opened afresh."""
    r = Routes()
    for build in CASES.values():
        build(r)
    store = EventStore.open(tmp_path / "store.sqlite3")
    store.import_events(r.h.events)
    fresh = EventStore.open(tmp_path / "store.sqlite3")
    try:
        periods = [*PERIODS, None]
        want = {}
        for f in periods:
            want[f] = _load(fresh, f, from_log=False)
            fresh.engine.dispose()  # every load of the reference on a new connection
        for f in [*periods, *reversed(periods)]:
            assert _load(store, f, from_log=False) == want[f], f
        with monkeypatch.context() as m:

            def fail(*_: Any) -> Any:
                raise RuntimeError("failed after the loaded contacts were stored")

            m.setattr(MiQueries, "_follow_ups", staticmethod(fail))
            with pytest.raises(RuntimeError):
                _load(store, PERIODS[3], from_log=False)
        for f in periods:
            assert _load(store, f, from_log=False) == want[f], f
        with store.engine.connect() as conn:
            # a temporary table left on the pooled connection (its DROP is rolled back
            # with the load's transaction) is empty
            if rowread.fetch(conn, "SELECT 1 FROM temp.sqlite_master WHERE name = 'mi_loaded'"):
                assert rowread.fetch(conn, "SELECT count(*) FROM temp.mi_loaded")[0][0] == 0
    finally:
        store.close()
        fresh.close()


@pytest.mark.parametrize("case", ["accepted_after", "earlier_contact"])
def test_an_encrypted_store_gives_the_folds_mi_input(tmp_path: Path, case: str) -> None:
    pytest.importorskip("sqlcipher3")
    store = _build(tmp_path / "store.sqlite3", case, key=bytes(range(32)))
    try:
        for f in [*PERIODS, None]:
            new = _load(store, f, from_log=False)
            assert new == _load(store, f, from_log=True), f
            assert new == _load(store, f, from_log=False), f  # again, on a pooled connection
    finally:
        store.close()
