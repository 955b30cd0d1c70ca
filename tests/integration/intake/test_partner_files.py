"""Police CSV and intake JSON: errors by row and column, encodings, modes, people links."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dutydesk.domain.clock import FixedClock
from dutydesk.services.importer import ImportOptions
from dutydesk.store import pending_links
from dutydesk.store.eventstore import EventStore
from tests.factories import VALID_NHS, contact_payload, event, importer

HEADER = (
    "Incident Ref,Incident Date/Time,DASH Risk,Children Present,Previous Incidents,"
    "Address,Postcode,Concern,Officer,Child1 Forename,Child1 Surname,Child1 DOB,"
    "Child1 Gender,Child1 NHS Number,Child2 Forename,Child2 Surname,Child2 DOB,"
    "Child2 Gender,Immediate Danger,Source"
)
GOOD = (
    'PPN-001,24/11/2026 23:10,High,Yes,3,"1 Leeds Rd",LS1 4AB,"Father assaulted '
    "mother in front of the children.\",PC Smith,Siobhán,O'Brien,03/04/2019,Female,"
    f"{VALID_NHS},Seán,O'Brien,12/12/2016,M,No,6"
)


def write(tmp_path: Path, lines: list[str], encoding: str = "utf-8", name: str = "ppn.csv") -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def test_police_csv_row_becomes_a_contact_with_da_fields(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    report = importer(store, clock).run(write(tmp_path, [HEADER, GOOD]))
    assert report.rows_ok == 1, report.errors
    (contact,) = store.read_model().contacts.values()
    assert (contact.dash_level, contact.children_present, contact.previous_incidents) == (
        "high",
        True,
        3,
    )
    assert contact.source_code == "6" and contact.channel == "police_notification"
    assert contact.received_at.startswith("2026-11-24T23:10")
    assert contact.external_ref == "PPN-001"
    children = sorted(store.read_model().children.values(), key=lambda c: c.slot)
    assert [(c.given_name, c.date_of_birth, c.sex, c.postcode) for c in children] == [
        ("Siobhán", "2019-04-03", "b", "LS1 4AB"),
        ("Seán", "2016-12-12", "a", "LS1 4AB"),
    ]


def test_windows_1252_and_bom_files_read_the_same(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    for n, enc in enumerate(("cp1252", "utf-8-sig", "utf-8")):
        line = GOOD.replace("PPN-001", f"PPN-00{n}")
        report = importer(store, clock).run(write(tmp_path, [HEADER, line], enc, f"{n}.csv"))
        assert (
            report.encoding == {"cp1252": "cp1252", "utf-8-sig": "utf-8-sig", "utf-8": "utf-8"}[enc]
        )
        assert report.rows_ok == 1
    names = {c.given_name for c in store.read_model().children.values()}
    assert names == {"Siobhán", "Seán"}


BAD_ROWS = {
    "future dob": (
        GOOD.replace("PPN-001", "PPN-002").replace("03/04/2019", "03/04/2030"),
        "Child1 DOB",
        "in the future",
    ),
    "bad nhs": (
        GOOD.replace("PPN-001", "PPN-003").replace(VALID_NHS, "9434765918"),
        "Child1 NHS Number",
        "check digit",
    ),
    "bad source": (
        GOOD.replace("PPN-001", "PPN-004").rsplit(",", 1)[0] + ",Z9",
        "Source",
        "unknown source code",
    ),
    "no child": (
        "PPN-005,24/11/2026 23:10,High,Yes,3,x,LS1 4AB,concern,PC,,,,,,,,,,No,6",
        "child1_given_name",
        "missing child",
    ),
    "bad date": (
        GOOD.replace("PPN-001", "PPN-006").replace("24/11/2026 23:10", "yesterday"),
        "Incident Date/Time",
        "not a readable date",
    ),
}


def test_each_bad_row_is_named_by_row_column_value_and_rule(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    lines = [HEADER, GOOD] + [row for row, _, _ in BAD_ROWS.values()]
    rejects = tmp_path / "rejects.csv"
    report = importer(store, clock).run(write(tmp_path, lines), ImportOptions(rejects=rejects))
    assert (report.rows_ok, report.rows_rejected) == (1, 5)
    by_row = {e.row: e for e in report.errors}
    for n, (_, column, rule) in enumerate(BAD_ROWS.values(), 3):
        assert by_row[n].column == column, by_row[n]
        assert rule in by_row[n].rule, by_row[n]
        assert by_row[n].file == "ppn.csv"
    assert "03/04/2030" in str(by_row[3])
    with rejects.open(encoding="utf-8-sig") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["Incident Ref"] for r in rejected] == [f"PPN-00{i}" for i in range(2, 7)]
    assert "in the future" in rejected[0]["_errors"]
    assert store.event_count() == 2  # the contact and its rating


def test_all_or_nothing_refuses_the_file_when_a_row_is_bad(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    path = write(tmp_path, [HEADER, GOOD, BAD_ROWS["bad nhs"][0]])
    report = importer(store, clock).run(path, ImportOptions(all_or_nothing=True))
    assert report.refused and "nothing was imported" in report.refused
    assert store.event_count() == 0
    ok = importer(store, clock).run(
        write(tmp_path, [HEADER, GOOD], name="ok.csv"), ImportOptions(all_or_nothing=True)
    )
    assert ok.refused is None and store.event_count() == 2  # the contact and its rating


def test_duplicate_incident_reference_and_oversized_field(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    huge = GOOD.replace("PPN-001", "PPN-009").replace("Father", "x" * 30_000)
    report = importer(store, clock).run(write(tmp_path, [HEADER, GOOD, GOOD, huge]))
    rules = [e.rule for e in report.errors]
    assert any("already used on row 2" in r for r in rules)
    assert any("20,000 characters" in r for r in rules)
    assert report.rows_ok == 1


def test_missing_columns_refuse_the_file(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    report = importer(store, clock).run(write(tmp_path, ["Name,Age", "Tom,7"]))
    assert report.refused and "missing column(s) incident_ref" in report.refused


def test_changed_resend_is_not_overwritten(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    importer(store, clock).run(write(tmp_path, [HEADER, GOOD]))
    changed = GOOD.replace("High", "Medium")
    report = importer(store, clock).run(write(tmp_path, [HEADER, changed], name="again.csv"))
    assert report.rows_rejected == 1
    assert "imported before with different content" in report.errors[0].rule
    assert store.event_count() == 2  # the contact and its rating


def test_exact_nhs_links_and_likely_match_is_queued(
    store: EventStore, clock: FixedClock, now, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    store.append(
        [
            event(
                "person.registered",
                {
                    "person_id": "0190a000-0000-7000-8000-000000000001",
                    "given_name": "Siobhan",
                    "family_name": "OBrien",
                    "date_of_birth": "2019-04-03",
                    "nhs_number": VALID_NHS,
                },
                now,
            ),
            event(
                "person.registered",
                {
                    "person_id": "0190a000-0000-7000-8000-000000000002",
                    "given_name": "Sean",
                    "family_name": "O Brien",
                    "date_of_birth": "2016-12-12",
                    "postcode": "LS1 4AB",
                },
                now,
            ),
            event(
                "person.registered",
                {
                    "person_id": "0190a000-0000-7000-8000-000000000003",
                    "given_name": "Sean",
                    "family_name": "O'Brien",
                    "date_of_birth": "2016-12-12",
                },
                now,
            ),
        ]
    )
    report = importer(store, clock).run(write(tmp_path, [HEADER, GOOD]))
    assert report.links_made == 1 and report.links_queued == 1
    children = sorted(store.read_model().children.values(), key=lambda c: c.slot)
    assert children[0].person_id == "0190a000-0000-7000-8000-000000000001"
    assert children[1].person_id is None  # never merged silently
    (queued,) = pending_links.pending(store.engine)
    assert queued.person_id.endswith("0002") and "postcode" in queued.matched
    linked = [e for e in store.events() if e.type == "person.linked"]
    assert linked[0].payload["evidence"] == ["nhs_number"]
    again = importer(store, clock).run(write(tmp_path, [HEADER, GOOD]))
    assert again.events_added == 0 and again.links_queued == 0


def test_json_lines_array_and_single_object(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    a = contact_payload(external_ref="S-1")
    a.pop("contact_id")
    b = contact_payload(
        external_ref="S-2", children=[{"given_name": "Amy", "date_of_birth": "2031-01-01"}]
    )
    b.pop("contact_id")
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps(a) + "\n" + json.dumps(b) + "\n{broken\n", encoding="utf-8")
    report = importer(store, clock).run(lines)
    assert (report.rows, report.rows_ok, report.rows_rejected) == (3, 1, 2)
    errs = {e.row: e for e in report.errors}
    assert errs[2].column == "children[0].date_of_birth" and errs[2].value == "2031-01-01"
    assert "not valid JSON" in errs[3].rule
    array = tmp_path / "in.json"
    array.write_text(json.dumps([a]), encoding="utf-8-sig")
    assert importer(store, clock).run(array).events_present == 1
    single = tmp_path / "one.json"
    single.write_text(json.dumps(a, indent=2), encoding="utf-8")
    assert importer(store, clock).run(single).events_present == 1


# Issue 14: "not asked" is distinct from "no". A police notification whose immediate
# danger answer is blank or absent is refused, never stored as "no danger".
def _danger(line: str, answer: str) -> str:
    head, source = line.rsplit(",", 1)
    return head.rsplit(",", 1)[0] + f",{answer},{source}"


def test_blank_immediate_danger_rejects_the_row_by_file_row_and_column(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    blank = _danger(GOOD.replace("PPN-001", "PPN-002"), "")
    spaces = _danger(GOOD.replace("PPN-001", "PPN-003"), "  ")
    rejects = tmp_path / "rejects.csv"
    report = importer(store, clock).run(
        write(tmp_path, [HEADER, GOOD, blank, spaces]), ImportOptions(rejects=rejects)
    )
    assert (report.rows_ok, report.rows_rejected) == (1, 2), report.errors
    for error, row in zip(report.errors, (3, 4), strict=True):
        assert (error.file, error.row, error.column) == ("ppn.csv", row, "Immediate Danger")
        assert error.rule == (
            "immediate danger is blank: the police notification must say yes or no"
        )
    assert str(report.errors[0]).startswith("ppn.csv, row 3, column Immediate Danger: error:")
    with rejects.open(encoding="utf-8-sig") as fh:
        rejected = list(csv.DictReader(fh))
    assert [r["Incident Ref"] for r in rejected] == ["PPN-002", "PPN-003"]
    assert "must say yes or no" in rejected[0]["_errors"]
    # nothing of the refused rows was written: only the good contact and its rating
    assert [c.external_ref for c in store.read_model().contacts.values()] == ["PPN-001"]
    assert store.event_count() == 2


def test_blank_immediate_danger_refuses_an_all_or_nothing_file(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    path = write(tmp_path, [HEADER, GOOD, _danger(GOOD.replace("PPN-001", "PPN-002"), "")])
    report = importer(store, clock).run(path, ImportOptions(all_or_nothing=True))
    assert report.refused and "nothing was imported" in report.refused
    assert store.event_count() == 0


def test_a_file_without_an_immediate_danger_column_is_refused(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    header = HEADER.replace(",Immediate Danger", "")
    line = _danger(GOOD, "").replace(",,6", ",6")
    assert line.count(",") == header.count(",")
    report = importer(store, clock).run(write(tmp_path, [header, line]))
    assert report.refused and "missing column(s) immediate_danger" in report.refused
    assert "ppn.csv" in report.refused
    assert store.event_count() == 0


def test_explicit_immediate_danger_yes_and_no_still_import(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    lines = [HEADER] + [
        _danger(GOOD.replace("PPN-001", f"PPN-{answer}"), answer)
        for answer in ("Yes", "Y", "true", "No", "N", "false")
    ]
    report = importer(store, clock).run(write(tmp_path, lines))
    assert report.rows_ok == 6, report.errors
    danger = {c.external_ref: c.immediate_danger for c in store.read_model().contacts.values()}
    assert danger == {
        "PPN-Yes": True,
        "PPN-Y": True,
        "PPN-true": True,
        "PPN-No": False,
        "PPN-N": False,
        "PPN-false": False,
    }


def test_intake_json_without_an_immediate_danger_answer_is_rejected(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    """The intake JSON path has no such hole: absent, null or "" is refused, not "no"."""
    records = []
    for n, value in enumerate((..., None, "")):
        record = contact_payload(external_ref=f"J-{n}")
        record.pop("contact_id")
        if value is ...:
            record.pop("immediate_danger")
        else:
            record["immediate_danger"] = value
        records.append(json.dumps(record))
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    report = importer(store, clock).run(path)
    assert (report.rows_ok, report.rows_rejected) == (0, 3)
    assert {e.column for e in report.errors} == {"immediate_danger"}
    assert all("required" in e.rule for e in report.errors), report.errors
    assert store.event_count() == 0


def test_json_lines_with_lone_surrogate_escapes_are_rejected_by_row_and_field(
    store: EventStore, clock: FixedClock, tmp_path: Path
) -> None:
    """An attacker's intake file: JSON lets a text say "\\udc80" (half a UTF-16 pair);
    json.loads takes it, but it is not Unicode text (no UTF-8, so no id, hash or row can
    be made of it). Each such row is rejected naming the field; the rest import; no crash,
    with or without a contact id (an id made from the row's content hashed its text)."""
    good = contact_payload(external_ref="S-9")
    good.pop("contact_id")
    no_id = contact_payload(concern="hit \udc80")
    no_id.pop("contact_id")
    bad_ref = contact_payload(external_ref="R-\ud800")
    bad_ref.pop("contact_id")
    named = contact_payload(children=[{"given_name": "\udfff", "date_of_birth": "2019-04-03"}])
    lines = tmp_path / "in.jsonl"
    records = [no_id, bad_ref, named, good]
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert "\\udc80" in lines.read_text("utf-8")
    for path in (lines, tmp_path / "in.json"):
        if path.suffix == ".json":
            path.write_text(json.dumps(records), encoding="utf-8")
        report = importer(store, clock).run(path)
        assert (report.rows, report.rows_rejected) == (4, 3), report
        errs = {e.row: e for e in report.errors}
        assert errs[1].column == "concern" and "Unicode" in errs[1].rule, errs[1]
        assert errs[2].column == "external_ref" and "Unicode" in errs[2].rule, errs[2]
        assert errs[3].column == "children[0].given_name" and "Unicode" in errs[3].rule
        assert 4 not in errs
