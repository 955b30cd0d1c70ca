"""Each dashboard figure against a small history whose answer is worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from dutydesk.domain.referrals import london_date
from dutydesk.mi import figures
from dutydesk.mi.dataset import prepare
from dutydesk.mi.records import AssessmentCompleted, Filters, Ref, Settings, Supervision
from tests.unit.mi.builders import History, at, child, pid


def by_key(figs: tuple[figures.Figure, ...]) -> dict[str, figures.Figure]:
    return {f.key: f for f in figs}


def test_decision_timeliness_over_christmas_bank_holidays() -> None:
    h = History()
    # Thu 24 Dec 16:00 -> Tue 29 Dec: 25 Dec, weekend and 28 Dec (substitute) skipped.
    on_time = h.contact("2026-12-24 16:00")
    h.decide(on_time, "2026-12-29 10:00")
    late = h.contact("2026-12-24 09:00")
    h.decide(late, "2026-12-30 09:00")
    overdue = h.contact("2026-12-23 12:00")  # never decided; due Thu 24 Dec
    pending = h.contact("2027-01-05 08:00")  # received today: not yet due
    weekend = h.contact("2027-01-02 11:00")  # Saturday: day 0, due Mon 4 Jan
    h.decide(weekend, "2027-01-04 17:00")
    new_year = h.contact("2026-12-31 17:00")  # 1 Jan holiday, due Mon 4 Jan
    h.decide(new_year, "2027-01-04 09:00")
    # A practitioner's proposal counts when signed off (30 Dec: late), not when proposed.
    proposal = h.contact("2026-12-24 10:00")
    h.decide(
        proposal, "2026-12-24 17:00", proposed_by_practitioner=True, signed_off="2026-12-30 09:00"
    )
    ds = prepare(h.mi_input())
    fig = figures.decision_timeliness(
        figures.in_period(ds, Filters(date(2026, 12, 1), date(2027, 1, 5))),
        ds.office,
        date(2027, 1, 5),
        Settings(),
    )
    assert (fig.numerator, fig.denominator) == (3, 6)
    assert fig.value == pytest.approx(50.0)
    parts = {p.label: p for p in fig.parts}
    assert {r.contact_id for r in parts["Within 1 WD"].refs} == {on_time, weekend, new_year}
    assert {r.contact_id for r in parts["Decided late"].refs} == {late, proposal}
    assert parts["Undecided, past due"].refs == (Ref(overdue),)
    assert parts["Undecided, not yet due"].refs == (Ref(pending),)
    assert {r.contact_id for r in fig.refs} == {late, proposal, overdue}


def _rereferral_history() -> tuple[History, dict[str, str]]:
    h = History()
    kids = {name: pid() for name in "ABCDE"}
    # A: 20 Dec 2025 then 19 Dec 2026 -> re-referral across the year boundary.
    h.refer("2025-12-20 10:00", kids["A"])
    h.refer("2026-12-19 10:00", kids["A"])
    # B: 18 Dec 2025 then 19 Dec 2026 -> 12 months and a day: not a re-referral. An NFA
    # contact in between is not a referral.
    h.refer("2025-12-18 10:00", kids["B"])
    nfa = h.contact("2026-06-01 10:00", children=[child(kids["B"])])
    h.decide(nfa, "2026-06-01 11:00", "nfa")
    h.refer("2026-12-19 10:00", kids["B"])
    # C: two referrals on one day, nothing before: one referral, not a re-referral.
    h.refer("2026-12-21 09:00", kids["C"], office="South", team="C")
    h.refer("2026-12-21 14:00", kids["C"], office="South", team="C")
    # D: 5 Jan 2026 (North) then 21 Dec 2026 (South): re-referral, across offices.
    h.refer("2026-01-05 10:00", kids["D"])
    h.refer("2026-12-21 10:00", kids["D"], office="South", team="C")
    # E: exactly 12 months apart (21 Dec 2025, 21 Dec 2026): within 12 months.
    h.refer("2025-12-21 10:00", kids["E"])
    h.refer("2026-12-21 11:00", kids["E"], office="South", team="C")
    return h, kids


DECEMBER = Filters(date(2026, 12, 1), date(2026, 12, 31))


def test_re_referrals_cross_the_year_boundary_and_merge_same_day_referrals() -> None:
    h, kids = _rereferral_history()
    ds = prepare(h.mi_input())
    referrals = figures.referrals_in_period(ds, DECEMBER)
    assert sorted(r.child for r in referrals) == sorted(kids.values())  # C counted once
    fig = figures.re_referrals(ds, referrals, Settings())
    assert (fig.numerator, fig.denominator) == (3, 5)
    assert fig.value == pytest.approx(60.0)
    assert {r.person_id for r in fig.refs} == {kids["A"], kids["D"], kids["E"]}
    parts = {p.label: (p.numerator, p.denominator) for p in fig.parts}
    assert parts == {"North / A": (1, 2), "South / C": (2, 3)}


def test_re_referrals_filtered_by_office_still_look_back_across_offices() -> None:
    h, kids = _rereferral_history()
    ds = prepare(h.mi_input())
    south = Filters(DECEMBER.date_from, DECEMBER.date_to, office="South")
    fig = figures.re_referrals(ds, figures.referrals_in_period(ds, south), Settings())
    assert (fig.numerator, fig.denominator) == (2, 3)  # D's earlier referral was North
    north = Filters(DECEMBER.date_from, DECEMBER.date_to, office="North", team="A")
    fig = figures.re_referrals(ds, figures.referrals_in_period(ds, north), Settings())
    assert (fig.numerator, fig.denominator) == (1, 2)


def test_number_of_referrals_in_last_12_months_counts_back_from_the_latest() -> None:
    h, kids = _rereferral_history()
    ds = prepare(h.mi_input())
    counts = {
        name: ds.referrals_in_months_before(k, ds.referral_days[k][-1], 12)
        for name, k in kids.items()
    }
    assert counts == {"A": 1, "B": 0, "C": 0, "D": 1, "E": 1}


def test_response_times_use_first_action_or_decision_before_the_due_time() -> None:
    h = History()
    red_met = h.contact("2026-11-02 09:00")
    h.rate(red_met, "2026-11-02 09:01", "red", "2026-11-02 13:00")
    h.decide(red_met, "2026-11-02 12:00")
    amber = h.contact("2026-11-02 09:00")
    h.rate(amber, "2026-11-02 09:01", "amber", "2026-11-03 09:00")
    h.decide(amber, "2026-11-05 09:00")  # decided late, but acted on at 10:00
    green_missed = h.contact("2026-11-02 09:00")
    h.rate(green_missed, "2026-11-02 09:01", "green", "2026-11-05 09:00")
    green_pending = h.contact("2026-11-09 09:00")
    h.rate(green_pending, "2026-11-09 09:01", "green", "2026-11-12 09:00")
    red_missed = h.contact("2026-11-03 09:00")
    h.rate(red_missed, "2026-11-03 09:01", "red", "2026-11-03 13:00")
    h.decide(red_missed, "2026-11-03 15:00")
    unrated = h.contact("2026-11-03 09:00")
    ds = prepare(h.mi_input(first_actions={amber: at("2026-11-02 10:00").isoformat()}))
    contacts = figures.in_period(ds, Filters(date(2026, 11, 1), date(2026, 11, 10)))
    assert unrated in {c.contact_id for c in contacts}
    fig = figures.response_times(contacts, at("2026-11-10 09:00"))
    assert (fig.numerator, fig.denominator) == (2, 4)
    assert {r.contact_id for r in fig.refs} == {green_missed, red_missed}
    parts = {p.label: (p.numerator, p.denominator) for p in fig.parts}
    assert parts == {"Red": (1, 2), "Amber": (1, 1), "Green": (0, 1)}


def test_open_queue_age_in_working_days() -> None:
    h = History()
    today = h.contact("2026-12-30 08:00")
    one = h.contact("2026-12-29 15:00")
    two = h.contact("2026-12-24 15:00")  # (24 Dec, 30 Dec] holds 29 and 30 Dec
    old = h.contact("2026-12-01 09:00")
    done = h.contact("2026-12-01 09:00")
    h.decide(done, "2026-12-01 10:00")
    ds = prepare(h.mi_input())
    fig = figures.open_queue_age(figures.open_now(ds, DECEMBER), ds.office, date(2026, 12, 30))
    assert fig.value == pytest.approx(1.5)
    assert [(p.label, p.value) for p in fig.parts] == [
        ("Day 0", 1),
        ("1 WD", 1),
        ("2–5 WD", 1),
        ("Over 5 WD", 1),
    ]
    assert [p.refs for p in fig.parts] == [(Ref(today),), (Ref(one),), (Ref(two),), (Ref(old),)]
    assert {r.contact_id for r in fig.refs} == {two, old}


def test_outcome_mix_and_conversion_to_referral() -> None:
    h = History()
    outcomes = {"nfa": "2A", "advice": "2A", "cin_assessment": "6", "strategy_s47": "6"}
    ids = {}
    for outcome, source in outcomes.items():
        ids[outcome] = h.contact("2026-11-02 09:00", source=source)
        h.decide(ids[outcome], "2026-11-02 10:00", outcome)
    h.contact("2026-11-02 09:00")  # open: neither mix nor conversion
    ds = prepare(h.mi_input())
    contacts = figures.in_period(ds, Filters(date(2026, 11, 1), date(2026, 11, 30)))
    mix = figures.outcome_mix(contacts)
    assert mix.value == 4
    assert {p.label: p.value for p in mix.parts if p.value} == {
        "No further action": 1,
        "Information and advice": 1,
        "Child-in-need assessment (s17)": 1,
        "Strategy discussion / section 47 enquiry": 1,
    }
    conv = figures.conversion(contacts)
    assert (conv.numerator, conv.denominator, conv.value) == (2, 4, pytest.approx(50.0))
    assert {r.contact_id for r in conv.refs} == {ids["cin_assessment"], ids["strategy_s47"]}
    assert {p.label: (p.numerator, p.denominator) for p in conv.parts} == {
        "School": (0, 2),
        "Police": (2, 2),
    }


def test_assessments_against_45_working_days() -> None:
    h = History()
    kids = [pid() for _ in range(4)]
    cids = [h.refer("2025-12-01 10:00", k) for k in kids[:3]]  # Mon 1 Dec: due Thu 5 Feb
    h.refer("2026-02-20 10:00", kids[3])
    done = [
        AssessmentCompleted(cids[0], kids[0], date(2026, 2, 5)),
        AssessmentCompleted(cids[1], kids[1], date(2026, 2, 6)),
    ]
    ds = prepare(h.mi_input(assessments=done))
    refs = figures.referrals_in_period(ds, Filters(date(2025, 12, 1), date(2026, 2, 28)))
    assert {r.assessment_due for r in refs[:3]} == {date(2026, 2, 5)}
    fig = figures.assessments(refs, date(2026, 3, 1), Settings())
    assert (fig.numerator, fig.denominator, fig.value) == (1, 2, pytest.approx(50.0))
    assert [(p.label, p.value) for p in fig.parts] == [
        ("Completed within 45 WD", 1),
        ("Completed late", 1),
        ("Open past 45 WD", 1),
        ("Open, in time", 1),
    ]
    assert {r.person_id for r in fig.refs} == {kids[1], kids[2]}


def test_assessments_say_so_when_no_completion_is_recorded() -> None:
    h = History()
    h.refer("2025-12-01 10:00", pid())
    ds = prepare(h.mi_input())
    fig = figures.assessments(ds.referrals, date(2026, 3, 1), Settings())
    assert fig.value is None and fig.display() == "n/a · 1 open past 45 WD"
    assert "No completed assessment recorded" in fig.note and "1 are open past" in fig.note


def test_caseload_against_the_cap_and_supervision_overdue() -> None:
    h = History()
    for _ in range(3):
        h.assign(h.contact("2026-11-02 09:00"), "2026-11-02 10:00", "sw.a")
    h.assign(h.contact("2026-11-02 09:00"), "2026-11-02 10:00", "sw.b")
    closed = h.contact("2026-11-02 09:00")
    h.assign(closed, "2026-11-02 10:00", "sw.b")
    h.decide(closed, "2026-11-02 11:00")
    h.assign(h.contact("2026-11-02 09:00"), "2026-11-02 10:00", "sw.c")
    h.contact("2026-11-02 09:00")  # unassigned
    ds = prepare(h.mi_input())
    load = figures.caseload(figures.open_now(ds, DECEMBER), Settings(caseload_cap=2))
    assert load.value == 1
    assert [(p.label, p.value) for p in load.parts] == [("sw.a", 3), ("sw.b", 1), ("sw.c", 1)]
    assert {r.worker for r in load.refs} == {"sw.a"} and len(load.refs) == 3
    assert "1 open contacts unassigned" in load.note
    sup = [
        Supervision("sw.a", "tl", date(2026, 10, 5), date(2026, 11, 5)),
        Supervision("sw.a", "tl", date(2026, 9, 1), date(2026, 10, 1)),
        Supervision("sw.b", "tl", date(2026, 11, 1), date(2026, 12, 1)),
    ]
    fig = figures.supervision_overdue(sup, [p.label for p in load.parts], date(2026, 11, 26))
    assert fig.value == 2
    assert {r.worker for r in fig.refs} == {"sw.a", "sw.c"}
    assert [(p.label, p.value) for p in fig.parts] == [
        ("sw.a (due 2026-11-05)", 21),
        ("sw.b (due 2026-12-01)", 0),
        ("sw.c (none recorded)", 0),
    ]


def test_contacts_received_per_day_and_per_week_with_empty_buckets() -> None:
    h = History()
    a = h.contact("2026-11-02 09:00")
    h.contact("2026-11-02 23:30")  # still 2 Nov in London
    c = h.contact("2026-11-04 00:10")
    h.contact("2026-11-20 09:00", office="South")
    ds = prepare(h.mi_input())
    days = Filters(date(2026, 11, 2), date(2026, 11, 4), office="North")
    fig = figures.contacts_received(figures.in_period(ds, days), days)
    assert [(p.label, p.value) for p in fig.parts] == [
        ("2026-11-02", 2),
        ("2026-11-03", 0),
        ("2026-11-04", 1),
    ]
    assert fig.parts[2].refs == (Ref(c),) and Ref(a) in fig.parts[0].refs
    # The headline is an average, not the period's total (a six-month total was shown as
    # "per week" before): 3 contacts over 3 days.
    assert fig.title == "Contacts received (average per day)" and fig.value == 1.0
    assert fig.display() == "1.0 per day" and "3 contacts in all over 3 days" in fig.note
    weeks = Filters(date(2026, 11, 1), date(2026, 12, 10))
    fig = figures.contacts_received(figures.in_period(ds, weeks), weeks)
    # 4 contacts over 40 days = 5.71 weeks: 0.7 a week; the bars are still counts.
    assert fig.title.endswith("(average per week)") and fig.value == 0.7
    assert fig.parts_unit == "count" and "4 contacts in all over 40 days" in fig.note
    assert fig.parts[0].label == "w/c 2026-10-26" and fig.parts[1].value == 3
    assert fig.parts[3].value == 1 and len(fig.parts) == 7


def test_compute_all_returns_every_figure_and_refuses_a_backwards_period() -> None:
    h, _ = _rereferral_history()
    ds = prepare(h.mi_input())
    figs = by_key(figures.compute_all(ds, DECEMBER, at("2027-01-05 09:00")))
    assert list(figs) == [
        "contacts_received",
        "decision_timeliness",
        "response_times",
        "open_queue_age",
        "outcome_mix",
        "conversion",
        "re_referrals",
        "assessments",
        "icpc_timeliness",
        "lado_timeliness",
        "private_fostering_visits",
        "marac_referrals",
        "handoffs_awaiting",
        "referrer_acknowledged",
        "referrer_feedback",
        "partner_checks",
        "next_steps_overdue",
        "protection_use",
        "caseload",
        "supervision_overdue",
    ]
    assert figs["re_referrals"].display() == "60.0% (3/5)"
    with pytest.raises(ValueError, match="starts .* after it ends"):
        figures.compute_all(
            ds, Filters(date(2026, 12, 2), date(2026, 12, 1)), at("2027-01-05 09:00")
        )


def test_days_are_london_days_in_summer_time() -> None:
    h = History()
    h.contact("2026-07-01 00:30")  # 30 Jun 23:30 UTC
    h.contact("2026-07-01 23:30")  # 1 Jul 22:30 UTC
    h.contact("2026-07-02 00:10")
    ds = prepare(h.mi_input())
    assert [c.day for c in ds.contacts] == [date(2026, 7, 1), date(2026, 7, 1), date(2026, 7, 2)]
    utc = datetime.fromisoformat("2026-06-30T23:30:00+00:00")
    assert london_date(utc) == date(2026, 7, 1)
    assert london_date(utc.replace(hour=22)) == date(2026, 6, 30)


def test_completion_rates_show_open_past_deadline_beside_them() -> None:
    # Before: assessments showed "n/a" and hid dozens open past 45 working days.
    h = History()
    old = h.refer("2026-06-01 10:00", pid())
    h.refer("2026-11-20 10:00", pid())  # in time
    undecided = h.contact("2026-11-02 10:00")  # never decided: past due
    ds = prepare(h.mi_input())
    today = date(2026, 11, 26)
    period = Filters(date(2026, 6, 1), today)
    fig = figures.assessments(figures.referrals_in_period(ds, period), today, Settings())
    assert fig.value is None and fig.overdue == 1
    assert fig.display() == "n/a · 1 open past 45 WD"
    assert [r.contact_id for r in fig.refs] == [old]
    timely = figures.decision_timeliness(
        figures.in_period(ds, period), ds.office, today, Settings()
    )
    assert timely.overdue == 1 and timely.display().endswith("· 1 undecided past due")
    assert Ref(undecided) in timely.refs
