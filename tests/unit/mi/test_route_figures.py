"""MI figures for the routes beside the main outcome (issue 21): LADO told within one
working day, private fostering visits within 7 working days, MARAC referrals and the
repeat criterion, hand-offs awaiting acceptance. Hand-counted histories of real events,
folded by the real route rules (the follow-through view's clocks), over weekends and
England bank holidays, and on a six-day office calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dutydesk.domain.ids import new_id
from dutydesk.domain.projection import ReadModel, apply_all
from dutydesk.domain.routes import ContactFacts, fold_routes, route_records
from dutydesk.domain.timescales import OfficeHours
from dutydesk.mi.dataset import Dataset, prepare
from dutydesk.mi.figures import (
    handoffs_awaiting,
    lado_timeliness,
    marac_referrals,
    private_fostering_visits,
)
from dutydesk.mi.records import Filters
from tests.factories import event
from tests.unit.mi.builders import History, at, child, pid

FIVE_DAY = OfficeHours()
SIX_DAY = OfficeHours(weekdays=frozenset({0, 1, 2, 3, 4, 5}))


class Routes:
    """A ``History`` plus routes on its contacts, folded as MI's loader folds them."""

    def __init__(self) -> None:
        self.h = History()

    def contact(self, received: str, **kw: Any) -> str:
        return self.h.contact(received, **kw)

    def open(self, contact_id: str, kind: str, when: str, **payload: Any) -> str:
        rid = new_id()
        body = {"route_id": rid, "contact_id": contact_id, "kind": kind, **payload}
        self.h.events.append(event("route.opened", body, at(when)))
        return rid

    def on(self, contact_id: str, rid: str, kind: str, when: str, **payload: Any) -> None:
        body = {"route_id": rid, "contact_id": contact_id, **payload}
        self.h.events.append(event(kind, body, at(when)))

    def dataset(self, office: OfficeHours = FIVE_DAY) -> Dataset:
        facts = {
            e.contact_id: ContactFacts(e.contact_id, datetime.fromisoformat(e.client_time))
            for e in self.h.events
            if e.type == "contact.received" and e.contact_id
        }
        follow = fold_routes(self.h.events, facts, office)
        model = apply_all(ReadModel(), self.h.events)
        kids: dict[str, set[str]] = {}
        for k in model.children.values():
            if k.person_id:
                kids.setdefault(k.contact_id, set()).add(k.person_id)
        data = self.h.mi_input(
            routes=route_records(follow),
            route_children={c: frozenset(v) for c, v in kids.items()},
        )
        return prepare(data, office)


def parts(fig: Any) -> list[tuple[str, float]]:
    return [(p.label, p.value) for p in fig.parts]


LADO_PERIOD = Filters(date(2026, 11, 23), date(2026, 12, 31))


def _lado_history() -> tuple[Routes, dict[str, str]]:
    r = Routes()
    ids: dict[str, str] = {}

    def allegation(name: str, received: str) -> str:
        cid = r.contact(received, children=[child(pid())])
        ids[name] = cid
        return r.open(cid, "lado", received, adult_slot=0)

    # Thu 24 Dec 16:00: one office hour that day; 25 Dec, the weekend and Mon 28 Dec
    # (Boxing Day's substitute) are not working days; 7 more hours from Tue 29 Dec 09:00
    # make the due time Tue 29 Dec 16:00. Told at 15:30: in time.
    rid = allegation("christmas_eve", "2026-12-24 16:00")
    r.on(ids["christmas_eve"], rid, "route.progressed", "2026-12-29 15:30", step="referred")
    # Fri 27 Nov 19:00, after hours: the clock starts Mon 30 Nov 09:00, due 17:00.
    # Told at 17:30: late (on a Monday-to-Friday calendar).
    rid = allegation("friday_night", "2026-11-27 19:00")
    r.on(ids["friday_night"], rid, "route.progressed", "2026-11-30 17:30", step="referred")
    # Mon 14 Dec 10:00, due Tue 15 Dec 10:00, never told: past due.
    allegation("never_told", "2026-12-14 10:00")
    # Tue 29 Dec 11:00, due Wed 30 Dec 11:00: not told yet at 09:30, in time.
    allegation("in_time", "2026-12-29 11:00")
    # Closed two hours after opening (the allegation was about a parent): not counted.
    rid = allegation("closed", "2026-12-02 10:00")
    r.on(ids["closed"], rid, "route.closed", "2026-12-02 12:00", reason="About a parent")
    # Received before the period: not counted.
    allegation("october", "2026-10-15 10:00")
    return r, ids


