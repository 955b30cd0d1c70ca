"""The follow-through views one by one on a real store: partner checks due, chased and
"no trace"; the same-day notice to an open case's allocated worker; conflicts resolved by
a duty manager; entered in error and corrected details (history and MI follow)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.domain.ids import new_id
from dutydesk.domain.timescales import OfficeHours
from dutydesk.services.corrections import CorrectionService
from dutydesk.services.desk import DeskService
from dutydesk.services.followthrough import (
    ACK_LOOKBACK_DAYS,
    DECIDED_LOOKBACK_DAYS,
    FollowThroughService,
)
from dutydesk.services.guard import GuardedStore
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.history_queries import HistoryQueries
from dutydesk.store.mi_queries import MiQueries
from tests.factories import contact_payload, decision_payload, event

THU = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
DM = Actor("dm.sam", Role.DUTY_MANAGER, "d1")
SP = Actor("sp.lee", Role.SENIOR_PRACTITIONER, "d2")
PR = Actor("sw.pat", Role.PRACTITIONER, "d3")


@pytest.fixture
def world(tmp_path):  # type: ignore[no-untyped-def]
    store = ChainedEventStore.open(tmp_path / "s.sqlite3")
    clock = FixedClock(THU)
    yield store, clock
    store.close()


def _follow(store, clock, who: Actor = DM) -> FollowThroughService:  # type: ignore[no-untyped-def]
    return FollowThroughService(GuardedStore(store, who, clock), who, clock, OfficeHours())


def _contact(store, person_id: str | None = None, **changes) -> str:  # type: ignore[no-untyped-def]
    kids = [
        {
            "given_name": "Ava",
            "family_name": "Stone",
            "date_of_birth": "2019-02-11",
            **({"person_id": person_id} if person_id else {}),
        }
    ]
    body = contact_payload(children=kids, received_at=THU.isoformat(), **changes)
    store.append([event("contact.received", body, THU)])
    return body["contact_id"]


def test_partner_checks_due_chased_and_no_trace(world) -> None:  # type: ignore[no-untyped-def]
    store, clock = world
    cid = _contact(store)
    check = new_id()
    store.append(
        [
            event(
                "partner_check.requested",
                {
                    "check_id": check,
                    "contact_id": cid,
                    "agency": "Health – GP",
                    "question": "Registered? Any concerns?",
                    "requested_at": THU.isoformat(),
                    "due_at": (THU + timedelta(hours=4)).isoformat(),
                },
                THU,
            )
        ]
    )
    follow = _follow(store, clock, PR)
    clock.at = THU + timedelta(hours=5)
    row = follow.view().checks[0]
    assert row.overdue and row.chased == 0 and row.answer is None
    follow.chase_partner_check(
        cid, check, "Left a message with the practice manager", due_at=THU + timedelta(hours=7)
    )
    row = follow.view().checks[0]
    assert row.chased == 1 and not row.overdue and row.due_at == THU + timedelta(hours=7)
    with pytest.raises(ValidationError, match="no partner check"):
        follow.chase_partner_check(cid, new_id())
    store.append(
        [
            event(
                "partner_check.answered",
                {
                    "check_id": check,
                    "contact_id": cid,
                    "answer": "Not registered with us.",
                    "no_trace": True,
                },
                clock.at,
            )
        ]
    )
    clock.at = THU + timedelta(hours=9)
    row = follow.view().checks[0]
    assert row.no_trace and not row.overdue


def test_open_case_allocated_worker_told_the_same_working_day(world) -> None:  # type: ignore[no-untyped-def]
    store, clock = world
    pid = new_id()
    store.append(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Ava", "family_name": "Stone", "open_case": True},
                THU,
            )
        ]
    )
    cid = _contact(store, pid)
    follow = _follow(store, clock, PR)
    row = follow.view().notices[0]
    assert row.due == datetime(2026, 11, 26, 17, 0, tzinfo=LONDON) and not row.overdue
    clock.at = THU.replace(hour=17, minute=1)
    assert follow.view().notices[0].overdue
    follow.notify_allocated_worker(cid, pid, "sw.allocated", "phone")
    row = follow.view().notices[0]
    assert not row.overdue and row.notified and "sw.allocated" in row.notified
    with pytest.raises(ValidationError, match="not linked"):
        follow.notify_allocated_worker(cid, new_id(), "sw.allocated", "phone")


def test_conflicting_decisions_are_resolved_by_a_duty_manager(world) -> None:  # type: ignore[no-untyped-def]
    store, clock = world
    cid = _contact(store)
    first = decision_payload(cid, outcome="early_help", threshold_level=2)
    second = decision_payload(cid)
    store.append(
        [
            event("decision.recorded", first, THU, actor="sp.lee", role=Role.SENIOR_PRACTITIONER),
            event("decision.recorded", second, THU + timedelta(minutes=5)),
        ]
    )
    view = _follow(store, clock).view()
    assert [c.contact_id for c in view.conflicts] == [cid]
    with pytest.raises(PermissionDenied):
        _follow(store, clock, SP).resolve_conflict(
            cid, second["decision_id"], "The s47 view is right"
        )
    with pytest.raises(ValidationError, match="choose one"):
        _follow(store, clock).resolve_conflict(cid, new_id(), "The s47 view is right")
    _follow(store, clock).resolve_conflict(
        cid, second["decision_id"], "Injury and disclosure: s47, not early help"
    )
    assert _follow(store, clock).view().conflicts == ()
    row = DeskService(store, DM, clock).queries.contact(cid)
    assert row is not None and row.outcome == "strategy_s47" and not row.conflict


def test_entered_in_error_counts_nowhere_and_corrections_keep_history(world) -> None:  # type: ignore[no-untyped-def]
    store, clock = world
    pid = new_id()
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": pid,
                    "given_name": "Ava",
                    "family_name": "Stone",
                    "date_of_birth": "2019-02-11",
                },
                THU,
            )
        ]
    )
    keep, wrong = _contact(store, pid), _contact(store, pid)
    fix = CorrectionService(GuardedStore(store, SP, clock), SP, clock)
    with pytest.raises(PermissionDenied):
        CorrectionService(GuardedStore(store, PR, clock), PR, clock).entered_in_error(
            wrong, "typed on the wrong family"
        )
    fix.entered_in_error(wrong, "Typed on the wrong family; see contact " + keep[:8])
    with pytest.raises(ValidationError, match="already entered in error"):
        fix.entered_in_error(wrong, "Typed on the wrong family again")
    history = HistoryQueries(store.engine).linked_records([pid]).contacts[pid]
    assert [c.contact_id for c in history] == [keep]
    mi = MiQueries(store.engine).load()
    assert {c.contact_id for c in mi.contacts} == {keep}
    assert wrong not in DeskService(store, SP, clock).desk_queries.open_contact_ids()
    # the record keeps the contact and says why
    assert [e.type for e in store.events_for_contact(wrong)][-1] == "contact.entered_in_error"
    # a corrected date of birth: the old one stays in the log, with the reason
    with pytest.raises(ValidationError, match="at least 10"):
        fix.correct_person(pid, {"date_of_birth": "2019-03-11"}, "typo")
    fix.correct_person(
        pid, {"date_of_birth": "2019-03-11"}, "Birth certificate seen: 11 March, not 11 February"
    )
    person = DeskService(store, SP, clock).queries.person(pid)
    assert person is not None and person.date_of_birth == "2019-03-11"
    dobs = [
        e.payload.get("date_of_birth")
        for e in store.events_for_person(pid)
        if e.type.startswith("person.")
    ]
    assert dobs == ["2019-02-11", "2019-03-11"]


def test_restricted_children_keep_their_timing_and_lose_their_words(world) -> None:  # type: ignore[no-untyped-def]
    from dutydesk.services.audit import AuditService
    from dutydesk.services.guard import RestrictedRecord

    store, clock = world
    pid = new_id()
    store.append(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Ava", "family_name": "Stone"},
                THU,
            )
        ]
    )
    cid = _contact(store, pid)
    named = Actor("sp.named", Role.SENIOR_PRACTITIONER, "d4")
    _follow(store, clock, named).open_route(cid, "private_fostering", slot=0)
    AuditService(GuardedStore(store, Actor("ad.min", Role.ADMIN, "a"), clock)).restrict(
        pid, [named.login], "child of a member of staff"
    )
    clock.at = THU + timedelta(days=12)  # Tue 8 Dec: the visit was due Mon 7 Dec 17:00
    mine = _follow(store, clock, named).view()
    assert mine.routes[0].child == "Ava Stone" and mine.routes[0].overdue
    theirs = _follow(store, clock, DM).view()
    row = theirs.routes[0]
    assert row.overdue and row.next_due == mine.routes[0].next_due  # the work is not lost
    assert row.child == row.label == row.state == "Restricted record" and row.detail == ""
    assert {c.label for c in row.clocks} == {"Restricted record"}
    assert "Ava" not in repr(theirs)
    assert theirs.acknowledgements[0].children == "Restricted record"
    with pytest.raises(RestrictedRecord):
        _follow(store, clock, DM).contact_routes(cid)


def test_decided_children_stay_on_follow_through_until_a_route_is_opened(world) -> None:  # type: ignore[no-untyped-def]
    """A contact leaves the queue when it is decided; its children do not leave sight: each
    child decided onto s47 / an assessment / early help shows as "awaiting a route", with
    the clock its outcome carries, until any route is opened for them."""
    store, clock = world
    pid = new_id()
    s17 = _contact(store, pid, source_code="2A")
    nfa = _contact(store)
    s47 = _contact(store)
    merged = _contact(store)
    desk = DeskService(GuardedStore(store, DM, clock), DM, clock)
    desk.decide(s17, "cin_assessment", 3, decision_payload(s17)["rationale"])
    desk.decide(nfa, "nfa", 1, decision_payload(nfa)["rationale"])
    desk.decide(s47, "strategy_s47", 4, decision_payload(s47)["rationale"])
    desk.decide(merged, "strategy_s47", 4, decision_payload(merged)["rationale"])
    CorrectionService(GuardedStore(store, DM, clock), DM, clock).merge(
        merged, s47, "Same police notification sent twice"
    )
    follow = _follow(store, clock)
    assert follow.view().routes == ()
    rows = {r.contact_id: r for r in follow.view().awaiting}
    assert set(rows) == {s17, s47}, "NFA needs no route; a merged duplicate is gone"
    assert rows[s47].kind == "awaiting" and rows[s47].state == "Awaiting a route"
    assert [(c.label, c.state) for c in rows[s47].clocks] == [
        ("Strategy discussion held (as soon as possible)", "no timescale")
    ]
    (assess,) = rows[s17].clocks
    # referral decided Thu 26 Nov 2026: 45 working days (Christmas and New Year) -> 2 Feb
    assert assess.label == "Assessment completed (45 working days)"
    assert assess.due == datetime(2027, 2, 2, 17, 0, tzinfo=LONDON) and not rows[s17].overdue
    clock.at = datetime(2027, 2, 3, 9, 0, tzinfo=LONDON)
    assert {r.contact_id: r for r in follow.view().awaiting}[s17].overdue
    assert follow.view().overdue_counts()["awaiting"] == 1
    with pytest.raises(ValidationError, match="no route"):
        follow.close_route("", "nothing to close")
    # a completed assessment needs no route any more
    store.append(
        [
            event(
                "assessment.completed",
                {"contact_id": s17, "person_id": pid, "completed_on": "2027-02-02"},
                clock.at,
            )
        ]
    )
    assert {r.contact_id for r in follow.view().awaiting} == {s47}
    # a route for the child (any route) takes over; a recorded strategy discussion too
    follow.open_route(s17, "s17_assessment", slot=0)
    follow.record_strategy_discussion(
        s47,
        slots=[0],
        held_at=clock.at,
        decision="no_s47_s17",
        attendees=[{"agency": "Police"}, {"agency": "Health"}],
    )
    view = follow.view()
    assert {(r.contact_id, r.kind) for r in view.routes} == {
        (s17, "s17_assessment"),
        (s47, "strategy_s47"),
    }
    assert view.awaiting == ()


def test_partner_checks_from_the_desk_are_due_by_the_rating_and_can_find_no_trace(world) -> None:  # type: ignore[no-untyped-def]
    """Asked from the desk, a check is due by the contact's response time (its rating);
    without a rating, within one working day; a "no trace" answer is recorded as such."""
    store, clock = world
    rated, unrated = _contact(store), _contact(store)
    store.append(
        [
            event(
                "contact.rated",
                {
                    "contact_id": rated,
                    "score": 70,
                    "rating": "red",
                    "reasons": [],
                    "policy_version": "test",
                    "due_at": (THU + timedelta(hours=4)).isoformat(),
                },
                THU,
            )
        ]
    )
    desk = DeskService(GuardedStore(store, PR, clock), PR, clock)
    desk.request_partner_check(rated, "Police", "Any call-outs to the address?")
    desk.request_partner_check(unrated, "Health – GP", "Registered?")
    with pytest.raises(ValidationError, match="before it is asked"):
        desk.request_partner_check(unrated, "Education", "Attending?", THU - timedelta(hours=1))
    checks = {c.contact_id: c for c in _follow(store, clock).view().checks}
    assert checks[rated].due_at == THU + timedelta(hours=4)
    assert checks[unrated].due_at == datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)
    clock.at = THU + timedelta(hours=5)
    checks = {c.contact_id: c for c in _follow(store, clock).view().checks}
    assert checks[rated].overdue and not checks[unrated].overdue
    desk.answer_partner_check(
        unrated, checks[unrated].check_id, "Not registered here.", "Practice manager", no_trace=True
    )
    desk.answer_partner_check(rated, checks[rated].check_id, "Two call-outs in June.")
    checks = {c.contact_id: c for c in _follow(store, clock).view().checks}
    assert checks[unrated].no_trace and not checks[rated].no_trace
    assert not any(c.overdue for c in checks.values())


def test_an_initial_conference_is_never_dated_at_a_weekend(world) -> None:  # type: ignore[no-untyped-def]
    """DfE census rule 8875: the ICPC date cannot be a Saturday or Sunday, so the desk
    refuses it at the door, not at census time."""
    store, clock = world
    cid = _contact(store)
    follow = _follow(store, clock)
    follow.record_strategy_discussion(
        cid,
        slots=[0],
        held_at=THU,
        decision="s47_single",
        attendees=[{"agency": "Police"}],
        s47_started_on=THU.date(),
    )
    (route,) = [r for r in follow.contact_routes(cid).routes if r.kind == "strategy_s47"]
    clock.at = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError, match="weekend"):
        follow.progress(
            route.route_id, "icpc_held", at=datetime(2026, 11, 28, 10, 0, tzinfo=LONDON)
        )
    follow.progress(route.route_id, "icpc_held", at=datetime(2026, 11, 30, 10, 0, tzinfo=LONDON))
    (record,) = follow.s47_records()
    assert record.icpc_held_on == datetime(2026, 11, 30).date()


def test_once_the_desk_records_routes_no_decided_child_drops_out_of_sight(world) -> None:  # type: ignore[no-untyped-def]
    """Decisions older than 100 days are followed too once the desk has recorded a route
    before them (it was following children through by then); older history, such as an
    import from before, is not."""
    store, clock = world
    old = _contact(store)
    DeskService(GuardedStore(store, DM, clock), DM, clock).decide(
        old, "strategy_s47", 4, decision_payload(old)["rationale"]
    )
    clock.at = THU + timedelta(days=200)
    follow = _follow(store, clock)
    assert follow.view().awaiting == (), "200 days old, from before any route: not followed"
    early = THU - timedelta(days=50)
    first = _contact(store)
    store.append(
        [
            event(
                "route.opened",
                {
                    "route_id": new_id(),
                    "contact_id": first,
                    "kind": "signpost",
                    "slot": 0,
                    "to": "Family Hub",
                },
                early,
            )
        ]
    )
    assert [r.contact_id for r in follow.view().awaiting] == [old]


def test_older_decisions_without_a_route_are_counted_not_dropped_silently(world) -> None:  # type: ignore[no-untyped-def]
    """Decisions older than the look-back, from before the desk recorded any route, are
    not listed, but the view counts their children still without a route (and says from
    when it lists), so an inspector tracing a child sees that they exist."""
    store, clock = world
    desk = DeskService(GuardedStore(store, DM, clock), DM, clock)
    waiting, routed, nfa = _contact(store), _contact(store), _contact(store)
    desk.decide(waiting, "strategy_s47", 4, decision_payload(waiting)["rationale"])
    desk.decide(routed, "cin_assessment", 3, decision_payload(routed)["rationale"])
    desk.decide(nfa, "nfa", 1, decision_payload(nfa)["rationale"])
    clock.at = THU + timedelta(days=200)
    recent = _contact(store)
    desk.decide(recent, "strategy_s47", 4, decision_payload(recent)["rationale"])
    follow = _follow(store, clock)
    view = follow.view()
    assert [r.contact_id for r in view.awaiting] == [recent]
    assert view.awaiting_since == clock.at - timedelta(days=DECIDED_LOOKBACK_DAYS)
    assert view.awaiting_older == 2, "two old children without a route; NFA needs none"
    follow.open_route(routed, "s17_assessment", slot=0)
    # the desk has now recorded a route, but after the old decisions: still counted, not
    # listed; once the old child has a route too, nothing is left out
    view = follow.view()
    assert [r.contact_id for r in view.awaiting] == [recent] and view.awaiting_older == 1
    follow.open_route(waiting, "strategy_s47", slot=0)
    assert follow.view().awaiting_older == 0


def test_older_unsent_allocated_worker_notices_are_counted_not_dropped_silently(world) -> None:  # type: ignore[no-untyped-def]
    """A contact older than the notices tab's look-back whose open-case child's allocated
    worker was never told is not listed, but counted (with the date the tab lists from),
    until a notice is recorded. Told children, closed cases, imported history and
    contacts entered in error are not counted."""
    store, clock = world
    pids = [new_id() for _ in range(4)]
    store.append(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Ava", "family_name": "Stone", "open_case": i < 3},
                THU,
            )
            for i, pid in enumerate(pids)
        ]
    )
    untold = _contact(store, pids[0])
    told = _contact(store, pids[1])
    imported = _contact(store, pids[2], channel="import")
    closed_case = _contact(store, pids[3])
    void = _contact(store, pids[0])
    follow = _follow(store, clock, DM)
    follow.notify_allocated_worker(told, pids[1], "sw.allocated", "phone")
    CorrectionService(GuardedStore(store, DM, clock), DM, clock).entered_in_error(
        void, "entered twice by mistake"
    )
    assert {n.contact_id for n in follow.view().notices} == {untold, told, imported}
    assert closed_case  # no open case: never on the tab
    clock.at = THU + timedelta(days=ACK_LOOKBACK_DAYS + 1)
    body = contact_payload(
        children=[{"given_name": "Ava", "family_name": "Stone", "person_id": pids[0]}],
        received_at=clock.at.isoformat(),
    )
    store.append([event("contact.received", body, clock.at)])
    recent = body["contact_id"]
    view = follow.view()
    assert [n.contact_id for n in view.notices] == [recent]
    assert view.notices_since == clock.at - timedelta(days=ACK_LOOKBACK_DAYS)
    assert view.notices_older == 1, "the old untold child is counted, the others are not"
    follow.notify_allocated_worker(untold, pids[0], "sw.allocated", "email")
    assert follow.view().notices_older == 0


def test_conflicts_are_resolved_within_one_working_day_of_arising(world) -> None:  # type: ignore[no-untyped-def]
    """The conflict arises when the second standing decision is recorded (Thursday 10:05);
    a duty manager resolves it within 1 working day of office time: Friday 10:05. Overdue
    after that, in the row and in the view's overdue counts."""
    store, clock = world
    cid = _contact(store)
    first = decision_payload(cid, outcome="early_help", threshold_level=2)
    second = decision_payload(cid)
    store.append(
        [
            event("decision.recorded", first, THU, actor="sp.lee", role=Role.SENIOR_PRACTITIONER),
            event("decision.recorded", second, THU + timedelta(minutes=5)),
        ]
    )
    follow = _follow(store, clock)
    (row,) = follow.view().conflicts
    assert row.arose_at == THU + timedelta(minutes=5)
    assert row.due == datetime(2026, 11, 27, 10, 5, tzinfo=LONDON) and not row.overdue
    clock.at = datetime(2026, 11, 27, 10, 5, tzinfo=LONDON)
    assert not follow.view().conflicts[0].overdue, "due at 10:05, not overdue at 10:05"
    clock.at = datetime(2026, 11, 27, 10, 6, tzinfo=LONDON)
    view = follow.view()
    assert view.conflicts[0].overdue and view.overdue_counts()["conflicts"] == 1
    follow.resolve_conflict(cid, second["decision_id"], "Injury and disclosure: s47")
    assert follow.view().overdue_counts()["conflicts"] == 0


