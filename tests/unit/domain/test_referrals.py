"""The DfE definitions on hand-worked cases: NFA referrals, the same-day rule, 12 months,
Christmas, and the policy's office days. Every caller (MI, Annex A, triage history, the
importers' checks) goes through ``domain.referrals``; the last tests hold them to it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from dutydesk.domain import referrals as dfe
from dutydesk.domain.clock import LONDON
from dutydesk.domain.history import PastContact, build_history
from dutydesk.domain.projection import ReadModel, apply_all
from dutydesk.domain.timescales import OfficeHours
from dutydesk.mi import figures
from dutydesk.mi.dataset import prepare
from dutydesk.mi.records import Filters, Settings
from tests.factories import contact_payload, decision_payload, event
from tests.unit.mi.builders import History, at, child, pid

OFFICE = OfficeHours()
D = date.fromisoformat


# ---- referral -----------------------------------------------------------------------------


def test_a_contact_is_a_referral_only_when_accepted_as_one() -> None:
    assert dfe.is_referral(["cin_assessment"])
    assert dfe.is_referral(["strategy_s47"]) and dfe.is_referral(["immediate_protection"])
    assert not dfe.is_referral(["nfa"]) and not dfe.is_referral(["early_help"])
    assert not dfe.is_referral([])  # undecided: not (yet) a referral
    # Imported from a list of referrals: a referral whatever its outcome, NFA included.
    assert dfe.is_referral(["nfa"], "cin:201:A1")
    assert dfe.is_referral(["nfa"], "annex-a:list3:7")
    assert not dfe.is_referral([None], "cin:201:A1")
    assert not dfe.is_referral(["nfa"], "annex-a:list1:7")  # a contact list is contacts


def test_referral_nfa_column() -> None:
    assert dfe.is_referral_nfa("nfa") and dfe.is_referral_nfa("advice")
    assert not dfe.is_referral_nfa("cin_assessment") and not dfe.is_referral_nfa(None)


def _imported(h: History, received: str, person: str, outcome: str, ref: str) -> str:
    """A referral as the census importer writes it: contact with external_ref + decision."""
    when = at(received)
    payload = contact_payload(
        received_at=when.isoformat(), source_code="6", children=[child(person)], external_ref=ref
    )
    h.events.append(event("contact.received", payload, when))
    h.events.append(
        event(
            "decision.recorded",
            decision_payload(payload["contact_id"], outcome=outcome, threshold_level=1),
            when,
        )
    )
    return str(payload["contact_id"])


def test_nfa_referrals_are_referrals_and_re_referrals_in_mi() -> None:
    # Before: MI counted 0 referrals when every imported referral ended in NFA.
    h = History()
    a, b = pid(), pid()
    _imported(h, "2026-01-05 00:00", a, "nfa", "cin:201:A")
    _imported(h, "2026-09-01 00:00", a, "nfa", "cin:201:A")  # re-referral (8 months)
    _imported(h, "2025-02-01 00:00", b, "nfa", "cin:201:B")
    _imported(h, "2026-03-01 00:00", b, "nfa", "cin:201:B")  # 13 months: not
    desk_nfa = h.contact("2026-09-02 10:00", children=[child(b)])
    h.decide(desk_nfa, "2026-09-02 11:00", "nfa")  # a desk NFA: a contact
    ds = prepare(h.mi_input())
    fig = figures.re_referrals(
        ds, figures.referrals_in_period(ds, Filters(D("2026-01-01"), D("2026-12-31"))), Settings()
    )
    assert (fig.numerator, fig.denominator) == (1, 3)
    assert {r.day for r in ds.referrals if r.child == a} == {D("2026-01-05"), D("2026-09-01")}
    assert all(r.nfa for r in ds.referrals)


def test_decision_before_receipt_still_makes_an_imported_referral() -> None:
    # Events can arrive in any order on a desk: the decision first, then the contact.
    h = History()
    _imported(h, "2026-01-05 00:00", pid(), "nfa", "cin:201:A")
    h.events.reverse()
    model = apply_all(ReadModel(), h.events)
    assert [c.is_referral for c in model.contacts.values()] == [True]


def test_a_referral_is_dated_when_received_not_when_decided() -> None:
    h = History()
    kid = pid()
    h.refer("2026-12-24 16:00", kid, decided="2026-12-29 10:00")
    ds = prepare(h.mi_input())
    assert [r.day for r in ds.referrals] == [D("2026-12-24")]
    # 00:30 BST on 1 July is 30 June in UTC: the London date counts.
    assert dfe.referral_date("2026-06-30T23:30:00+00:00") == D("2026-07-01")
    assert dfe.contact_date(datetime(2026, 7, 1, 0, 30, tzinfo=LONDON)) == D("2026-07-01")


# ---- one same-day rule --------------------------------------------------------------------


def test_same_day_referrals_are_one_referral_and_never_a_re_referral() -> None:
    day = D("2026-12-21")
    assert dfe.one_per_day([day, day, D("2026-01-01")]) == [D("2026-01-01"), day]
    assert not dfe.is_re_referral(day, [day])
    assert dfe.is_re_referral(day, [day, D("2026-12-20")])
    h = History()
    kid = pid()
    h.refer("2026-12-21 09:00", kid)
    h.refer("2026-12-21 15:00", kid)
    ds = prepare(h.mi_input())
    assert len(ds.referrals) == 1
    fig = figures.re_referrals(ds, list(ds.referrals), Settings())
    assert fig.numerator == 0


def test_triage_history_uses_the_same_same_day_rule() -> None:
    kid = pid()
    now = datetime(2026, 12, 21, 16, 0, tzinfo=LONDON)
    morning = PastContact(
        "c1",
        "2026-12-21T09:00:00+00:00",
        "2A",
        outcome="cin_assessment",
        is_referral=True,
        decided_at="2026-12-21T09:30:00+00:00",
    )
    yesterday = PastContact(
        "c0",
        "2026-12-20T09:00:00+00:00",
        "2A",
        outcome="nfa",
        is_referral=True,
        decided_at="2026-12-20T09:30:00+00:00",
    )
    same_day = build_history(kid, None, [morning], now)
    assert not same_day.re_referral and same_day.referrals_12m == 0
    assert same_day.last_referral_on == "2026-12-21"
    both = build_history(kid, None, [morning, yesterday], now)
    assert both.re_referral and both.referrals_12m == 1


# ---- 12 months ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        ("2025-12-20", "2026-12-19", True),  # across the year boundary
        ("2025-12-19", "2026-12-19", True),  # exactly 12 months: within
        ("2025-12-18", "2026-12-19", False),  # 12 months and a day
        ("2027-02-28", "2028-02-29", True),  # 29 Feb looks back to 28 Feb
        ("2027-02-27", "2028-02-29", False),
        ("2026-12-20", "2026-12-19", False),  # a later referral is not a previous one
    ],
)
def test_re_referral_within_12_months(earlier: str, later: str, expected: bool) -> None:
    assert dfe.is_re_referral(D(later), [D(earlier)]) is expected


def test_annex_a_referrals_in_last_12_months_before_the_latest() -> None:
    days = [D("2025-03-01"), D("2025-11-02"), D("2025-11-02"), D("2026-06-01"), D("2026-10-01")]
    # Before 1 Oct 2026, from 1 Oct 2025: 2 Nov 2025 (once: same day) and 1 Jun 2026.
    assert dfe.referrals_in_last_12_months(days) == 2
    # Latest on or before 1 Jul 2026 is 1 Jun: from 1 Jun 2025 only 2 Nov 2025 counts.
    assert dfe.referrals_in_last_12_months(days, up_to=D("2026-07-01")) == 1
    assert dfe.referrals_in_last_12_months([D("2026-01-01")]) == 0
    assert dfe.referrals_in_last_12_months([]) == 0


# ---- working days: the one clock ----------------------------------------------------------


def test_christmas_2026_from_the_one_clock() -> None:
    # Fri 25 Dec holiday, weekend, Mon 28 Dec = Boxing Day (substitute): next WD Tue 29.
    assert OFFICE.nth_working_day(D("2026-12-24"), 1) == D("2026-12-29")
    assert OFFICE.working_days_between(D("2026-12-24"), D("2026-12-30")) == 2
    assert OFFICE.nth_working_day(D("2025-12-24"), 1) == D("2025-12-29")
    assert OFFICE.nth_working_day(D("2026-04-02"), 1) == D("2026-04-07")  # Easter
    assert OFFICE.working_days_between(D("2025-12-21"), D("2026-01-05")) == 8
    assert OFFICE.nth_working_day(D("2026-11-28"), 1) == D("2026-11-30")  # Sat is day 0
    assert OFFICE.working_days_between(D("2026-12-30"), D("2026-12-24")) == 0
    assert OFFICE.nth_working_day(D("2026-01-02"), 3000).year == 2037


def test_assessment_due_45_working_days_from_referral_across_christmas() -> None:
    # Mon 1 Dec 2025 + 45 WD, skipping 25, 26 Dec and 1 Jan: Thu 5 Feb 2026.
    assert dfe.assessment_due(OFFICE, D("2025-12-01")) == D("2026-02-05")
    assert dfe.assessment_completed_in_time(OFFICE, D("2025-12-01"), D("2026-02-05"))
    assert not dfe.assessment_completed_in_time(OFFICE, D("2025-12-01"), D("2026-02-06"))
    assert dfe.assessment_start(D("2025-12-01"), D("2025-12-02")) == D("2025-12-02")
    assert dfe.assessment_start(D("2025-12-01"), None) == D("2025-12-01")


def test_the_policy_office_days_are_honoured_by_mi() -> None:
    # Received Friday 27 Nov 2026, decided Monday 30 Nov: within one working day for a
    # Monday-to-Friday office, late for an office that also works on Saturdays.
    six_days = OfficeHours(weekdays=frozenset(range(6)))
    h = History()
    cid = h.contact("2026-11-27 16:00")
    h.decide(cid, "2026-11-30 12:00")
    period = Filters(D("2026-11-01"), D("2026-11-30"))
    results = []
    for office in (OfficeHours(), six_days):
        ds = prepare(h.mi_input(), office)
        fig = figures.decision_timeliness(
            figures.in_period(ds, period), ds.office, D("2026-11-30"), Settings()
        )
        results.append((fig.numerator, fig.denominator))
    assert results == [(1, 1), (0, 1)]


# ---- one implementation -------------------------------------------------------------------


def test_mi_annex_a_triage_and_import_checks_agree_on_random_histories() -> None:
    rng = random.Random(15)
    for _ in range(200):
        days = sorted(
            D("2025-01-01") + timedelta(days=rng.randint(0, 700)) for _ in range(rng.randint(1, 6))
        )
        h = History()
        kid = pid()
        for d in days:
            h.refer(f"{d.isoformat()} 10:00", kid)
        ds = prepare(h.mi_input())
        latest = days[-1]
        expected_before = dfe.referrals_in_last_12_months(days)
        assert ds.referrals_in_months_before(kid, latest, 12) == expected_before
        re_mi = ds.previous_referral_within(kid, latest, 12) is not None
        past = [
            PastContact(
                f"c{i}",
                f"{d.isoformat()}T10:00:00+00:00",
                "2A",
                outcome="cin_assessment",
                is_referral=True,
                decided_at=f"{d.isoformat()}T10:30:00+00:00",
            )
            for i, d in enumerate(days[:-1])
        ]
        tri = build_history(
            kid,
            None,
            past,
            datetime.combine(latest, datetime.min.time(), LONDON) + timedelta(hours=9),
        )
        assert tri.re_referral is re_mi is dfe.is_re_referral(latest, days[:-1])