def test_lado_told_within_one_working_day_over_christmas() -> None:
    r, ids = _lado_history()
    fig = lado_timeliness(r.dataset(), LADO_PERIOD, at("2026-12-30 09:30"))
    assert parts(fig) == [
        ("Within 1 WD", 1),
        ("Late", 1),
        ("Not done, past due", 1),
        ("Not done yet, in time", 1),
        ("Closed before due, not needed", 1),
    ]
    assert (fig.numerator, fig.denominator, fig.overdue) == (1, 3, 1)
    assert fig.display() == "33.3% (1/3) · 1 past due, not done"
    assert {ref.contact_id for ref in fig.refs} == {ids["friday_night"], ids["never_told"]}
    assert fig.parts[0].refs[0].contact_id == ids["christmas_eve"]
    # office and team filters are the contact's
    assert (
        lado_timeliness(
            r.dataset(),
            Filters(LADO_PERIOD.date_from, LADO_PERIOD.date_to, office="South"),
            at("2026-12-30 09:30"),
        ).denominator
        == 0
    )


def test_lado_clock_runs_on_the_policys_office_days() -> None:
    """On a desk open Monday to Saturday the Friday-night allegation is due Saturday at
    17:00, so the Monday referral is late; the clock is the route's, on the calendar the
    route was folded with."""
    r = Routes()
    cid = r.contact("2026-11-27 19:00", children=[child(pid())])
    rid = r.open(cid, "lado", "2026-11-27 19:00", adult_slot=0)
    r.on(cid, rid, "route.progressed", "2026-11-30 10:00", step="referred")
    now = at("2026-12-01 12:00")
    assert parts(lado_timeliness(r.dataset(FIVE_DAY), LADO_PERIOD, now))[:2] == [
        ("Within 1 WD", 1),
        ("Late", 0),
    ]
    six = r.dataset(SIX_DAY)
    assert six.routes[0].clock is not None
    assert six.routes[0].clock.due == at("2026-11-28 17:00")
    assert parts(lado_timeliness(six, LADO_PERIOD, now))[:2] == [
        ("Within 1 WD", 0),
        ("Late", 1),
    ]


def test_private_fostering_visits_within_7_working_days_over_easter() -> None:
    """Notified Thu 2 Apr 2026: Good Friday and Easter Monday are not working days, so the
    7th working day is Wed 15 Apr. A notification on Sat 4 Apr (a weekend day is day 0)
    is due the same day."""
    r = Routes()

    def notified(received: str) -> tuple[str, str]:
        cid = r.contact(received, children=[child(pid())])
        return cid, r.open(cid, "private_fostering", received, slot=0)

    on_time = notified("2026-04-02 10:00")
    r.on(*on_time, "route.progressed", "2026-04-15 16:30", step="visited")
    late = notified("2026-04-02 11:00")
    r.on(*late, "route.progressed", "2026-04-16 09:30", step="visited")
    weekend = notified("2026-04-04 10:00")
    running = notified("2026-04-14 10:00")  # due Thu 23 Apr
    ds = r.dataset()
    by_contact = {x.contact_id: x for x in ds.routes}
    assert by_contact[weekend[0]].clock.due == at("2026-04-15 17:00")  # type: ignore[union-attr]
    assert by_contact[running[0]].clock.due == at("2026-04-23 17:00")  # type: ignore[union-attr]
    fig = private_fostering_visits(
        ds, Filters(date(2026, 4, 1), date(2026, 4, 30)), at("2026-04-16 12:00")
    )
    assert parts(fig) == [
        ("Within 7 WD", 1),
        ("Late", 1),
        ("Not done, past due", 1),
        ("Not done yet, in time", 1),
        ("Closed before due, not needed", 0),
    ]
    assert (fig.numerator, fig.denominator) == (1, 3)
    assert {ref.contact_id for ref in fig.refs} == {late[0], weekend[0]}
    # the drill-down names the child the route is for
    assert all(ref.person_id for ref in fig.refs)


