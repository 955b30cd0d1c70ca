"""A whole front-door day on a real store, each person through the guarded store with their
own role: a police DA notification about two children (s47 for one, early help for the
other), a duplicate notification merged, a wrong link undone, adults recorded, a MARAC
referral, a strategy discussion, police protection overnight, a LADO allegation, and a
transfer accepted by the assessment team. Every clock and view is checked, MI counts the
routes, and the case log prints it all in order."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.errors import PermissionDenied, ValidationError
from dutydesk.domain.events import Actor
from dutydesk.domain.timescales import OfficeHours
from dutydesk.mi.records import Figure, Filters
from dutydesk.services.corrections import CorrectionService
from dutydesk.services.desk import DeskService
from dutydesk.services.followthrough import FollowThroughService
from dutydesk.services.guard import GuardedStore
from dutydesk.services.mi import MiService
from dutydesk.services.triage import TriageService
from dutydesk.store.chain import ChainedEventStore
from dutydesk.store.history_queries import HistoryQueries
from tests.document_fixtures import document_service
from tests.factories import contact_payload, event

THU = datetime(2026, 11, 26, 8, 15, tzinfo=LONDON)

OFFICER = Actor("co.amy", Role.CONTACT_OFFICER, "desk-1")
PRACTITIONER = Actor("sw.pat", Role.PRACTITIONER, "desk-2")
MANAGER = Actor("dm.sam", Role.DUTY_MANAGER, "desk-3")
EDT = Actor("edt.kim", Role.PRACTITIONER, "edt-desk")
ASSESSMENT = Actor("sw.jones", Role.PRACTITIONER, "desk-4")
EARLY_HELP = Actor("eh.lee", Role.PRACTITIONER, "desk-5")

RATIONALE = {
    "concerns_and_risks": "Father assaulted mother in front of both children; Ava has a "
    "mark on her arm and says he grabbed her.",
    "analysis": "Reasonable cause to suspect Ava is suffering significant harm; Leo (3) "
    "needs support at home but not an enquiry.",
    "next_steps": [
        {
            "action": "Strategy discussion with police and health",
            "owner": "dm.sam",
            "due": "2026-11-26",
        },
        {"action": "Early help request for Leo", "owner": "sw.pat", "due": "2026-11-27"},
    ],
}

DA_NOTIFICATION = {
    "channel": "police_notification",
    "source_code": "6",
    "reporter": {"name": "PC Rivers", "agency": "West Yorkshire Police"},
    "concern": "Police attended a domestic abuse incident at 02:10; both children present.",
    "categories": ["3B"],
    "consent": "not_required",
    "immediate_danger": False,
    "domestic_abuse": {
        "dash_level": "high",
        "children_present": True,
        "previous_incidents": 3,
        "incident_ref": "WY-2611-0042",
    },
}


class Day:
    """The services for each person on the desk, over one chained store."""

    def __init__(self, path) -> None:  # type: ignore[no-untyped-def]
        self.store = ChainedEventStore.open(path)
        self.clock = FixedClock(THU)

    def at(self, hour: int, minute: int = 0, day: int = 26) -> datetime:
        self.clock.at = datetime(2026, 11, day, hour, minute, tzinfo=LONDON)
        return self.clock.at

    def guarded(self, who: Actor) -> GuardedStore:
        return GuardedStore(self.store, who, self.clock)

    def triage(self, who: Actor) -> TriageService:
        return TriageService(self.guarded(who), who, self.clock)

    def desk(self, who: Actor) -> DeskService:
        return DeskService(self.guarded(who), who, self.clock, triage=self.triage(who))

    def follow(self, who: Actor) -> FollowThroughService:
        return FollowThroughService(self.guarded(who), who, self.clock, OfficeHours())

    def fix(self, who: Actor) -> CorrectionService:
        return CorrectionService(self.guarded(who), who, self.clock, self.triage(who))


@pytest.fixture
def day(tmp_path):  # type: ignore[no-untyped-def]
    d = Day(tmp_path / "day.sqlite3")
    yield d
    d.store.close()


def _mi(day: Day) -> dict[str, Figure]:
    """The MI figures for November, as a duty manager's dashboard computes them now."""
    service = MiService(day.store, day.clock, actor=MANAGER, office=OfficeHours())
    period = Filters(date(2026, 11, 1), date(2026, 11, 30))
    return {f.key: f for f in service.figures(service.load(period), period)}


