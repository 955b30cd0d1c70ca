"""The demo looks like a front door: concerns and sources that fit the child's age, a
queue at 9am that is mostly on time with few Reds, and weekly volumes with quiet weekends
and bank holidays; and it is the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from statistics import mean

import pytest

from dutydesk.demo.rating import RunningTriage
from dutydesk.demo.synthetic import CONCERNS, SOURCE_AGES, Generator
from dutydesk.domain.clock import LONDON
from dutydesk.domain.timescales import england_bank_holidays
from dutydesk.domain.triage.policy import load_policy
from dutydesk.paths import DEFAULT_POLICY

NINE_AM = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)  # a Tuesday
ROUTE_OUTCOMES = ("early_help", "cin_assessment", "strategy_s47", "immediate_protection")


@pytest.fixture(scope="module")
def history():  # type: ignore[no-untyped-def]
    triage = RunningTriage(load_policy(DEFAULT_POLICY))
    gen = Generator(7, now=NINE_AM, open_contacts=40, rate=triage.rate)
    return list(triage.watch(gen.events(12_000)))


def _age(child: dict, on: date) -> int:  # type: ignore[type-arg]
    born = child.get("date_of_birth")
    return -1 if not born else (on - date.fromisoformat(born)).days // 365


def test_concerns_and_sources_fit_the_childs_age(history) -> None:  # type: ignore[no-untyped-def]
    contacts = [e.payload for e in history if e.type == "contact.received"]
    assert len(contacts) > 3000
    for p in contacts:
        on = datetime.fromisoformat(p["received_at"]).date()
        age = _age(p["children"][0], on)
        for factor in p["categories"]:
            assert any(lo <= age <= hi for lo, hi, _t in CONCERNS[factor]), (factor, age)
        lo, hi = SOURCE_AGES.get(p["source_code"], (-1, 17))
        assert lo <= age <= hi, (p["source_code"], age)
    texts = " ".join(
        p["concern"]
        for p in contacts
        if _age(p["children"][0], datetime.fromisoformat(p["received_at"]).date()) < 1
    )
    assert "county lines" not in texts and "school" not in texts.casefold()


def test_the_queue_at_nine_is_mostly_on_time_with_a_plausible_mix(history) -> None:  # type: ignore[no-untyped-def]
    decided = {e.payload["contact_id"] for e in history if e.type.startswith("decision.")}
    rated = {e.payload["contact_id"]: e.payload for e in history if e.type == "contact.rated"}
    open_ids = [
        e.payload["contact_id"]
        for e in history
        if e.type == "contact.received" and e.payload["contact_id"] not in decided
    ]
    assert len(open_ids) == 40
    ratings = Counter(rated[c]["rating"] for c in open_ids)
    overdue = [
        c
        for c in open_ids
        if rated[c].get("due_at") and datetime.fromisoformat(rated[c]["due_at"]) < NINE_AM
    ]
    assert len(overdue) <= 4, overdue  # a fifth of the queue was overdue Red
    assert ratings["red"] <= 8 and ratings["green"] + ratings["blue"] >= 12, ratings
    assert len(ratings) == 4


def test_weekdays_are_busy_and_weekends_and_bank_holidays_quiet(history) -> None:  # type: ignore[no-untyped-def]
    days = Counter(
        datetime.fromisoformat(e.payload["received_at"]).astimezone(LONDON).date()
        for e in history
        if e.type == "contact.received"
    )
    first, last = min(days), max(days)
    span = [date.fromordinal(d) for d in range(first.toordinal() + 1, last.toordinal())]
    holidays = {h for y in (first.year, last.year) for h in england_bank_holidays(y)}
    weekdays = [days[d] for d in span if d.weekday() < 5 and d not in holidays]
    weekends = [days[d] for d in span if d.weekday() >= 5]
    bank = [days[d] for d in span if d in holidays]
    assert 20 <= mean(weekdays) <= 40  # a mid-sized authority's front door
    assert mean(weekends) < 0.6 * mean(weekdays)
    assert bank and mean(bank) < 0.6 * mean(weekdays)
    assert max(days[d] for d in span) < 2.2 * mean(weekdays)  # no spike from the generator


def test_the_same_seed_gives_the_same_history() -> None:
    one = [e.id for e in Generator(3, now=NINE_AM, open_contacts=5).events(400)]
    two = [e.id for e in Generator(3, now=NINE_AM, open_contacts=5).events(400)]
    assert one == two


def test_decided_children_are_followed_through_as_a_front_door_would(history) -> None:  # type: ignore[no-untyped-def]
    """The demo opened no routes, so the follow-through view showed every child ever
    decided onto an assessment or s47 as "awaiting a route". Now routes open within
    hours of the decision and close or are handed over as the front door's part ends;
    what is still open at 9am is recent, and no clock is left running by the generator."""
    from dutydesk.domain.events import validate_payload
    from dutydesk.domain.routes import fold_routes
    from dutydesk.domain.timescales import OfficeHours

    office = OfficeHours()
    decided = {
        e.payload["contact_id"]: e.payload["outcome"]
        for e in history
        if e.type in ("decision.recorded", "decision.proposed")
    }
    routed = {e.payload["contact_id"] for e in history if e.type == "route.opened"}
    wanting = {c for c, o in decided.items() if o in ROUTE_OUTCOMES}
    assert len(wanting) > 1000
    assert len(wanting - routed) <= 0.02 * len(wanting)  # a few decided this morning
    follow = fold_routes(
        [e for e in history if e.type.startswith(("route.", "strategy.", "assessment."))],
        {},
        office,
    )
    still = follow.open_routes()
    assert 20 <= len(still) <= 150, len(still)
    week_ago = NINE_AM - timedelta(days=7)
    for r in still:
        assert r.kind in ("early_help", "s17_assessment", "strategy_s47"), r.kind
        if r.kind != "strategy_s47":
            assert r.opened_at > week_ago, r  # accepted or handed over within days
        else:
            assert r.opened_at > NINE_AM - timedelta(days=30), r  # until the conference
    assert sum(bool(r.overdue(NINE_AM)) for r in still) <= 0.1 * len(still)
    s47 = [d for d in follow.discussions if d.s47]
    assert len(s47) > 100
    for e in history:
        if e.type.startswith(("route.", "strategy.")):  # as the services would write them
            at = datetime.fromisoformat(e.client_time)
            assert validate_payload(e.type, dict(e.payload), today=at.date()) == e.payload
            assert at < NINE_AM
        if e.type == "route.progressed" and e.payload["step"] == "icpc_held":
            held = datetime.fromisoformat(e.payload["at"]).astimezone(LONDON).date()
            assert held.weekday() < 5 and held not in england_bank_holidays(held.year)
