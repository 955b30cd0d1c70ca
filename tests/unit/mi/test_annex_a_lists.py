"""Annex A Lists 2, 4 and 5 from a hand-worked front-door history, with the guidance's
headings and value formats; List 5 reads s47 facts through ``section_47_enquiries``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl

from dutydesk.mi import annex_a
from dutydesk.mi.dataset import prepare
from dutydesk.mi.records import AssessmentCompleted, Filters
from dutydesk.mi.section47 import Section47, section_47_enquiries
from tests.factories import event
from tests.unit.mi.builders import History, at, child, pid

PERIOD = Filters(date(2026, 5, 1), date(2026, 10, 31))


def _history() -> tuple[History, dict[str, str], list[AssessmentCompleted]]:
    h = History()
    kids = {"a": pid(), "b": pid(), "c": pid()}
    h.events.append(
        event(
            "person.registered",
            {"person_id": kids["b"], "la_child_id": "LA-B", "disabilities": ["AUT"]},
            at("2026-01-01 09:00"),
        )
    )
    h.events.append(
        event(
            "person.registered",
            {
                "person_id": kids["c"],
                "date_of_birth": "2019-04-03",
                "sex": "b",
                "disabilities": ["NONE"],
            },
            at("2026-01-01 09:00"),
        )
    )
    eh = h.contact("2026-10-05 09:00", children=[child(kids["a"], dob="2015-10-06")])
    h.decide(eh, "2026-10-06 10:00", "early_help")
    assess = h.contact("2026-09-01 09:00", children=[child(kids["b"])])
    h.assign(assess, "2026-09-01 10:00", "sw.jones")
    h.decide(assess, "2026-09-02 10:00", "cin_assessment")
    march = h.contact("2026-03-01 09:00", children=[child(kids["c"])])
    h.decide(march, "2026-03-01 12:00", "strategy_s47")
    sept = h.contact("2026-09-10 09:00", children=[child(kids["c"])], team="MASH")
    h.decide(sept, "2026-09-10 11:00", "immediate_protection")
    done = [AssessmentCompleted(assess, kids["b"], date(2026, 10, 20))]
    return h, kids, done


def test_list_2_early_help_starts_on_the_decision_day() -> None:
    h, kids, done = _history()
    data = h.mi_input(assessments=done)
    rows = annex_a.rows_for(2, data, prepare(data), PERIOD)
    # Age on 6 Oct 2026 with a birthday that day: 11. Completion/organisation: not known.
    assert rows == [
        (kids["a"], "b) Female", "t) NOBT", date(2015, 10, 6), 11, date(2026, 10, 6), None, "")
    ]


def test_list_4_assessments_open_in_the_period_with_disability_and_authorisation() -> None:
    h, kids, done = _history()
    data = h.mi_input(assessments=done)
    rows = annex_a.rows_for(4, data, prepare(data), PERIOD)
    by_child = {r[0]: r for r in rows}
    b = by_child["LA-B"]  # the authority's id, not the person id
    assert b[5:] == ("a) Yes", date(2026, 9, 2), "", date(2026, 10, 20), "", "A", "sw.jones")
    # c: the March s47 is still open (no authorisation), so it is in; and September's.
    c_rows = [r for r in rows if r[0] == kids["c"]]
    assert [r[6] for r in c_rows] == [date(2026, 3, 1), date(2026, 9, 10)]
    assert {r[5] for r in c_rows} == {"b) No"}
    assert kids["a"] not in by_child  # early help is not a statutory assessment


def test_list_5_section_47_with_counts_relative_to_the_latest() -> None:
    h, kids, done = _history()
    data = h.mi_input(assessments=done)
    ds = prepare(data)
    rows = annex_a.rows_for(5, data, ds, PERIOD)
    assert rows == [
        (
            kids["c"],
            "b) Female",
            "t) NOBT",
            date(2019, 4, 3),
            7,
            "b) No",
            date(2026, 9, 10),
            "",
            None,
            "",
            1,
            "",
            "MASH",
            "",
        )
    ]
    # A strategy-discussion record enriches the enquiry through the one function.
    enquiry = next(e for e in section_47_enquiries(ds) if e.start == date(2026, 9, 10))
    richer = {
        (enquiry.contact_id, kids["c"]): Section47(
            child=kids["c"],
            contact_id=enquiry.contact_id,
            start=date(2026, 9, 10),
            office="North",
            team="MASH",
            assignee="sw.k",
            icpc_not_required=False,
            icpc_date=date(2026, 9, 24),
            resulted_in_plan=True,
        )
    }
    enriched = list(annex_a.list5_rows(data, ds, PERIOD, section_47_enquiries(ds, richer)))
    assert enriched[0][6:] == (
        date(2026, 9, 10),
        "b) No",
        date(2026, 9, 24),
        "a) Yes",
        1,
        0,
        "MASH",
        "sw.k",
    )


def test_all_five_lists_export_with_the_workbooks_headings(tmp_path: Path) -> None:
    h, _, done = _history()
    data = h.mi_input(assessments=done)
    ds = prepare(data)
    for n in range(1, 6):
        out = tmp_path / f"list{n}.xlsx"
        count = annex_a.export(out, n, "xlsx", data, ds, PERIOD)
        book = openpyxl.load_workbook(out, read_only=True)
        try:  # a read-only workbook holds its file open until closed
            rows = list(book[f"List {n}"].iter_rows(values_only=True))
        finally:
            book.close()
        assert rows[0] == annex_a.HEADINGS[n] and len(rows) == count + 1


def _recorded(
    h: History,
    contact_id: str,
    slot: int,
    *,
    held: str,
    decision: str,
    after: list[tuple[str, dict[str, object], str]] = (),
) -> str:
    """A strategy discussion on ``contact_id`` (and its s47 route), as the window records
    it; ``after`` are events on the route (``route_id`` filled in)."""
    from dutydesk.domain.ids import new_id

    rid = new_id()
    h.events.append(
        event(
            "route.opened",
            {"route_id": rid, "contact_id": contact_id, "kind": "strategy_s47", "slot": slot},
            at(held),
        )
    )
    body: dict[str, object] = {
        "discussion_id": new_id(),
        "contact_id": contact_id,
        "slots": [slot],
        "route_id": rid,
        "held_at": at(held).isoformat(),
        "decision": decision,
        "attendees": [{"agency": "Police"}],
        "lead_social_worker": "sw.lead",
    }
    if decision.startswith("s47"):
        body["s47_started_on"] = held[:10]
    h.events.append(event("strategy.discussed", body, at(held)))
    for kind, payload, when in after:
        h.events.append(
            event(kind, {"route_id": rid, "contact_id": contact_id, **payload}, at(when))
        )
    return rid


def _with_record(h: History, **extra: object):  # type: ignore[no-untyped-def]
    from dutydesk.domain.routes import ContactFacts, allocations, fold_routes, s47_records
    from dutydesk.domain.timescales import OfficeHours

    office = OfficeHours()
    facts = {
        e.contact_id: ContactFacts(e.contact_id, datetime.fromisoformat(e.client_time))
        for e in h.events
        if e.type == "contact.received" and e.contact_id
    }
    follow = fold_routes(h.events, facts, office)
    return h.mi_input(
        s47_records=s47_records(follow, office),
        s47_discussed=frozenset(d.contact_id for d in follow.discussions),
        allocations=allocations(follow),
        **extra,
    )


def test_list_5_reads_the_strategy_discussion_record() -> None:
    """The window's s47 record replaces the bare decision: the discussion's date, the ICPC
    held and its plan, the team and worker that accepted the hand-off; a child whose
    discussion decided no s47 has no enquiry; an s47 started by a discussion on a contact
    decided otherwise is counted."""
    h, kids, done = _history()
    sept = next(
        e.contact_id
        for e in h.events
        if e.type == "contact.received" and e.payload["received_at"].startswith("2026-09-10")
    )
    _recorded(
        h,
        sept,
        0,
        held="2026-09-11 10:00",
        decision="s47_joint",
        after=[
            ("route.progressed", {"step": "icpc_held"}, "2026-10-01 10:00"),
            ("route.progressed", {"step": "cpp_started"}, "2026-10-01 12:00"),
            ("route.transferred", {"team": "CP Team 1", "worker": "sw.x"}, "2026-09-12 09:00"),
            ("route.transfer_accepted", {"worker": "sw.kaur"}, "2026-09-12 11:00"),
        ],
    )
    # an s17 assessment whose own strategy discussion (October) started an s47
    assess = next(
        e.contact_id
        for e in h.events
        if e.type == "contact.received" and e.payload["received_at"].startswith("2026-09-01")
    )
    _recorded(h, assess, 0, held="2026-10-02 09:30", decision="s47_single")
    # the March decision's discussion decided no s47: not an enquiry any more
    march = next(
        e.contact_id
        for e in h.events
        if e.type == "contact.received" and e.payload["received_at"].startswith("2026-03-01")
    )
    _recorded(h, march, 0, held="2026-03-02 09:00", decision="no_s47_s17")
    data = _with_record(h, assessments=done)
    rows = annex_a.rows_for(5, data, prepare(data), PERIOD)
    by_child = {r[0]: r for r in rows}
    assert set(by_child) == {kids["c"], "LA-B"}
    # start = the strategy discussion (11 Sep), not the decision (10 Sep); no earlier s47
    # (March was ruled out), so 0 enquiries and 0 ICPCs in the 12 months before
    assert by_child[kids["c"]][6:] == (
        date(2026, 9, 11),
        "b) No",
        date(2026, 10, 1),
        "a) Yes",
        0,
        0,
        "CP Team 1",
        "sw.kaur",
    )
    # no conference yet: unknown (blank), held by the lead social worker
    assert by_child["LA-B"][6:] == (date(2026, 10, 2), "", None, "", 0, "", "A", "sw.lead")
    # without the record, List 5 falls back to the decisions (March counted as an s47)
    bare = annex_a.rows_for(
        5, h.mi_input(assessments=done), prepare(h.mi_input(assessments=done)), PERIOD
    )
    assert [r[6] for r in bare] == [date(2026, 9, 10)] and bare[0][10] == 1


def test_lists_3_and_4_name_the_team_and_worker_that_accepted_the_hand_off() -> None:
    """Annex A's allocated team and worker are not the duty worker once the child has
    been handed to a named team that accepted; a transfer still awaiting acceptance, or
    returned, leaves the front door's."""
    from dutydesk.domain.ids import new_id

    h, kids, done = _history()
    assess = next(
        e.contact_id
        for e in h.events
        if e.type == "contact.received" and e.payload["received_at"].startswith("2026-09-01")
    )
    rid = new_id()
    h.events += [
        event(
            "route.opened",
            {"route_id": rid, "contact_id": assess, "kind": "s17_assessment", "slot": 0},
            at("2026-09-02 10:05"),
        ),
        event(
            "route.transferred",
            {"route_id": rid, "contact_id": assess, "team": "Assessment Team 2", "worker": "sw.x"},
            at("2026-09-02 10:10"),
        ),
    ]
    awaiting = _with_record(h, assessments=done)
    row4 = {r[0]: r for r in annex_a.rows_for(4, awaiting, prepare(awaiting), PERIOD)}
    assert row4["LA-B"][-2:] == ("A", "sw.jones")  # not accepted yet: the duty worker
    h.events.append(
        event(
            "route.transfer_accepted",
            {"route_id": rid, "contact_id": assess, "worker": "sw.kaur"},
            at("2026-09-02 15:00"),
        )
    )
    data = _with_record(h, assessments=done)
    ds = prepare(data)
    row4 = {r[0]: r for r in annex_a.rows_for(4, data, ds, PERIOD)}
    row3 = {r[0]: r for r in annex_a.rows_for(3, data, ds, PERIOD)}
    assert row4["LA-B"][-2:] == ("Assessment Team 2", "sw.kaur")
    assert row3["LA-B"][-2:] == ("Assessment Team 2", "sw.kaur")
    # the other children keep their contact's team and worker
    assert row4[kids["c"]][-2:] == ("MASH", "")