def _reasons(day: Day, cid: str) -> list[str]:
    row = day.desk(MANAGER).queries.contact(cid)
    assert row is not None
    return [str(r.get("text", "")) for r in row.reasons]


def test_a_front_door_day(day: Day) -> None:  # noqa: PLR0915 - one day, told in order
    # ---- before the day: Ava is known (an earlier police notification); another Leo
    # with a current child protection plan is on record (the wrong match to come).
    ava, other_leo = "0190a000-0000-7000-8000-00000000a0a0", "0190a000-0000-7000-8000-00000000b0b0"
    earlier = THU - timedelta(days=40)
    day.store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": ava,
                    "given_name": "Ava",
                    "family_name": "Stone",
                    "date_of_birth": "2019-02-11",
                },
                earlier,
                actor="co.amy",
                role=Role.CONTACT_OFFICER,
            ),
            event(
                "person.registered",
                {
                    "person_id": other_leo,
                    "given_name": "Leo",
                    "family_name": "Stone",
                    "date_of_birth": "2023-05-01",
                    "cp_plan": "current",
                },
                earlier,
                actor="co.amy",
                role=Role.CONTACT_OFFICER,
            ),
        ]
    )

    # ---- 08:15 the police DA notification about Ava and Leo; 08:40 the same again
    officer = day.desk(OFFICER)
    day.at(8, 15)
    main, _ = officer.record_contact(
        {
            **DA_NOTIFICATION,
            "children": [
                {"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2019-02-11"},
                {"given_name": "Leo", "family_name": "Stone", "date_of_birth": "2023-07-19"},
            ],
        }
    )
    day.at(8, 40)
    duplicate, _ = officer.record_contact(
        {
            **DA_NOTIFICATION,
            "children": [
                {"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2019-02-11"}
            ],
        }
    )
    day.at(8, 45)
    for cid, slot, pid in ((main, 0, ava), (main, 1, other_leo), (duplicate, 0, ava)):
        day.guarded(OFFICER).append(
            [
                event(
                    "person.linked",
                    {
                        "contact_id": cid,
                        "slot": slot,
                        "person_id": pid,
                        "reason": "matched on name and date of birth",
                    },
                    day.clock.at,
                    actor="co.amy",
                    role=Role.CONTACT_OFFICER,
                )
            ]
        )
    day.triage(OFFICER).rate(main)
    assert any("protection plan" in r.lower() for r in _reasons(day, main)), (
        "the wrong match's CP plan lifts the rating"
    )
    history = HistoryQueries(day.store.engine)
    assert {c.contact_id for c in history.linked_records([ava]).contacts[ava]} == {main, duplicate}

    # ---- 09:00 a practitioner takes it (docs/window.md); a contact officer may not
    day.at(9, 0)
    with pytest.raises(PermissionDenied):
        day.desk(OFFICER).take(main)
    day.desk(PRACTITIONER).take(main)
    assert day.desk(MANAGER).queries.contact(main).assignee == "sw.pat"  # type: ignore[union-attr]

    # ---- 09:10 the duplicate is merged (only a manager or senior may), reason required
    day.at(9, 10)
    with pytest.raises(PermissionDenied):
        day.fix(PRACTITIONER).merge(duplicate, main, "same incident WY-2611-0042 twice")
    with pytest.raises(ValidationError, match="reason|why"):
        day.fix(MANAGER).merge(duplicate, main, "dup")
    day.fix(MANAGER).merge(duplicate, main, "Same police incident WY-2611-0042 sent twice")
    queue = {i.contact_id for i in day.desk(MANAGER).queue()}
    assert main in queue and duplicate not in queue
    assert [c.contact_id for c in history.linked_records([ava]).contacts[ava]] == [main]
    with pytest.raises(ValidationError, match="merged"):
        day.follow(PRACTITIONER).acknowledge(duplicate, "acknowledgement", "email")

    # ---- 09:20 the wrong link is undone and the real Leo registered; the rating follows
    day.at(9, 20)
    day.fix(MANAGER).unlink(main, 1, "Different Leo: date of birth 2023-07-19, not 05-01")
    assert not any("protection plan" in r.lower() for r in _reasons(day, main))
    leo, _ = day.fix(MANAGER).register_person(
        {"given_name": "Leo", "family_name": "Stone", "date_of_birth": "2023-07-19"},
        link_to=(main, 1),
        reason="New child, not known to the service before",
    )
    kids = day.desk(MANAGER).queries.children_of(main)
    assert [k.person_id for k in kids] == [ava, leo]

    # ---- 09:30 the adults: mother (victim), father (alleged perpetrator)
    day.at(9, 30)
    follow = day.follow(PRACTITIONER)
    mum, _ = follow.record_adult(
        main, "victim", given_name="Jo", family_name="Stone", relationship="mother"
    )
    dad, _ = follow.record_adult(
        main, "alleged_perpetrator", given_name="Rob", family_name="Stone", relationship="father"
    )
    assert (mum, dad) == (0, 1)

    # ---- 09:45 the manager decides: strategy discussion / s47 (main outcome)
    day.at(9, 45)
    day.desk(MANAGER).decide(main, "strategy_s47", 4, RATIONALE)
    assert main not in {i.contact_id for i in day.desk(MANAGER).queue()}
    # off the queue, but both children are on follow-through until each has a route
    waiting = [
        (r.child, r.kind, r.state)
        for r in day.follow(MANAGER).view().awaiting
        if r.contact_id == main
    ]
    assert waiting == [
        ("Ava Stone", "awaiting", "Awaiting a route"),
        ("Leo Stone", "awaiting", "Awaiting a route"),
    ]

    # ---- 09:50 Leo: early help beside it; MARAC for mother (criteria from police history)
    day.at(9, 50)
    marac = follow.marac_criteria(main)
    assert marac.high_risk and marac.escalation and marac.incidents_12_months == 3
    eh_route, _ = follow.open_route(
        main, "early_help", slot=1, team="Early Help North", family_consent="given"
    )
    marac_route, _ = follow.open_route(main, "marac", adult_slot=mum, marac="referred")
    with pytest.raises(ValidationError, match="adult"):
        follow.open_route(main, "lado", adult_slot=7)
    assert [
        (r.child, r.kind) for r in day.follow(MANAGER).view().awaiting if r.contact_id == main
    ] == [("Ava Stone", "awaiting")]

    # ---- 10:00 receipt acknowledged to the police by email
    day.at(10, 0)
    follow.acknowledge(main, "acknowledgement", "email", to="PC Rivers")

    # ---- 11:00 strategy discussion: police and health; joint s47 for Ava
    day.at(11, 0)
    follow.record_strategy_discussion(
        main,
        slots=[0],
        held_at=day.at(11, 0),
        decision="s47_joint",
        attendees=[
            {"agency": "Children's social care", "name": "dm.sam"},
            {"agency": "Police", "name": "DS Khan", "role": "CAIT"},
            {"agency": "Health", "name": "Dr Osei", "role": "named doctor"},
        ],
        s47_started_on=date(2026, 11, 26),
        medical="arranged",
        medical_at=datetime(2026, 11, 26, 14, 0, tzinfo=LONDON),
        lead_social_worker="sw.pat",
        summary="Joint visit today; medical at 14:00.",
    )
    day.follow(MANAGER).complete_next_step(
        main, day.desk(MANAGER).queries.decisions_for(main)[0].decision_id, 0, "Held at 11:00"
    )

    # ---- 13:00 a LADO allegation from a school about a teacher
    day.at(13, 0)
    lado_contact, _ = day.desk(OFFICER).record_contact(
        contact_payload(
            received_at=day.clock.at.isoformat(),
            children=[{"given_name": "Mia", "family_name": "Hart", "date_of_birth": "2015-09-09"}],
            concern="Year 6 pupil says her teacher grabbed her by the neck in class.",
            categories=["18C"],
        )
    )
    teacher, _ = follow.record_adult(
        lado_contact,
        "works_with_children",
        given_name="Tom",
        family_name="Reed",
        occupation="Teacher, St Mary's",
    )
    lado_route, _ = follow.open_route(lado_contact, "lado", adult_slot=teacher)
    lado_clock = follow.contact_routes(lado_contact).routes[0].clocks[0]
    assert lado_clock.due == datetime(2026, 11, 27, 13, 0, tzinfo=LONDON)
    day.at(15, 0)
    follow.progress(lado_route, "referred")

    # ---- 22:30 police protection for Ava overnight; EDT records the discussion at 23:00
    day.at(23, 0)
    day.follow(EDT).record_strategy_discussion(
        main,
        slots=[0],
        held_at=day.at(23, 0),
        decision="s47_joint",
        attendees=[
            {"agency": "Children's social care", "name": "edt.kim"},
            {"agency": "Police", "name": "PS Ward"},
        ],
        s47_started_on=date(2026, 11, 26),
        police_protection={
            "started_at": datetime(2026, 11, 26, 22, 30, tzinfo=LONDON),
            "where": "emergency foster placement",
        },
    )

    # ---- Fri 27 Nov 09:00: the follow-through view
    now = day.at(9, 0, day=27)
    view = day.follow(MANAGER).view()
    by_kind = {(r.contact_id, r.kind, r.slot): r for r in view.routes}
    s47 = by_kind[(main, "strategy_s47", 0)]
    protection = by_kind[(main, "emergency_protection", 0)]
    assert by_kind[(main, "early_help", 1)].state == "Open"
    assert (main, "marac", None) in by_kind
    assert (lado_contact, "lado", None) in by_kind  # referred, still open until closed
    clocks = {c.label: c for r in (s47, protection) for c in r.clocks}
    assert clocks["Initial child protection conference (15 working days)"].due == datetime(
        2026, 12, 17, 17, 0, tzinfo=LONDON
    )
    assert clocks["Police protection ends (72 hours)"].due == datetime(
        2026, 11, 29, 22, 30, tzinfo=LONDON
    )
    assert clocks["Police protection ends (72 hours)"].state == "due"
    assert [c.state for c in by_kind[(lado_contact, "lado", None)].clocks] == ["met"]
    assert s47.discussions == 2 and not any(r.overdue for r in view.routes)
    assert view.awaiting == ()  # every child decided has a route
    assert view.conflicts == ()
    # the school's allegation has not been acknowledged; due Fri 13:00
    ack = {a.contact_id: a for a in view.acknowledgements}
    assert ack[lado_contact].ack_due == datetime(2026, 11, 27, 13, 0, tzinfo=LONDON)
    assert not ack[lado_contact].overdue and ack[main].ack_sent is not None
    steps = {(s.contact_id, s.index): s for s in view.next_steps}
    assert steps[(main, 0)].done is not None and not steps[(main, 1)].overdue
    assert now < ack[lado_contact].ack_due

    # ---- Fri: police protection ends; Leo's early help accepted; Ava transferred
    day.at(9, 15, day=27)
    follow.progress(
        protection.route_id,
        "protection_ended",
        reason="Returned to mother; father bailed away from the address",
    )
    day.follow(EARLY_HELP).progress(eh_route, "accepted")
    day.at(10, 0, day=27)
    with pytest.raises(PermissionDenied):
        follow.transfer(s47.route_id, "Assessment Team 2", "sw.jones")
    day.follow(MANAGER).transfer(s47.route_id, "Assessment Team 2", "sw.jones")
    waiting = {r.route_id: r for r in day.follow(MANAGER).view().routes}
    assert waiting[s47.route_id].state == "Awaiting acceptance by Assessment Team 2"
    # MI counts the hand-off while it waits (day 0), with the team it waits with
    handoffs = _mi(day)["handoffs_awaiting"]
    assert handoffs.display() == "1 · oldest 0 WD" and "Assessment Team 2" in handoffs.note
    day.at(11, 0, day=27)
    day.follow(ASSESSMENT).answer_transfer(s47.route_id, accept=True, worker="sw.jones")

    # ---- Fri 14:00: what is left, and what is overdue
    day.at(14, 0, day=27)
    view = day.follow(MANAGER).view()
    left = {(r.contact_id, r.kind) for r in view.routes}
    assert (main, "strategy_s47") not in left, "handed over: off the follow-through view"
    assert (main, "early_help") not in left, "accepted by early help"
    assert (main, "emergency_protection") in left  # ended, but not yet closed
    assert [r.state for r in view.routes if r.kind == "emergency_protection"] == [
        "Protection ended"
    ]
    ack = {a.contact_id: a for a in view.acknowledgements}
    assert ack[lado_contact].overdue, "the school was not acknowledged within a working day"
    # the police were told of receipt, but not of the decision (due Fri 09:45)
    assert ack[main].ack_sent and ack[main].feedback_sent is None and ack[main].overdue
    assert ack[main].feedback_due == datetime(2026, 11, 27, 9, 45, tzinfo=LONDON)
    assert view.overdue_counts()["acknowledgements"] == 2
    follow.acknowledge(
        main,
        "feedback",
        "phone",
        to="PC Rivers",
        note="Told of the joint s47 and the early help request",
    )
    follow.acknowledge(lado_contact, "acknowledgement", "letter")
    ack = {a.contact_id: a for a in day.follow(MANAGER).view().acknowledgements}
    assert main not in ack and not ack[lado_contact].overdue
    # Mon 30 Nov: Leo's early help step (due Fri 27) was never ticked off
    day.at(9, 0, day=30)
    steps = {(s.contact_id, s.index): s for s in day.follow(MANAGER).view().next_steps}
    assert steps[(main, 1)].overdue and not steps[(main, 0)].overdue

    # ---- List 5 reads the s47 record
    records = day.follow(MANAGER).s47_records()
    assert [
        (
            r.contact_id,
            r.slot,
            r.person_id,
            r.s47_started_on,
            r.icpc_due_on,
            r.allocated_team,
            r.allocated_worker,
        )
        for r in records
    ] == [
        (main, 0, ava, date(2026, 11, 26), date(2026, 12, 17), "Assessment Team 2", "sw.jones")
    ] * 2  # two initiating discussions (day, EDT), one row each
    from dutydesk.store.followthrough_queries import FollowThroughQueries

    assert FollowThroughQueries(day.store.engine).s47_records() == records  # for MI / Annex A
    # Annex A List 5 from the store reads that record: one enquiry for Ava (the night
    # team's discussion continues the day's), started at the strategy discussion, held by
    # the team that accepted it; none for Leo (early help) or the merged duplicate.
    from dutydesk.mi import annex_a
    from dutydesk.mi.dataset import prepare
    from dutydesk.store.mi_queries import MiQueries

    data = MiQueries(day.store.engine).load(with_people=True)
    list5 = annex_a.rows_for(5, data, prepare(data), Filters(date(2026, 11, 1), date(2026, 11, 30)))
    assert [(r[0], r[6], r[8], r[12], r[13]) for r in list5] == [
        (ava, date(2026, 11, 26), None, "Assessment Team 2", "sw.jones")
    ]
    # List 3: Ava's referral is allocated to the team that accepted her; Leo stays with
    # the duty worker who took the contact (early help is not an allocation)
    list3 = {
        r[0]: r
        for r in annex_a.rows_for(
            3, data, prepare(data), Filters(date(2026, 11, 1), date(2026, 11, 30))
        )
    }
    assert list3[ava][-2:] == ("Assessment Team 2", "sw.jones")
    assert list3[leo][-1] == "sw.pat"
    # List 2: Leo, stepped down to early help beside Ava's s47, from the day his route
    # was opened, with the early help team that accepted him
    list2 = annex_a.rows_for(2, data, prepare(data), Filters(date(2026, 11, 1), date(2026, 11, 30)))
    assert [(r[0], r[-3], r[-1]) for r in list2] == [(leo, date(2026, 11, 26), "Early Help North")]

    # MI: the LADO told in time (13:00 Thu, told 15:00), one MARAC referral (no earlier
    # one: not a repeat), no hand-off waiting once the assessment team accepted
    figures = _mi(day)
    assert figures["lado_timeliness"].display() == "100.0% (1/1) · 0 past due, not done"
    assert [r.contact_id for r in figures["lado_timeliness"].parts[0].refs] == [lado_contact]
    assert figures["marac_referrals"].display() == "1 · 0 repeat"
    assert [r.contact_id for r in figures["marac_referrals"].refs] == [main]
    assert figures["handoffs_awaiting"].value == 0

    # ---- the case log prints the day in order
    doc = document_service(day.store, MANAGER, day.clock).case_log(contact_id=main)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(doc.pdf)).pages)
    text = " ".join(text.split())
    order = [
        "Taken by sw.pat",
        "Unlinked child 2",
        "Adult 1 recorded: Victim, mother",
        "Adult 2 recorded: Alleged perpetrator, father",
        "Route opened for child 2: Early help",
        "Route opened for the contact: MARAC",
        "Receipt acknowledged to PC Rivers by email",
        "Route opened for child 1: Strategy discussion / section 47 enquiry",
        "Strategy discussion held 26 Nov 2026 11:00",
        "Next step 1 done",
        "Route opened for child 1: Emergency protection",
        "Strategy discussion held 26 Nov 2026 23:00",
        "Route step: Protection ended",
        "Route step: Accepted",
        "Transferred to Assessment Team 2, worker sw.jones",
        "Transfer accepted (sw.jones)",
    ]
    at = [text.find(words) for words in order]
    assert all(i >= 0 for i in at), [w for w, i in zip(order, at, strict=True) if i < 0]
    assert at == sorted(at)
    # the strategy discussion record prints what it decided, with times
    for words in (
        "child 1 (Ava Stone)",
        "DS Khan (CAIT)",
        "started 26 Nov 2026; initial child protection conference due by "
        "17 Dec 2026 (15 working days)",
        "arranged for 26 Nov 2026 14:00",
        "Lead social worker sw.pat",
        "Joint visit today; medical at 14:00.",
        "from 26 Nov 2026 22:30 (not yet ended); child at emergency foster placement",
    ):
        assert words in text, words
    # the contact's detail pane shows the same, in the same order
    detail = day.desk(MANAGER).contact_detail(main)
    assert detail is not None
    lines = [what for _at, _who, what in detail.followups]
    assert lines[0] == "Taken by sw.pat"
    assert lines[-2:] == ["Transfer accepted (sw.jones)", "Feedback given to PC Rivers by phone"]
    assert sum(w.startswith("Strategy discussion held") for w in lines) == 2
    # the referrer's letter says what happens for each child; never MARAC or LADO
    from dutydesk.reports.letters import Audience

    letters = document_service(day.store, MANAGER, day.clock)
    referrer = " ".join(
        " ".join(
            p.extract_text()
            for p in PdfReader(io.BytesIO(letters.letter(main, Audience.REFERRER).pdf)).pages
        ).split()
    )
    assert (
        "What happens next for each child: Ava Stone: strategy discussion / section 47 "
        "enquiry; Leo Stone: early help (Early Help North)."
    ) in referrer
    assert "MARAC" not in referrer and "protection" not in referrer.split("child:")[1]
    family = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(letters.letter(main, Audience.FAMILY).pdf)).pages
    )
    assert "What happens next for each child" not in family and "MARAC" not in family
    dup_log = document_service(day.store, MANAGER, day.clock).case_log(contact_id=duplicate)
    dup_text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(dup_log.pdf)).pages).split()
    )
    assert "Merged into contact" in dup_text and "WY-2611-0042 sent twice" in dup_text