def test_handover_notes_are_read_within_one_working_day(world) -> None:  # type: ignore[no-untyped-def]
    """A note the out-of-hours team leaves on Friday night (27 Nov 2026, 23:00) is due by
    the close of Monday (the clock starts Monday 09:00; 1 WD = Monday 17:00); overdue
    after that until someone on duty reads it."""
    store, clock = world
    friday_night = datetime(2026, 11, 27, 23, 0, tzinfo=LONDON)
    clock.at = friday_night
    DeskService(store, PR, clock).note_handover("Night 27 Nov, EDT", "Police protection used.")
    follow = _follow(store, clock)
    (row,) = follow.view().handovers
    assert row.due == datetime(2026, 11, 30, 17, 0, tzinfo=LONDON) and not row.overdue
    clock.at = datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)
    assert not follow.view().handovers[0].overdue
    clock.at = datetime(2026, 11, 30, 17, 1, tzinfo=LONDON)
    view = follow.view()
    assert view.handovers[0].overdue and view.overdue_counts()["handovers"] == 1
    DeskService(store, DM, clock).acknowledge_handover(row.handover_id)
    view = follow.view()
    assert not view.handovers[0].overdue and view.overdue_counts()["handovers"] == 0


def test_older_unsent_notices_are_in_the_overdue_totals(world) -> None:  # type: ignore[no-untyped-def]
    """An open-case child's notice older than the look-back is due the same working day,
    so it is overdue: the view's overdue totals include it, not only the side count."""
    store, clock = world
    pid = new_id()
    store.append(
        [
            event(
                "person.registered",
                {"person_id": pid, "given_name": "Ava", "family_name": "Stone", "open_case": True},
                THU,
            )
        ]
    )
    cid = _contact(store, pid)
    clock.at = THU + timedelta(days=ACK_LOOKBACK_DAYS + 1)
    follow = _follow(store, clock)
    view = follow.view()
    assert view.notices == () and view.notices_older == 1
    assert view.overdue_counts()["notices"] == 1
    follow.notify_allocated_worker(cid, pid, "sw.allocated", "phone")
    assert follow.view().overdue_counts()["notices"] == 0


