"""Routes per child: payload rules, statutory clocks on the working-time calendar, the
MARAC criteria and the s47 record Annex A List 5 reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dutydesk.domain.clock import LONDON
from dutydesk.domain.errors import ValidationError
from dutydesk.domain.events import CATALOGUE, validate_payload
from dutydesk.domain.ids import new_id
from dutydesk.domain.permissions import EVENT_ACTIONS
from dutydesk.domain.route_events import ROUTE_EVENTS
from dutydesk.domain.route_text import describe
from dutydesk.domain.routes import (
    ContactFacts,
    fold_routes,
    marac_criteria,
    route_index,
    s47_records,
)
from dutydesk.domain.timescales import OfficeHours
from tests.factories import event

OFFICE = OfficeHours()
THU = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)  # a Thursday, 4 weeks before Christmas
CID = new_id()
TODAY = THU.date()


def opened(kind: str, **extra: object) -> dict[str, object]:
    return {"route_id": new_id(), "contact_id": CID, "kind": kind, **extra}


def fold(*payloads: tuple[str, dict[str, object], datetime]):  # type: ignore[no-untyped-def]
    events = [event(kind, p, at) for kind, p, at in payloads]
    return fold_routes(events, {CID: ContactFacts(CID, THU)}, OFFICE)


def test_every_new_event_is_catalogued_and_has_a_permission_rule() -> None:
    for kind in ROUTE_EVENTS:
        assert CATALOGUE[kind] is ROUTE_EVENTS[kind]
        assert kind in EVENT_ACTIONS


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        (opened("signpost"), "signpost.to"),
        (opened("early_help", team="EH North"), "early_help.family_consent"),
        (opened("lado"), "lado.adult_slot"),
        (opened("marac", adult_slot=0), "marac.marac"),
        (opened("private_fostering"), "private_fostering.slot"),
        (opened("transfer_out"), "transfer_out.to"),
        (opened("signpost", to="Food bank", marac="referred"), "signpost.marac"),
        (opened("teleport", slot=0), "teleport.kind"),
    ],
)
def test_each_route_refuses_what_it_lacks_naming_the_field(payload: dict, where: str) -> None:
    field = where.split(".", 1)[1]
    with pytest.raises(ValidationError) as err:
        validate_payload("route.opened", payload, today=TODAY)
    assert field in str(err.value)


def test_a_returned_early_help_request_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="reason"):
        validate_payload(
            "route.progressed",
            {"route_id": new_id(), "contact_id": CID, "step": "returned"},
            today=TODAY,
        )


def strategy(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "discussion_id": new_id(),
        "contact_id": CID,
        "slots": [0],
        "held_at": THU.isoformat(),
        "decision": "s47_joint",
        "s47_started_on": "2026-11-26",
        "attendees": [
            {"agency": "Children's social care", "name": "A Manager"},
            {"agency": "Police", "name": "DS Khan"},
        ],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"s47_started_on": None}, "s47_started_on"),
        ({"decision": "no_s47_nfa"}, "s47_started_on"),
        ({"s47_started_on": "2026-11-25"}, "s47_started_on"),
        ({"attendees": []}, "attendees"),
        ({"medical": "arranged"}, "medical_at"),
        (
            {
                "police_protection": {
                    "started_at": "2026-11-26T22:00:00+00:00",
                    "ended_at": "2026-11-26T21:00:00+00:00",
                }
            },
            "ended_at",
        ),
    ],
)
def test_strategy_discussion_rules(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_payload("strategy.discussed", strategy(**changes), today=TODAY)
    assert field in str(err.value)


def test_icpc_is_due_15_working_days_after_the_initiating_discussion() -> None:
    r = opened("strategy_s47", slot=0)
    follow = fold(
        ("route.opened", r, THU), ("strategy.discussed", strategy(route_id=r["route_id"]), THU)
    )
    route = follow.routes[r["route_id"]]
    icpc = [c for c in route.clocks if "conference" in c.label][0]
    # Fri 27 Nov is day 1; 15 working days later is Thu 17 Dec 2026
    assert icpc.due == datetime(2026, 12, 17, 17, 0, tzinfo=LONDON)
    assert not icpc.overdue(datetime(2026, 12, 17, 16, 59, tzinfo=LONDON))
    assert icpc.overdue(datetime(2026, 12, 17, 17, 1, tzinfo=LONDON))


def test_before_a_discussion_the_s47_route_has_no_deadline_but_asks_for_one() -> None:
    r = opened("strategy_s47", slot=0)
    route = fold(("route.opened", r, THU)).routes[r["route_id"]]
    assert [c.label for c in route.clocks] == ["Strategy discussion held (as soon as possible)"]
    assert route.clocks[0].due is None and not route.clocks[0].overdue(THU + timedelta(days=9))


def test_held_icpc_meets_the_clock_and_a_late_one_says_so() -> None:
    r = opened("strategy_s47", slot=0)
    late = datetime(2026, 12, 18, 10, 0, tzinfo=LONDON)
    follow = fold(
        ("route.opened", r, THU),
        ("strategy.discussed", strategy(route_id=r["route_id"]), THU),
        (
            "route.progressed",
            {
                "route_id": r["route_id"],
                "contact_id": CID,
                "step": "icpc_held",
                "at": late.isoformat(),
            },
            late,
        ),
    )
    icpc = follow.routes[r["route_id"]].clocks[0]
    assert icpc.met_at == late and icpc.state(late) == "met late"


def test_s17_assessment_is_due_45_working_days_over_christmas() -> None:
    r = opened("s17_assessment", slot=0)
    route = fold(("route.opened", r, THU)).routes[r["route_id"]]
    # 25 Dec, 28 Dec (Boxing Day substitute) and 1 Jan are bank holidays: Tue 2 Feb 2027
    assert route.clocks[0].due == datetime(2027, 2, 2, 17, 0, tzinfo=LONDON)


def test_lado_is_told_within_one_working_day_of_the_allegation() -> None:
    r = opened("lado", adult_slot=0)
    follow = fold(("route.opened", r, THU + timedelta(hours=3)))
    clock = follow.routes[r["route_id"]].clocks[0]
    assert clock.due == datetime(2026, 11, 27, 10, 0, tzinfo=LONDON)  # from receipt, Fri 10:00
    assert clock.overdue(datetime(2026, 11, 27, 10, 1, tzinfo=LONDON))
    referred = fold(
        ("route.opened", r, THU),
        (
            "route.progressed",
            {"route_id": r["route_id"], "contact_id": CID, "step": "referred"},
            THU + timedelta(hours=2),
        ),
    )
    assert not referred.routes[r["route_id"]].clocks[0].overdue(THU + timedelta(days=5))


def test_friday_evening_lado_allegation_is_due_monday_at_opening_plus_a_day() -> None:
    fri = datetime(2026, 11, 27, 19, 0, tzinfo=LONDON)
    r = opened("lado", adult_slot=0)
    events = [event("route.opened", r, fri)]
    follow = fold_routes(events, {CID: ContactFacts(CID, fri)}, OFFICE)
    # out of hours: the clock starts Mon 30 Nov 09:00; one working day on is Mon 17:00
    assert follow.routes[r["route_id"]].clocks[0].due == datetime(
        2026, 11, 30, 17, 0, tzinfo=LONDON
    )


def test_private_fostering_visit_within_7_working_days() -> None:
    r = opened("private_fostering", slot=0)
    route = fold(("route.opened", r, THU)).routes[r["route_id"]]
    assert route.clocks[0].due == datetime(2026, 12, 7, 17, 0, tzinfo=LONDON)  # Mon 7 Dec


def test_police_protection_is_72_hours_and_an_epo_8_days() -> None:
    r = opened("emergency_protection", slot=0)
    night = datetime(2026, 11, 26, 22, 30, tzinfo=LONDON)
    follow = fold(
        ("route.opened", r, night),
        (
            "strategy.discussed",
            strategy(
                route_id=r["route_id"],
                held_at=(night + timedelta(minutes=30)).isoformat(),
                s47_started_on="2026-11-26",
                police_protection={"started_at": night.isoformat()},
                epo={
                    "applied_at": (night + timedelta(hours=10)).isoformat(),
                    "granted_at": (night + timedelta(hours=14)).isoformat(),
                },
            ),
            night,
        ),
    )
    clocks = {c.label: c for c in follow.routes[r["route_id"]].clocks}
    assert clocks["Police protection ends (72 hours)"].due == night + timedelta(hours=72)
    assert clocks["Emergency protection order expires (8 days)"].due == (
        night + timedelta(hours=14) + timedelta(days=8)
    )


def test_an_epo_granted_after_the_discussion_starts_its_8_days_from_the_grant() -> None:
    from dutydesk.domain.route_events import step_fits

    r = opened("emergency_protection", slot=0)
    night = datetime(2026, 11, 26, 22, 30, tzinfo=LONDON)
    granted = datetime(2026, 11, 27, 15, 10, tzinfo=LONDON)
    base = [
        ("route.opened", r, night),
        (
            "strategy.discussed",
            strategy(
                route_id=r["route_id"],
                held_at=night.isoformat(),
                s47_started_on="2026-11-26",
                epo={"applied_at": night.isoformat()},
            ),
            night,
        ),
    ]
    assert not any("order expires" in c.label for c in fold(*base).routes[r["route_id"]].clocks)
    follow = fold(
        *base,
        (
            "route.progressed",
            {
                "route_id": r["route_id"],
                "contact_id": CID,
                "step": "epo_granted",
                "at": granted.isoformat(),
            },
            granted,
        ),
    )
    (epo,) = [c for c in follow.routes[r["route_id"]].clocks if "order expires" in c.label]
    assert epo.due == granted + timedelta(days=8) and epo.met_at is None
    assert step_fits("emergency_protection", "epo_granted")
    assert not step_fits("strategy_s47", "epo_granted")


def test_a_transfer_keeps_the_route_open_until_accepted() -> None:
    r = opened("s17_assessment", slot=0)
    rid = r["route_id"]
    base = [
        ("route.opened", r, THU),
        (
            "route.transferred",
            {"route_id": rid, "contact_id": CID, "team": "Assessment 2", "worker": "sw.jones"},
            THU,
        ),
    ]
    assert fold(*base).routes[rid].open
    returned = fold(
        *base,
        (
            "route.transfer_returned",
            {"route_id": rid, "contact_id": CID, "reason": "Wrong area"},
            THU,
        ),
    )
    assert returned.routes[rid].open and "Wrong area" in returned.routes[rid].state_text()
    accepted = fold(*base, ("route.transfer_accepted", {"route_id": rid, "contact_id": CID}, THU))
    assert not accepted.routes[rid].open
    assert accepted.routes[rid].state_text() == "Handed over to Assessment 2 (sw.jones)"


def test_marac_criteria_from_the_notification_and_history() -> None:
    day = date(2026, 11, 26)
    plain = marac_criteria(
        incident_on=day,
        dash_level="medium",
        dara_level=None,
        previous_incidents=1,
        earlier_police_da=[date(2026, 10, 1)],
        earlier_marac_referrals=[],
    )
    assert not plain.met
    escalating = marac_criteria(
        incident_on=day,
        dash_level="medium",
        dara_level=None,
        previous_incidents=1,
        earlier_police_da=[date(2026, 1, 5), date(2026, 6, 1), date(2026, 10, 1), date(2025, 6, 1)],
        earlier_marac_referrals=[date(2025, 10, 1)],
    )
    assert escalating.escalation and escalating.incidents_12_months == 3
    assert not escalating.repeat  # the 2025 referral is over 12 months before
    repeat = marac_criteria(
        incident_on=day,
        dash_level=None,
        dara_level="high",
        previous_incidents=None,
        earlier_police_da=[],
        earlier_marac_referrals=[date(2026, 3, 1)],
    )
    assert repeat.high_risk and repeat.repeat
    assert "2026-03-01" in repeat.reasons()[-1]


def test_s47_records_give_list_5_its_dates_per_child() -> None:
    r0, r1 = opened("strategy_s47", slot=0), opened("strategy_s47", slot=1)
    follow = fold(
        ("route.opened", r0, THU),
        ("route.opened", r1, THU),
        ("strategy.discussed", strategy(slots=[0, 1], lead_social_worker="sw.lead"), THU),
        (
            "route.transferred",
            {
                "route_id": r0["route_id"],
                "contact_id": CID,
                "team": "Assessment 2",
                "worker": "sw.jones",
            },
            THU,
        ),
    )
    rows = s47_records(follow, OFFICE, {(CID, 1): "p-1"})
    assert [(r.slot, r.s47_started_on, r.icpc_due_on) for r in rows] == [
        (0, date(2026, 11, 26), date(2026, 12, 17)),
        (1, date(2026, 11, 26), date(2026, 12, 17)),
    ]
    # a transfer still awaiting acceptance allocates nobody: the lead social worker holds it
    assert rows[0].allocated_team is None and rows[0].allocated_worker == "sw.lead"
    assert rows[1].person_id == "p-1"
    accepted = fold(
        ("route.opened", r0, THU),
        ("strategy.discussed", strategy(slots=[0]), THU),
        (
            "route.transferred",
            {
                "route_id": r0["route_id"],
                "contact_id": CID,
                "team": "Assessment 2",
                "worker": "sw.x",
            },
            THU,
        ),
        (
            "route.transfer_accepted",
            {"route_id": r0["route_id"], "contact_id": CID, "worker": "sw.jones"},
            THU,
        ),
    )
    row = s47_records(accepted, OFFICE)[0]
    assert (row.allocated_team, row.allocated_worker) == ("Assessment 2", "sw.jones")


def test_every_new_event_reads_as_words() -> None:
    e = event("strategy.discussed", strategy(), THU)
    text = describe(e)
    assert text is not None and "Police" in text and "joint with police" in text


# ---- route_index: which routes are open, without the fold --------------------------------

_LIFECYCLE = st.sampled_from(
    [
        ("route.closed", {"reason": "done"}),
        ("route.transferred", {"team": "Assessment East"}),
        ("route.transfer_accepted", {}),
        ("route.transfer_returned", {"reason": "not ours"}),
        ("route.progressed", {"step": "accepted"}),
        ("route.progressed", {"step": "returned", "reason": "no consent"}),
        ("route.progressed", {"step": "referred"}),
        ("route.opened", {}),  # the same route id opened again
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 2), _LIFECYCLE | st.none()),
        max_size=30,
    )
)
def test_route_index_says_what_the_fold_says(script: list) -> None:  # type: ignore[type-arg]
    """Whatever order routes are opened, stepped, handed off, answered and closed in
    (events of routes not opened yet included), the index's open contacts and routed
    children are the fold's (``Route.open``)."""
    contacts = [new_id() for _ in range(3)]
    route_ids = [new_id() for _ in range(6)]
    events = []
    for n, (r, c, action) in enumerate(script):
        at = THU + timedelta(minutes=n)
        base = {"route_id": route_ids[r], "contact_id": contacts[c]}
        if action is None or action[0] == "route.opened":
            kind = "early_help" if r % 2 else "transfer_out"
            body = {**base, "kind": kind, "slot": r % 3}
            body.update(team="EH") if kind == "early_help" else body.update(to="Kent")
            if kind == "early_help":
                body["family_consent"] = "given"
            events.append(event("route.opened", body, at))
        else:
            events.append(event(action[0], {**base, **action[1]}, at))
    follow = fold_routes(events, {}, OFFICE)
    index = route_index((e.type, e.payload) for e in events)
    assert index.open_contacts == {r.contact_id for r in follow.open_routes()}
    assert index.routed == {(r.contact_id, r.slot) for r in follow.routes.values()}