def test_the_duty_log_lists_the_day_after_the_decisions(day: Day) -> None:
    day.at(9, 0)
    cid, _ = day.desk(OFFICER).record_contact(
        {
            **DA_NOTIFICATION,
            "children": [
                {"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2019-02-11"}
            ],
        }
    )
    dup, _ = day.desk(OFFICER).record_contact(
        {
            **DA_NOTIFICATION,
            "children": [
                {"given_name": "Ava", "family_name": "Stone", "date_of_birth": "2019-02-11"}
            ],
        }
    )
    day.at(10, 0)
    day.fix(MANAGER).merge(dup, cid, "Same police incident WY-2611-0042 sent twice")
    day.follow(PRACTITIONER).record_strategy_discussion(
        cid,
        slots=[0],
        held_at=day.at(11, 0),
        decision="s47_single",
        attendees=[{"agency": "Police"}],
        s47_started_on=date(2026, 11, 26),
    )
    day.at(16, 0)
    doc = document_service(day.store, MANAGER, day.clock).duty_log(
        date(2026, 11, 26), date(2026, 11, 26)
    )
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(doc.pdf)).pages).split()
    )
    assert "After the decision" in text
    merged, held = text.find("Merged into contact"), text.find("Strategy discussion held")
    assert 0 <= merged < held
    assert "Ava Stone" in text[text.find("After the decision") :]
    # the next day's log has none of it
    doc = document_service(day.store, MANAGER, day.clock).duty_log(
        date(2026, 11, 27), date(2026, 11, 27)
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(doc.pdf)).pages)
    assert "After the decision" not in text


