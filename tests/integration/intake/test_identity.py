"""Identity from the source: the authority's child id is kept on the person and used in
exports and matching; a death date closes the case; future dates and dates after death
are warned about."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl

from dutydesk.demo.synthetic import demo_actor
from dutydesk.domain.clock import FixedClock
from dutydesk.domain.projection import ReadModel, apply_all
from dutydesk.intake.ids import la_person_id
from dutydesk.mi.records import Filters
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import signer_for
from tests.factories import event, importer

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
EVERYTHING = Filters(date(2000, 1, 1), date(2030, 12, 31))


def _census(tmp_path: Path, children: str) -> Path:
    path = tmp_path / "census.xml"
    path.write_text(
        f"<Message><Header><Source><LEA>201</LEA></Source></Header><Children>"
        f"{children}</Children></Message>",
        encoding="utf-8",
    )
    return path


def _child(la_id: str, referral: str, *, death: str = "", closure: str = "", plan: str = "") -> str:
    return (
        f"<Child><ChildIdentifiers><LAchildID>{la_id}</LAchildID>"
        f"<PersonBirthDate>2015-03-27</PersonBirthDate><Sex>F</Sex>"
        + (f"<PersonDeathDate>{death}</PersonDeathDate>" if death else "")
        + "</ChildIdentifiers><CINdetails>"
        f"<CINreferralDate>{referral}</CINreferralDate><ReferralSource>6</ReferralSource>"
        + (
            f"<CINclosureDate>{closure}</CINclosureDate><ReasonForClosure>RC2</ReasonForClosure>"
            if closure
            else ""
        )
        + "<ReferralNFA>0</ReferralNFA>"
        + (
            f"<ChildProtectionPlans><CPPstartDate>{plan}</CPPstartDate></ChildProtectionPlans>"
            if plan
            else ""
        )
        + "</CINdetails></Child>"
    )


def test_census_la_child_id_is_on_the_person_and_in_annex_a(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    # Before: Annex A "Child Unique ID" was an internal UUID nobody could trace.
    report = importer(store, clock).run(SAMPLES / "CIN2rows.xml")
    assert report.rows_rejected == 0
    people = store.read_model().people
    assert {p.la_child_id for p in people.values()} >= {"DfEX0000001"}
    assert people[la_person_id("DfEX0000001")].la_child_id == "DfEX0000001"
    out = tmp_path / "list3.csv"
    MiService(
        store, clock, actor=demo_actor(), signer=signer_for(demo_actor().login)
    ).export_annex_a(out, 3, "csv", EVERYTHING)
    ids = [line.split(",")[0] for line in out.read_text("utf-8").splitlines()[1:]]
    assert "DfEX0000001" in ids
    assert not any(len(i) == 36 and i.count("-") == 4 for i in ids)  # no UUIDs


def test_annex_a_import_keeps_the_child_unique_id(store: EventStore, clock: FixedClock) -> None:
    importer(store, clock).run(SAMPLES / "Annex_A.xlsx")
    person = store.read_model().people[la_person_id("9212044")]
    assert person.la_child_id == "9212044"


def test_a_death_date_closes_the_case_and_dates_after_it_are_warned(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    # Before: a child with a death date was imported as an open case; a referral after the
    # death and one years in the future passed without a word.
    path = _census(
        tmp_path,
        _child("D1", "2024-01-10", death="2024-02-01", plan="2024-01-20")
        + _child("D2", "2024-03-05", death="2024-02-01")
        + _child("F1", "2031-01-01")
        + _child("OK", "2024-01-10"),
    )
    report = importer(store, clock).run(path)
    assert report.rows_rejected == 0, report.errors
    people = store.read_model().people
    died = people[la_person_id("D1")]
    assert (died.date_of_death, died.open_case, died.cp_plan) == ("2024-02-01", False, "past")
    assert people[la_person_id("OK")].open_case  # no closure date: open
    warned = {(w.value, w.rule.split(";")[0]) for w in report.warnings}
    assert ("2024-03-05", "referral date is after the child's death (2024-02-01)") in warned
    assert ("2031-01-01", "referral date is in the future") in warned
    assert not any(w.value == "2024-01-10" for w in report.warnings)


def test_a_later_update_cannot_reopen_the_case_of_a_child_who_has_died(clock: FixedClock) -> None:
    pid = la_person_id("X")
    events = [
        event(
            "person.registered",
            {"person_id": pid, "la_child_id": "X", "date_of_death": "2024-02-01"},
            clock.now(),
        ),
        event("person.updated", {"person_id": pid, "open_case": True}, clock.now()),
    ]
    model = apply_all(ReadModel(), events)
    assert model.people[pid].open_case is False


def test_an_intake_child_with_the_authoritys_id_links_to_the_person(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    importer(store, clock).run(_census(tmp_path, _child("LA-77", "2024-01-10")))
    record = {
        "received_at": "2026-11-25T10:00:00+00:00",
        "channel": "phone",
        "source_code": "2A",
        "concern": "Worried about her.",
        "consent": "unknown",
        "immediate_danger": False,
        "external_ref": "SCH-1",
        "children": [{"given_name": "Someone", "family_name": "Else", "la_child_id": "LA-77"}],
    }
    intake = tmp_path / "intake.json"
    intake.write_text(json.dumps(record), encoding="utf-8")
    report = importer(store, clock).run(intake)
    assert report.links_made == 1, report.lines()
    links = [e for e in store.events() if e.type == "person.linked"]
    assert [(e.payload["person_id"], e.payload["evidence"]) for e in links] == [
        (la_person_id("LA-77"), ["la_child_id"])
    ]
    assert "child id" in links[0].payload["reason"]


def test_annex_a_export_of_an_annex_a_import_round_trips_the_ids(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    importer(store, clock).run(SAMPLES / "Annex_A.xlsx")
    out = tmp_path / "list3.xlsx"
    MiService(
        store, clock, actor=demo_actor(), signer=signer_for(demo_actor().login)
    ).export_annex_a(out, 3, "xlsx", EVERYTHING)
    wb = openpyxl.load_workbook(SAMPLES / "Annex_A.xlsx", read_only=True)
    given = {str(r[0]) for r in wb["List 3"].iter_rows(min_row=2, values_only=True) if r[0]}
    got = openpyxl.load_workbook(out, read_only=True)
    exported = {str(r[0]) for r in got["List 3"].iter_rows(min_row=2, values_only=True)}
    assert exported == given


def test_matching_on_the_authoritys_id_links_or_rules_out() -> None:
    from dutydesk.domain.matching import BlockingIndex, Subject, score
    from dutydesk.domain.projection import PersonRow

    known = PersonRow(
        person_id="p1",
        given_name="Amy",
        family_name="Lee",
        date_of_birth="2015-03-27",
        la_child_id="A1",
    )
    same = score(Subject(la_child_id="A1"), known)
    assert same is not None and (same.level, same.matched) == ("certain", ("la_child_id",))
    # Same name and birthday but another id from the same authority: another child.
    assert (
        score(
            Subject(
                given_name="Amy", family_name="Lee", date_of_birth="2015-03-27", la_child_id="A2"
            ),
            known,
        )
        is None
    )
    index = BlockingIndex.build([known])
    assert [c.person_id for c in index.search(Subject(la_child_id="A1"))] == ["p1"]


def test_annex_a_allocated_worker_goes_on_the_person_from_the_latest_referral(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    """List 3's "Allocated Worker" and "Allocated Team" go on the child's person record
    (the notice to an open case's worker names them), from the child's latest referral
    that names a worker, whatever order the rows are in. The open case itself is not
    inferred from a historical list."""
    importer(store, clock).run(SAMPLES / "Annex_A.xlsx")
    person = store.read_model().people[la_person_id("6537810")]
    assert (person.allocated_worker, person.allocated_team) == (
        "Dustin Hazlett",
        "Multi Agency Safeguarding Hub",
    )
    assert not person.open_case
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "List 3"
    sheet.append(
        [
            "Child Unique ID",
            "Gender",
            "Ethnicity",
            "Date of Birth",
            "Date of Referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            "Allocated Team",
            "Allocated Worker",
        ]
    )
    kid = ["AW1", "b) Female", "a) WBRI", "2015-06-01"]
    sheet.append([*kid, "2026-03-02", "q) 6: Police", "No", 1, "Team North", "Ann New"])
    sheet.append([*kid, "2025-01-06", "q) 6: Police", "No", 0, "Team South", "Bo Old"])
    sheet.append([*kid, "2026-05-04", "q) 6: Police", "No", 2, "", ""])
    path = tmp_path / "annex.xlsx"
    book.save(path)
    report = importer(store, clock).run(path)
    assert report.rows_rejected == 0, report.errors
    person = store.read_model().people[la_person_id("AW1")]
    assert (person.allocated_worker, person.allocated_team) == ("Ann New", "Team North")
