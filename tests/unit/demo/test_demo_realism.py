"""The demo looks like a front door: concerns and sources that fit the child's age, a
queue at 9am that is mostly on time with few Reds, and weekly volumes with quiet weekends
and bank holidays; and it is the same for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from statistics import mean

import pytest

from dutydesk.demo.rating import RunningTriage
from dutydesk.demo.synthetic import CONCERNS, SOURCE_AGES, Generator
from dutydesk.domain.clock import LONDON
from dutydesk.domain.timescales import england_bank_holidays
from dutydesk.domain.triage.policy import load_policy
from dutydesk.paths import DEFAULT_POLICY

NINE_AM = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)  # a Tuesday


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
