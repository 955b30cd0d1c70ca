"""The Annex A sheet writer (``mi.xlsx_rows``) gives the cells openpyxl's write-only mode
gave: the oracle is that writer (as ``annex_a.write_xlsx`` used it, kept here), both files
read back with openpyxl, every cell's value, type and number format compared."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import IllegalCharacterError

from dutydesk.domain.cells import neutral
from dutydesk.mi import annex_a
from dutydesk.mi.xlsx_rows import write_sheet

HEADINGS = annex_a.LIST5_HEADINGS
ROWS: list[tuple[Any, ...]] = [
    ("P-1", "b) Female", "a) WBRI", date(2019, 4, 3), 7, date(2026, 7, 31), "q) 6: Police"),
    ("=1+1", "+A", "-B", "@C", " lead space", "trail space ", "tab\tinside"),
    ("Siobhán O'Brien", 'say "hi"', "a & b < c > d", "line\nbreak", "", None, 0),
    (None, None, None, date(1900, 3, 1), -1, True, False),
    ("x" * 40_000, 3.5, 12_345_678_901, date(2040, 12, 31), "😀 emoji", "\u00a0nbsp", "'quoted"),
    ("a", "b"),  # shorter than the headings
    tuple(f"col {n}" for n in range(len(HEADINGS) + 2)),  # longer than the headings
]


def _openpyxl(path: Path, sheet: str, headings: Any, rows: Any) -> None:
    """``annex_a.write_xlsx`` before it wrote the XML itself."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(headings)
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            elif isinstance(value, str):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)


def _cells(path: Path) -> tuple[list[str], list[list[tuple[Any, ...]]]]:
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    return wb.sheetnames, [
        [
            (c.value, c.data_type, c.number_format if c.is_date else None)
            for c in row
            if c.value is not None
        ]
        for row in ws.iter_rows()
    ]


def test_the_same_cells_as_openpyxl(tmp_path: Path) -> None:
    rows = [tuple(neutral(v) for v in row) for row in ROWS]
    _openpyxl(tmp_path / "old.xlsx", "List 5", HEADINGS, rows)
    assert write_sheet(tmp_path / "new.xlsx", "List 5", HEADINGS, iter(rows)) == len(rows)
    old, new = _cells(tmp_path / "old.xlsx"), _cells(tmp_path / "new.xlsx")
    assert new == old
    assert ("'=1+1", "s", None) in new[1][2]  # neutralised text stays text
    assert (datetime(2019, 4, 3), "d", "DD/MM/YYYY") in new[1][1]


def test_an_empty_list_has_its_headings_only(tmp_path: Path) -> None:
    assert write_sheet(tmp_path / "e.xlsx", "List 1", annex_a.LIST1_HEADINGS, []) == 0
    names, rows = _cells(tmp_path / "e.xlsx")
    assert names == ["List 1"] and [c[0] for c in rows[0]] == list(annex_a.LIST1_HEADINGS)
    assert len(rows) == 1


def test_a_control_character_is_refused_as_openpyxl_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(IllegalCharacterError):
        write_sheet(tmp_path / "bad.xlsx", "List 1", ("A",), [("bell\x07",)])
