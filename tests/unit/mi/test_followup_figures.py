"""MI figures for the follow-through (issue 21), on a hand-counted December 2026 history
(office hours 09:00-17:00, Mon-Fri; "now" Thu 10 Dec 12:00):

contact  received          ack sent          decided          feedback
A        Thu 3 Dec 10:00   Thu 3 Dec 15:00   Thu 3 Dec 12:00  Fri 4 Dec 11:00 (due 12:00)
B        Fri 4 Dec 16:00   Mon 7 Dec 16:30   Wed 9 Dec 16:00  - (due Thu 10 Dec 16:00)
         (due Mon 7 Dec 16:00: 1 h on Friday, 7 on Monday)
C        Mon 7 Dec 10:00   - (due Tue 10:00) Mon 7 Dec 11:00  - (due Tue 8 Dec 11:00)
D        Thu 10 Dec 09:00  - (due Fri 09:00) -
E        Thu 3 Dec 10:00, anonymous (source 9): nobody to acknowledge
F        Wed 25 Nov 10:00, before the period; decided Wed 25 Nov 12:00
"""

from __future__ import annotations

from datetime import date

from dutydesk.domain.ids import new_id
from dutydesk.mi.dataset import prepare
from dutydesk.mi.followup import (
    next_steps_overdue,
    partner_checks,
    protection_use,
    referrer_acknowledged,
    referrer_feedback,
)
from dutydesk.mi.records import (
    Filters,
    NextStepRecord,
    PartnerCheckRecord,
    ProtectionRecord,
    ReferrerTold,
)
from tests.unit.mi.builders import History, at, child, pid
from tests.unit.mi.test_route_figures import FIVE_DAY, parts

DECEMBER = Filters(date(2026, 12, 1), date(2026, 12, 31))
NOW = at("2026-12-10 12:00")


def _world():  # type: ignore[no-untyped-def]
    h = History()
    a = h.contact("2026-12-03 10:00", children=[child(pid())])
    b = h.contact("2026-12-04 16:00", children=[child(pid())])
    c = h.contact("2026-12-07 10:00", children=[child(pid())])
    d = h.contact("2026-12-10 09:00", children=[child(pid())])
    e = h.contact("2026-12-03 10:00", children=[child(pid())], source="9")
    f = h.contact("2026-11-25 10:00", children=[child(pid())])
    h.decide(a, "2026-12-03 12:00")
    h.decide(c, "2026-12-07 11:00")
    h.decide(b, "2026-12-09 16:00")
    h.decide(f, "2026-11-25 12:00")
    iso = lambda stamp: at(stamp).isoformat()  # noqa: E731
    told = [
        ReferrerTold(a, "acknowledgement", iso("2026-12-03 15:00")),
        ReferrerTold(b, "acknowledgement", iso("2026-12-07 16:30")),
        ReferrerTold(a, "feedback", iso("2026-12-04 11:00")),
        ReferrerTold(e, "acknowledgement", iso("2026-12-03 11:00")),
        ReferrerTold(f, "acknowledgement", iso("2026-11-25 11:00")),
    ]
    checks = [
        PartnerCheckRecord(
            new_id(), a, iso("2026-12-03 10:30"), iso("2026-12-03 14:00"), iso("2026-12-03 13:00")
        ),
        PartnerCheckRecord(
            new_id(),
            a,
            iso("2026-12-03 10:30"),
            iso("2026-12-03 14:00"),
            iso("2026-12-04 09:30"),
            no_trace=True,
        ),
        PartnerCheckRecord(new_id(), c, iso("2026-12-07 10:30"), iso("2026-12-08 10:00")),
        PartnerCheckRecord(new_id(), d, iso("2026-12-10 09:30"), iso("2026-12-10 17:00")),
        PartnerCheckRecord(new_id(), f, iso("2026-11-25 10:30"), iso("2026-11-25 12:00")),
        PartnerCheckRecord(new_id(), b, iso("2026-12-04 16:30"), None),
    ]
    steps = [
        NextStepRecord(a, "da", 0, "2026-12-04", iso("2026-12-04 10:00")),
        NextStepRecord(a, "da", 1, "2026-12-09"),
        NextStepRecord(c, "dc", 0, "2026-12-10"),
        NextStepRecord(b, "db", 0, None),
        NextStepRecord(f, "df", 0, "2026-11-26"),
    ]
    pa = pid()
    protections = [
        ProtectionRecord(
            a, 0, pa, "police_protection", iso("2026-12-03 22:00"), iso("2026-12-03 22:30")
        ),
        ProtectionRecord(a, 0, pa, "epo", iso("2026-12-04 15:00"), iso("2026-12-03 22:30")),
        ProtectionRecord(c, 0, None, "epo", iso("2026-12-08 14:00"), iso("2026-12-08 10:00")),
        ProtectionRecord(
            f, 0, None, "police_protection", iso("2026-11-25 20:00"), iso("2026-11-25 21:00")
        ),
    ]
    data = h.mi_input(told=told, partner_checks=checks, next_steps=steps, protections=protections)
    return prepare(data, FIVE_DAY), {"a": a, "b": b, "c": c, "d": d, "pa": pa}