def test_the_view_folds_only_open_routes_and_shows_what_the_full_fold_shows(world) -> None:  # type: ignore[no-untyped-def]
    """The view folds only the contacts with a route still open (``route_index``). On a
    store with routes closed, handed over (transfer accepted; early help accepted),
    returned and open, and decided children with and without a route, the view is the
    one the fold of every route in the store gives."""
    from dutydesk.domain.routes import RouteIndex

    store, clock = world
    follow = _follow(store, clock)
    ids = [_contact(store) for _ in range(6)]
    closed, handed, eh_done, returned, still_open, unrouted = ids
    for cid in ids:
        store.append(
            [event("decision.recorded", decision_payload(cid, outcome="cin_assessment"), THU)]
        )
    rid, _ = follow.open_route(closed, "s17_assessment", slot=0)
    follow.close_route(rid, "assessment team took it by phone")
    rid, _ = follow.open_route(handed, "s17_assessment", slot=0)
    follow.transfer(rid, "Assessment East", "sw.kim")
    follow.answer_transfer(rid, accept=True, worker="sw.kim")
    rid, _ = follow.open_route(eh_done, "early_help", slot=0, team="EH", family_consent="given")
    follow.progress(rid, "accepted")
    rid, _ = follow.open_route(returned, "s17_assessment", slot=0)
    follow.transfer(rid, "Assessment East")
    follow.answer_transfer(rid, accept=False, reason="not ours")
    follow.open_route(still_open, "s17_assessment", slot=0)
    index = follow.q.route_index()
    assert index.open_contacts == {returned, still_open}
    assert unrouted not in {cid for cid, _slot in index.routed}

    full = _follow(store, clock)
    every = full.q.fold(OfficeHours())
    full.q.route_index = lambda: RouteIndex(  # type: ignore[method-assign]
        frozenset(r.contact_id for r in every.routes.values()),
        frozenset((r.contact_id, r.slot) for r in every.routes.values()),
    )
    view = follow.view()
    assert view == full.view()
    assert {r.contact_id for r in view.routes} == {returned, still_open}
    assert [r.contact_id for r in view.awaiting] == [unrouted]
    # The index is read once and then fed only newer events: after another route closes
    # (and one opens), it is the index a fresh read of the whole log gives.
    from dutydesk.store.followthrough_queries import FollowThroughQueries

    follow.close_route(view.routes[0].route_id, "handed to the team by phone")
    follow.open_route(unrouted, "s17_assessment", slot=0)
    fresh = FollowThroughQueries(store.engine).route_index()
    assert follow.q.route_index() == fresh
    assert fresh.open_contacts == {returned, still_open, unrouted} - {view.routes[0].contact_id}
    # Each contact's fold is kept between views and folded again only after an event on
    # it: a step on one route, a decision on another contact, and the clock moving on;
    # the view is still the one a fresh fold of every route gives.
    still = next(r for r in view.routes if r.contact_id == still_open)
    follow.transfer(still.route_id, "Assessment East")
    clock.at = THU + timedelta(days=3)
    again = _follow(store, clock)
    every = again.q.fold(OfficeHours())
    again.q.route_index = lambda: RouteIndex(  # type: ignore[method-assign]
        frozenset(r.contact_id for r in every.routes.values()),
        frozenset((r.contact_id, r.slot) for r in every.routes.values()),
    )
    later = follow.view()
    assert later == again.view()
    assert next(r for r in later.routes if r.route_id == still.route_id).transfer_state == (
        "awaiting"
    )


