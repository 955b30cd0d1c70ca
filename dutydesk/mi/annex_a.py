"""Ofsted Annex A List 1 (contacts) and List 3 (referrals) as XLSX and CSV.

Headings are exactly those of the Annex A workbook (``../shared/samples/Annex_A.xlsx``):
one sheet per list named "List 1" / "List 3", headings in row 1, one record per row from
row 2. Coded values keep Ofsted's ordering prefixes in the sample's style: gender
"b) Female", ethnicity "a) WBRI", source "q) 6: Police" (prefix, DfE code, and the
category's head word(s) as the sample writes them, e.g. "j) 3D: Health services").
Dates are real dates shown DD/MM/YYYY. Files are written to a temporary name and moved
into place, so a failed export leaves nothing half-written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..domain.cells import SafeCsvWriter, neutral
from ..domain.codes import ETHNICITY, REFERRAL_SOURCES, SEX
from ..domain.people import age_in_years
from .dataset import Dataset, child_key
from .figures import in_period, referrals_in_period
from .records import ChildLike, Filters, MiInput, PersonLike

COMMON = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age")
LIST1_HEADINGS = COMMON + ("Date of Contact", "Contact Source")
LIST3_HEADINGS = COMMON + ("Date of Referral", "Referral Source", "Referral NFA?",
                           "Number of Referrals in Last 12 Months", "Allocated Team",
                           "Allocated Worker")
HEADINGS = {1: LIST1_HEADINGS, 3: LIST3_HEADINGS}
SHEET_NAMES = {1: "List 1", 3: "List 3"}
FORMATS = ("xlsx", "csv")

Row = tuple[Any, ...]


class ExportError(Exception):
    """An export cannot be written; the message says what and where."""


def gender(code: str | None) -> str:
    found = SEX.get(code or "c") or SEX["c"]
    return f"{found.annex_prefix} {found.label}"


def ethnicity(code: str | None) -> str:
    found = ETHNICITY.get(code or "NOBT") or ETHNICITY["NOBT"]
    return f"{found.annex_prefix} {found.code}"


def source(code: str) -> str:
    found = REFERRAL_SOURCES.get(code)
    if found is None:
        return code
    head = found.label.split(" – ")[0]  # "Health services – GP" -> "Health services"
    return f"{found.annex_prefix} {found.code}: {head}"


def child_unique_id(child: ChildLike, person: PersonLike | ChildLike) -> str:
    """Annex A "Child Unique ID": the authority's own id for the child (census LAchildID,
    case-management id) when known, else DutyDesk's person id (or contact/slot)."""
    la_id = getattr(person, "la_child_id", None)
    return la_id or child_key(child.contact_id, child.slot, child.person_id)


class _Children:
    """Demographics of each child: the person record when linked, else the contact's slot."""

    def __init__(self, data: MiInput) -> None:
        self.people = data.people
        self.slots: dict[str, list[ChildLike]] = {}
        for ch in sorted(data.children, key=lambda c: (c.contact_id, c.slot)):
            self.slots.setdefault(ch.contact_id, []).append(ch)

    def of(self, contact_id: str) -> list[ChildLike]:
        return self.slots.get(contact_id, [])

    def common(self, child: ChildLike, on: date) -> Row:
        """Child Unique ID, Gender, Ethnicity, Date of Birth, Age (at ``on``; unborn -1)."""
        person: PersonLike | ChildLike = child
        if child.person_id and child.person_id in self.people:
            person = self.people[child.person_id]
        dob = date.fromisoformat(person.date_of_birth) if person.date_of_birth else None
        expected = (date.fromisoformat(person.expected_date_of_birth)
                    if person.expected_date_of_birth else None)
        age: int | None
        if dob is not None and dob <= on:
            age = age_in_years(dob, on)
        elif dob is not None or expected is not None:
            age = -1  # unborn on that date; Annex A gives the expected date of birth
        else:
            age = None
        return (child_unique_id(child, person),
                gender(person.sex), ethnicity(person.ethnicity), dob or expected, age)


def list1_rows(data: MiInput, ds: Dataset, filters: Filters) -> Iterator[Row]:
    """One row per child per contact received in the period, oldest first."""
    kids = _Children(data)
    for c in in_period(ds, filters):
        for child in kids.of(c.contact_id):
            yield kids.common(child, c.day) + (c.day, source(c.source))


def list3_rows(data: MiInput, ds: Dataset, filters: Filters, months: int = 12) -> Iterator[Row]:
    """One row per referral of a child in the period (same-day referrals are one)."""
    kids = _Children(data)
    for r in referrals_in_period(ds, filters):
        slot = next(ch for ch in kids.of(r.contact_id)
                    if child_key(ch.contact_id, ch.slot, ch.person_id) == r.child)
        latest = ds.history.latest(r.child, filters.date_to) or r.day
        before = ds.history.before(r.child, latest, months)
        yield kids.common(slot, r.day) + (r.day, source(r.source), "Yes" if r.nfa else "No",
                                          before, r.team, r.assignee or "")


def rows_for(list_no: int, data: MiInput, ds: Dataset, filters: Filters) -> list[Row]:
    if list_no == 1:
        return list(list1_rows(data, ds, filters))
    if list_no == 3:
        return list(list3_rows(data, ds, filters))
    raise ExportError(f"Annex A list {list_no} is not exported (lists 1 and 3 are)")


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".annex-a-", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_xlsx(path: Path, list_no: int, rows: Sequence[Row]) -> None:
    # Write-only (streaming) mode: several times faster for tens of thousands of rows.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(SHEET_NAMES[list_no])
        ws.append(HEADINGS[list_no])
        for row in rows:
            cells: list[Any] = []
            for value in row:
                if isinstance(value, date):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "DD/MM/YYYY"
                    cells.append(cell)
                elif isinstance(value, str):
                    cells.append(text_cell(ws, value))
                else:
                    cells.append(value)
            ws.append(cells)
        wb.save(tmp)

    _atomic(path, write)


def text_cell(ws: Any, value: str) -> Any:
    """A text cell that is stored as text whatever it holds (never a formula or error)
    and neutralised against formula injection (``domain.cells``)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=neutral(value))
    cell.data_type = "s"
    return cell


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def write_csv(path: Path, list_no: int, rows: Sequence[Row]) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            out = SafeCsvWriter(fh)
            out.writerow(HEADINGS[list_no])
            out.writerows([csv_value(v) for v in row] for row in rows)

    _atomic(path, write)


def export(path: Path, list_no: int, fmt: str, data: MiInput, ds: Dataset,
           filters: Filters) -> int:
    """Write one list; returns the number of rows."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not supported (xlsx or csv)")
    rows = rows_for(list_no, data, ds, filters)
    (write_xlsx if fmt == "xlsx" else write_csv)(path, list_no, rows)
    return len(rows)
