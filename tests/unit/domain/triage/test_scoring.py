"""Scoring: reasons, hard rules, due times, and the properties that make it trustworthy
(monotone in risk factors, hard rules always Red, deterministic)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.domain.clock import LONDON
from dutydesk.domain.codes import ASSESSMENT_FACTORS, REFERRAL_SOURCES, Rating
from dutydesk.domain.events import validate_payload
from dutydesk.domain.history import ChildHistory
from dutydesk.domain.projection import ContactChildRow, ContactRow
from dutydesk.domain.triage import factors as catalogue
from dutydesk.domain.triage.policy import load_policy
from dutydesk.domain.triage.scoring import (
    ChildFacts,
    ContactFacts,
    facts_from_payload,
    score_contact,
)
from dutydesk.paths import PROJECT_ROOT, RESOURCES
from tests.factories import contact_payload

POLICY = load_policy(RESOURCES / "policy" / "default.toml")
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)
RECEIVED = datetime(2026, 11, 26, 8, 15, tzinfo=LONDON)
CID = "0192f7a0-0000-7000-8000-000000000001"
PID = "0192f7a0-0000-7000-8000-00000000aaaa"


def facts(**changes: object) -> ContactFacts:
    base = ContactFacts(
        contact_id=CID,
        received_at=RECEIVED,
        source_code="2A",
        children=(ChildFacts(0, PID, "2018-05-01"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_police_notification_example_is_red_with_reasons_and_a_valid_payload() -> None:
    raw = json.loads((PROJECT_ROOT / "docs/examples/police-notification.json").read_text())
    payload = validate_payload("contact.received", {**raw, "contact_id": CID}, today=NOW.date())
    result = score_contact(payload, [], POLICY, NOW)
    assert result.rating is Rating.RED
    assert result.hard_rules == ("da_high_children_present",)
    # Received at 02:14 on a Thursday: clocks start at 09:00.
    assert result.due_at == datetime(2026, 11, 26, 13, 0, tzinfo=LONDON)
    assert result.decision_due_at == datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)
    rated = validate_payload("contact.rated", result.to_payload(), today=NOW.date())
    assert rated["policy_version"] == POLICY.version
    for reason in result.reasons:
        assert set(reason) == {"factor", "points", "evidence", "text"}
        assert reason["text"]
    assert sum(r["points"] for r in result.reasons) == result.score
    assert "O'Brien" not in json.dumps(rated)  # reasons carry no names


def test_payload_and_projected_row_score_the_same() -> None:
    payload = validate_payload(
        "contact.received", contact_payload(contact_id=CID), today=NOW.date()
    )
    row = ContactRow(
        contact_id=CID,
        received_at=payload["received_at"],
        channel="phone",
        source_code="2A",
        concern="x",
        consent="not_sought",
        immediate_danger=False,
        categories=("18C",),
    )
    kids = [ContactChildRow(CID, 0, None, "Siobhán", "O'Brien", "2019-04-03")]
    assert score_contact(row, [], POLICY, NOW, children=kids) == score_contact(
        payload, [], POLICY, NOW
    )


def test_bruised_baby_under_six_months_is_red_even_with_a_low_score() -> None:
    baby = (ChildFacts(0, None, (RECEIVED.date() - timedelta(days=100)).isoformat()),)
    result = score_contact(facts(children=baby, injury_reported=True), [], POLICY, NOW)
    assert result.rating is Rating.RED
    assert result.score < POLICY.thresholds[Rating.RED]
    assert result.reasons[1]["factor"] == "hard_rule:non_mobile_injury"
    assert "Red by hard rule" in result.reasons[0]["text"]
    # At 7 months the same facts are not a hard rule.
    older = (ChildFacts(0, None, (RECEIVED.date() - timedelta(days=215)).isoformat()),)
    assert (
        score_contact(facts(children=older, injury_reported=True), [], POLICY, NOW).rating
        is not Rating.RED
    )


def test_sexual_abuse_disclosure_needs_both_disclosure_and_category() -> None:
    assert score_contact(
        facts(disclosure=True, categories=("19B",)), [], POLICY, NOW
    ).hard_rules == ("sexual_abuse_disclosure",)
    assert score_contact(facts(categories=("19B",)), [], POLICY, NOW).hard_rules == ()


def test_history_factors_are_explained() -> None:
    history = ChildHistory(
        PID,
        NOW.isoformat(),
        previous_contacts=4,
        contacts_12m=3,
        referrals_12m=2,
        last_referral_on="2026-05-02",
        re_referral=True,
        police_notifications=2,
        cp_plan="current",
    )
    result = score_contact(facts(source_code="6"), [history], POLICY, NOW)
    by_factor = {r["factor"]: r for r in result.reasons}
    assert by_factor["history:re_referral"]["evidence"] == "child 1: referral on 2026-05-02"
    assert "re-referral" in by_factor["history:re_referral"]["text"]
    assert by_factor["history:police_notifications"]["points"] == 15  # 2 + this one
    assert by_factor["history:cp_plan_current"]["points"] == 20
    assert by_factor["history:referrals_12m"]["points"] == 6


def test_blue_has_no_response_time_but_a_decision_is_still_due() -> None:
    result = score_contact(
        facts(children=(ChildFacts(0, None, "2010-01-01"),), source_code="9"), [], POLICY, NOW
    )
    assert result.rating is Rating.BLUE
    assert result.due_at is None
    assert "due_at" not in result.to_payload()
    # Received 08:15, before opening: one working day from 09:00 is 17:00 that day.
    assert result.decision_due_at == datetime(2026, 11, 26, 17, 0, tzinfo=LONDON)


def test_a_contact_stamped_in_the_future_gets_no_extra_time() -> None:
    late = facts(received_at=NOW + timedelta(days=2), disclosure=True, categories=("19C",))
    assert score_contact(late, [], POLICY, NOW).due_at == NOW + timedelta(hours=4)
    danger = facts(received_at=NOW + timedelta(days=2), immediate_danger=True)
    assert score_contact(danger, [], POLICY, NOW).due_at == NOW


# ---- properties ------------------------------------------------------------------------

CATEGORIES = sorted(ASSESSMENT_FACTORS)
YES_NO_FACTS = sorted(
    f.name
    for f in catalogue.FACTORS
    if f.kind == catalogue.YES_NO and f.path[0] in ("risk", "domestic_abuse")
)
DAYS = st.dates(date(2008, 12, 1), date(2026, 11, 26)).map(date.isoformat)
CHILD = st.builds(
    ChildFacts,
    slot=st.integers(0, 9),
    person_id=st.just(None),
    date_of_birth=st.one_of(st.none(), DAYS),
    expected_date_of_birth=st.sampled_from([None, "2027-02-01"]),
)
LEVEL = st.sampled_from([None, "standard", "medium", "high"])
FACTS = st.builds(
    ContactFacts,
    contact_id=st.just(CID),
    received_at=st.datetimes(
        datetime(2026, 1, 1), datetime(2026, 11, 26, 9), timezones=st.just(LONDON)
    ),
    source_code=st.sampled_from(sorted(REFERRAL_SOURCES)),
    categories=st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=5).map(tuple),
    immediate_danger=st.booleans(),
    injury_reported=st.booleans(),
    disclosure=st.booleans(),
    dash_level=LEVEL,
    dara_level=LEVEL,
    children_present=st.sampled_from([None, False, True]),
    previous_incidents=st.one_of(st.none(), st.integers(0, 10)),
    children=st.lists(CHILD, min_size=1, max_size=4).map(tuple),
    answers=st.dictionaries(st.sampled_from(YES_NO_FACTS), st.booleans(), max_size=6),
)
HISTORY = st.builds(
    ChildHistory,
    person_id=st.just(PID),
    as_at=st.just(NOW.isoformat()),
    previous_contacts=st.integers(0, 20),
    contacts_12m=st.integers(0, 10),
    referrals_12m=st.integers(0, 5),
    re_referral=st.booleans(),
    police_notifications=st.integers(0, 6),
    open_case=st.booleans(),
    cp_plan=st.sampled_from([None, "past", "current"]),
    looked_after=st.booleans(),
)


def add_risk(f: ContactFacts, draw: st.DataObject) -> ContactFacts:
    """``f`` with one more risk factor."""
    kind = draw.draw(
        st.sampled_from(
            ["category", "flag", "level", "present", "incidents", "child", "fact", "missing"]
        )
    )
    if kind == "fact":
        return replace(f, answers={**f.answers, draw.draw(st.sampled_from(YES_NO_FACTS)): True})
    if kind == "missing":
        n = f.answers.get("missing_episodes", 0) + draw.draw(st.integers(1, 5))
        return replace(f, answers={**f.answers, "missing_episodes": n})
    if kind == "category":
        extra = draw.draw(st.sampled_from(CATEGORIES))
        return replace(f, categories=tuple(dict.fromkeys((*f.categories, extra))))
    if kind == "flag":
        return replace(
            f,
            **{
                draw.draw(
                    st.sampled_from(["immediate_danger", "injury_reported", "disclosure"])
                ): True
            },
        )
    if kind == "level":
        return replace(f, dash_level="high")
    if kind == "present":
        return replace(f, children_present=True)
    if kind == "incidents":
        return replace(
            f, previous_incidents=(f.previous_incidents or 0) + draw.draw(st.integers(1, 5))
        )
    return replace(f, children=(*f.children, draw.draw(CHILD)))


def add_history(h: ChildHistory, draw: st.DataObject) -> ChildHistory:
    kind = draw.draw(
        st.sampled_from(["contacts", "referrals", "re", "police", "open", "cp", "cla"])
    )
    return {
        "contacts": lambda: replace(h, contacts_12m=h.contacts_12m + 1),
        "referrals": lambda: replace(h, referrals_12m=h.referrals_12m + 1),
        "re": lambda: replace(h, re_referral=True),
        "police": lambda: replace(h, police_notifications=h.police_notifications + 1),
        "open": lambda: replace(h, open_case=True),
        "cp": lambda: replace(h, cp_plan="current"),
        "cla": lambda: replace(h, looked_after=True),
    }[kind]()


@settings(max_examples=300, deadline=None)
@given(FACTS, st.lists(HISTORY, max_size=2), st.data())
def test_adding_a_risk_factor_never_lowers_the_score_or_rating(
    f: ContactFacts, histories: list[ChildHistory], data: st.DataObject
) -> None:
    before = score_contact(f, histories, POLICY, NOW)
    after = score_contact(add_risk(f, data), histories, POLICY, NOW)
    assert after.score >= before.score
    assert after.rating.rank <= before.rating.rank
    more = (
        [*histories, data.draw(HISTORY)]
        if data.draw(st.booleans())
        else (
            [add_history(histories[0], data), *histories[1:]] if histories else [data.draw(HISTORY)]
        )
    )
    assert score_contact(f, more, POLICY, NOW).score >= before.score


@settings(max_examples=200, deadline=None)
@given(FACTS, st.lists(HISTORY, max_size=2), st.sampled_from(POLICY.hard_rules))
def test_a_hard_rule_always_gives_at_least_its_rating(
    f: ContactFacts, histories: list[ChildHistory], rule: object
) -> None:
    young = ChildFacts(9, None, (f.received_at.date() - timedelta(days=700)).isoformat())
    unborn = ChildFacts(8, None, None, "2027-06-01")
    newborn = ChildFacts(7, None, f.received_at.date().isoformat())
    yes = lambda *names: {**f.answers, **dict.fromkeys(names, True)}  # noqa: E731
    forced = {
        "non_mobile_injury": lambda: replace(
            f,
            injury_reported=True,
            children=(
                *f.children,
                ChildFacts(9, None, (f.received_at.date() - timedelta(days=30)).isoformat()),
            ),
        ),
        "serious_or_unexplained_injury_under_5": lambda: replace(
            f, injury_reported=True, children=(*f.children, young), answers=yes("injury_serious")
        ),
        "immediate_danger": lambda: replace(f, immediate_danger=True),
        "sexual_abuse_disclosure": lambda: replace(
            f, disclosure=True, categories=tuple(dict.fromkeys((*f.categories, "19C")))
        ),
        "da_high_children_present": lambda: replace(f, dara_level="high", children_present=True),
        "prebirth_removal_or_proceedings": lambda: replace(
            f, children=(*f.children, unborn), answers=yes("care_proceedings")
        ),
        "fgm_or_forced_marriage_travel": lambda: replace(
            f, answers=yes("travel_planned", "forced_marriage_risk")
        ),
        "child_mental_health_crisis": lambda: replace(f, answers=yes("child_mental_health_crisis")),
        "sole_carer_mental_health_crisis": lambda: replace(
            f, answers=yes("carer_mental_health_crisis", "sole_carer")
        ),
        "missing_with_exploitation": lambda: replace(
            f, answers=yes("missing_now", "exploitation_indicators")
        ),
        "accumulating_concerns": lambda: f,
        "no_carer_available": lambda: replace(f, answers=yes("no_carer_available")),
        "missing_with_suicide_risk": lambda: replace(
            f, answers=yes("missing_now", "suicidal_thoughts")
        ),
        "concealed_pregnancy_newborn": lambda: replace(
            f, answers=yes("concealed_pregnancy"), children=(*f.children, newborn)
        ),
        "prebirth_domestic_abuse": lambda: replace(
            f,
            children=(*f.children, unborn),
            categories=tuple(dict.fromkeys((*f.categories, "3B"))),
        ),
        "harmful_practice": lambda: replace(
            f, categories=tuple(dict.fromkeys((*f.categories, "23A")))
        ),
    }[rule.id]()  # type: ignore[attr-defined]
    if rule.id == "accumulating_concerns":  # type: ignore[attr-defined]
        histories = [replace(h, contacts_12m=max(3, h.contacts_12m)) for h in histories] or [
            ChildHistory(PID, NOW.isoformat(), contacts_12m=3)
        ]
    result = score_contact(forced, histories, POLICY, NOW)
    assert result.rating.rank <= rule.rating.rank  # type: ignore[attr-defined]
    assert rule.id in result.hard_rules  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None)
@given(FACTS, st.lists(HISTORY, max_size=2))
def test_scoring_is_deterministic(f: ContactFacts, histories: list[ChildHistory]) -> None:
    first = score_contact(f, histories, POLICY, NOW)
    again = score_contact(
        replace(f, categories=tuple(reversed(f.categories))), list(histories), POLICY, NOW
    )
    assert first == again
    assert json.dumps(first.to_payload()) == json.dumps(again.to_payload())


def test_facts_from_payload_keeps_the_child_slots() -> None:
    payload = contact_payload(
        contact_id=CID,
        children=[
            {"given_name": "A", "slot": 3, "date_of_birth": "2020-01-01"},
            {"given_name": "B", "expected_date_of_birth": "2027-01-01"},
        ],
    )
    f = facts_from_payload(payload)
    assert [c.slot for c in f.children] == [3, 1]


def test_immediate_danger_is_due_on_receipt_even_out_of_hours() -> None:
    night = datetime(2026, 11, 26, 3, 49, tzinfo=LONDON)  # Thursday, before the office opens
    danger = score_contact(facts(received_at=night, immediate_danger=True), [], POLICY, NOW)
    assert danger.rating is Rating.RED and "immediate_danger" in danger.hard_rules
    assert danger.due_at == night  # the emergency duty team acts now
    other_red = score_contact(
        facts(received_at=night, injury_reported=True, disclosure=True, categories=("19C",)),
        [],
        POLICY,
        NOW,
    )
    assert other_red.rating is Rating.RED and "immediate_danger" not in other_red.hard_rules
    assert other_red.due_at == datetime(2026, 11, 26, 13, 0, tzinfo=LONDON)  # 09:00 + 4 WH


def test_respond_now_must_be_a_boolean(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from dutydesk.domain.errors import ValidationError

    text = (RESOURCES / "policy" / "default.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("respond_now = true", 'respond_now = "yes"'), encoding="utf-8")
    with pytest.raises((ValidationError, ValueError), match="respond_now"):
        load_policy(bad)