def test_duty_log_leaves_out_follow_ups_on_a_restricted_child(day: Day) -> None:
    from dutydesk.reports.verify import Verdict
    from dutydesk.services.audit import AuditService

    ava = "0190a000-0000-7000-8000-00000000a0a1"
    day.at(9, 0)
    day.store.append(
        [
            event(
                "person.registered",
                {"person_id": ava, "given_name": "Ava", "family_name": "Stone"},
                day.clock.at,
                actor="co.amy",
                role=Role.CONTACT_OFFICER,
            )
        ]
    )
    cid, _ = day.desk(OFFICER).record_contact(
        {
            **DA_NOTIFICATION,
            "children": [{"person_id": ava, "given_name": "Ava", "family_name": "Stone"}],
        }
    )
    named = Actor("sp.named", Role.SENIOR_PRACTITIONER, "desk-9")
    AuditService(day.guarded(Actor("ad.min", Role.ADMIN, "a"))).restrict(
        ava, [named.login], "child of a member of staff"
    )
    day.at(10, 0, day=27)  # the next day: only the follow-up is in this log
    day.follow(named).close_route(
        day.follow(named).open_route(cid, "signpost", slot=0, to="Family Hub")[0],
        "SECRET-REASON family moved away",
    )
    dm_log = document_service(day.store, MANAGER, day.clock).duty_log(
        date(2026, 11, 27), date(2026, 11, 27)
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(dm_log.pdf)).pages)
    assert "SECRET-REASON" not in text and "Ava" not in text and "Family Hub" not in text
    documents = document_service(day.store, MANAGER, day.clock)
    assert documents.verify(dm_log.pdf).verdict is Verdict.MISSING_EVENTS  # not printed yet
    documents.record_printed(dm_log)
    assert documents.verify(dm_log.pdf).verdict is Verdict.MATCHES
    full = document_service(day.store, named, day.clock).duty_log(
        date(2026, 11, 27), date(2026, 11, 27)
    )
    full_text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(full.pdf)).pages).split()
    )
    assert "SECRET-REASON" in full_text and "Ava Stone" in full_text
    assert full.digest == dm_log.digest