def test_the_allocated_worker_is_on_the_person_record_and_names_the_notice(world) -> None:  # type: ignore[no-untyped-def]
    """A contact officer records who holds a child's open case (worker and team, as the
    case-management system has them): the case is open, the notice row names the worker.
    Closing the case clears them. An auditor may not record it."""
    store, clock = world
    pid = new_id()
    store.append([event("person.registered", {"person_id": pid, "given_name": "Ava"}, THU)])
    cid = _contact(store, pid)
    follow = _follow(store, clock)
    assert follow.view().notices == ()  # no open case: nobody to tell
    officer = Actor("co.ray", Role.CONTACT_OFFICER, "d4")
    fix = CorrectionService(GuardedStore(store, officer, clock), officer, clock)
    fix.record_allocation(pid, "Sam Allocated", "Locality 2", "as Mosaic records it")
    person = store.read_model().people.get(pid)
    assert person is not None and person.open_case
    assert (person.allocated_worker, person.allocated_team) == ("Sam Allocated", "Locality 2")
    (row,) = follow.view().notices
    assert (row.contact_id, row.worker, row.team) == (cid, "Sam Allocated", "Locality 2")
    follow.notify_allocated_worker(cid, pid, row.worker or "", "phone")
    assert "Sam Allocated" in (follow.view().notices[0].notified or "")
    with pytest.raises(ValidationError, match="worker as well"):
        fix.record_allocation(pid, None, "Locality 2", "team only")
    fix.record_allocation(pid, None, None, "case closed in Mosaic on 25 Nov")
    person = store.read_model().people.get(pid)
    assert person is not None and not person.open_case
    assert (person.allocated_worker, person.allocated_team) == (None, None)
    auditor = Actor("au.kay", Role.AUDITOR, "d5")
    with pytest.raises(PermissionDenied):
        CorrectionService(GuardedStore(store, auditor, clock), auditor, clock).record_allocation(
            pid, "Sam Allocated", None, "auditors read only"
        )


