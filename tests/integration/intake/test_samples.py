"""Importing the three sample files from other projects: counts, values, idempotency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from dutydesk.domain import referrals
from dutydesk.domain.clock import FixedClock
from dutydesk.intake.ids import la_person_id
from dutydesk.services.importer import ImportOptions
from dutydesk.store.eventstore import EventStore
from dutydesk.store.queries import Queries
from tests.factories import importer
from tests.last12 import stated_last_12

# Sample files kept with the tests (MIT, see tests/data/samples/README.md).
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@dataclass(frozen=True, slots=True)
class Last12Check:
    """Annex A List 3's stated "Number of Referrals in Last 12 Months" for a child beside
    the count recomputed from the history in the store: where the store holds fewer, the
    earlier referrals were not in the files imported so far."""

    child_id: str
    stated: int
    recomputed: int

    @property
    def agrees(self) -> bool:
        return self.stated == self.recomputed


def check_last_12(store: EventStore, stated: dict[str, int]) -> list[Last12Check]:
    def referral_days(la_child_id: str) -> list[date]:
        contacts = Queries(store.engine).contacts_of_person(la_person_id(la_child_id))
        return [
            date.fromisoformat(c.received_at[:10])
            for c in contacts
            if c.is_referral or referrals.is_imported_referral(c.external_ref)
        ]

    return [
        Last12Check(child, n, referrals.referrals_in_last_12_months(referral_days(child)))
        for child, n in sorted(stated.items())
    ]


def test_annex_a_imports_every_list_1_and_list_3_row(store: EventStore, clock: FixedClock) -> None:
    report = importer(store, clock).run(SAMPLES / "Annex_A.xlsx")
    assert report.refused is None and report.rows_rejected == 0
    assert (report.rows, report.rows_ok) == (11, 11)
    model = store.read_model()
    assert len(model.people) == 11
    assert len(model.contacts) == 11
    # 'b) Female' with a blank date of birth; Excel dates; prefixed codes
    girl = model.people[la_person_id("11973218")]
    assert (girl.sex, girl.date_of_birth, girl.ethnicity) == ("b", None, "APKN")
    first = model.people[la_person_id("9212044")]
    assert (first.sex, first.date_of_birth, first.ethnicity) == ("b", "2015-01-25", "WBRI")
    referrals = [
        c for c in model.contacts.values() if (c.external_ref or "").startswith("annex-a:list3")
    ]
    assert len(referrals) == 6
    assert sorted(c.source_code for c in referrals) == ["2A", "3D", "6", "6", "6", "8"]
    assert {c.outcome for c in referrals} == {"cin_assessment"}
    assert all(c.received_at.startswith("2020-09-16") for c in model.contacts.values())
    team = {c.team for c in referrals}
    assert "Locality 4 Duty Team" in team
    events = list(store.events())
    # Every event is the signed-in importer's, so the shared server accepts it.
    assert {(e.actor, e.actor_role, e.device) for e in events} == {
        ("dm.manager", "duty_manager", "test-desk")
    }


def test_annex_a_last_12_months_recomputed_from_imported_history(
    store: EventStore, clock: FixedClock
) -> None:
    data = (SAMPLES / "Annex_A.xlsx").read_bytes()
    importer(store, clock).run(SAMPLES / "Annex_A.xlsx")
    checks = check_last_12(store, stated_last_12(data))
    assert {c.child_id: c.stated for c in checks} == {
        "6537810": 0,
        "4653765": 2,
        "997679": 1,
        "14007367": 0,
        "10897459": 2,
        "11096583": 0,
    }
    # The workbook holds one referral per child: children it says had none agree; the
    # others' earlier referrals are not in the file, and the check says so.
    assert [c.child_id for c in checks if c.agrees] == ["11096583", "14007367", "6537810"]
    assert all(c.recomputed == 0 for c in checks)


def test_annex_a_last_12_agrees_when_the_history_is_in_the_file(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 3"
    ws.append(
        [
            "Child Unique ID",
            "Gender",
            "Ethnicity",
            "Date of Birth",
            "Age",
            "Date of Referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            "Allocated Team",
        ]
    )
    rows = [
        ("C1", "2019-01-05", "Yes", 2),
        ("C1", "2019-06-01", "No", 2),
        ("C1", "2019-12-01", "No", 2),
        ("C1", "2018-10-01", "No", 2),
        ("C2", "2020-03-03", "No", 0),
    ]
    for child, day, nfa, n in rows:
        ws.append([child, "a) Male", "a) WBRI", 43000, 5, day, "q) 6: Police", nfa, n, "MASH"])
    path = tmp_path / "annex.xlsx"
    wb.save(path)
    report = importer(store, clock).run(path)
    assert report.rows_ok == 5
    checks = check_last_12(store, stated_last_12(path.read_bytes()))
    assert [(c.child_id, c.stated, c.recomputed) for c in checks] == [("C1", 2, 2), ("C2", 0, 0)]
    # Excel serial 43000 is 2017-09-22
    assert store.read_model().people[la_person_id("C1")].date_of_birth == "2017-09-22"


def test_cin_census_referrals_become_contacts_and_decisions(
    store: EventStore, clock: FixedClock
) -> None:
    report = importer(store, clock).run(SAMPLES / "CIN_Census_2024.xml")
    assert (report.rows, report.rows_ok, report.rows_rejected) == (2, 2, 0)
    assert report.events_added == 6
    assert any(w.value == "RB" for w in report.warnings)
    model = store.read_model()
    one = model.people[la_person_id("DfEX0000001")]
    assert (one.date_of_birth, one.sex, one.ethnicity) == ("2015-03-27", "a", "WBRI")
    assert one.disabilities == ("HAND", "HEAR")
    assert one.open_case is False and one.cp_plan == "past"
    two = model.people[la_person_id("child_fails_assessments")]
    assert (two.date_of_birth, two.sex) == ("2023-09-25", "a")
    contacts = sorted(model.contacts.values(), key=lambda c: c.received_at)
    assert [c.received_at[:10] for c in contacts] == ["2022-10-06", "2024-10-24"]
    assert [c.source_code for c in contacts] == ["1A", "1A"]
    assert contacts[0].categories == ("1C", "6B")
    decisions = sorted(model.decisions.values(), key=lambda d: d.decided_at)
    assert [d.outcome for d in decisions] == ["cin_assessment", "cin_assessment"]
    assert [d.primary_need for d in decisions] == ["N4", "N1"]
    assert decisions[0].decided_at.startswith("2022-10-06")
    assert "imported history" in decisions[0].rationale["analysis"].lower()
    assert "RC1 Adopted" in decisions[0].rationale["analysis"]
    assert (decisions[0].decided_by, decisions[0].decided_role) == ("dm.manager", "duty_manager")


def test_cin_two_rows_file_and_nfa_flag(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    report = importer(store, clock).run(SAMPLES / "CIN2rows.xml")
    assert (report.rows_ok, report.events_added) == (1, 3)
    text = (
        (SAMPLES / "CIN2rows.xml")
        .read_text()
        .replace("<ReferralNFA>0</ReferralNFA>", "<ReferralNFA>1</ReferralNFA>")
        .replace("DfEX0000001", "NFA-CHILD")
    )
    path = tmp_path / "nfa.xml"
    path.write_text(text)
    importer(store, clock).run(path)
    contacts = store.read_model().contacts.values()
    nfa = [c for c in contacts if c.external_ref == "cin:201:NFA-CHILD"]
    assert [c.outcome for c in nfa] == ["nfa"]


@pytest.mark.parametrize("name", ["Annex_A.xlsx", "CIN_Census_2024.xml", "CIN2rows.xml"])
def test_importing_the_same_file_twice_adds_nothing(
    store: EventStore, clock: FixedClock, name: str
) -> None:
    first = importer(store, clock).run(SAMPLES / name)
    count = store.event_count()
    clock.advance(days=3)
    second = importer(store, clock).run(SAMPLES / name)
    assert store.event_count() == count
    assert second.events_added == 0 and second.events_present == first.events_added


def test_dry_run_writes_nothing_and_counts_what_would_be_written(
    store: EventStore, clock: FixedClock
) -> None:
    report = importer(store, clock).run(SAMPLES / "Annex_A.xlsx", ImportOptions(dry_run=True))
    assert store.event_count() == 0
    assert report.events_added == 33 and len(report.preview) == 11
