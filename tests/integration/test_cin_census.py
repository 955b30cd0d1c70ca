"""The CIN census return: DfE's own validation rules (csc-validator-be-cin, current ruleset,
run in its own environment by subprocess) find 0 errors on the demo history and on a round
trip of an imported census; ``dutydesk mi`` on an imported census gives the referral and
re-referral counts of an independent count made here from the XML alone."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import xml.etree.ElementTree as ET  # reading files this test wrote itself
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dutydesk.cli import main
from dutydesk.domain.clock import LONDON, FixedClock
from dutydesk.domain.codes import Role
from dutydesk.domain.events import Actor
from dutydesk.services.guard import GuardedStore
from dutydesk.services.importer import Importer
from dutydesk.services.mi import MiService
from dutydesk.store.eventstore import EventStore
from tests.document_fixtures import signer_for

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / ".venv-cin" / "bin" / "python"
RULESET = "cin2026_27"  # the collection year 2026-27 (as of this round: identical to 2025-26)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=LONDON)
# A census import holds decisions and the return is an export: both need a role that may
# record decisions and export (recorded in its name).
PERFORMANCE = Actor("dm.returns", Role.DUTY_MANAGER, "desk")


def dfe_issues(path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(errors, queries) DfE's rules report for ``path``. Never skipped: CI must run it."""
    assert VALIDATOR.exists(), "tests/setup.sh makes .venv-cin with csc-validator-be-cin"
    done = subprocess.run(
        [str(VALIDATOR), "-W", "ignore", str(ROOT / "tests/cin/validate.py"), str(path), RULESET],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    assert lines[0]["ruleset"] == RULESET and lines[0]["rules"] > 100
    issues = lines[1:]
    errors = [i for i in issues if not i["rule_code"].endswith("Q")]
    return errors, [i for i in issues if i["rule_code"].endswith("Q")]


def _episodes(path: Path) -> set[tuple[str, str, str, str]]:
    root = ET.parse(path).getroot()
    out = set()
    for child in root.iter("Child"):
        la_id = child.findtext("ChildIdentifiers/LAchildID") or ""
        for d in child.findall("CINdetails"):
            out.add(
                (
                    la_id,
                    d.findtext("CINreferralDate") or "",
                    d.findtext("ReferralSource") or "",
                    d.findtext("ReferralNFA") or "",
                )
            )
    return out


def test_demo_history_census_has_no_dfe_errors_and_round_trips(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    demo = EventStore.open(tmp_path / "demo.sqlite3")
    from dutydesk.demo.mi_extras import load_mi_demo

    load_mi_demo(demo, seed=15, events=6000, clock=clock)
    first = tmp_path / "census.xml"
    report = MiService(
        demo, clock, actor=PERFORMANCE, signer=signer_for(PERFORMANCE.login)
    ).export_cin_census(first, 2027, lea="201")
    demo.close()
    assert report.children > 50 and report.episodes >= report.children
    assert report.assessments > 0 and report.section47 > 0
    errors, queries = dfe_issues(first)
    assert errors == [], errors[:5]
    # Round trip: import the return into an empty store and export it again.
    again = EventStore.open(tmp_path / "again.sqlite3")
    imported = Importer(GuardedStore(again, PERFORMANCE, clock), clock).run(first)
    assert imported.rows_rejected == 0 and imported.refused is None, imported.errors[:3]
    second = tmp_path / "census-again.xml"
    MiService(
        again, clock, actor=PERFORMANCE, signer=signer_for(PERFORMANCE.login)
    ).export_cin_census(second, 2027, lea="201")
    again.close()
    assert _episodes(second) == _episodes(first)
    errors, _ = dfe_issues(second)
    assert errors == [], errors[:5]


def test_the_census_carries_the_conference_from_the_strategy_discussion_record(  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """Issue 21: an s47 enquiry whose strategy discussion and initial conference were
    recorded gives ``DateOfInitialCPC`` / ``ICPCnotRequired`` in its ``Section47``, and
    DfE's rules still find no error."""
    from dutydesk.demo.mi_extras import load_mi_demo
    from dutydesk.domain.ids import new_id
    from dutydesk.store.followthrough_queries import FollowThroughQueries
    from tests.factories import event

    clock = FixedClock(NOW)
    demo = EventStore.open(tmp_path / "demo.sqlite3")
    load_mi_demo(demo, seed=15, events=6000, clock=clock)
    decided = [
        d
        for d in FollowThroughQueries(demo.engine).standing_decisions_since(
            datetime(2026, 9, 1, tzinfo=LONDON).isoformat(), ["strategy_s47"]
        )
        if datetime.fromisoformat(d.decided_at) < NOW - timedelta(days=20)
    ]
    assert len(decided) >= 4
    made = []
    starts: dict[str, str] = {}
    for n, d in enumerate(decided):
        held = datetime.fromisoformat(d.decided_at) + timedelta(minutes=30)
        icpc = held + timedelta(days=14)
        while icpc.astimezone(LONDON).weekday() >= 5:  # DfE rule 8875: never a weekend
            icpc += timedelta(days=1)
        started = held.astimezone(LONDON).date() + timedelta(days=1 if n % 3 == 0 else 0)
        while started.weekday() >= 5:
            started += timedelta(days=1)
        starts[d.contact_id] = started.isoformat()
        rid = new_id()
        made += [
            event(
                "route.opened",
                {
                    "route_id": rid,
                    "contact_id": d.contact_id,
                    "kind": "strategy_s47",
                    "slot": 0,
                    "opened_at": held.isoformat(),
                },
                held,
            ),
            event(
                "strategy.discussed",
                {
                    "discussion_id": new_id(),
                    "contact_id": d.contact_id,
                    "slots": [0],
                    "route_id": rid,
                    "held_at": held.isoformat(),
                    "decision": "s47_single",
                    "s47_started_on": started.isoformat(),
                    "attendees": [{"agency": "Police"}, {"agency": "Health"}],
                },
                held,
            ),
            event(
                "route.progressed",
                {
                    "route_id": rid,
                    "contact_id": d.contact_id,
                    "step": "icpc_not_required" if n % 2 else "icpc_held",
                    "at": icpc.isoformat(),
                },
                icpc,
            ),
        ]
    demo.append(made)
    out = tmp_path / "census.xml"
    MiService(
        demo, clock, actor=PERFORMANCE, signer=signer_for(PERFORMANCE.login)
    ).export_cin_census(out, 2027, lea="201")
    demo.close()
    root = ET.parse(out).getroot()
    s47 = list(root.iter("Section47"))
    held_dates = [x.findtext("DateOfInitialCPC") for x in s47 if x.findtext("DateOfInitialCPC")]
    not_required = [x for x in s47 if x.findtext("ICPCnotRequired") == "true"]
    assert held_dates and not_required
    for x in s47:  # the conference is never before the enquiry started
        if x.findtext("DateOfInitialCPC"):
            assert x.findtext("DateOfInitialCPC") >= x.findtext("S47ActualStartDate")  # type: ignore[operator]
    # the enquiry starts when the record says (a day after the discussion for some), while
    # the ICPC target still counts 15 working days from the discussion
    from dutydesk.domain.timescales import OfficeHours

    office = OfficeHours()
    assert any(v > _held_day(decided, k) for k, v in starts.items())
    assert any(
        office.nth_working_day(
            date.fromisoformat(x.findtext("S47ActualStartDate") or ""), 15
        ).isoformat()
        != x.findtext("InitialCPCtarget")
        for x in s47
    )
    errors, _ = dfe_issues(out)
    assert errors == [], errors[:5]


def _held_day(decided, contact_id: str) -> str:  # type: ignore[no-untyped-def]
    d = next(x for x in decided if x.contact_id == contact_id)
    return (
        (datetime.fromisoformat(d.decided_at) + timedelta(minutes=30))
        .astimezone(LONDON)
        .date()
        .isoformat()
    )


def test_the_validator_does_catch_errors(tmp_path: Path) -> None:
    # The check can fail: a referral after the collection year and a bad source code.
    bad = tmp_path / "bad.xml"
    bad.write_text(_census_xml({"X1": [("2027-05-01", True, "ZZ")]}, year=2027), "utf-8")
    errors, _ = dfe_issues(bad)
    assert {"8600", "8866"} <= {e["rule_code"] for e in errors}
    # ... and in the header, which the validator reports apart from the children's issues
    wrong_day = tmp_path / "wrong-day.xml"
    text = _census_xml({"X2": [("2026-05-01", True, "1A")]}, year=2027)
    wrong_day.write_text(text.replace("2027-03-31", "2027-03-30"), "utf-8")
    errors, _ = dfe_issues(wrong_day)
    assert "100" in {e["rule_code"] for e in errors}  # Reference Date is incorrect


def _census_xml(children: dict[str, list[tuple[str, bool, str]]], year: int = 2025) -> str:
    kids = []
    for la_id, referrals in children.items():
        details = "".join(
            f"<CINdetails><CINreferralDate>{day}</CINreferralDate>"
            f"<ReferralSource>{source}</ReferralSource>"
            + (
                f"<CINclosureDate>{day}</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure>"
                if nfa
                else "<PrimaryNeedCode>N1</PrimaryNeedCode>"
            )
            + f"<ReferralNFA>{1 if nfa else 0}</ReferralNFA></CINdetails>"
            for day, nfa, source in referrals
        )
        kids.append(
            f"<Child><ChildIdentifiers><LAchildID>{la_id}</LAchildID>"
            "<PersonBirthDate>2014-06-01</PersonBirthDate><Sex>F</Sex>"
            "</ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
            f"</ChildCharacteristics>{details}</Child>"
        )
    return (
        "<Message><Header><CollectionDetails><Collection>CIN</Collection>"
        f"<Year>{year}</Year><ReferenceDate>{year}-03-31</ReferenceDate>"
        "</CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>201</LEA>"
        "</Source></Header><Children>" + "".join(kids) + "</Children></Message>"
    )


def _independent_counts(path: Path, start: date, end: date) -> tuple[int, int]:
    """Referrals received in [start, end] (one per child per day) and those with an earlier
    referral of the same child no more than 12 months before: from the XML alone."""
    days: dict[str, set[date]] = defaultdict(set)
    for child in ET.parse(path).getroot().iter("Child"):
        la_id = child.findtext("ChildIdentifiers/LAchildID")
        for d in child.iter("CINdetails"):
            days[str(la_id)].add(date.fromisoformat(d.findtext("CINreferralDate") or ""))
    referrals = re_referrals = 0
    for child_days in days.values():
        for day in child_days:
            if not start <= day <= end:
                continue
            referrals += 1
            try:
                year_before = day.replace(year=day.year - 1)
            except ValueError:  # 29 February
                year_before = day.replace(year=day.year - 1, day=28)
            if any(year_before <= other < day for other in child_days):
                re_referrals += 1
    return referrals, re_referrals


def test_mi_on_an_imported_census_matches_an_independent_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Like the public synthetic census that showed 0 referrals: hundreds of referrals,
    # nearly all ending in no further action, some children referred again.
    rng = random.Random(15)
    children: dict[str, list[tuple[str, bool, str]]] = {}
    for n in range(300):
        first = date(2023, 4, 1) + timedelta(days=rng.randint(0, 700))
        visits = [
            first + timedelta(days=rng.choice([0, 0, 40, 200, 364, 365, 366, 500]))
            for _ in range(rng.choice([1, 1, 2, 3]))
        ]
        children[f"C{n:04d}"] = [
            (d.isoformat(), rng.random() < 0.9, rng.choice(["6", "2A", "3D", "1A"])) for d in visits
        ]
    census = tmp_path / "census.xml"
    census.write_text(_census_xml(children), encoding="utf-8")
    expected = _independent_counts(census, date(2024, 4, 1), date(2025, 3, 31))
    assert expected[0] > 100 and expected[1] > 10  # a real test of both counts
    data = str(tmp_path / "store")
    assert main(["import", str(census), "--data-dir", data, "--demo"]) == 0
    out = tmp_path / "figures.csv"
    assert (
        main(
            [
                "mi",
                "--from",
                "2024-04-01",
                "--to",
                "2025-03-31",
                "--csv",
                str(out),
                "--data-dir",
                data,
                "--demo",
            ]
        )
        == 0
    )
    with out.open(encoding="utf-8") as fh:
        rows = {(r["figure"], r["part"]): r for r in csv.DictReader(fh)}
    re_row = rows[("re_referrals", "")]
    assert (int(re_row["denominator"]), int(re_row["numerator"])) == expected
    assert "Re-referrals" in capsys.readouterr().out


SAMPLES = ROOT / "tests" / "data" / "samples"


def test_mi_on_the_public_all_nfa_census_matches_an_independent_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The public synthetic census nobody here wrote (first 40 children of D2I's
    # fake_CIN_data.xml): every referral ended in NFA; DutyDesk once counted 0 referrals.
    census = SAMPLES / "fake_CIN_data_first_40.xml"
    start, end = date(2004, 1, 1), date(2022, 7, 21)
    expected = _independent_counts(census, start, end)
    assert expected == (46, 1)  # 46 referrals (one per child per day), one within 12 months
    data = str(tmp_path / "store")
    assert main(["import", str(census), "--data-dir", data, "--demo"]) == 0
    imported = capsys.readouterr()
    assert "rows read 46, valid 46, rejected 0" in imported.out
    # The child who died on the day of birth and was referred five years later is warned.
    assert "referral date is after the child's death (2007-07-04)" in imported.err
    out = tmp_path / "figures.csv"
    assert (
        main(
            [
                "mi",
                "--from",
                start.isoformat(),
                "--to",
                end.isoformat(),
                "--csv",
                str(out),
                "--data-dir",
                data,
                "--demo",
            ]
        )
        == 0
    )
    with out.open(encoding="utf-8") as fh:
        rows = {(r["figure"], r["part"]): r for r in csv.DictReader(fh)}
    re_row = rows[("re_referrals", "")]
    assert (int(re_row["denominator"]), int(re_row["numerator"])) == expected
    # Importing the file again adds nothing and changes no count.
    assert main(["import", str(census), "--data-dir", data, "--demo"]) == 0
    assert (
        main(
            [
                "mi",
                "--from",
                start.isoformat(),
                "--to",
                end.isoformat(),
                "--csv",
                str(out),
                "--data-dir",
                data,
                "--demo",
            ]
        )
        == 0
    )
    with out.open(encoding="utf-8") as fh:
        again = {(r["figure"], r["part"]): r for r in csv.DictReader(fh)}
    assert again[("re_referrals", "")]["denominator"] == re_row["denominator"]
    # Annex A List 3 (once 0 rows): one row per referral, each "Referral NFA?" a) Yes, the
    # census LAchildID as the Child Unique ID.
    listed = tmp_path / "list3.csv"
    assert (
        main(
            [
                "export",
                "annex-a",
                "--list",
                "3",
                "--from",
                start.isoformat(),
                "--to",
                end.isoformat(),
                "-o",
                str(listed),
                "--data-dir",
                data,
                "--demo",
            ]
        )
        == 0
    )
    with listed.open(encoding="utf-8") as fh:
        list3 = list(csv.DictReader(fh))
    assert len(list3) == expected[0]
    assert {r["Referral NFA?"] for r in list3} == {"a) Yes"}
    assert {r["Child Unique ID"] for r in list3} == {
        c.findtext("ChildIdentifiers/LAchildID") for c in ET.parse(census).iter("Child")
    }


def test_the_public_census_round_trips_with_no_dfe_errors(tmp_path: Path) -> None:
    # Import the public all-NFA census (older GenderCurrent, a death date) and export the
    # 2021-22 return: the same referrals, and DfE's rules find no error.
    census = SAMPLES / "fake_CIN_data_first_40.xml"
    clock = FixedClock(NOW)
    store = EventStore.open(tmp_path / "s.sqlite3")
    imported = Importer(GuardedStore(store, PERFORMANCE, clock), clock).run(census)
    assert (imported.rows_ok, imported.rows_rejected) == (46, 0)
    out = tmp_path / "return.xml"
    report = MiService(
        store, clock, actor=PERFORMANCE, signer=signer_for(PERFORMANCE.login)
    ).export_cin_census(out, 2022, lea="975")
    store.close()
    year = (date(2021, 4, 1), date(2022, 3, 31))
    source = {
        (la, day, src)
        for la, day, src, _ in _episodes(census)
        if year[0] <= date.fromisoformat(day) <= year[1]
    }
    assert len(source) == report.episodes == 6
    assert {(la, day, src) for la, day, src, _ in _episodes(out)} == source
    assert {nfa for *_, nfa in _episodes(out)} == {"true"}  # every one ended in NFA
    errors, _ = dfe_issues(out)
    assert errors == [], errors[:5]