def test_referrers_acknowledged_within_one_working_day() -> None:
    ds, ids = _world()
    fig = referrer_acknowledged(ds, DECEMBER, NOW)
    assert parts(fig) == [
        ("Within 1 WD", 1),  # A
        ("Late", 1),  # B: 30 minutes after Monday 16:00
        ("Not sent, past due", 1),  # C
        ("Not sent yet, in time", 1),  # D
    ]
    assert (fig.numerator, fig.denominator, fig.overdue) == (1, 3, 1)
    assert fig.display().startswith("33.3% (1/3)")
    assert {r.contact_id for r in fig.refs} == {ids["b"], ids["c"]}


def test_referrers_told_the_decision_within_one_working_day() -> None:
    ds, ids = _world()
    fig = referrer_feedback(ds, DECEMBER, NOW)
    assert parts(fig) == [
        ("Within 1 WD", 1),  # A: 11:00, due 12:00 the next day
        ("Late", 0),
        ("Not sent, past due", 1),  # C: due Tue 8 Dec 11:00
        ("Not sent yet, in time", 1),  # B: due Thu 10 Dec 16:00
    ]
    assert (fig.numerator, fig.denominator) == (1, 2)
    assert [r.contact_id for r in fig.refs] == [ids["c"]]


def test_partner_checks_due_overdue_and_no_trace() -> None:
    ds, ids = _world()
    fig = partner_checks(ds, DECEMBER, NOW)
    assert fig.value == 1 and [r.contact_id for r in fig.refs] == [ids["c"]]
    assert parts(fig) == [
        ("Answered in time", 1),
        ("Answered late", 1),
        ("Overdue, not answered", 1),
        ("Awaiting, in time", 2),  # D (due 17:00 today), B (no due time given)
        ("No trace (agency holds nothing)", 1),
    ]
    assert fig.aside == "of 5 asked"


def test_next_steps_overdue() -> None:
    ds, ids = _world()
    fig = next_steps_overdue(ds, DECEMBER, NOW)
    assert fig.value == 1 and [r.contact_id for r in fig.refs] == [ids["a"]]
    assert parts(fig) == [
        ("Done", 1),
        ("Overdue", 1),  # due yesterday
        ("Open, not yet due", 1),  # due today: not overdue until tomorrow
        ("Open, no due date", 1),
    ]


def test_police_protection_and_epo_use_counts_children() -> None:
    ds, ids = _world()
    fig = protection_use(ds, DECEMBER)
    assert fig.value == 2
    assert parts(fig) == [
        ("Police protection (s46)", 1),
        ("Emergency protection order (s44)", 2),
        ("Both", 1),
    ]
    assert {r.person_id for r in fig.refs} == {ids["pa"], f"{ids['c']}/0"}
