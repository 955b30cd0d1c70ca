"""Annex A Lists 2, 4 and 5 from a hand-worked front-door history, with the guidance's
headings and value formats; List 5 reads s47 facts through ``section_47_enquiries``."""

from __future__ import annotations

from datetime import date
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
    h.events.append(event("person.registered", {"person_id": kids["b"],
                                                "la_child_id": "LA-B",
                                                "disabilities": ["AUT"]}, at("2026-01-01 09:00")))
    h.events.append(event("person.registered", {
        "person_id": kids["c"], "date_of_birth": "2019-04-03", "sex": "b",
        "disabilities": ["NONE"]}, at("2026-01-01 09:00")))
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
    assert rows == [(kids["a"], "b) Female", "t) NOBT", date(2015, 10, 6), 11,
                     date(2026, 10, 6), None, "")]


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
    assert rows == [(kids["c"], "b) Female", "t) NOBT", date(2019, 4, 3), 7, "b) No",
                     date(2026, 9, 10), "", None, "", 1, "", "MASH", "")]
    # A strategy-discussion record enriches the enquiry through the one function.
    enquiry = next(e for e in section_47_enquiries(ds) if e.start == date(2026, 9, 10))
    richer = {(enquiry.contact_id, kids["c"]): Section47(
        child=kids["c"], contact_id=enquiry.contact_id, start=date(2026, 9, 10),
        office="North", team="MASH", assignee="sw.k", icpc_not_required=False,
        icpc_date=date(2026, 9, 24), resulted_in_plan=True)}
    enriched = list(annex_a.list5_rows(data, ds, PERIOD, section_47_enquiries(ds, richer)))
    assert enriched[0][6:] == (date(2026, 9, 10), "b) No", date(2026, 9, 24), "a) Yes", 1, 0,
                               "MASH", "sw.k")


def test_all_five_lists_export_with_the_workbooks_headings(tmp_path: Path) -> None:
    h, _, done = _history()
    data = h.mi_input(assessments=done)
    ds = prepare(data)
    for n in range(1, 6):
        out = tmp_path / f"list{n}.xlsx"
        count = annex_a.export(out, n, "xlsx", data, ds, PERIOD)
        ws = openpyxl.load_workbook(out, read_only=True)[f"List {n}"]
        rows = list(ws.iter_rows(values_only=True))
        assert rows[0] == annex_a.HEADINGS[n] and len(rows) == count + 1
