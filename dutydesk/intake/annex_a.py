"""Ofsted Annex A workbooks: List 1 (contacts) and List 3 (referrals) as history.

Values are as messy as real returns: ``Female`` and ``b) Female``, Excel date serials,
blank dates of birth, non-breaking spaces in names. Children are known only by the
authority's "Child Unique ID"; each becomes a person with a stable id from it.

A List 1 contact on the same day as a List 3 referral for the same child is the same
approach to the front door: it is imported once, as the referral.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from ..domain.ids import stable_id
from . import hardened, history
from .model import LIMITS, FileRefused, Limits, ParsedRow, RowError
from .values import clean, ethnicity_code, parse_date, sex_code, source_code, start_of, yes_no

LIST1 = {
    "child_id": "Child Unique ID",
    "sex": "Gender",
    "ethnicity": "Ethnicity",
    "dob": "Date of Birth",
    "date": "Date of Contact",
    "source": "Contact Source",
}
LIST3 = {
    "child_id": "Child Unique ID",
    "sex": "Gender",
    "ethnicity": "Ethnicity",
    "dob": "Date of Birth",
    "date": "Date of Referral",
    "source": "Referral Source",
    "nfa": "Referral NFA?",
    "last12": "Number of Referrals in Last 12 Months",
    "team": "Allocated Team",
    "worker": "Allocated Worker",
}
OPTIONAL = ("team", "worker")  # older workbooks lack them


def _key(header: Any) -> str:
    return clean(header).casefold()


def _sheet(wb: Any, number: int) -> Any | None:
    for name in wb.sheetnames:
        if _key(name).replace(" ", "") == f"list{number}":
            return wb[name]
    return None


def parse(data: bytes, file: str, now: datetime, limits: Limits = LIMITS) -> Iterator[ParsedRow]:
    import openpyxl

    hardened.check_xlsx(data, file)  # size, expansion and DTDs, before openpyxl reads it
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        TypeError,
        IndexError,
        AttributeError,
        *hardened.XML_ERRORS,
    ) as err:
        raise FileRefused(
            file, f"is not a readable Excel workbook ({type(err).__name__}: {str(err)[:200]})"
        ) from None
    try:
        list1, list3 = _sheet(wb, 1), _sheet(wb, 3)
        if list1 is None and list3 is None:
            raise FileRefused(file, "has no sheet named 'List 1' or 'List 3' (Annex A)")
        referral_days: set[tuple[str, date]] = set()
        rows3 = list(_rows(list3, "List 3", LIST3, file, limits)) if list3 is not None else []
        # Each child's allocated worker comes from their latest referral that names one
        # (the workbook's rows are in no set order; an older referral's worker is history).
        latest: dict[str, tuple[date, int]] = {}
        for sheet_row in rows3:
            child, day = _day_key(sheet_row)
            if child and clean(sheet_row.get("worker")) and day != date.min:
                latest[child] = max(latest.get(child, (day, 0)), (day, sheet_row.number))
        for sheet_row in rows3:
            child, day = _day_key(sheet_row)
            row = _referral(sheet_row, file, now, latest.get(child) == (day, sheet_row.number))
            if row.ok:
                referral_days.add(_day_key(sheet_row))
            yield row
        if list1 is not None:
            for sheet_row in _rows(list1, "List 1", LIST1, file, limits):
                if _day_key(sheet_row) in referral_days:
                    continue
                yield _contact(sheet_row, file, now)
    finally:
        wb.close()


class _SheetRow:
    def __init__(self, sheet: str, number: int, cells: dict[str, Any], names: dict[str, str]):
        self.sheet, self.number, self.cells, self.names = sheet, number, cells, names
        self.row = ParsedRow(
            number=number,
            ref="",
            raw={"sheet": sheet, **{names[k]: clean(v) for k, v in cells.items()}},
            column_of=lambda path: _column(path, names),
        )
        self.file = ""

    def get(self, key: str) -> Any:
        return self.cells.get(key)

    def fail(self, key: str, rule: str) -> None:
        self.row.errors.append(
            RowError(self.file, self.number, self.names[key], clean(self.cells.get(key)), rule)
        )


def _column(path: str, names: dict[str, str]) -> str:
    for prefix, key in (
        ("children[0].date_of_birth", "dob"),
        ("children[0].sex", "sex"),
        ("children[0].ethnicity", "ethnicity"),
        ("date_of_birth", "dob"),
        ("sex", "sex"),
        ("ethnicity", "ethnicity"),
        ("source_code", "source"),
        ("received_at", "date"),
    ):
        if path.startswith(prefix):
            return names.get(key, path)
    return path


def _day_key(r: _SheetRow) -> tuple[str, date]:
    try:
        return clean(r.get("child_id")), parse_date(r.get("date"))
    except ValueError:
        return "", date.min


def _rows(
    ws: Any, sheet: str, columns: dict[str, str], file: str, limits: Limits
) -> Iterator[_SheetRow]:
    header_at, index = None, {}
    rows = ws.iter_rows(values_only=True)
    for n, values in enumerate(rows, 1):
        keys = [_key(v) for v in values]
        if _key(columns["child_id"]) in keys:
            header_at = n
            index = {k: keys.index(_key(h)) for k, h in columns.items() if _key(h) in keys}
            break
        if n > 20:
            break
    if header_at is None:
        raise FileRefused(file, f"sheet {sheet!r} has no 'Child Unique ID' header row")
    missing = [h for k, h in columns.items() if k not in index and k not in OPTIONAL]
    if missing:
        raise FileRefused(file, f"sheet {sheet!r} lacks column(s): {', '.join(missing)}")
    names = {k: f"{sheet}: {columns[k]}" for k in index}
    for n, values in enumerate(rows, header_at + 1):
        if not any(clean(v) for v in values):
            continue
        cells = {k: values[i] if i < len(values) else None for k, i in index.items()}
        r = _SheetRow(sheet, n, cells, names)
        r.file = file
        for k, v in cells.items():
            if isinstance(v, str) and len(v) > limits.max_field_chars:
                r.fail(k, f"is longer than {limits.max_field_chars:,} characters")
        yield r


def _child(r: _SheetRow) -> tuple[str, dict[str, Any], date | None]:
    child_id = clean(r.get("child_id"))
    if not child_id:
        r.fail("child_id", "missing child: no Child Unique ID")
    fields: dict[str, Any] = {}
    for key, fn in (("sex", sex_code), ("ethnicity", ethnicity_code)):
        if clean(r.get(key)):
            try:
                fields[key] = fn(r.get(key))
            except ValueError as err:
                r.fail(key, str(err))
    day = None
    if clean(r.get("dob")):
        try:
            fields["date_of_birth"] = parse_date(r.get("dob")).isoformat()
        except ValueError as err:
            r.fail("dob", str(err))
    try:
        day = parse_date(r.get("date")) if clean(r.get("date")) else None
        if day is None:
            r.fail("date", "is required")
    except ValueError as err:
        r.fail("date", str(err))
    return child_id, fields, day


def _source(r: _SheetRow) -> str:
    try:
        return source_code(r.get("source"))
    except ValueError as err:
        r.fail("source", str(err))
        return ""


def _contact(r: _SheetRow, file: str, now: datetime) -> ParsedRow:
    child_id, fields, day = _child(r)
    source = _source(r)
    if not r.row.ok or day is None:
        return r.row
    cid = stable_id("annex-a-contact", child_id, day.isoformat(), source)
    r.row.ref = child_id
    r.row.summary = f"List 1 contact {day.isoformat()}, source {source}"
    r.row.drafts = [
        history.person_draft(child_id, fields, now),
        *history.contact_drafts(
            contact_id=cid,
            la_child_id=child_id,
            received=start_of(day),
            source=source,
            child=fields,
            now=now,
            outcome="nfa",
            external_ref=f"annex-a:list1:{child_id}",
            concern="Contact imported from Ofsted Annex A List 1 (history).",
            analysis="Imported history from Ofsted Annex A List 1. The workbook "
            "does not record the contact outcome; no referral followed on that day "
            "(List 3), so it is recorded as no further action by children's social care.",
        ),
    ]
    return r.row


def _referral(r: _SheetRow, file: str, now: datetime, allocation: bool = False) -> ParsedRow:
    """A List 3 referral. With ``allocation`` (the child's latest referral naming an
    allocated worker) the person also gets that worker and team (``allocated_worker``,
    ``allocated_team``): the same-day notice to an open case's worker names them."""
    child_id, fields, day = _child(r)
    source = _source(r)
    nfa = None
    try:
        nfa = yes_no(r.get("nfa"))
    except ValueError as err:
        r.fail("nfa", str(err))
    if not r.row.ok or day is None or nfa is None:
        return r.row
    outcome = "nfa" if nfa else "cin_assessment"
    cid = stable_id("annex-a-referral", child_id, day.isoformat())
    r.row.ref = child_id
    r.row.summary = f"List 3 referral {day.isoformat()}, source {source}, outcome {outcome}"
    team = clean(r.get("team"))
    drafts = history.contact_drafts(
        contact_id=cid,
        la_child_id=child_id,
        received=start_of(day),
        source=source,
        child=fields,
        now=now,
        outcome=outcome,
        external_ref=f"annex-a:list3:{child_id}",
        concern="Referral imported from Ofsted Annex A List 3 (history).",
        analysis="Imported history from Ofsted Annex A List 3: referral NFA "
        f"{'yes' if nfa else 'no'}." + (f" Allocated team: {team}." if team else ""),
    )
    if team:
        drafts[0].payload["team"] = team
    person = dict(fields)
    worker = clean(r.get("worker"))
    if allocation and worker:
        person["allocated_worker"] = worker
        if team:
            person["allocated_team"] = team
    r.row.drafts = [history.person_draft(child_id, person, now), *drafts]
    return r.row