def test_icpc_timeliness_from_the_strategy_discussion_record() -> None:
    """The MI figure: ICPCs held within 15 working days of the discussion that started the
    s47 enquiry; one held late, one not held and past the 15 days, one not required."""
    from dutydesk.mi.figures import icpc_timeliness

    h = History()
    kids = [pid() for _ in range(4)]
    ids = [h.contact(f"2026-09-0{n + 1} 09:00", children=[child(k)]) for n, k in enumerate(kids)]
    for n, cid in enumerate(ids):
        h.decide(cid, f"2026-09-0{n + 1} 10:00", "strategy_s47")
    # discussions on 1-4 Sep; 15 working days after Tue 1 Sep is Tue 22 Sep
    _recorded(
        h,
        ids[0],
        0,
        held="2026-09-01 11:00",
        decision="s47_joint",
        after=[("route.progressed", {"step": "icpc_held"}, "2026-09-22 10:00")],
    )
    _recorded(
        h,
        ids[1],
        0,
        held="2026-09-02 11:00",
        decision="s47_single",
        after=[("route.progressed", {"step": "icpc_held"}, "2026-09-30 10:00")],
    )
    _recorded(h, ids[2], 0, held="2026-09-03 11:00", decision="s47_single")
    _recorded(
        h,
        ids[3],
        0,
        held="2026-09-04 11:00",
        decision="s47_single",
        after=[("route.progressed", {"step": "icpc_not_required"}, "2026-09-10 10:00")],
    )
    data = _with_record(h)
    fig = icpc_timeliness(
        prepare(data), Filters(date(2026, 9, 1), date(2026, 9, 30)), date(2026, 10, 1)
    )
    assert (fig.numerator, fig.denominator, fig.overdue) == (1, 2, 1)
    assert fig.display().startswith("50.0%")
    assert [(p.label, p.value) for p in fig.parts] == [
        ("Held within 15 WD", 1),
        ("Held late", 1),
        ("Not held, past 15 WD", 1),
        ("Not held yet, in time", 0),
        ("Not required", 1),
    ]
    assert {r.contact_id for r in fig.refs} == {ids[1], ids[2]}