def test_marac_referrals_and_the_repeat_criterion() -> None:
    """SafeLives: a repeat is a further incident within 12 months of the last referral to
    MARAC. Exactly 12 months counts; 12 months and a day does not; an earlier "already
    known" is not a referral."""
    r = Routes()
    a, b, d, e, c = (pid() for _ in range(5))

    def incident(person: str, received: str, marac: str) -> tuple[str, str]:
        cid = r.contact(received, children=[child(person)], source="6")
        return cid, r.open(cid, "marac", received, adult_slot=0, marac=marac)

    incident(a, "2025-10-01 10:00", "referred")
    repeat = incident(a, "2026-09-10 10:00", "referred")
    r.on(*repeat, "route.progressed", "2026-09-10 15:00", step="referred")
    incident(b, "2025-09-09 10:00", "referred")
    day_over = incident(b, "2026-09-10 11:00", "referred")
    incident(e, "2025-09-12 10:00", "referred")
    exactly = incident(e, "2026-09-12 10:00", "referred")
    known = incident(c, "2026-09-15 10:00", "already_known")
    incident(d, "2026-03-01 10:00", "already_known")
    after_known = incident(d, "2026-09-20 10:00", "referred")
    fig = marac_referrals(r.dataset(), Filters(date(2026, 9, 1), date(2026, 9, 30)))
    assert fig.value == 4
    assert parts(fig) == [
        ("Referred to MARAC", 4),
        ("Repeat criterion met", 2),
        ("Referral sent", 1),
        ("Referral not sent yet", 3),
        ("Already known to MARAC", 1),
    ]
    assert {x.contact_id for x in fig.parts[1].refs} == {repeat[0], exactly[0]}
    assert {x.contact_id for x in fig.refs} == {
        repeat[0],
        day_over[0],
        exactly[0],
        after_known[0],
    }
    assert fig.parts[4].refs[0].contact_id == known[0]
    assert fig.display() == "4 · 2 repeat"


def test_hand_offs_awaiting_acceptance_and_for_how_long() -> None:
    """Now, whatever the period: working days since the hand-off (day 0), over Christmas.
    Accepted, returned and closed hand-offs are not waiting."""
    r = Routes()

    def handed(received: str, when: str, *, office: str = "North") -> tuple[str, str]:
        cid = r.contact(received, children=[child(pid())], office=office)
        rid = r.open(cid, "s17_assessment", received, slot=0)
        r.on(cid, rid, "route.transferred", when, team="Assessment Team 2", worker="sw.kaur")
        return cid, rid

    handed("2026-06-01 10:00", "2026-12-14 10:00")  # 9 WD by Tue 29 Dec
    handed("2026-12-17 10:00", "2026-12-18 10:00")  # 21-24 Dec, 29 Dec: 5 WD
    handed("2026-12-23 10:00", "2026-12-24 10:00")  # 29 Dec only: 1 WD
    today = handed("2026-12-29 08:00", "2026-12-29 09:00", office="South")  # day 0
    accepted = handed("2026-12-01 10:00", "2026-12-02 10:00")
    r.on(*accepted, "route.transfer_accepted", "2026-12-02 12:00", worker="sw.kaur")
    returned = handed("2026-12-01 10:00", "2026-12-02 10:00")
    r.on(*returned, "route.transfer_returned", "2026-12-03 12:00", reason="Not ours")
    closed = handed("2026-12-01 10:00", "2026-12-02 10:00")
    r.on(*closed, "route.closed", "2026-12-03 12:00", reason="Family moved away")
    ds = r.dataset()
    fig = handoffs_awaiting(ds, Filters(date(2026, 12, 1), date(2026, 12, 31)), date(2026, 12, 29))
    assert fig.value == 4
    assert parts(fig) == [("Day 0", 1), ("1 WD", 1), ("2–5 WD", 1), ("Over 5 WD", 1)]
    assert fig.display() == "4 · oldest 9 WD"
    assert "Assessment Team 2" in fig.note
    south = handoffs_awaiting(
        ds, Filters(date(2026, 12, 1), date(2026, 12, 31), office="South"), date(2026, 12, 29)
    )
    assert [x.contact_id for x in south.refs] == [today[0]]
    assert south.display() == "1 · oldest 0 WD"
