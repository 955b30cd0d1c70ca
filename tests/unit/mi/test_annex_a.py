"""Annex A List 1 and List 3: headings as Ofsted's workbook, coded values, read back."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dutydesk.mi import annex_a
from dutydesk.mi.dataset import prepare
from dutydesk.mi.records import Filters
from tests.unit.mi.builders import History, child, pid

# The sample Annex A workbook (MIT, tests/data/samples/README.md) ships with the tests.
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "Annex_A.xlsx"

# As in the Annex A workbook (row 1 of the "List 1" and "List 3" sheets).
LIST1 = (
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age",
    "Date of Contact",
    "Contact Source",
)
LIST3 = (
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
    "Allocated Worker",
)


def test_headings_are_the_workbooks() -> None:
    assert annex_a.LIST1_HEADINGS == LIST1
    assert annex_a.LIST3_HEADINGS == LIST3


def test_headings_match_the_shared_sample_workbook() -> None:
    wb = load_workbook(SAMPLE, read_only=True)
    for list_no, name in annex_a.SHEET_NAMES.items():
        first = next(wb[name].iter_rows(max_row=1, values_only=True))
        assert tuple(first) == annex_a.HEADINGS[list_no]


def test_coded_values_keep_their_prefixes() -> None:
    assert annex_a.source("6") == "q) 6: Police"
    assert annex_a.source("3D") == "j) 3D: Health services"
    assert annex_a.source("1B") == "b) 1B: Individual"
    assert annex_a.source("8") == "s) 8: Other"
    assert annex_a.gender("b") == "b) Female"
    assert annex_a.gender(None) == "c) Not stated/recorded (or unborn)"
    assert annex_a.ethnicity("WBRI") == "a) WBRI"
    assert annex_a.ethnicity(None) == "t) NOBT"


def _history() -> tuple[History, dict[str, str]]:
    h = History()
    kids = {"older": pid(), "baby": pid(), "unborn": pid()}
    h.refer("2026-01-10 10:00", kids["older"])
    siblings = h.contact(
        "2026-10-05 09:00",
        source="6",
        children=[
            child(kids["older"], dob="2015-10-06", ethnicity="APKN", sex="a"),
            {
                "person_id": kids["unborn"],
                "expected_date_of_birth": "2027-02-01",
                "sex": "c",
                "family_name": "Child",
            },
        ],
    )
    h.assign(siblings, "2026-10-05 09:30", "sw.jones")
    h.decide(siblings, "2026-10-06 10:00", "strategy_s47")
    h.contact("2026-10-07 09:00", children=[child(kids["baby"], dob="2026-09-01")])
    return h, kids


PERIOD = Filters(date(2026, 5, 1), date(2026, 10, 31))


def test_list1_rows_one_per_child_per_contact_with_age_at_contact() -> None:
    h, kids = _history()
    data = h.mi_input()
    rows = list(annex_a.list1_rows(data, prepare(data), PERIOD))
    assert rows == [
        (
            kids["older"],
            "a) Male",
            "k) APKN",
            date(2015, 10, 6),
            10,
            date(2026, 10, 5),
            "q) 6: Police",
        ),
        (
            kids["unborn"],
            "c) Not stated/recorded (or unborn)",
            "t) NOBT",
            date(2027, 2, 1),
            -1,
            date(2026, 10, 5),
            "q) 6: Police",
        ),
        (
            kids["baby"],
            "b) Female",
            "t) NOBT",
            date(2026, 9, 1),
            0,
            date(2026, 10, 7),
            "e) 2A: Schools",
        ),
    ]


def test_list3_rows_count_referrals_in_the_12_months_before_the_latest() -> None:
    h, kids = _history()
    data = h.mi_input()
    rows = list(annex_a.list3_rows(data, prepare(data), PERIOD))
    assert [r[0] for r in rows] == [kids["older"], kids["unborn"]]
    older = rows[0]
    # DfE: a referral is dated when it was received (5 Oct), not when decided (6 Oct).
    assert older[5:] == (date(2026, 10, 5), "q) 6: Police", "b) No", 1, "A", "sw.jones")
    assert older[4] == 10  # 5 Oct 2026: the day before the eleventh birthday
    assert rows[1][8] == 0 and rows[1][4] == -1


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("list_no", [1, 3])
def test_exports_read_back_with_the_same_headings(tmp_path: Path, fmt: str, list_no: int) -> None:
    h, kids = _history()
    data = h.mi_input()
    out = tmp_path / f"list{list_no}.{fmt}"
    n = annex_a.export(out, list_no, fmt, data, prepare(data), PERIOD)
    assert n == (3 if list_no == 1 else 2)
    if fmt == "xlsx":
        wb = load_workbook(out)
        assert wb.sheetnames == [f"List {list_no}"]
        values = list(wb.active.iter_rows(values_only=True))
        assert wb.active["D2"].number_format == "DD/MM/YYYY"
        assert isinstance(values[1][3], datetime)
    else:
        with out.open(newline="", encoding="utf-8") as fh:
            values = [tuple(r) for r in csv.reader(fh)]
        assert values[1][0] == kids["older"]
        assert values[1][3] == "06/10/2015"
    assert tuple(values[0]) == annex_a.HEADINGS[list_no]
    assert len(values) == n + 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".annex-a-")]


def test_bad_export_requests_fail_clearly_and_write_nothing(tmp_path: Path) -> None:
    h, _ = _history()
    data = h.mi_input()
    ds = prepare(data)
    with pytest.raises(annex_a.ExportError, match="list 6 is not exported"):
        annex_a.export(tmp_path / "x.csv", 6, "csv", data, ds, PERIOD)
    with pytest.raises(annex_a.ExportError, match="format 'pdf'"):
        annex_a.export(tmp_path / "x.pdf", 1, "pdf", data, ds, PERIOD)
    with pytest.raises(annex_a.ExportError, match="does not exist"):
        annex_a.export(tmp_path / "missing" / "x.csv", 1, "csv", data, ds, PERIOD)
    assert list(tmp_path.iterdir()) == []