def test_feedback_is_due_a_working_day_after_the_decision_is_made_in_the_view_and_mi(world) -> None:  # type: ignore[no-untyped-def]
    """A practitioner's proposal (Thu 10:30) signed off on Fri 09:30 is made on Friday:
    the referrer is due the decision by Mon 09:30, on the Referrers tab and in MI alike
    (``decisions_made_at``, ``referrer_told_due``)."""
    from dutydesk.mi.dataset import prepare
    from dutydesk.mi.followup import referrer_feedback
    from dutydesk.mi.records import Filters

    store, clock = world
    cid = _contact(store)
    proposal = decision_payload(cid, outcome="early_help", threshold_level=2)
    store.append(
        [
            event(
                "decision.proposed",
                proposal,
                THU.replace(minute=30),
                actor="sw.pat",
                role=Role.PRACTITIONER,
            ),
            event(
                "decision.signed_off",
                {"decision_id": proposal["decision_id"], "contact_id": cid},
                datetime(2026, 11, 27, 9, 30, tzinfo=LONDON),
            ),
        ]
    )
    clock.at = datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)
    (row,) = _follow(store, clock).view().acknowledgements
    assert row.feedback_due == datetime(2026, 11, 30, 9, 30, tzinfo=LONDON)
    ds = prepare(MiQueries(store.engine).load(), OfficeHours())
    week = Filters(THU.date(), THU.date() + timedelta(days=7))
    for at, part in (
        (clock.at, "Not sent yet, in time"),
        (row.feedback_due, "Not sent yet, in time"),
        (row.feedback_due + timedelta(minutes=1), "Not sent, past due"),
    ):
        fig = referrer_feedback(ds, week, at)
        assert {p.label: p.value for p in fig.parts}[part] == 1, (at, part)