def test_list_2_lists_a_sibling_stepped_down_beside_an_s47() -> None:
    """Issue 21: a child given an early help route while the contact's main outcome is s47
    has a List 2 row from the day the route was opened; the organisation is the early help
    team once it accepts; a request early help returned is not listed."""
    from tests.unit.mi.test_route_figures import Routes

    r = Routes()
    h = r.h
    older, younger, other = pid(), pid(), pid()
    family = h.contact(
        "2026-10-12 09:00", children=[child(older), child(younger, dob="2021-02-02")]
    )
    h.decide(family, "2026-10-12 10:00", "strategy_s47")
    sibling = r.open(
        family, "early_help", "2026-10-13 11:00", slot=1, team="EH North", family_consent="given"
    )
    r.on(family, sibling, "route.progressed", "2026-10-14 09:00", step="accepted")
    refused = h.contact("2026-10-20 09:00", children=[child(other)])
    h.decide(refused, "2026-10-20 10:00", "cin_assessment")
    back = r.open(
        refused, "early_help", "2026-10-20 11:00", slot=0, team="EH South", family_consent="given"
    )
    r.on(refused, back, "route.progressed", "2026-10-21 09:00", step="returned", reason="Open case")
    # the main-outcome early help child: its accepted request names the team too
    stepped = pid()
    eh = h.contact("2026-10-05 09:00", children=[child(stepped)])
    h.decide(eh, "2026-10-06 10:00", "early_help")
    accepted = r.open(
        eh, "early_help", "2026-10-06 11:00", slot=0, team="EH West", family_consent="given"
    )
    r.on(eh, accepted, "route.progressed", "2026-10-07 09:00", step="accepted")
    ds = r.dataset()
    rows = annex_a.rows_for(2, r.h.mi_input(), ds, PERIOD)
    assert [(row[0], row[-3], row[-1]) for row in rows] == [
        (stepped, date(2026, 10, 6), "EH West"),
        (younger, date(2026, 10, 13), "EH North"),
    ]
