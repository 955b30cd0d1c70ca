"""The route figures (issue 21) from a real store: the MI loader folds the routes with the
desk's policy calendar, leaves out contacts entered in error, and finds an earlier MARAC
referral outside the loaded period for the repeat criterion. The figures equal those of
the same history folded in memory (tests/unit/mi/test_route_figures.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event as sa_event

from dutydesk.app import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.routes import FOLLOW_THROUGH_TYPES
from dutydesk.mi import figures
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from dutydesk.store.followthrough_queries import FollowThroughQueries
from tests.factories import event
from tests.unit.mi.builders import at, child, pid
from tests.unit.mi.test_route_figures import FIVE_DAY, SIX_DAY, Routes

NOW = at("2026-12-30 09:30")
PERIOD = Filters(date(2026, 11, 23), date(2026, 12, 31))


def _history() -> tuple[Routes, dict[str, str]]:
    r = Routes()
    ids: dict[str, str] = {}
    # LADO: Fri 27 Nov 19:00, told Mon 30 Nov 10:00 (in time Mon-Fri, late Mon-Sat)
    ids["lado"] = r.contact("2026-11-27 19:00", children=[child(pid())])
    rid = r.open(ids["lado"], "lado", "2026-11-27 19:00", adult_slot=0)
    r.on(ids["lado"], rid, "route.progressed", "2026-11-30 10:00", step="referred")
    # a LADO allegation entered in error: counted nowhere
    ids["void"] = r.contact("2026-12-01 10:00", children=[child(pid())])
    r.open(ids["void"], "lado", "2026-12-01 10:00", adult_slot=0)
    r.h.events.append(
        event(
            "contact.entered_in_error",
            {"contact_id": ids["void"], "reason": "Typed on the wrong family"},
            at("2026-12-01 11:00"),
        )
    )
    # MARAC: a referral in January 2026 (long before the loaded period), a repeat in Dec
    victim_child = pid()
    ids["marac_jan"] = r.contact("2026-01-12 10:00", children=[child(victim_child)], source="6")
    r.open(ids["marac_jan"], "marac", "2026-01-12 10:00", adult_slot=0, marac="referred")
    ids["marac_dec"] = r.contact("2026-12-07 10:00", children=[child(victim_child)], source="6")
    r.open(ids["marac_dec"], "marac", "2026-12-07 10:00", adult_slot=0, marac="referred")
    # an earlier MARAC referral on a contact entered in error is no history
    other = pid()
    ids["marac_void"] = r.contact("2026-06-01 10:00", children=[child(other)], source="6")
    r.open(ids["marac_void"], "marac", "2026-06-01 10:00", adult_slot=0, marac="referred")
    r.h.events.append(
        event(
            "contact.entered_in_error",
            {"contact_id": ids["marac_void"], "reason": "Duplicate of another force's notice"},
            at("2026-06-02 10:00"),
        )
    )
    ids["marac_new"] = r.contact("2026-12-08 10:00", children=[child(other)], source="6")
    r.open(ids["marac_new"], "marac", "2026-12-08 10:00", adult_slot=0, marac="referred")
    # a hand-off waiting since Mon 14 Dec on a contact from June
    ids["handoff"] = r.contact("2026-06-01 10:00", children=[child(pid())])
    rid = r.open(ids["handoff"], "s17_assessment", "2026-06-01 10:00", slot=0)
    r.on(ids["handoff"], rid, "route.transferred", "2026-12-14 10:00", team="Assessment Team 2")
    # a hand-off waiting since Mon 21 Dec on a contact decided in March (early help: not a
    # referral, so outside every window the MI load reads by date), still counted
    ids["march"] = r.contact("2026-03-02 10:00", children=[child(pid())])
    r.h.decide(ids["march"], "2026-03-02 12:00", "early_help")
    rid = r.open(
        ids["march"],
        "early_help",
        "2026-03-02 12:30",
        slot=0,
        team="EH North",
        family_consent="given",
    )
    r.on(ids["march"], rid, "route.transferred", "2026-12-21 10:00", team="Assessment Team 1")
    return r, ids


def test_route_figures_from_the_store_match_the_fold(store: EventStore) -> None:
    r, ids = _history()
    store.import_events(r.h.events)
    for office, lado_parts in ((FIVE_DAY, (1, 0)), (SIX_DAY, (0, 1))):
        service = MiService(store, FixedClock(NOW), actor=demo_actor(), office=office)
        figs = {f.key: f for f in service.figures(service.load(PERIOD), PERIOD)}
        lado = figs["lado_timeliness"]
        assert (lado.parts[0].value, lado.parts[1].value) == lado_parts
        assert lado.denominator == 1  # the contact entered in error is not counted
        marac = figs["marac_referrals"]
        assert marac.value == 2
        assert [x.contact_id for x in marac.parts[1].refs] == [ids["marac_dec"]]
        handoffs = figs["handoffs_awaiting"]
        assert [x.contact_id for x in handoffs.refs] == [ids["handoff"], ids["march"]]
        # Mon-Fri: 15-18, 21-24, 29 and 30 Dec (25 and 28 Dec are bank holidays) = 10;
        # Mon-Sat adds Sat 19 and Sat 26 Dec (Boxing Day's holiday is Mon 28) = 12
        assert handoffs.aside == ("oldest 10 WD" if office is FIVE_DAY else "oldest 12 WD")
    # The same figures as the history folded in memory (the void contacts' events left
    # out by hand here; the loader leaves them out itself).
    void = {ids["void"], ids["marac_void"]}
    memory = Routes()
    memory.h.events = [e for e in r.h.events if e.contact_id not in void]
    ds = memory.dataset(FIVE_DAY)
    service = MiService(store, FixedClock(NOW), actor=demo_actor(), office=FIVE_DAY)
    loaded = {f.key: f for f in service.figures(service.load(PERIOD), PERIOD)}
    today = NOW.date()
    for mine in (
        figures.lado_timeliness(ds, PERIOD, NOW),
        figures.private_fostering_visits(ds, PERIOD, NOW),
        figures.marac_referrals(ds, PERIOD),
        figures.handoffs_awaiting(ds, PERIOD, today),
    ):
        assert loaded[mine.key] == mine
    assert loaded["lado_timeliness"].display() == "100.0% (1/1) · 0 past due, not done"
    assert loaded["marac_referrals"].display() == "2 · 1 repeat"


def test_the_fold_reads_its_contacts_events_by_the_contact_index(store: EventStore) -> None:
    """MI folds the routes of thousands of contacts: the events are read by contact (the
    contact index), never by scanning every event of the route types once per chunk of
    contacts (at 100,000 contacts that took 54 of the load's 74 s). Same events, same
    order as reading every event of those types and keeping these contacts'."""
    r, ids = _history()
    store.import_events(r.h.events)
    # a full chunk of contacts, as MI asks (most with no route events)
    wanted = [ids["lado"], ids["marac_dec"], ids["handoff"], *(pid() for _ in range(497))]
    routed = {ids["lado"], ids["marac_dec"], ids["handoff"]}
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM events" in statement:
            seen.append((statement, parameters))

    sa_event.listen(store.engine, "before_cursor_execute", capture)
    try:
        got = FollowThroughQueries(store.engine).events_of_types(FOLLOW_THROUGH_TYPES, wanted)
    finally:
        sa_event.remove(store.engine, "before_cursor_execute", capture)
    assert len(seen) == 1
    sql, params = seen[0]
    with store.engine.connect() as conn:
        plan = " | ".join(
            str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
        )
    assert "ix_events_contact_id" in plan and "ix_events_type_local_seq" not in plan, plan
    every = FollowThroughQueries(store.engine).events_of_types(FOLLOW_THROUGH_TYPES)
    assert [e.id for e in got] == [e.id for e in every if e.contact_id in set(wanted)]
    assert {e.contact_id for e in got} == routed


def test_a_period_load_reads_only_the_routes_its_figures_can_count(store: EventStore) -> None:
    """A period's load folds the route contacts of the period (received, decided or with a
    route opened in it, with a month's margin), MARAC referrals of the 12 months before
    it, and hand-offs still waiting however old; not a LADO allegation of 2025 or a
    private fostering visit long done. Every route figure and Annex A List 2 are the
    same as from the whole store's load."""
    from dutydesk.mi.annex_a import list2_rows

    r, ids = _history()
    old_lado = r.contact("2025-03-03 10:00", children=[child(pid())])
    rid = r.open(old_lado, "lado", "2025-03-03 10:00", adult_slot=0)
    r.on(old_lado, rid, "route.progressed", "2025-03-03 12:00", step="referred")
    old_pf = r.contact("2025-09-01 10:00", children=[child(pid())])
    rid = r.open(old_pf, "private_fostering", "2025-09-01 10:00", slot=0)
    r.on(old_pf, rid, "route.progressed", "2025-09-04 10:00", step="visited")
    # early help opened in the period on a contact received in September
    sibling = r.contact("2026-09-01 10:00", children=[child(pid())])
    r.open(sibling, "early_help", "2026-12-02 10:00", slot=0, team="EH", family_consent="given")
    store.import_events(r.h.events)
    service = MiService(store, FixedClock(NOW), actor=demo_actor(), office=FIVE_DAY)
    period = service.load(PERIOD)
    whole = service.load()
    read = {x.contact_id for x in period.data.routes}
    assert old_lado not in read and old_pf not in read
    assert {ids["marac_jan"], ids["handoff"], ids["march"], sibling} <= read
    assert {old_lado, old_pf} <= {x.contact_id for x in whole.data.routes}
    today = NOW.date()
    for figure in (
        figures.lado_timeliness,
        figures.private_fostering_visits,
    ):
        assert figure(period.dataset, PERIOD, NOW) == figure(whole.dataset, PERIOD, NOW)
    assert figures.marac_referrals(period.dataset, PERIOD) == figures.marac_referrals(
        whole.dataset, PERIOD
    )
    assert figures.handoffs_awaiting(period.dataset, PERIOD, today) == (
        figures.handoffs_awaiting(whole.dataset, PERIOD, today)
    )
    listed = list(list2_rows(period.data, period.dataset, PERIOD))
    assert listed == list(list2_rows(whole.data, whole.dataset, PERIOD))
    assert len(listed) == 1


def test_follow_through_figures_from_the_store(store: EventStore) -> None:
    """The loader reads the period's referrers told, partner checks (chased: the new due
    time; answered "no trace"), next steps of standing decisions (one ticked off) and
    the police protection a strategy discussion recorded; the figures count them."""
    from tests.unit.mi.builders import History

    h = History()
    kid = pid()
    cid = h.contact("2026-12-03 10:00", children=[child(kid)], source="6")
    decision = h.decide(cid, "2026-12-03 12:00", "strategy_s47")
    h.events[-1].payload["rationale"]["next_steps"] = [
        {"action": "Strategy discussion", "due": "2026-12-03"},
        {"action": "Visit", "due": "2026-12-08"},
    ]
    check = pid()
    h.events += [
        event(
            "referrer.acknowledged",
            {
                "contact_id": cid,
                "kind": "acknowledgement",
                "method": "email",
                "sent_at": at("2026-12-04 11:00").isoformat(),  # due Fri 10:00: late
            },
            at("2026-12-04 11:00"),
        ),
        event(
            "partner_check.requested",
            {
                "check_id": check,
                "contact_id": cid,
                "agency": "Health",
                "question": "Known?",
                "due_at": at("2026-12-03 12:00").isoformat(),
            },
            at("2026-12-03 10:30"),
        ),
        event(
            "partner_check.chased",
            {"check_id": check, "contact_id": cid, "due_at": at("2026-12-04 12:00").isoformat()},
            at("2026-12-03 13:00"),
        ),
        event(
            "partner_check.answered",
            {"check_id": check, "contact_id": cid, "answer": "Nothing held", "no_trace": True},
            at("2026-12-04 11:00"),
        ),
        event(
            "next_step.completed",
            {"contact_id": cid, "decision_id": decision, "index": 0},
            at("2026-12-03 16:00"),
        ),
        event(
            "strategy.discussed",
            {
                "discussion_id": pid(),
                "contact_id": cid,
                "slots": [0],
                "held_at": at("2026-12-03 14:00").isoformat(),
                "attendees": [{"agency": "Police"}, {"agency": "Health"}],
                "decision": "s47_joint",
                "s47_started_on": "2026-12-03",
                "police_protection": {"started_at": at("2026-12-03 13:00").isoformat()},
            },
            at("2026-12-03 14:30"),
        ),
    ]
    store.import_events(h.events)
    service = MiService(store, FixedClock(NOW), actor=demo_actor(), office=FIVE_DAY)
    figs = {f.key: f for f in service.figures(service.load(PERIOD), PERIOD)}
    assert [(p.label, p.value) for p in figs["referrer_acknowledged"].parts][:2] == [
        ("Within 1 WD", 0),
        ("Late", 1),
    ]
    assert figs["referrer_feedback"].overdue == 1  # never fed back; due Fri 4 Dec 12:00
    checks = {p.label: p.value for p in figs["partner_checks"].parts}
    assert checks["Answered in time"] == 1  # by the chased due time, not the first
    assert checks["No trace (agency holds nothing)"] == 1
    steps = {p.label: p.value for p in figs["next_steps_overdue"].parts}
    assert (steps["Done"], steps["Overdue"]) == (1, 1)
    protection = figs["protection_use"]
    assert protection.value == 1 and protection.refs[0].person_id == kid
    # the same figures in `dutydesk mi`'s CSV, a headline row and a row per part
    import csv
    import io

    from dutydesk.mi.report import write_csv

    out = io.StringIO()
    write_csv(out, tuple(figs.values()), PERIOD)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    keys = {r[0] for r in rows[1:]}
    assert {
        "referrer_acknowledged",
        "referrer_feedback",
        "partner_checks",
        "next_steps_overdue",
        "protection_use",
    } <= keys
    assert rows[next(i for i, r in enumerate(rows) if r[0] == "protection_use")][:4] == [
        "protection_use",
        "Police protection and EPOs (children)",
        "",
        "1",
    ]
